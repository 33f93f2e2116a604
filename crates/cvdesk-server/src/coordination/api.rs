//! The staff API of a report's coordination (`/api/v1/reports/{reference}/participants…`,
//! `…/embargo`, `…/coordination/…`). Reading needs the right to see the report, changing it
//! the right to change it, as for every other report route.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use cvdesk_domain::access::StaffAction;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::service::{self, ParticipantRequest};
use super::views::{EmbargoJson, MessageJson, ParticipantJson};
use crate::auth::{audit, ApiStaff};
use crate::error::{ApiError, WebError};
use crate::report_access::permitted_report;
use crate::routes::api::reports::parse_json;
use crate::AppState;

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ParticipantBody {
    #[serde(default, deserialize_with = "cvdesk_formats::json_number::optional_id")]
    vendor_id: Option<i64>,
    shared: Vec<String>,
    tlp: Option<String>,
    sees_participants: bool,
    talks_to_all: bool,
    time_zone: Option<String>,
    #[serde(
        default,
        deserialize_with = "cvdesk_formats::json_number::optional_count"
    )]
    acknowledge_business_days: Option<u32>,
    status_by: Option<String>,
    fix_by: Option<String>,
    #[serde(default, deserialize_with = "cvdesk_formats::json_number::optional_id")]
    nomination: Option<i64>,
}

#[derive(Serialize)]
pub struct AddedJson {
    id: i64,
    /// The secret link, shown this once (and mailed to the vendor).
    participant_url: String,
    /// The link's token alone, for the participant API.
    participant_token: String,
    /// Whether the invitation was queued: false when the vendor has no e-mail address.
    mailed: bool,
    participant: ParticipantJson,
}

pub async fn post_participant(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<AddedJson>), ApiError> {
    let report =
        permitted_report(&state, &staff.user, &reference, StaffAction::ChangeReport).await?;
    let body: ParticipantBody = parse_json(&headers, body)?;
    let request = ParticipantRequest {
        vendor_id: body.vendor_id,
        shared: body.shared,
        tlp: body.tlp,
        sees_participants: body.sees_participants,
        talks_to_all: body.talks_to_all,
        time_zone: body.time_zone,
        acknowledge_business_days: body.acknowledge_business_days,
        status_by: body.status_by,
        fix_by: body.fix_by,
        nomination: body.nomination,
    };
    let added = service::add_participant(&state, &staff.user, &report, &request).await?;
    let now = state.clock.now();
    Ok((
        StatusCode::CREATED,
        Json(AddedJson {
            id: added.participant.id,
            participant_url: format!(
                "{}/participate/{}",
                state.settings.public_url,
                added.token.as_str()
            ),
            participant_token: added.token.as_str().to_owned(),
            mailed: added.mailed,
            participant: ParticipantJson::of(&added.participant, now),
        }),
    ))
}

#[derive(Serialize)]
pub struct ParticipantsJson {
    reference: String,
    embargo: Option<EmbargoJson>,
    items: Vec<ParticipantJson>,
}

pub async fn list_participants(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
) -> Result<Json<ParticipantsJson>, ApiError> {
    let report = permitted_report(&state, &staff.user, &reference, StaffAction::ViewReport).await?;
    let now = state.clock.now();
    let participants = state
        .store
        .participants(report.id)
        .await
        .map_err(WebError::from)?;
    let embargo = state
        .store
        .embargo(report.id)
        .await
        .map_err(WebError::from)?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "coordination.view",
        Some(&subject),
        "api",
    )
    .await?;
    Ok(Json(ParticipantsJson {
        reference: subject,
        embargo: embargo.map(|e| EmbargoJson::of(&e, None, now)),
        items: participants
            .iter()
            .map(|p| ParticipantJson::of(p, now))
            .collect(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct EmbargoBody {
    ends_at: String,
    time_zone: String,
    /// An open proposal to accept instead of `ends_at` and `time_zone`.
    #[serde(default, deserialize_with = "cvdesk_formats::json_number::optional_id")]
    proposal: Option<i64>,
}

pub async fn put_embargo(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EmbargoJson>, ApiError> {
    let report =
        permitted_report(&state, &staff.user, &reference, StaffAction::ChangeReport).await?;
    let body: EmbargoBody = parse_json(&headers, body)?;
    let embargo = super::embargo::set_embargo(
        &state,
        &staff.user,
        &report,
        &body.ends_at,
        &body.time_zone,
        body.proposal,
    )
    .await?;
    Ok(Json(EmbargoJson::of(&embargo, None, state.clock.now())))
}

pub async fn get_embargo(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
) -> Result<Json<EmbargoJson>, ApiError> {
    let report = permitted_report(&state, &staff.user, &reference, StaffAction::ViewReport).await?;
    let embargo = state
        .store
        .embargo(report.id)
        .await
        .map_err(WebError::from)?
        .ok_or(WebError::NotFound)?;
    Ok(Json(EmbargoJson::of(&embargo, None, state.clock.now())))
}

/// An id in a path: anything but a number names nothing here (404, as elsewhere).
fn number(text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| ApiError(WebError::NotFound))
}

pub async fn post_approve(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path((reference, participant, status)): Path<(String, String, String)>,
) -> Result<Json<ParticipantJson>, ApiError> {
    let (participant, status) = (number(&participant)?, number(&status)?);
    let report =
        permitted_report(&state, &staff.user, &reference, StaffAction::ChangeReport).await?;
    let participant =
        service::approve_status(&state, &staff.user, &report, participant, status).await?;
    Ok(Json(ParticipantJson::of(&participant, state.clock.now())))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ContactBody {
    contact: String,
}

pub async fn post_contact(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path((reference, participant)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ParticipantJson>, ApiError> {
    let participant = number(&participant)?;
    let report =
        permitted_report(&state, &staff.user, &reference, StaffAction::ChangeReport).await?;
    let body: ContactBody = parse_json(&headers, body)?;
    let participant =
        service::move_contact(&state, &staff.user, &report, participant, &body.contact).await?;
    Ok(Json(ParticipantJson::of(&participant, state.clock.now())))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MessageBody {
    body: String,
    /// The participant written to; none writes to every participant allowed to talk to all.
    #[serde(default, deserialize_with = "cvdesk_formats::json_number::optional_id")]
    participant: Option<i64>,
}

#[derive(Serialize)]
pub struct CreatedJson {
    id: i64,
}

pub async fn post_message(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreatedJson>), ApiError> {
    let report =
        permitted_report(&state, &staff.user, &reference, StaffAction::ChangeReport).await?;
    let body: MessageBody = parse_json(&headers, body)?;
    let id =
        service::coordinator_message(&state, &staff.user, &report, body.participant, &body.body)
            .await?;
    Ok((StatusCode::CREATED, Json(CreatedJson { id })))
}

#[derive(Serialize)]
pub struct LogEntryJson {
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    kind: String,
    #[serde(default, deserialize_with = "cvdesk_formats::json_number::optional_id")]
    participant: Option<i64>,
    actor: String,
    text: String,
}

#[derive(Serialize)]
pub struct CoordinationLogJson {
    log: Vec<LogEntryJson>,
    messages: Vec<MessageJson>,
}

pub async fn get_log(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(reference): Path<String>,
) -> Result<Json<CoordinationLogJson>, ApiError> {
    let report = permitted_report(&state, &staff.user, &reference, StaffAction::ViewReport).await?;
    let log = state
        .store
        .coordination_log(report.id)
        .await
        .map_err(WebError::from)?;
    let messages = state
        .store
        .coordination_messages(report.id, None)
        .await
        .map_err(WebError::from)?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "coordination.log_view",
        Some(&subject),
        "api",
    )
    .await?;
    Ok(Json(CoordinationLogJson {
        log: log
            .into_iter()
            .map(|entry| LogEntryJson {
                at: entry.at,
                kind: entry.kind.as_str().to_owned(),
                participant: entry.participant_id,
                actor: entry.actor,
                text: entry.text,
            })
            .collect(),
        messages: messages.iter().map(MessageJson::of).collect(),
    }))
}
