//! `POST /api/v1/reports/{reference}/purge`: an admin deletes a report closed as spam with
//! its files, as the report page's purge button does.

use axum::extract::{Path, State};
use axum::Json;
use cvdesk_domain::access::StaffAction;
use serde::Serialize;

use crate::auth::api_token::ApiStaff;
use crate::error::{ApiError, WebError};
use crate::purge::purge_spam;
use crate::report_access::permitted_report;
use crate::AppState;

#[derive(Serialize)]
pub struct PurgedJson {
    reference: String,
    /// Files deleted with the report.
    files: u64,
    /// Their size in bytes together.
    bytes: u64,
}

pub async fn post_purge(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
) -> Result<Json<PurgedJson>, ApiError> {
    let report =
        permitted_report(&state, &staff.user, &reference, StaffAction::PurgeReport).await?;
    let purged = purge_spam(&state, &staff.user, &report)
        .await
        .map_err(WebError::from)?;
    Ok(Json(PurgedJson {
        reference: report.reference.to_string(),
        files: purged.files,
        bytes: purged.bytes,
    }))
}
