//! Reading a report: the page itself, a finder's file, and a body the finder encrypted to
//! the organization key. Each reading is in the audit log.

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use serde::Deserialize;

use super::for_change;
use super::page::{report_page, show, MoveDraft};
use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::openpgp::{self, Passphrase};
use crate::report_access::{permitted_report, viewed_report};
use crate::routes::staff::form;
use crate::routes::track::download;
use crate::views::render;
use crate::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

pub async fn get_report(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let report = viewed_report(&state, &staff.user, &reference, "web").await?;
    let notice = match done.done.as_str() {
        "moved" => Some("The report was moved.".to_owned()),
        "saved" => Some("Saved.".to_owned()),
        "note" => Some("Note added.".to_owned()),
        "message" => Some("Message sent to the finder.".to_owned()),
        _ => None,
    };
    show(&state, &staff, report, notice, None, StatusCode::OK).await
}

pub async fn get_attachment(
    State(state): State<AppState>,
    staff: StaffUser,
    Path((reference, attachment_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let report = permitted_report(&state, &staff.user, &reference, StaffAction::ViewReport).await?;
    let attachment_id: i64 = attachment_id.parse().map_err(|_| WebError::NotFound)?;
    let file = state
        .store
        .attachment(report.id, attachment_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "attachment.download",
        Some(&subject),
        file.meta.sha256.clone(),
    )
    .await?;
    Ok(download(&file.meta.file_name, file.content))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecryptForm {
    csrf_token: String,
}

/// Decrypts a report body the finder encrypted to the organization key and shows it on
/// the report page; the plain text is not stored, and each reading is in the audit log.
pub async fn post_decrypt(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<DecryptForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::ViewReport,
    )
    .await?;
    if !report.content.is_encrypted() {
        let problem = "This report was not sent encrypted.".to_owned();
        return show(
            &state,
            &staff,
            report,
            None,
            Some(problem),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let now = state.clock.now();
    let key = openpgp::load(
        state.store.as_ref(),
        state
            .settings
            .pgp_passphrase
            .as_ref()
            .map(Passphrase::as_str),
        now,
    )
    .await;
    let decrypted = match key {
        Ok(Some(key)) => key
            .decrypt(&report.content.summary)
            .map_err(|error| format!("The report could not be decrypted: {error}.")),
        Ok(None) => Err("No organization key is configured: see cvdesk pgp import.".to_owned()),
        Err(error) => Err(format!("The organization key cannot be used: {error}.")),
    };
    let text = match decrypted {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(problem) => {
            return show(
                &state,
                &staff,
                report,
                None,
                Some(problem),
                StatusCode::CONFLICT,
            )
            .await
        }
    };
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "report.decrypt",
        Some(&subject),
        "web".to_owned(),
    )
    .await?;
    let mut page = report_page(&state, &staff, report, None, None, MoveDraft::default()).await?;
    page.decrypted = Some(text);
    Ok(render(&page)?.into_response())
}
