//! `GET /api/v1/track/{token}`: the finder's view of their report as JSON.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use time::OffsetDateTime;

use crate::client_address::ClientAddress;
use crate::error::ApiError;
use crate::routes::track::report_for;
use crate::AppState;

#[derive(Serialize)]
pub struct TrackedReport {
    reference: String,
    status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// The conversation on the report; this version of the desk keeps none yet.
    messages: [(); 0],
}

pub async fn get_track(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(token): Path<String>,
) -> Result<Json<TrackedReport>, ApiError> {
    let report = report_for(&state, &client, &token).await?;
    Ok(Json(TrackedReport {
        reference: report.reference.to_string(),
        status: report.state.as_str(),
        created_at: report.created_at,
        messages: [],
    }))
}
