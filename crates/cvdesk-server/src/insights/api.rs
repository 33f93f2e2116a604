//! `GET /api/v1/stats?from=&to=&product=`: a dashboard's numbers as JSON, for the staff
//! API. The same numbers as the page; durations in seconds, shares from 0 to 1.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;

use super::query::{InsightsQuery, Selection};
use super::service::{self, Dashboard};
use crate::auth::{audit, ApiStaff};
use crate::error::{ApiError, WebError};
use crate::AppState;

pub async fn get_stats(
    State(state): State<AppState>,
    staff: ApiStaff,
    query: Result<Query<InsightsQuery>, QueryRejection>,
) -> Result<Json<Dashboard>, ApiError> {
    let Query(query) =
        query.map_err(|rejection| WebError::bad_request("invalid_query", rejection.body_text()))?;
    let selection = Selection::read(&query, &state.settings.calendar, state.clock.now())?;
    let dashboard = service::load(&state, &staff.user.actor(), &selection).await?;
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "insights.view",
        None,
        selection.query_string(),
    )
    .await?;
    Ok(Json(dashboard))
}
