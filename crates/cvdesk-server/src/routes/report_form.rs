//! The report form: shown empty, shown again with the finder's text and a message per
//! field when something must change, or answered with the receipt once stored.

use axum::extract::multipart::{Field as Part, MultipartError};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use cvdesk_domain::challenge::{Challenge, ChallengeError, Response as ChallengeResponse};
use cvdesk_domain::{AttachmentName, Field, FieldErrors, ReportDraft, ReportInput};
use cvdesk_store::NewAttachment;

use crate::client_address::ClientAddress;
use crate::error::{PageError, WebError};
use crate::intake::{accept_report, admit, IntakeError, Origin, ReceivedFiles};
use crate::intake::{admit_answer, QuestionRefusal};
use crate::intake_challenge::explain;
use crate::routes::policy::has_encryption_key;
use crate::views::{render, Layout, ReceiptPage, ReportFormPage};
use crate::AppState;

pub async fn get_report_form(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    let page = ReportFormPage::new(
        &state.settings,
        ReportInput::default(),
        &FieldErrors::default(),
        false,
    )
    .with_challenge(fresh_challenge(&state)?)
    .with_encryption(has_encryption_key(&state).await?);
    Ok(render(&page)?)
}

pub async fn post_report_form(
    State(state): State<AppState>,
    client: ClientAddress,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let (input, received, response) = read_form(&state, multipart).await?;
    let had_files = !received.files.is_empty() || received.refusal.is_some();
    let accepts_encrypted = has_encryption_key(&state).await?;
    let form_again = |errors: &FieldErrors| -> Result<ReportFormPage, WebError> {
        Ok(
            ReportFormPage::new(&state.settings, input.clone(), errors, had_files)
                .with_challenge(fresh_challenge(&state)?)
                .with_encryption(accepts_encrypted),
        )
    };
    match admit(&state, &client).await {
        Ok(()) => {}
        Err(error @ WebError::TooManyRequests { .. }) => {
            // The finder's text comes back with the 429, so nothing typed is lost.
            let page = form_again(&FieldErrors::default())?.with_notice(error.to_string());
            return Ok((error.status(), error.retry_after(), render(&page)?).into_response());
        }
        Err(error) => return Err(error.into()),
    }
    let challenge = if state.challenges.enabled() {
        let solved = response
            .response()
            .and_then(|(token, answer)| state.challenges.verify(token, answer, state.clock.now()));
        match solved {
            Ok(solved) => Some(solved),
            Err(refusal) => {
                // Show every other problem too, so one round trip fixes them all.
                let errors = ReportDraft::parse(&input, state.settings.text_limits)
                    .err()
                    .unwrap_or_default();
                let page = form_again(&errors)?.with_challenge_error(explain(&refusal));
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
            }
        }
    } else {
        None
    };
    match admit_answer(&state, &client, challenge.as_ref()).await {
        Ok(()) => {}
        Err(QuestionRefusal {
            error: error @ WebError::TooManyRequests { .. },
            notice,
        }) => {
            // As over the general limit, the finder's text comes back with the 429.
            let page = form_again(&FieldErrors::default())?.with_notice(notice);
            return Ok((error.status(), error.retry_after(), render(&page)?).into_response());
        }
        Err(QuestionRefusal { error, .. }) => return Err(error.into()),
    }
    let origin = Origin { client, challenge };
    match accept_report(&state, &input, received, &origin).await {
        Ok(accepted) => {
            let page = ReceiptPage {
                layout: Layout::of(&state.settings),
                reference: accepted.report.reference.to_string(),
                tracking_url: accepted.tracking_url,
            };
            Ok((StatusCode::CREATED, render(&page)?).into_response())
        }
        Err(IntakeError::Invalid(errors)) => {
            let page = form_again(&errors)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(IntakeError::ChallengeSpent) => {
            let page = form_again(&FieldErrors::default())?
                .with_challenge_error(SPENT_CHALLENGE.to_owned());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(IntakeError::Failed(error)) => Err(error.into()),
    }
}

/// What a finder reads when a challenge comes back a second time.
pub const SPENT_CHALLENGE: &str = "This check was already used to send a report. \
     Answer the new question (or let the page finish its check) and send again.";

/// A new challenge for the form, when the desk asks for one.
fn fresh_challenge(state: &AppState) -> Result<Option<Challenge>, WebError> {
    if state.challenges.enabled() {
        state.challenges.issue(state.clock.now()).map(Some)
    } else {
        Ok(None)
    }
}

/// The challenge fields of the form as sent.
#[derive(Default)]
struct ChallengeFields {
    token: Option<String>,
    solution: Option<String>,
    answer: Option<String>,
}

impl ChallengeFields {
    /// The token, and the script's counter when it found one, otherwise the typed answer.
    fn response(&self) -> Result<(&str, ChallengeResponse<'_>), ChallengeError> {
        fn given(field: &Option<String>) -> Option<&str> {
            field.as_deref().filter(|value| !value.trim().is_empty())
        }
        let token = given(&self.token).ok_or(ChallengeError::Missing)?;
        let response = match (given(&self.solution), given(&self.answer)) {
            (Some(counter), _) => ChallengeResponse::Counter(counter),
            (None, Some(answer)) => ChallengeResponse::Answer(answer),
            (None, None) => return Err(ChallengeError::Missing),
        };
        Ok((token, response))
    }
}

/// Reads every part, keeping all text even when a file breaks a limit, so the form can be
/// shown again with nothing the finder typed lost.
async fn read_form(
    state: &AppState,
    mut multipart: Multipart,
) -> Result<(ReportInput, ReceivedFiles, ChallengeFields), WebError> {
    let limits = state.settings.attachment_limits;
    // UTF-8 needs at most four bytes a character; anything longer is refused by the rules.
    let text_cap = state.settings.text_limits.long.saturating_mul(4) + 4;
    let mut input = ReportInput::default();
    let mut received = ReceivedFiles::default();
    let mut challenge = ChallengeFields::default();
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
            "challenge" => &mut challenge.token,
            "challenge_solution" => &mut challenge.solution,
            "challenge_answer" => &mut challenge.answer,
            _ => {
                read_capped(part, 0).await?;
                continue;
            }
        };
        let bytes = read_capped(part, text_cap).await?.unwrap_or_default();
        *slot = Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok((input, received, challenge))
}

/// One file part. An empty file input still sends a part with no name and no bytes.
pub(super) async fn read_file(
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
pub(super) async fn read_capped(
    mut part: Part<'_>,
    cap: usize,
) -> Result<Option<Vec<u8>>, WebError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = part.chunk().await.map_err(malformed)? {
        let room = cap.saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok((!bytes.is_empty()).then_some(bytes))
}

pub(super) fn malformed(error: MultipartError) -> WebError {
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
