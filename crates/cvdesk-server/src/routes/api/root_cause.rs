//! `GET` and `POST /api/v1/reports/{reference}/root-cause`: a report's root cause
//! analysis, read by whoever may see the report and replaced whole by whoever may
//! change it.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::root_cause_analysis::{RootCauseAnalysis, RootCauseInput};
use serde::{Deserialize, Serialize};

use crate::auth::ApiStaff;
use crate::error::ApiError;
use crate::report_access::permitted_report;
use crate::routes::api::reports::parse_json;
use crate::AppState;

#[derive(Serialize)]
pub struct RootCauseJson {
    reference: String,
    category: Option<&'static str>,
    detail: Option<String>,
    lessons_learned: Option<String>,
}

fn json_of(reference: String, analysis: RootCauseAnalysis) -> RootCauseJson {
    RootCauseJson {
        reference,
        category: analysis.category.map(|category| category.as_str()),
        detail: analysis.detail,
        lessons_learned: analysis.lessons_learned,
    }
}

pub async fn get_root_cause(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
) -> Result<Json<RootCauseJson>, ApiError> {
    let report = permitted_report(&state, &staff.user, &reference, StaffAction::ViewReport).await?;
    let analysis = state
        .store
        .root_cause(report.id)
        .await
        .map_err(crate::error::WebError::from)?;
    Ok(Json(json_of(report.reference.to_string(), analysis)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootCauseBody {
    category: Option<String>,
    detail: Option<String>,
    lessons_learned: Option<String>,
}

pub async fn post_root_cause(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RootCauseJson>, ApiError> {
    let report =
        permitted_report(&state, &staff.user, &reference, StaffAction::ChangeReport).await?;
    let body: RootCauseBody = parse_json(&headers, body)?;
    let input = RootCauseInput {
        category: body.category,
        detail: body.detail,
        lessons_learned: body.lessons_learned,
    };
    let analysis = crate::root_cause::set_root_cause(&state, &staff.user, &report, &input).await?;
    Ok(Json(json_of(report.reference.to_string(), analysis)))
}
