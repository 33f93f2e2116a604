//! The staff API for outbound disclosure: vendors (`/api/v1/vendors…`) and cases
//! (`/api/v1/cases…`). Every call needs a bearer token; reading needs the outbound view
//! right, changing the change right (`cvdesk_domain::access::check_outbound`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use cvdesk_domain::access::{check_outbound, OutboundAction};
use cvdesk_domain::outbound::deadlines::AnnouncementBasis;
use cvdesk_domain::outbound::log::LogEntry;
use cvdesk_domain::outbound::{CaseInput, CaseState};
use cvdesk_domain::Severity;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::cases::{self, CaseView, Context, EventInput};
use super::publish::{self, PublishInput};
use super::send::{self, Clear};
use crate::auth::{audit, ApiStaff};
use crate::error::{ApiError, WebError};
use crate::routes::api::reports::parse_json;
use crate::AppState;

/// Refuses the caller unless their role allows `action`.
pub fn allow(user: &cvdesk_store::User, action: OutboundAction) -> Result<(), WebError> {
    if check_outbound(&user.actor(), action).is_allowed() {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "Outbound disclosure is the security team's: your role may not do this.".to_owned(),
        ))
    }
}

/// The services' context for a request.
pub fn context(state: &AppState) -> Context<'_> {
    Context {
        store: state.store.as_ref(),
        settings: &state.outbound,
        calendar: &state.settings.calendar,
        prefix: &state.settings.reference_prefix,
        now: state.clock.now(),
    }
}

#[derive(Serialize)]
pub struct InquiryJson {
    subject: String,
    body: String,
    /// Items a–k the case's template does not carry.
    missing_items: Vec<char>,
}

#[derive(Serialize)]
pub struct DeadlinesJson {
    /// Null while the case is a draft: the dates are then reckoned from today.
    #[serde(with = "time::serde::rfc3339::option")]
    reported_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    verification_due: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    announcement_due: OffsetDateTime,
    /// `policy` (the policy's days) or `agreed` (a date agreed in writing).
    announcement_basis: &'static str,
    /// With an agreed date: the log entry of the message that agreed it.
    agreed_evidence: Option<i64>,
    #[serde(with = "time::serde::rfc3339::option")]
    grace_until: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    publish_after_fix: Option<OffsetDateTime>,
    /// The announcement deadline has come while the vendor has the case: decide.
    decision_needed: bool,
}

#[derive(Serialize)]
pub struct CaseJson {
    id: String,
    state: CaseState,
    vendor_id: i64,
    vendor_name: String,
    title: String,
    product: String,
    versions_tested: Vec<String>,
    vulnerability_type: String,
    severity: Severity,
    scoring_method: String,
    attack_vector: String,
    prerequisites: Option<String>,
    ease_of_exploitation: String,
    cve: String,
    credit: Option<bool>,
    technical_details: String,
    preset: String,
    inquiry: InquiryJson,
    deadlines: DeadlinesJson,
    allowed_moves: Vec<CaseState>,
    log: Vec<LogEntry>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    published_at: Option<OffsetDateTime>,
}

pub fn case_json(view: CaseView) -> CaseJson {
    let deadlines = &view.deadlines;
    CaseJson {
        id: view.case.id.to_string(),
        state: view.case.state,
        vendor_id: view.vendor.id.0,
        vendor_name: view.vendor.details.name.clone(),
        title: view.form.title.clone(),
        product: view.form.product.clone(),
        versions_tested: view.form.versions_tested.clone(),
        vulnerability_type: view.form.vulnerability_type.clone(),
        severity: Severity::of(&view.form.severity),
        scoring_method: view.form.scoring_method_text(),
        attack_vector: view.form.attack_vector.clone(),
        prerequisites: view.form.prerequisites.clone(),
        ease_of_exploitation: view.form.ease_of_exploitation.clone(),
        cve: view.form.cve.as_text(),
        credit: view.form.credit,
        technical_details: view.form.technical_details.clone(),
        preset: view.case.preset.as_str().to_owned(),
        inquiry: InquiryJson {
            subject: view.inquiry.subject.clone(),
            body: view.inquiry.body.clone(),
            missing_items: view.missing_items.clone(),
        },
        deadlines: DeadlinesJson {
            reported_at: view.case.reported_at,
            verification_due: deadlines.verification_due,
            announcement_due: deadlines.announcement_due,
            announcement_basis: match deadlines.announcement_basis {
                AnnouncementBasis::Policy { .. } => "policy",
                AnnouncementBasis::Agreed { .. } => "agreed",
            },
            agreed_evidence: view.case.agreed_evidence,
            grace_until: deadlines.grace_until,
            publish_after_fix: deadlines.publish_after_fix,
            decision_needed: view.decision_needed,
        },
        allowed_moves: view.moves.to_vec(),
        log: view.log,
        created_at: view.case.created_at,
        published_at: view.case.published_at,
    }
}

#[derive(Serialize)]
pub struct CaseItem {
    id: String,
    state: CaseState,
    vendor_id: i64,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

#[derive(Serialize)]
pub struct CaseList {
    items: Vec<CaseItem>,
}

pub async fn list_cases(
    State(state): State<AppState>,
    staff: ApiStaff,
) -> Result<Json<CaseList>, ApiError> {
    allow(&staff.user, OutboundAction::View)?;
    let cases = state.store.cases().await?;
    audit::record(&state, Some(&staff.user), "", "case.list", None, "").await?;
    Ok(Json(CaseList {
        items: cases
            .into_iter()
            .map(|case| CaseItem {
                id: case.id.to_string(),
                state: case.state,
                vendor_id: case.vendor_id.0,
                created_at: case.created_at,
            })
            .collect(),
    }))
}

pub async fn post_case(
    State(state): State<AppState>,
    staff: ApiStaff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CaseJson>), ApiError> {
    allow(&staff.user, OutboundAction::Change)?;
    let input: CaseInput = parse_json(&headers, body)?;
    let event = |id: &cvdesk_domain::outbound::CaseId| {
        audit::event(
            &state,
            Some(&staff.user),
            "",
            "case.create",
            Some(&id.to_string()),
            "",
        )
    };
    let view = cases::create(&context(&state), &input, &staff.user.email, &event)
        .await
        .map_err(WebError::from)?;
    Ok((StatusCode::CREATED, Json(case_json(view))))
}

async fn viewed(state: &AppState, staff: &ApiStaff, id: &str) -> Result<CaseView, ApiError> {
    allow(&staff.user, OutboundAction::View)?;
    Ok(cases::load(&context(state), id)
        .await
        .map_err(WebError::from)?)
}

pub async fn get_case(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
) -> Result<Json<CaseJson>, ApiError> {
    let view = viewed(&state, &staff, &id).await?;
    audit::record(&state, Some(&staff.user), "", "case.view", Some(&id), "api").await?;
    Ok(Json(case_json(view)))
}

/// The JSON body, or the defaults when the body is empty (`send` and `publish` need none).
pub fn json_or_default<T: serde::de::DeserializeOwned + Default>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, WebError> {
    match &body {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(T::default()),
        _ => parse_json(headers, body),
    }
}

/// The case for a change, with the JSON body (the defaults when it is empty).
async fn for_change<T: serde::de::DeserializeOwned + Default>(
    state: &AppState,
    staff: &ApiStaff,
    id: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(CaseView, T), ApiError> {
    allow(&staff.user, OutboundAction::Change)?;
    let view = cases::load(&context(state), id)
        .await
        .map_err(WebError::from)?;
    Ok((view, json_or_default(headers, body)?))
}

async fn reloaded(state: &AppState, view: &CaseView) -> Result<Json<CaseJson>, ApiError> {
    let view = cases::load_row(&context(state), view.case.row_id)
        .await
        .map_err(WebError::from)?;
    Ok(Json(case_json(view)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    /// Send the details in clear to a vendor without an OpenPGP key.
    #[serde(default)]
    confirm_unencrypted: bool,
}

pub async fn post_send(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CaseJson>, ApiError> {
    let (view, body): (CaseView, SendBody) =
        for_change(&state, &staff, &id, &headers, body).await?;
    let clear = if body.confirm_unencrypted {
        Clear::Confirmed
    } else {
        Clear::Refuse
    };
    let signer =
        crate::mail::finder_mail_signer(&state, view.vendor.details.pgp_key.as_deref()).await;
    let detail = if body.confirm_unencrypted {
        "sending in clear confirmed"
    } else {
        ""
    };
    let event = audit::event(
        &state,
        Some(&staff.user),
        "",
        "case.send",
        Some(&id),
        detail,
    );
    send::send(
        &context(&state),
        &view,
        clear,
        signer.as_deref(),
        &staff.user.email,
        &event,
    )
    .await
    .map_err(WebError::from)?;
    state.mailer.wake();
    reloaded(&state, &view).await
}

pub async fn post_event(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CaseJson>), ApiError> {
    let (view, event): (CaseView, EventInput) =
        for_change(&state, &staff, &id, &headers, body).await?;
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "case.event",
        Some(&id),
        event.kind.clone(),
    );
    cases::record_event(
        &context(&state),
        &view,
        &event,
        &staff.user.email,
        Vec::new(),
        &entry,
    )
    .await
    .map_err(WebError::from)?;
    let json = reloaded(&state, &view).await?;
    Ok((StatusCode::CREATED, json))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    to: String,
    reason: Option<String>,
}

pub async fn post_transition(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CaseJson>, ApiError> {
    let (view, body): (CaseView, MoveBody) =
        for_change(&state, &staff, &id, &headers, body).await?;
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "case.move",
        Some(&id),
        format!("{} -> {}", view.case.state, body.to),
    );
    cases::move_case(
        &context(&state),
        &view,
        &body.to,
        body.reason.as_deref(),
        &staff.user.email,
        &entry,
    )
    .await
    .map_err(WebError::from)?;
    reloaded(&state, &view).await
}

pub async fn post_publish(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<publish::Published>, ApiError> {
    let (view, body): (CaseView, PublishInput) =
        for_change(&state, &staff, &id, &headers, body).await?;
    let entry = audit::event(&state, Some(&staff.user), "", "case.publish", Some(&id), "");
    let published = publish::publish(
        &context(&state),
        &view,
        &body,
        &state.settings.public_url,
        &staff.user.email,
        &entry,
    )
    .await
    .map_err(WebError::from)?;
    Ok(Json(published))
}
