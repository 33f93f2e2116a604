//! The staff API for reports: `GET /api/v1/reports`, `GET /api/v1/reports/{reference}`
//! and `POST /api/v1/reports/{reference}/transition`. Every call needs a bearer token and
//! is checked per product like the staff pages.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::report::{AttachmentMeta, Report, ReportState, Severity};
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::workflow::{self, CurrentReport};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::{audit, ApiStaff};
use crate::error::{ApiError, WebError};
use crate::queue::QueueQuery;
use crate::report_access::{permitted_report, viewed_report};
use crate::report_status::{report_status, ClockDeadline, PriorityStatus, ReportStatus};
use crate::routes::api::reports::parse_json;
use crate::triage::{self, ActionError};
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

/// The third-party component a report is about, as the finder named it.
#[derive(Serialize)]
pub struct ThirdPartyJson {
    component: String,
    version: Option<String>,
    supplier: Option<String>,
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
    third_party: Option<ThirdPartyJson>,
    known_cves: Vec<String>,
    attachments: Vec<AttachmentMeta>,
    product_id: Option<i64>,
    duplicate_of: Option<String>,
    exploitability: Option<&'static str>,
    priority_override: Option<PriorityOverrideJson>,
    received_from: Option<String>,
    /// The states this caller may move the report to now.
    allowed_transitions: Vec<ReportState>,
    /// Each deadline clock: when it is due and where it stands.
    deadlines: Vec<ClockDeadline>,
    /// The computed priority with its factors, and the one that applies.
    priority: PriorityStatus,
}

fn report_json(report: Report, user: &cvdesk_store::User, status: ReportStatus) -> ReportJson {
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
        known_cves: content
            .third_party
            .known_cves
            .iter()
            .map(ToString::to_string)
            .collect(),
        third_party: content
            .third_party
            .component
            .map(|component| ThirdPartyJson {
                component: component.name,
                version: component.version,
                supplier: component.supplier,
            }),
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
        received_from: report.received_from,
        allowed_transitions,
        deadlines: status.deadlines,
        priority: status.priority,
    }
}

pub async fn list_reports(
    State(state): State<AppState>,
    staff: ApiStaff,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Json<ReportList>, ApiError> {
    let query = QueueQuery::read(query)?;
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
    let report = viewed_report(&state, &staff.user, &reference, "api").await?;
    let status = report_status(&state, &report).await?;
    Ok(Json(report_json(report, &staff.user, status)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionBody {
    to: String,
    reason: Option<String>,
    duplicate_of: Option<String>,
}

/// Loads the report for a change and reads the JSON body.
async fn for_change<T: serde::de::DeserializeOwned>(
    state: &AppState,
    staff: &ApiStaff,
    reference: &str,
    action: StaffAction,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Report, T), ApiError> {
    let report = permitted_report(state, &staff.user, reference, action).await?;
    let body = parse_json(headers, body)?;
    Ok((report, body))
}

/// The report as it is after a change.
async fn reloaded(
    state: &AppState,
    staff: &ApiStaff,
    report: &Report,
) -> Result<Json<ReportJson>, ApiError> {
    let subject = report.reference.to_string();
    let updated = permitted_report(state, &staff.user, &subject, StaffAction::ViewReport).await?;
    let status = report_status(state, &updated).await?;
    Ok(Json(report_json(updated, &staff.user, status)))
}

pub async fn post_transition(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReportJson>, ApiError> {
    let (report, body): (Report, TransitionBody) = for_change(
        &state,
        &staff,
        &reference,
        StaffAction::ChangeReport,
        &headers,
        body,
    )
    .await?;
    let request = triage::parse_transition(
        &body.to,
        body.reason.as_deref(),
        body.duplicate_of.as_deref(),
    )
    .map_err(|e| match e {
        ActionError::Invalid(message) => WebError::bad_request("invalid_transition", message),
        other => other.into(),
    })?;
    triage::transition(&state, &staff.user, &report, request)
        .await
        .map_err(WebError::from)?;
    reloaded(&state, &staff, &report).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NeedsInfoBody {
    needs_info: bool,
}

pub async fn post_needs_info(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReportJson>, ApiError> {
    let (report, body): (Report, NeedsInfoBody) = for_change(
        &state,
        &staff,
        &reference,
        StaffAction::ChangeReport,
        &headers,
        body,
    )
    .await?;
    triage::set_needs_info(&state, &staff.user, &report, body.needs_info)
        .await
        .map_err(WebError::from)?;
    reloaded(&state, &staff, &report).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductBody {
    #[serde(default, deserialize_with = "cvdesk_formats::json_number::optional_id")]
    product_id: Option<i64>,
}

pub async fn post_product(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReportJson>, ApiError> {
    let (report, body): (Report, ProductBody) = for_change(
        &state,
        &staff,
        &reference,
        StaffAction::ChangeReport,
        &headers,
        body,
    )
    .await?;
    triage::set_product(&state, &staff.user, &report, body.product_id.map(ProductId))
        .await
        .map_err(WebError::from)?;
    reloaded(&state, &staff, &report).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassificationBody {
    weakness: Option<String>,
    severity: Option<String>,
}

pub async fn post_classification(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReportJson>, ApiError> {
    let (report, body): (Report, ClassificationBody) = for_change(
        &state,
        &staff,
        &reference,
        StaffAction::ChangeReport,
        &headers,
        body,
    )
    .await?;
    triage::set_classification(
        &state,
        &staff.user,
        &report,
        body.weakness.as_deref().unwrap_or_default(),
        body.severity.as_deref().unwrap_or_default(),
    )
    .await
    .map_err(WebError::from)?;
    reloaded(&state, &staff, &report).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessmentBody {
    exploitability: Option<String>,
    priority_override: Option<String>,
    reason: Option<String>,
}

pub async fn post_assessment(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReportJson>, ApiError> {
    let (report, body): (Report, AssessmentBody) = for_change(
        &state,
        &staff,
        &reference,
        StaffAction::ChangeReport,
        &headers,
        body,
    )
    .await?;
    triage::set_assessment(
        &state,
        &staff.user,
        &report,
        body.exploitability.as_deref().unwrap_or_default(),
        body.priority_override.as_deref().unwrap_or_default(),
        body.reason.as_deref().unwrap_or_default(),
    )
    .await
    .map_err(WebError::from)?;
    reloaded(&state, &staff, &report).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    body: String,
}

#[derive(Serialize)]
pub struct NoteCreated {
    id: i64,
}

pub async fn post_note(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<NoteCreated>), ApiError> {
    let (report, body): (Report, NoteBody) = for_change(
        &state,
        &staff,
        &reference,
        StaffAction::AddInternalNote,
        &headers,
        body,
    )
    .await?;
    let id = triage::add_note(&state, &staff.user, &report, &body.body)
        .await
        .map_err(WebError::from)?;
    Ok((StatusCode::CREATED, Json(NoteCreated { id })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    body: String,
    /// An internal note instead of a message to the finder.
    #[serde(default)]
    internal: bool,
}

#[derive(Serialize)]
pub struct MessageCreated {
    id: i64,
    internal: bool,
}

/// A message to the finder, or with `"internal": true` an internal note.
pub async fn post_message(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<MessageCreated>), ApiError> {
    let body: MessageBody = parse_json(&headers, body)?;
    let action = if body.internal {
        StaffAction::AddInternalNote
    } else {
        StaffAction::MessageFinder
    };
    let report = permitted_report(&state, &staff.user, &reference, action).await?;
    let id = if body.internal {
        triage::add_note(&state, &staff.user, &report, &body.body).await
    } else {
        triage::send_message(&state, &staff.user, &report, &body.body).await
    }
    .map_err(WebError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(MessageCreated {
            id,
            internal: body.internal,
        }),
    ))
}

#[derive(Serialize)]
pub struct HistoryJson {
    events: Vec<EventJson>,
    notes: Vec<NoteJson>,
}

#[derive(Serialize)]
pub struct EventJson {
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    actor: String,
    kind: String,
    from_state: Option<ReportState>,
    to_state: Option<ReportState>,
    detail: String,
}

#[derive(Serialize)]
pub struct NoteJson {
    id: i64,
    author: String,
    body: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

/// Who did what to a report, and the internal notes.
pub async fn get_history(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
) -> Result<Json<HistoryJson>, ApiError> {
    let report = permitted_report(&state, &staff.user, &reference, StaffAction::ViewReport).await?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "report.history",
        Some(&subject),
        "api",
    )
    .await?;
    let events = state.store.report_events(report.id).await?;
    let notes = state.store.notes(report.id).await?;
    Ok(Json(HistoryJson {
        events: events
            .into_iter()
            .map(|e| EventJson {
                at: e.at,
                actor: e.actor_label,
                kind: e.kind,
                from_state: e.from_state,
                to_state: e.to_state,
                detail: e.detail,
            })
            .collect(),
        notes: notes
            .into_iter()
            .map(|n| NoteJson {
                id: n.id,
                author: n.author_label,
                body: n.body,
                created_at: n.created_at,
            })
            .collect(),
    }))
}
