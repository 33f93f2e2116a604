//! Triage changes from the report page: moving the report to another state, the
//! needs-info flag, its product, its weakness and severity, and the priority assessment.
//! Each is checked by the domain rules and comes back to the page.

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::staff::ProductId;
use serde::Deserialize;

use super::for_change;
use super::page::{after, MoveDraft};
use crate::auth::StaffUser;
use crate::error::PageError;
use crate::routes::staff::form;
use crate::triage::{self, ActionError};
use crate::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TransitionForm {
    csrf_token: String,
    to: String,
    reason: String,
    duplicate_of: String,
}

pub async fn post_transition(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<TransitionForm>, FormRejection>,
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
    let outcome = match triage::parse_transition(
        &submitted.to,
        Some(&submitted.reason),
        Some(&submitted.duplicate_of),
    ) {
        Ok(request) => triage::transition(&state, &staff.user, &report, request)
            .await
            .map(|_| ()),
        Err(refused) => Err(refused),
    };
    let draft = MoveDraft {
        to: submitted.to,
        duplicate_of: submitted.duplicate_of.trim().to_uppercase(),
        reason: submitted.reason,
    };
    after(&state, &staff, report, outcome, "moved", draft).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NeedsInfoForm {
    csrf_token: String,
    value: String,
}

pub async fn post_needs_info(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<NeedsInfoForm>, FormRejection>,
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
    let outcome =
        triage::set_needs_info(&state, &staff.user, &report, submitted.value == "yes").await;
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProductForm {
    csrf_token: String,
    product_id: String,
}

pub async fn post_product(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<ProductForm>, FormRejection>,
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
    let outcome = match submitted.product_id.as_str() {
        "" => triage::set_product(&state, &staff.user, &report, None).await,
        text => match text.parse::<i64>() {
            Ok(id) => triage::set_product(&state, &staff.user, &report, Some(ProductId(id))).await,
            Err(_) => Err(ActionError::Invalid(
                "Choose a product from the list.".into(),
            )),
        },
    };
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ClassificationForm {
    csrf_token: String,
    weakness: String,
    severity: String,
}

pub async fn post_classification(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<ClassificationForm>, FormRejection>,
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
    let outcome = triage::set_classification(
        &state,
        &staff.user,
        &report,
        &submitted.weakness,
        &submitted.severity,
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssessmentForm {
    csrf_token: String,
    exploitability: String,
    priority_override: String,
    override_reason: String,
}

pub async fn post_assessment(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<AssessmentForm>, FormRejection>,
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
    let outcome = triage::set_assessment(
        &state,
        &staff.user,
        &report,
        &submitted.exploitability,
        &submitted.priority_override,
        &submitted.override_reason,
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
