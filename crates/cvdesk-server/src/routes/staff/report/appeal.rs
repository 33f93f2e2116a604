//! The report page's decision on a finder's appeal: reopen, or confirm with a reason.

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use cvdesk_domain::access::StaffAction;
use serde::Deserialize;

use super::for_change;
use super::page::{after, MoveDraft};
use crate::auth::StaffUser;
use crate::error::PageError;
use crate::routes::staff::form;
use crate::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    csrf_token: String,
    outcome: String,
    reason: String,
}

pub async fn post_appeal_decision(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<DecisionForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::ChangeReport,
    )
    .await?;
    let outcome = crate::appeals::decide(
        &state,
        &staff.user,
        &report,
        &submitted.outcome,
        &submitted.reason,
    )
    .await;
    after(
        &state,
        &staff,
        report,
        outcome,
        "saved",
        MoveDraft::default(),
    )
    .await
}
