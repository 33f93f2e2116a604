//! The JSON API under `/api/v1`.

mod conversation;
mod openapi;
mod purge;
pub mod reports;
mod root_cause;
pub mod staff_reports;
mod track;

use axum::extract::DefaultBodyLimit;

use super::table::{get, post, RouteTable};
use crate::error::{ApiError, WebError};
use crate::outbound::{api as cases, vendor_api as vendors};

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
            post(staff_reports::post_message).get(conversation::get_messages),
        )
        .route(
            "/reports/{reference}/attachments/{attachment_id}",
            get(conversation::get_attachment),
        )
        .route(
            "/reports/{reference}/history",
            get(staff_reports::get_history),
        )
        .route("/reports/{reference}/purge", post(purge::post_purge))
        .route(
            "/reports/{reference}/root-cause",
            get(root_cause::get_root_cause).post(root_cause::post_root_cause),
        )
        .route(
            "/vendors",
            post(vendors::post_vendor).get(vendors::list_vendors),
        )
        .route(
            "/vendors/{id}",
            get(vendors::get_vendor).patch(vendors::patch_vendor),
        )
        .route("/vendors/{id}/discover", post(vendors::post_discover))
        .route("/cases", post(cases::post_case).get(cases::list_cases))
        .route("/cases/{case_id}", get(cases::get_case))
        .route("/cases/{case_id}/send", post(cases::post_send))
        .route("/cases/{case_id}/events", post(cases::post_event))
        .route("/cases/{case_id}/transition", post(cases::post_transition))
        .route("/cases/{case_id}/publish", post(cases::post_publish))
        .route("/challenge", get(reports::get_challenge))
        .route("/track/{token}", get(track::get_track))
        .route("/track/{token}/messages", post(track::post_message))
        .route("/openapi.json", get(openapi::get_openapi))
        .merge(crate::advisories::api_routes())
        .merge(crate::insights::api_routes())
        .merge(crate::findings::api_routes())
        .merge(crate::coordination::api_routes())
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
}

async fn fallback() -> ApiError {
    ApiError(WebError::NotFound)
}
