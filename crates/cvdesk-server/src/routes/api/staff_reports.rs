//! The staff API for reports: `GET /api/v1/reports`, `GET /api/v1/reports/{reference}`
//! and `POST /api/v1/reports/{reference}/transition`. Every call needs a bearer token and
//! is checked per product like the staff pages.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::report::{AttachmentMeta, Report, ReportState, Severity};
use cvdesk_domain::workflow::{self, CurrentReport, TransitionRequest};
use cvdesk_domain::Reference;
use cvdesk_store::{Author, StoreError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::{audit, ApiStaff};
use crate::error::{ApiError, WebError};
use crate::queue::QueueQuery;
use crate::report_access::report_for;
use crate::routes::api::reports::parse_json;
use crate::AppState;

#[derive(Serialize)]
pub struct ReportList {
    items: Vec<ReportItem>,
    next: Option<String>,
}

#[derive(Serialize)]
pub struct ReportItem {
    reference: String,
    title: String,
    state: ReportState,
    needs_info: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    score: Option<f64>,
    rating: Option<String>,
    product_id: Option<i64>,
}

#[derive(Serialize)]
pub struct ContactJson {
    name: Option<String>,
    email: Option<String>,
    pgp_key: Option<String>,
}

#[derive(Serialize)]
pub struct PriorityOverrideJson {
    priority: &'static str,
    reason: String,
}

#[derive(Serialize)]
pub struct ReportJson {
    reference: String,
    state: ReportState,
    needs_info: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    asset: Option<String>,
    weakness: Option<String>,
    severity: Option<Severity>,
    title: String,
    summary: String,
    steps_to_reproduce: String,
    impact: String,
    mitigation: Option<String>,
    contact: ContactJson,
    credit: bool,
    attachments: Vec<AttachmentMeta>,
    product_id: Option<i64>,
    duplicate_of: Option<String>,
    exploitability: Option<&'static str>,
    priority_override: Option<PriorityOverrideJson>,
    /// The states this caller may move the report to now.
    allowed_transitions: Vec<ReportState>,
}

fn report_json(report: Report, user: &cvdesk_store::User) -> ReportJson {
    let current = CurrentReport {
        reference: &report.reference,
        state: report.state,
        product: report.triage.product,
    };
    let allowed_transitions = workflow::allowed_targets(&user.actor(), &current);
    let content = report.content;
    ReportJson {
        reference: report.reference.to_string(),
        state: report.state,
        needs_info: report.needs_info,
        created_at: report.created_at,
        asset: content.asset,
        weakness: content.weakness.map(|w| w.to_string()),
        severity: content.severity,
        title: content.title,
        summary: content.summary,
        steps_to_reproduce: content.steps_to_reproduce,
        impact: content.impact,
        mitigation: content.mitigation,
        contact: ContactJson {
            name: content.contact.name,
            email: content.contact.email,
            pgp_key: content.contact.pgp_key,
        },
        credit: content.credit,
        attachments: report.attachments,
        product_id: report.triage.product.map(|p| p.0),
        duplicate_of: report.triage.duplicate_of.map(|r| r.to_string()),
        exploitability: report.triage.exploitability.map(|e| e.as_str()),
        priority_override: report
            .triage
            .priority_override
            .map(|o| PriorityOverrideJson {
                priority: o.priority.as_str(),
                reason: o.reason,
            }),
        allowed_transitions,
    }
}

pub async fn list_reports(
    State(state): State<AppState>,
    staff: ApiStaff,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Json<ReportList>, ApiError> {
    let Query(query) = query.map_err(|rejection| {
        WebError::bad_request(
            "invalid_query",
            format!(
                "The query string could not be read: {}",
                rejection.body_text()
            ),
        )
    })?;
    let filter = query
        .filter(&staff.user.actor(), state.clock.now())
        .map_err(|message| WebError::bad_request("invalid_query", message))?;
    let page = state.store.list_reports(&filter).await?;
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "queue.view",
        None,
        format!("{query:?}"),
    )
    .await?;
    Ok(Json(ReportList {
        items: page
            .items
            .into_iter()
            .map(|item| ReportItem {
                reference: item.reference.to_string(),
                title: item.title,
                state: item.state,
                needs_info: item.needs_info,
                created_at: item.created_at,
                score: item.score,
                rating: item.rating,
                product_id: item.product.map(|p| p.0),
            })
            .collect(),
        next: page.next.map(|cursor| cursor.encode()),
    }))
}

pub async fn get_report(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
) -> Result<Json<ReportJson>, ApiError> {
    let report = report_for(&state, &staff.user, &reference, StaffAction::ViewReport).await?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "report.view",
        Some(&subject),
        "api",
    )
    .await?;
    Ok(Json(report_json(report, &staff.user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionBody {
    to: String,
    reason: Option<String>,
    duplicate_of: Option<String>,
}

pub async fn post_transition(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReportJson>, ApiError> {
    let report = report_for(&state, &staff.user, &reference, StaffAction::ChangeReport).await?;
    let body: TransitionBody = parse_json(&headers, body)?;
    let to: ReportState = body
        .to
        .parse()
        .map_err(|e| WebError::bad_request("invalid_transition", format!("to: {e}")))?;
    let duplicate_of = match body.duplicate_of.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(text.parse::<Reference>().map_err(|e| {
            WebError::bad_request("invalid_transition", format!("duplicate_of: {e}"))
        })?),
    };
    let transition = apply_transition(
        &state,
        &staff.user,
        &report,
        TransitionRequest {
            to,
            reason: body.reason,
            duplicate_of,
        },
    )
    .await?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "report.transition",
        Some(&subject),
        format!("{} -> {}", transition.from, transition.to),
    )
    .await?;
    let updated = report_for(&state, &staff.user, &subject, StaffAction::ViewReport).await?;
    Ok(Json(report_json(updated, &staff.user)))
}

/// Plans a transition with the workflow rules and stores it; refusals are 409s with the
/// rule's own sentence.
pub async fn apply_transition(
    state: &AppState,
    user: &cvdesk_store::User,
    report: &Report,
    request: TransitionRequest,
) -> Result<workflow::Transition, WebError> {
    if let Some(original) = &request.duplicate_of {
        if original != &report.reference
            && state.store.report_by_reference(original).await?.is_none()
        {
            return Err(WebError::Conflict(format!(
                "there is no report {original} to be a duplicate of"
            )));
        }
    }
    let current = CurrentReport {
        reference: &report.reference,
        state: report.state,
        product: report.triage.product,
    };
    let transition = workflow::plan_transition(&user.actor(), &current, request)
        .map_err(|refused| WebError::Conflict(capitalised(&refused.to_string())))?;
    let author = Author {
        id: Some(user.id),
        label: &user.email,
    };
    match state
        .store
        .transition_report(report.id, &transition, author, state.clock.now())
        .await
    {
        Ok(()) => Ok(transition),
        Err(StoreError::Conflict(message)) => Err(WebError::Conflict(capitalised(&message))),
        Err(other) => Err(other.into()),
    }
}

fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!(
            "{}{}.",
            first.to_uppercase(),
            chars.as_str().trim_end_matches('.')
        ),
        None => String::new(),
    }
}
