//! The report's files a participant was given, downloaded through its link: only those the
//! coordinator shared with this participant, only ever as an attachment of unknown type
//! (never rendered, never sniffed), and 404 for anything else, as for an unknown link.

use axum::extract::{Path, State};
use axum::response::Response;

use super::participant_actions as actions;
use crate::error::{ApiError, PageError, WebError};
use crate::routes::track::download;
use crate::AppState;

/// The file `file` of the participant's report, when it was shared with the participant.
async fn shared_file(state: &AppState, token: &str, file: &str) -> Result<Response, WebError> {
    let (participant, report) = actions::by_token(state, token).await?;
    let file_id: i64 = file.parse().map_err(|_| WebError::NotFound)?;
    if !participant.share.includes_file(file_id) {
        return Err(WebError::NotFound);
    }
    let file = state
        .store
        .attachment(report.id, file_id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(download(&file.meta.file_name, file.content))
}

/// `GET /participate/{token}/files/{attachment_id}`, linked from the participant's page.
pub async fn get_file_page(
    State(state): State<AppState>,
    Path((token, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    Ok(shared_file(&state, &token, &file).await?)
}

/// `GET /api/v1/participate/{token}/files/{attachment_id}`, for the vendor's own tooling.
pub async fn get_file(
    State(state): State<AppState>,
    Path((token, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    Ok(shared_file(&state, &token, &file).await?)
}
