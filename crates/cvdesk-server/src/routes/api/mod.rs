//! The JSON API under `/api/v1`.

mod reports;
mod track;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::error::{ApiError, WebError};
use crate::AppState;

/// Largest JSON body: the text limits with room for escaping.
const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", post(reports::post_report))
        .route("/track/{token}", get(track::get_track))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
}

async fn fallback() -> ApiError {
    ApiError(WebError::NotFound)
}
