//! The JSON API under `/api/v1`.

mod openapi;
mod purge;
pub mod reports;
pub mod staff_reports;
mod track;

use axum::extract::DefaultBodyLimit;

use super::table::{get, post, RouteTable};
use crate::error::{ApiError, WebError};

/// Largest JSON body: the text limits with room for escaping.
const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn routes() -> RouteTable {
    RouteTable::new()
        .route(
            "/reports",
            post(reports::post_report).get(staff_reports::list_reports),
        )
        .route("/reports/{reference}", get(staff_reports::get_report))
        .route(
            "/reports/{reference}/transition",
            post(staff_reports::post_transition),
        )
        .route(
            "/reports/{reference}/needs-info",
            post(staff_reports::post_needs_info),
        )
        .route(
            "/reports/{reference}/product",
            post(staff_reports::post_product),
        )
        .route(
            "/reports/{reference}/classification",
            post(staff_reports::post_classification),
        )
        .route(
            "/reports/{reference}/assessment",
            post(staff_reports::post_assessment),
        )
        .route("/reports/{reference}/notes", post(staff_reports::post_note))
        .route(
            "/reports/{reference}/messages",
            post(staff_reports::post_message),
        )
        .route(
            "/reports/{reference}/history",
            get(staff_reports::get_history),
        )
        .route("/reports/{reference}/purge", post(purge::post_purge))
        .route("/challenge", get(reports::get_challenge))
        .route("/track/{token}", get(track::get_track))
        .route("/track/{token}/messages", post(track::post_message))
        .route("/openapi.json", get(openapi::get_openapi))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
}

async fn fallback() -> ApiError {
    ApiError(WebError::NotFound)
}
