//! The report form: shown empty, shown again with the finder's text and a message per
//! field when something must change, or answered with the receipt once stored.

use axum::extract::multipart::{Field as Part, MultipartError};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use cvdesk_domain::{AttachmentName, Field, FieldErrors, ReportInput};
use cvdesk_store::NewAttachment;

use crate::error::{PageError, WebError};
use crate::intake::{accept_report, IntakeError, ReceivedFiles};
use crate::views::{render, Layout, ReceiptPage, ReportFormPage};
use crate::AppState;

pub async fn get_report_form(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    let page = ReportFormPage::new(
        &state.settings,
        ReportInput::default(),
        &FieldErrors::default(),
        false,
    );
    Ok(render(&page)?)
}

pub async fn post_report_form(
    State(state): State<AppState>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let (input, received) = read_form(&state, multipart).await?;
    let had_files = !received.files.is_empty() || received.refusal.is_some();
    match accept_report(&state, &input, received).await {
        Ok(accepted) => {
            let page = ReceiptPage {
                layout: Layout::of(&state.settings),
                reference: accepted.report.reference.to_string(),
                tracking_url: accepted.tracking_url,
            };
            Ok((StatusCode::CREATED, render(&page)?).into_response())
        }
        Err(IntakeError::Invalid(errors)) => {
            let page = ReportFormPage::new(&state.settings, input, &errors, had_files);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(IntakeError::Failed(error)) => Err(error.into()),
    }
}

/// Reads every part, keeping all text even when a file breaks a limit, so the form can be
/// shown again with nothing the finder typed lost.
async fn read_form(
    state: &AppState,
    mut multipart: Multipart,
) -> Result<(ReportInput, ReceivedFiles), WebError> {
    let limits = state.settings.attachment_limits;
    // UTF-8 needs at most four bytes a character; anything longer is refused by the rules.
    let text_cap = state.settings.text_limits.long.saturating_mul(4) + 4;
    let mut input = ReportInput::default();
    let mut received = ReceivedFiles::default();
    while let Some(part) = multipart.next_field().await.map_err(malformed)? {
        let name = part.name().unwrap_or_default().to_owned();
        if name == Field::Attachments.form_name() {
            read_file(part, limits, &mut received).await?;
            continue;
        }
        let slot = match name.as_str() {
            "asset" => &mut input.asset,
            "weakness" => &mut input.weakness,
            "severity" => &mut input.severity,
            "title" => &mut input.title,
            "summary" => &mut input.summary,
            "steps_to_reproduce" => &mut input.steps_to_reproduce,
            "impact" => &mut input.impact,
            "mitigation" => &mut input.mitigation,
            "contact_name" => &mut input.contact_name,
            "contact_email" => &mut input.contact_email,
            "contact_pgp_key" => &mut input.contact_pgp_key,
            "credit" => {
                input.credit = read_capped(part, 16).await?.is_some();
                continue;
            }
            _ => {
                read_capped(part, 0).await?;
                continue;
            }
        };
        let bytes = read_capped(part, text_cap).await?.unwrap_or_default();
        *slot = Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok((input, received))
}

/// One file part. An empty file input still sends a part with no name and no bytes.
async fn read_file(
    mut part: Part<'_>,
    limits: cvdesk_domain::AttachmentLimits,
    received: &mut ReceivedFiles,
) -> Result<(), WebError> {
    let raw_name = part.file_name().unwrap_or_default().to_owned();
    let name = AttachmentName::sanitize(&raw_name);
    let mut content = Vec::new();
    let mut too_large = false;
    while let Some(chunk) = part.chunk().await.map_err(malformed)? {
        if too_large {
            continue;
        }
        content.extend_from_slice(&chunk);
        if let Err(refusal) = limits.check_file(&name, content.len() as u64) {
            too_large = true;
            content = Vec::new();
            received.refusal.get_or_insert(refusal);
        }
    }
    let no_file_chosen = raw_name.is_empty() && content.is_empty();
    if !too_large && !no_file_chosen {
        received.files.push(NewAttachment { name, content });
    }
    Ok(())
}

/// Reads a text part up to `cap` bytes and drains the rest. `None` when the part is empty.
async fn read_capped(mut part: Part<'_>, cap: usize) -> Result<Option<Vec<u8>>, WebError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = part.chunk().await.map_err(malformed)? {
        let room = cap.saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok((!bytes.is_empty()).then_some(bytes))
}

fn malformed(error: MultipartError) -> WebError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        WebError::PayloadTooLarge(
            "The submission is larger than this desk accepts. Go back, remove or shrink \
             some files, and send it again: your text is still in the form."
                .to_owned(),
        )
    } else {
        WebError::bad_request(
            "malformed_form",
            format!(
                "The form could not be read ({}). Go back and send it again.",
                error.body_text()
            ),
        )
    }
}
