//! The participant's page behind its secret link (`/participate/{token}`): what was shared
//! with its TLP label, the embargo in UTC, in the zone it was set in and in the reader's
//! own, the deadlines, the other participants when the coordinator allows, the threads, and
//! the forms that acknowledge or decline, state a product's status, write, propose another
//! embargo and nominate a vendor. As on a finder's tracking page, the link is the only
//! credential and the form's guard: a page elsewhere cannot post to a path it cannot know.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::coordination::{tlp, Affectedness, StatusInput};
use cvdesk_domain::report::Report;
use cvdesk_store::Participant;
use serde::Deserialize;

use super::participant_actions as actions;
use super::participant_api::{share_of, ShareJson, ViewerQuery};
use super::views::when;
use crate::error::{PageError, WebError};
use crate::routes::staff::form;
use crate::views::{render, Layout};
use crate::AppState;

/// What a refused form had typed, shown again beside the message.
#[derive(Default)]
pub struct Kept {
    notice: Option<String>,
    product: String,
    vulnerability: String,
    statement: String,
    references: String,
    fixed_version: String,
    body: String,
}

#[derive(Template)]
#[template(path = "participate.html")]
struct ParticipantPage {
    layout: Layout,
    token: String,
    share: ShareJson,
    statuses: Vec<(&'static str, &'static str)>,
    may_nominate: bool,
    /// The deadlines as pages show instants.
    acknowledge_by: String,
    status_by: String,
    fix_by: String,
    kept: Kept,
}

async fn page(
    state: &AppState,
    token: &str,
    participant: &Participant,
    report: &Report,
    viewer: Option<&str>,
    kept: Kept,
) -> Result<ParticipantPage, WebError> {
    Ok(ParticipantPage {
        layout: Layout::of(&state.settings),
        token: token.to_owned(),
        share: share_of(state, participant, report, viewer).await?,
        statuses: Affectedness::ALL
            .iter()
            .map(|status| (status.as_str(), status.label()))
            .collect(),
        may_nominate: tlp::check_nomination(participant.tlp).is_ok(),
        acknowledge_by: when(participant.deadlines.acknowledge_by),
        status_by: when(participant.deadlines.status_by),
        fix_by: when(participant.deadlines.fix_by),
        kept,
    })
}

pub async fn get_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<ViewerQuery>,
) -> Result<Response, PageError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    let page = page(
        &state,
        &token,
        &participant,
        &report,
        query.time_zone.as_deref(),
        Kept::default(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

/// Back to the page, or the page again with what the rules refused.
async fn answer(
    state: &AppState,
    token: &str,
    result: Result<(), WebError>,
    mut kept: Kept,
) -> Result<Response, PageError> {
    let (status, message) = match result {
        Ok(()) => return Ok(Redirect::to(&format!("/participate/{token}")).into_response()),
        Err(WebError::Invalid {
            message, fields, ..
        }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "{message} {}",
                fields
                    .iter()
                    .map(|(field, text)| format!("{field}: {text}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        Err(WebError::Conflict(message)) => (StatusCode::CONFLICT, message),
        Err(WebError::Forbidden(message)) => (StatusCode::FORBIDDEN, message),
        Err(other) => return Err(other.into()),
    };
    kept.notice = Some(message);
    let (participant, report) = actions::by_token(state, token).await?;
    let page = page(state, token, &participant, &report, None, kept).await?;
    let mut response = render(&page)?.into_response();
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    product: String,
    vulnerability: String,
    status: String,
    fixed_version: String,
    statement: String,
    /// One address a line.
    references: String,
}

fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

pub async fn post_status(
    State(state): State<AppState>,
    Path(token): Path<String>,
    submitted: Result<Form<StatusForm>, FormRejection>,
) -> Result<Response, PageError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    let submitted = form(submitted)?;
    let input = StatusInput {
        product: given(&submitted.product),
        status: given(&submitted.status),
        statement: given(&submitted.statement),
        fixed_version: given(&submitted.fixed_version),
        references: submitted.references.lines().filter_map(given).collect(),
        vulnerability: given(&submitted.vulnerability),
    };
    let result = actions::state_status(&state, &participant, &report, &input)
        .await
        .map(|_| ());
    let kept = Kept {
        product: submitted.product,
        vulnerability: submitted.vulnerability,
        statement: submitted.statement,
        references: submitted.references,
        fixed_version: submitted.fixed_version,
        ..Kept::default()
    };
    answer(&state, &token, result, kept).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MessageForm {
    body: String,
    to_all: Option<String>,
}

pub async fn post_message(
    State(state): State<AppState>,
    Path(token): Path<String>,
    submitted: Result<Form<MessageForm>, FormRejection>,
) -> Result<Response, PageError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    let submitted = form(submitted)?;
    let result = actions::participant_message(
        &state,
        &participant,
        &report,
        &submitted.body,
        submitted.to_all.is_some(),
    )
    .await
    .map(|_| ());
    let kept = Kept {
        body: submitted.body,
        ..Kept::default()
    };
    answer(&state, &token, result, kept).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactForm {
    contact: String,
}

pub async fn post_contact(
    State(state): State<AppState>,
    Path(token): Path<String>,
    submitted: Result<Form<ContactForm>, FormRejection>,
) -> Result<Response, PageError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    let submitted = form(submitted)?;
    let result = actions::participant_contact(&state, &participant, &report, &submitted.contact)
        .await
        .map(|_| ());
    answer(&state, &token, result, Kept::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProposalForm {
    ends_at: String,
    time_zone: String,
    reason: String,
}

pub async fn post_embargo_proposal(
    State(state): State<AppState>,
    Path(token): Path<String>,
    submitted: Result<Form<ProposalForm>, FormRejection>,
) -> Result<Response, PageError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    let submitted = form(submitted)?;
    let result = actions::propose_embargo(
        &state,
        &participant,
        &report,
        &submitted.ends_at,
        &submitted.time_zone,
        &submitted.reason,
    )
    .await
    .map(|_| ());
    answer(&state, &token, result, Kept::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NominationForm {
    vendor_name: String,
    email: String,
    reason: String,
}

pub async fn post_nomination(
    State(state): State<AppState>,
    Path(token): Path<String>,
    submitted: Result<Form<NominationForm>, FormRejection>,
) -> Result<Response, PageError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    let submitted = form(submitted)?;
    let result = actions::nominate(
        &state,
        &participant,
        &report,
        &submitted.vendor_name,
        &submitted.email,
        &submitted.reason,
    )
    .await
    .map(|_| ());
    answer(&state, &token, result, Kept::default()).await
}
