//! The admins' view of the outbox (`/staff/outbox`): mail queued, retrying, given up,
//! discarded and sent, with the last error, and for a given-up mail a button that queues
//! it again; a mail not sent yet may be discarded. Both actions are audited in the change's
//! own transaction.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_store::{OutboxItem, OutboxState};
use serde::Deserialize;

use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::views::{render, utc_minute};
use crate::AppState;

/// Mail shown per page.
const PAGE_SIZE: u32 = 100;

const REFUSAL: &str = "Only admins see the outbox and retry or discard mail.";

#[derive(Template)]
#[template(path = "staff/outbox.html")]
struct OutboxPage {
    layout: StaffLayout,
    filter: &'static str,
    filters: [(&'static str, &'static str); 6],
    mail: Vec<MailRow>,
    notice: Option<&'static str>,
    older: Option<String>,
}

struct MailRow {
    id: i64,
    kind: &'static str,
    recipient: String,
    subject: String,
    state: &'static str,
    attempts: u32,
    queued: String,
    at: String,
    error: String,
    may_retry: bool,
    may_discard: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OutboxQuery {
    state: String,
    before: String,
    done: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    csrf_token: String,
}

fn row(item: OutboxItem) -> MailRow {
    MailRow {
        id: item.id,
        kind: item.kind.as_str(),
        recipient: item.recipient,
        subject: item.subject,
        state: item.state.as_str(),
        attempts: item.attempts,
        queued: utc_minute(item.created_at),
        at: utc_minute(item.at),
        error: item.last_error.unwrap_or_default(),
        may_retry: item.state == OutboxState::GivenUp,
        may_discard: matches!(
            item.state,
            OutboxState::Queued | OutboxState::Retrying | OutboxState::GivenUp
        ),
    }
}

pub async fn get_outbox(
    State(state): State<AppState>,
    staff: StaffUser,
    query: Result<Query<OutboxQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    staff.require(StaffAction::ManageSettings, REFUSAL)?;
    let Query(query) =
        query.map_err(|rejection| WebError::bad_request("invalid_query", rejection.body_text()))?;
    let filter = match query.state.as_str() {
        "" | "all" => None,
        text => Some(OutboxState::parse(text).ok_or_else(|| {
            WebError::bad_request(
                "invalid_query",
                "state: one of queued, retrying, given_up, discarded, sent or all.",
            )
        })?),
    };
    let before = match query.before.as_str() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| WebError::bad_request("invalid_query", "before: a mail number."))?,
        ),
    };
    let items = state.store.outbox_items(filter, before, PAGE_SIZE).await?;
    let older = (items.len() == PAGE_SIZE as usize)
        .then(|| items.last().map(|item| item.id.to_string()))
        .flatten();
    let page = OutboxPage {
        layout: StaffLayout::of(&state, &staff),
        filter: filter.map_or("all", OutboxState::as_str),
        filters: [
            ("all", "All"),
            ("given_up", "Given up"),
            ("retrying", "Retrying"),
            ("queued", "Queued"),
            ("discarded", "Discarded"),
            ("sent", "Sent"),
        ],
        mail: items.into_iter().map(row).collect(),
        notice: match query.done.as_str() {
            "retried" => Some("The mail is queued again and is sent within seconds."),
            "discarded" => Some("The mail is discarded and will not be sent."),
            _ => None,
        },
        older,
    };
    Ok(render(&page)?.into_response())
}

async fn act(
    state: &AppState,
    staff: &StaffUser,
    id: &str,
    submitted: Result<Form<ActionForm>, FormRejection>,
    retry: bool,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    staff.require(StaffAction::ManageSettings, REFUSAL)?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    if state.store.outbox_item(id).await?.is_none() {
        return Err(WebError::NotFound.into());
    }
    let subject = format!("mail {id}");
    let action = if retry { "mail.retry" } else { "mail.discard" };
    let entry = audit::event(state, Some(&staff.user), "", action, Some(&subject), "");
    let now = state.clock.now();
    let done = if retry {
        state.store.requeue_mail(id, &entry, now).await?
    } else {
        state.store.discard_mail(id, &entry, now).await?
    };
    if !done {
        return Err(WebError::Conflict(if retry {
            "Only a mail that was given up can be queued again; this one is not (any more).".into()
        } else {
            "This mail was sent or discarded already.".into()
        })
        .into());
    }
    if retry {
        state.mailer.wake();
        Ok(Redirect::to("/staff/outbox?done=retried").into_response())
    } else {
        Ok(Redirect::to("/staff/outbox?done=discarded").into_response())
    }
}

pub async fn post_retry(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<ActionForm>, FormRejection>,
) -> Result<Response, PageError> {
    act(&state, &staff, &id, submitted, true).await
}

pub async fn post_discard(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<ActionForm>, FormRejection>,
) -> Result<Response, PageError> {
    act(&state, &staff, &id, submitted, false).await
}
