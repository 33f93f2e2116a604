//! The report page's confirmation of a finder's request to remove their contact details.

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
pub struct ConfirmForm {
    csrf_token: String,
}

pub async fn post_contact_removal(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<ConfirmForm>, FormRejection>,
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
    let outcome = crate::contact_removal::confirm(&state, &staff.user, &report).await;
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
