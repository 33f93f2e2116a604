//! The audit log for admins: newest first, and a check of the whole chain on request.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::audit::ChainedEntry;
use serde::Deserialize;

use crate::auth::{audit as record, StaffUser};
use crate::error::PageError;
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

const PAGE_SIZE: i64 = 100;
/// Entries read at a time while verifying: the memory verification takes.
const VERIFY_BATCH: i64 = 1_000;

const REFUSAL: &str = "Only admins read the audit log.";

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    layout: StaffLayout,
    entries: Vec<ChainedEntry>,
    older: Option<i64>,
    head_count: i64,
    head_hash: String,
    verification: Option<String>,
    verified: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    before: Option<i64>,
}

async fn show(
    state: &AppState,
    staff: &StaffUser,
    before: Option<i64>,
    verification: Option<(bool, String)>,
) -> Result<Response, PageError> {
    let entries = state.store.audit_entries_before(before, PAGE_SIZE).await?;
    let older = (entries.len() as i64 == PAGE_SIZE)
        .then(|| entries.last().map(|e| e.sequence))
        .flatten();
    let head = state.store.audit_head().await?;
    let (verified, verification) = match verification {
        Some((ok, text)) => (ok, Some(text)),
        None => (false, None),
    };
    let page = AuditPage {
        layout: StaffLayout::of(state, staff),
        entries,
        older,
        head_count: head.count,
        head_hash: head.last_hash,
        verification,
        verified,
    };
    Ok(render(&page)?.into_response())
}

pub async fn get_audit(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    staff.require(StaffAction::ViewAuditLog, REFUSAL)?;
    record::record(&state, Some(&staff.user), "", "audit.view", None, "").await?;
    show(&state, &staff, query.before, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VerifyForm {
    csrf_token: String,
}

pub async fn post_verify(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<VerifyForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    staff.require(StaffAction::ViewAuditLog, REFUSAL)?;
    let outcome = match state.store.verify_audit_chain(VERIFY_BATCH).await? {
        Ok(verified) => (
            true,
            format!("The chain is intact: {} entries.", verified.count),
        ),
        Err(broken) => (false, format!("The chain is broken: {broken}.")),
    };
    record::record(
        &state,
        Some(&staff.user),
        "",
        "audit.verify",
        None,
        outcome.1.clone(),
    )
    .await?;
    show(&state, &staff, None, Some(outcome)).await
}
