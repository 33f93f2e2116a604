//! The participant's API behind its secret link (`/api/v1/participate/{token}…`), so a
//! vendor's own tooling can read what was shared and post statuses and messages. The token
//! is the only credential: an unknown one is 404, exactly as a finder's tracking link.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use cvdesk_domain::coordination::{tlp, StatusInput};
use cvdesk_domain::report::Report;
use cvdesk_store::Participant;
use serde::{Deserialize, Serialize};

use super::participant_actions as actions;
use super::views::{
    shared_files, shared_texts, shown_contact, DeadlinesJson, EmbargoJson, MessageJson, StatusJson,
};
use crate::error::{ApiError, WebError};
use crate::routes::api::reports::parse_json;
use crate::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ViewerQuery {
    /// The reader's own zone, for the embargo shown in it too.
    pub time_zone: Option<String>,
}

#[derive(Serialize)]
pub struct SharedJson {
    pub name: String,
    pub label: &'static str,
    pub text: String,
}

#[derive(Serialize)]
pub struct FileJson {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize)]
pub struct OtherJson {
    pub vendor: String,
    pub contact: cvdesk_domain::coordination::ContactStatus,
}

#[derive(Serialize)]
pub struct ShareJson {
    pub reference: String,
    pub vendor: String,
    pub tlp: &'static str,
    pub tlp_meaning: &'static str,
    pub contact: cvdesk_domain::coordination::ContactStatus,
    pub shared: Vec<SharedJson>,
    pub files: Vec<FileJson>,
    pub embargo: Option<EmbargoJson>,
    pub deadlines: DeadlinesJson,
    pub statuses: Vec<StatusJson>,
    /// The other participants, when the coordinator lets this one see them; else null.
    pub participants: Option<Vec<OtherJson>>,
    pub talks_to_all: bool,
    pub messages: Vec<MessageJson>,
}

/// What a participant reads, on its page and through the API.
pub async fn share_of(
    state: &AppState,
    participant: &Participant,
    report: &Report,
    viewer: Option<&str>,
) -> Result<ShareJson, WebError> {
    let now = state.clock.now();
    let embargo = state.store.embargo(report.id).await?;
    let participants = if participant.sees_participants {
        Some(
            state
                .store
                .participants(report.id)
                .await?
                .iter()
                .filter(|other| other.id != participant.id)
                .map(|other| OtherJson {
                    vendor: other.vendor_name.clone(),
                    contact: shown_contact(other, now),
                })
                .collect(),
        )
    } else {
        None
    };
    let messages = state
        .store
        .coordination_messages(report.id, Some((participant.id, participant.talks_to_all)))
        .await?;
    Ok(ShareJson {
        reference: report.reference.to_string(),
        vendor: participant.vendor_name.clone(),
        tlp: participant.tlp.as_str(),
        tlp_meaning: tlp::meaning(participant.tlp),
        contact: shown_contact(participant, now),
        shared: shared_texts(report, participant)
            .into_iter()
            .map(|text| SharedJson {
                name: text.name,
                label: text.label,
                text: text.text,
            })
            .collect(),
        files: shared_files(report, participant)
            .into_iter()
            .map(|file| FileJson {
                id: file.id,
                name: file.file_name.clone(),
            })
            .collect(),
        embargo: embargo
            .map(|e| EmbargoJson::of(&e, actions::viewer_zone(viewer, Some(participant)), now)),
        deadlines: DeadlinesJson {
            acknowledge_by: participant.deadlines.acknowledge_by,
            status_by: participant.deadlines.status_by,
            fix_by: participant.deadlines.fix_by,
        },
        statuses: participant.statuses.iter().map(StatusJson::of).collect(),
        participants,
        talks_to_all: participant.talks_to_all,
        messages: messages.iter().map(MessageJson::of).collect(),
    })
}

pub async fn get_share(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<ViewerQuery>,
) -> Result<Json<ShareJson>, ApiError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    Ok(Json(
        share_of(&state, &participant, &report, query.time_zone.as_deref()).await?,
    ))
}

pub async fn post_status(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ShareJson>), ApiError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    let input: StatusInput = parse_json(&headers, body)?;
    actions::state_status(&state, &participant, &report, &input).await?;
    let (participant, report) = actions::by_token(&state, &token).await?;
    Ok((
        StatusCode::CREATED,
        Json(share_of(&state, &participant, &report, None).await?),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MessageBody {
    body: String,
    /// To every participant allowed to talk to all, instead of the coordinator alone.
    to_all: bool,
}

#[derive(Serialize)]
pub struct CreatedJson {
    id: i64,
}

pub async fn post_message(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreatedJson>), ApiError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    let body: MessageBody = parse_json(&headers, body)?;
    let id = actions::participant_message(&state, &participant, &report, &body.body, body.to_all)
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedJson { id })))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ContactBody {
    contact: String,
}

#[derive(Serialize)]
pub struct ContactJson {
    contact: cvdesk_domain::coordination::ContactStatus,
}

pub async fn post_contact(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ContactJson>, ApiError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    let body: ContactBody = parse_json(&headers, body)?;
    let contact =
        actions::participant_contact(&state, &participant, &report, &body.contact).await?;
    Ok(Json(ContactJson { contact }))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ProposalBody {
    ends_at: String,
    time_zone: String,
    reason: String,
}

pub async fn post_embargo_proposal(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreatedJson>), ApiError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    let body: ProposalBody = parse_json(&headers, body)?;
    let id = actions::propose_embargo(
        &state,
        &participant,
        &report,
        &body.ends_at,
        &body.time_zone,
        &body.reason,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedJson { id })))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NominationBody {
    vendor_name: String,
    email: String,
    reason: String,
}

pub async fn post_nomination(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreatedJson>), ApiError> {
    let (participant, report) = actions::by_token(&state, &token).await?;
    let body: NominationBody = parse_json(&headers, body)?;
    let id = actions::nominate(
        &state,
        &participant,
        &report,
        &body.vendor_name,
        &body.email,
        &body.reason,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedJson { id })))
}
