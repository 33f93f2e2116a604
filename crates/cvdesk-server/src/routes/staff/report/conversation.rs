//! Writing on a report: a message to the finder, or a note only staff see.

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
use crate::triage;
use crate::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    csrf_token: String,
    body: String,
}

pub async fn post_message(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<NoteForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::MessageFinder,
    )
    .await?;
    let outcome = triage::send_message(&state, &staff.user, &report, &submitted.body)
        .await
        .map(|_| ());
    after(
        &state,
        &staff,
        report,
        outcome,
        "message",
        MoveDraft::default(),
    )
    .await
}

pub async fn post_note(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<NoteForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::AddInternalNote,
    )
    .await?;
    let outcome = triage::add_note(&state, &staff.user, &report, &submitted.body)
        .await
        .map(|_| ());
    after(
        &state,
        &staff,
        report,
        outcome,
        "note",
        MoveDraft::default(),
    )
    .await
}
