//! The finder's side of the API, authenticated by the tracking token: their report's
//! status and conversation, and replies.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use cvdesk_domain::message::parse_body;
use cvdesk_domain::report::AttachmentMeta;
use cvdesk_store::Message;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::client_address::ClientAddress;
use crate::error::{ApiError, WebError};
use crate::mail::{staff_recipients, NewsMail, StaffNews};
use crate::rate_limit::Action;
use crate::routes::api::reports::parse_json;
use crate::routes::track::tracked_report;
use crate::AppState;

#[derive(Serialize)]
pub struct TrackedReport {
    reference: String,
    status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    messages: Vec<TrackedMessage>,
}

#[derive(Serialize)]
pub struct TrackedMessage {
    /// `finder` or `security_team`; staff members are not named to the finder.
    from: &'static str,
    body: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// Files sent with the message from the tracking page; metadata only.
    attachments: Vec<AttachmentMeta>,
}

impl From<Message> for TrackedMessage {
    fn from(message: Message) -> Self {
        TrackedMessage {
            from: if message.from_finder {
                "finder"
            } else {
                "security_team"
            },
            body: message.body,
            created_at: message.created_at,
            attachments: message.attachments,
        }
    }
}

pub async fn get_track(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(token): Path<String>,
) -> Result<Json<TrackedReport>, ApiError> {
    let report = tracked_report(&state, &client, &token).await?;
    let messages = state.store.messages(report.id).await?;
    Ok(Json(TrackedReport {
        reference: report.reference.to_string(),
        status: report.state.as_str(),
        created_at: report.created_at,
        messages: messages.into_iter().map(TrackedMessage::from).collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reply {
    body: String,
}

#[derive(Serialize)]
pub struct ReplyCreated {
    id: i64,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

pub async fn post_message(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ReplyCreated>), ApiError> {
    let report = tracked_report(&state, &client, &token).await?;
    let now = state.clock.now();
    state
        .rate_limits
        .check(state.store.as_ref(), Action::Reply, &client, now)
        .await?;
    let reply: Reply = parse_json(&headers, body)?;
    let body = parse_body(&reply.body).map_err(|message| WebError::Invalid {
        code: "invalid_message",
        message: message.clone(),
        fields: [("body".to_owned(), message)].into_iter().collect(),
    })?;
    let staff = staff_recipients(&state, report.triage.product).await?;
    let mail = NewsMail::of(&state).to_staff(&report, StaffNews::FinderReplied, &staff);
    let id = state
        .store
        .add_finder_message(
            report.id,
            &body,
            &[],
            state.settings.attachment_limits.max_report_bytes,
            &mail,
            now,
        )
        .await?;
    state.mailer.wake();
    Ok((
        StatusCode::CREATED,
        Json(ReplyCreated {
            id,
            created_at: now,
        }),
    ))
}
