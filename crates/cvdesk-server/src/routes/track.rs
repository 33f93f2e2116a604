//! The finder's tracking page and their attachment downloads. An unknown token costs the
//! same work as a known one: hash, one indexed lookup, then 404.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use cvdesk_domain::report::Report;
use cvdesk_domain::TrackingTokenHash;

use crate::client_address::ClientAddress;
use crate::error::{PageError, WebError};
use crate::rate_limit::Action;
use crate::views::{render, TrackPage};
use crate::AppState;

pub async fn get_track(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(token): Path<String>,
) -> Result<Html<String>, PageError> {
    let report = report_for(&state, &client, &token).await?;
    Ok(render(&TrackPage::new(&state.settings, report, token))?)
}

pub async fn get_track_attachment(
    State(state): State<AppState>,
    client: ClientAddress,
    Path((token, attachment_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let report = report_for(&state, &client, &token).await?;
    let attachment_id: i64 = attachment_id.parse().map_err(|_| WebError::NotFound)?;
    let file = state
        .store
        .attachment(report.id, attachment_id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(download(&file.meta.file_name, file.content))
}

/// The report a tracking token opens. Every lookup counts against the client's tracking
/// rate limit, so tokens cannot be guessed at speed (they carry 256 bits besides).
pub async fn report_for(
    state: &AppState,
    client: &ClientAddress,
    token: &str,
) -> Result<Report, WebError> {
    state
        .rate_limits
        .check(
            state.store.as_ref(),
            Action::Track,
            client,
            state.clock.now(),
        )
        .await?;
    state
        .store
        .report_by_tracking_token(&TrackingTokenHash::of_presented(token))
        .await?
        .ok_or(WebError::NotFound)
}

/// Files are only ever offered for download: never rendered, never sniffed.
pub fn download(file_name: &str, content: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        file_name.replace(|c: char| !c.is_ascii() || c == '"' || c == '\\', "_"),
        crate::percent::encode(file_name)
    );
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        content,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_is_attachment_with_safe_names() {
        let response = download("poc \"ü\".html", vec![1, 2, 3]);
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_TYPE], "application/octet-stream");
        assert_eq!(
            headers[header::CONTENT_DISPOSITION],
            "attachment; filename=\"poc ___.html\"; filename*=UTF-8''poc%20%22%C3%BC%22.html"
        );
    }
}
