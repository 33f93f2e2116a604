//! The conversation on a report for the staff API: `GET /api/v1/reports/{reference}/messages`
//! (the finder's and the security team's messages, with their files' metadata) and
//! `GET /api/v1/reports/{reference}/attachments/{attachment_id}` (a file, only ever as a
//! download). Internal notes are in the report's history.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::report::AttachmentMeta;
use serde::Serialize;
use time::OffsetDateTime;

use crate::auth::{audit, ApiStaff};
use crate::error::{ApiError, WebError};
use crate::report_access::{permitted_report, viewed_report};
use crate::routes::track::download;
use crate::AppState;

#[derive(Serialize)]
pub struct MessageList {
    messages: Vec<MessageJson>,
}

#[derive(Serialize)]
pub struct MessageJson {
    id: i64,
    /// `finder` or `security_team`.
    from: &'static str,
    /// The staff member who wrote it; null for the finder.
    author: Option<String>,
    body: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    attachments: Vec<AttachmentMeta>,
}

pub async fn get_messages(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
) -> Result<Json<MessageList>, ApiError> {
    let report = viewed_report(&state, &staff.user, &reference, "api messages").await?;
    let messages = state
        .store
        .messages(report.id)
        .await?
        .into_iter()
        .map(|message| MessageJson {
            id: message.id,
            from: if message.from_finder {
                "finder"
            } else {
                "security_team"
            },
            author: (!message.from_finder).then_some(message.author_label),
            body: message.body,
            created_at: message.created_at,
            attachments: message.attachments,
        })
        .collect();
    Ok(Json(MessageList { messages }))
}

pub async fn get_attachment(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path((reference, attachment_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let report = permitted_report(&state, &staff.user, &reference, StaffAction::ViewReport).await?;
    let attachment_id: i64 = attachment_id
        .parse()
        .map_err(|_| ApiError(WebError::NotFound))?;
    let file = state
        .store
        .attachment(report.id, attachment_id)
        .await?
        .ok_or(ApiError(WebError::NotFound))?;
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "attachment.download",
        Some(&report.reference.to_string()),
        format!("api {}", file.meta.sha256),
    )
    .await?;
    Ok(download(&file.meta.file_name, file.content))
}
