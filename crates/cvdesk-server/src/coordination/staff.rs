//! The coordinator's page of a report (`/staff/reports/{reference}/coordination`): the
//! participants with both axes, their deadlines and statuses to approve; the embargo in UTC
//! and the zone it was set in, with open proposals; nominations; the threads; the log; and
//! the forms that add a vendor, set the embargo, record a contact, approve, write and
//! decline. Every form carries the session's CSRF token; every change goes through the
//! service and is audited in its transaction.

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::coordination::{ContactStatus, SharedItem};
use cvdesk_domain::report::Report;
use cvdesk_formats::tlp::Tlp;
use cvdesk_store::{Decision, Vendor};
use serde::Deserialize;

use super::service::{self, ParticipantRequest};
use super::views::{shown_contact, when, EmbargoJson};
use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::report_access::permitted_report;
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

struct StatusRow {
    id: i64,
    product: String,
    vulnerability: String,
    summary: String,
    statement: String,
    references: String,
    approved: String,
}

struct ParticipantRow {
    id: i64,
    vendor: String,
    tlp: &'static str,
    contact: &'static str,
    unresponsive: bool,
    acknowledge_by: String,
    status_by: String,
    fix_by: String,
    shared: String,
    statuses: Vec<StatusRow>,
}

struct ProposalRow {
    id: i64,
    vendor: String,
    display: String,
    reason: String,
}

struct NominationRow {
    id: i64,
    by: String,
    vendor_name: String,
    email: String,
    reason: String,
}

struct ThreadRow {
    at: String,
    from: String,
    to: String,
    tlp: &'static str,
    body: String,
}

struct LogRow {
    at: String,
    kind: &'static str,
    actor: String,
    text: String,
}

/// What a refused form had typed, shown again beside the message.
#[derive(Default)]
pub struct Kept {
    notice: Option<String>,
    ends_at: String,
    time_zone: String,
    body: String,
}

#[derive(Template)]
#[template(path = "staff/coordination.html")]
struct CoordinationPage {
    layout: StaffLayout,
    reference: String,
    title: String,
    embargo: Option<EmbargoJson>,
    participants: Vec<ParticipantRow>,
    proposals: Vec<ProposalRow>,
    nominations: Vec<NominationRow>,
    messages: Vec<ThreadRow>,
    log: Vec<LogRow>,
    vendors: Vec<Vendor>,
    fields: Vec<(String, &'static str)>,
    files: Vec<(String, String)>,
    labels: Vec<&'static str>,
    contacts: Vec<(&'static str, &'static str)>,
    kept: Kept,
}

async fn page(
    state: &AppState,
    staff: &StaffUser,
    report: &Report,
    kept: Kept,
) -> Result<CoordinationPage, WebError> {
    let now = state.clock.now();
    let participants = state.store.participants(report.id).await?;
    let embargo = state.store.embargo(report.id).await?;
    let name_of = |id: i64| {
        participants
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| format!("participant {id}"), |p| p.vendor_name.clone())
    };
    let proposals = state
        .store
        .embargo_proposals(report.id)
        .await?
        .into_iter()
        .filter(|p| p.decision == Decision::Open)
        .map(|p| ProposalRow {
            id: p.id,
            vendor: name_of(p.participant_id),
            display: p.embargo.display(),
            reason: p.reason,
        })
        .collect();
    let nominations = state
        .store
        .nominations(report.id)
        .await?
        .into_iter()
        .filter(|n| n.decision == Decision::Open)
        .map(|n| NominationRow {
            id: n.id,
            by: name_of(n.participant_id),
            vendor_name: n.vendor_name,
            email: n.email,
            reason: n.reason,
        })
        .collect();
    let messages = state
        .store
        .coordination_messages(report.id, None)
        .await?
        .into_iter()
        .map(|m| ThreadRow {
            at: when(m.created_at),
            from: if m.author.is_some() {
                m.author_label.clone()
            } else {
                format!("coordinator ({})", m.author_label)
            },
            to: m
                .thread
                .map_or_else(|| "all participants".to_owned(), name_of),
            tlp: m.tlp.as_str(),
            body: m.body,
        })
        .collect();
    let log = state
        .store
        .coordination_log(report.id)
        .await?
        .into_iter()
        .map(|entry| LogRow {
            at: when(entry.at),
            kind: entry.kind.as_str(),
            actor: entry.actor,
            text: entry.text,
        })
        .collect();
    let rows = participants
        .iter()
        .map(|p| {
            let contact = shown_contact(p, now);
            ParticipantRow {
                id: p.id,
                vendor: p.vendor_name.clone(),
                tlp: p.tlp.as_str(),
                contact: contact.label(),
                unresponsive: contact == ContactStatus::Unresponsive,
                acknowledge_by: when(p.deadlines.acknowledge_by),
                status_by: when(p.deadlines.status_by),
                fix_by: when(p.deadlines.fix_by),
                shared: p.share.names().join(", "),
                statuses: p
                    .statuses
                    .iter()
                    .map(|s| StatusRow {
                        id: s.id,
                        product: s.status.product.clone(),
                        vulnerability: s
                            .status
                            .vulnerability
                            .map_or_else(|| "the report".to_owned(), |cve| cve.to_string()),
                        summary: s.status.summary(),
                        statement: s.status.statement.clone().unwrap_or_default(),
                        references: s.status.references.join(" "),
                        approved: s
                            .approved
                            .as_ref()
                            .map(|(by, at)| format!("approved by {by} at {}", when(*at)))
                            .unwrap_or_default(),
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(CoordinationPage {
        layout: StaffLayout::of(state, staff),
        reference: report.reference.to_string(),
        title: report.content.title.clone(),
        embargo: embargo.map(|e| EmbargoJson::of(&e, None, now)),
        participants: rows,
        proposals,
        nominations,
        messages,
        log,
        vendors: state.store.vendors().await?,
        fields: SharedItem::fields()
            .iter()
            .map(|item| (item.name(), item.label()))
            .collect(),
        files: report
            .attachments
            .iter()
            .map(|file| {
                (
                    SharedItem::Attachment(file.id).name(),
                    file.file_name.clone(),
                )
            })
            .collect(),
        labels: Tlp::ALL.iter().map(Tlp::as_str).collect(),
        contacts: ContactStatus::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        kept,
    })
}

pub async fn get_coordination(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
) -> Result<Response, PageError> {
    let report = permitted_report(&state, &staff.user, &reference, StaffAction::ViewReport).await?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "coordination.view",
        Some(&subject),
        "page",
    )
    .await?;
    Ok(render(&page(&state, &staff, &report, Kept::default()).await?)?.into_response())
}

async fn for_change(
    state: &AppState,
    staff: &StaffUser,
    reference: &str,
    csrf: &str,
) -> Result<Report, PageError> {
    staff.check_csrf(csrf)?;
    Ok(permitted_report(state, &staff.user, reference, StaffAction::ChangeReport).await?)
}

fn back(report: &Report) -> Response {
    Redirect::to(&format!("/staff/reports/{}/coordination", report.reference)).into_response()
}

/// The page again with what went wrong, for a form the rules refused; anything else is
/// answered as the error it is.
async fn answer(
    state: &AppState,
    staff: &StaffUser,
    report: &Report,
    result: Result<(), WebError>,
    mut kept: Kept,
) -> Result<Response, PageError> {
    let (status, message) = match result {
        Ok(()) => return Ok(back(report)),
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
        Err(other) => return Err(other.into()),
    };
    kept.notice = Some(message);
    let mut response = render(&page(state, staff, report, kept).await?)?.into_response();
    *response.status_mut() = status;
    Ok(response)
}

fn number(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// The add-a-vendor form, read by hand: its boxes repeat the name `shared`.
pub async fn post_participant(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let mut csrf = String::new();
    let mut request = ParticipantRequest::default();
    let mut acknowledge = String::new();
    for (name, value) in form_urlencoded::parse(&body) {
        let value = value.into_owned();
        match name.as_ref() {
            "csrf_token" => csrf = value,
            "vendor_id" => request.vendor_id = number(&value),
            "shared" => request.shared.push(value),
            "tlp" => request.tlp = Some(value),
            "sees_participants" => request.sees_participants = true,
            "talks_to_all" => request.talks_to_all = true,
            "time_zone" => request.time_zone = Some(value),
            "acknowledge_business_days" => acknowledge = value,
            "status_by" => request.status_by = Some(value),
            "fix_by" => request.fix_by = Some(value),
            "nomination" => request.nomination = number(&value),
            _ => {}
        }
    }
    let report = for_change(&state, &staff, &reference, &csrf).await?;
    let acknowledge = acknowledge.trim();
    let result = if acknowledge.is_empty() {
        Ok(())
    } else {
        match acknowledge.parse::<u32>() {
            Ok(days) => {
                request.acknowledge_business_days = Some(days);
                Ok(())
            }
            Err(_) => Err(service::invalid(
                "invalid_participant",
                "The vendor was not added",
                [(
                    "acknowledge_business_days".to_owned(),
                    "a whole number of business days".to_owned(),
                )]
                .into(),
            )),
        }
    };
    let result = match result {
        Ok(()) => service::add_participant(&state, &staff.user, &report, &request)
            .await
            .map(|added| added.participant.id),
        Err(error) => Err(error),
    };
    match result {
        // The link is in the invitation; staff never see it on a page.
        Ok(_) => Ok(back(&report)),
        Err(error) => answer(&state, &staff, &report, Err(error), Kept::default()).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmbargoForm {
    csrf_token: String,
    ends_at: String,
    time_zone: String,
    proposal: String,
}

pub async fn post_embargo(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<EmbargoForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(&state, &staff, &reference, &submitted.csrf_token).await?;
    let result = super::embargo::set_embargo(
        &state,
        &staff.user,
        &report,
        &submitted.ends_at,
        &submitted.time_zone,
        number(&submitted.proposal),
    )
    .await
    .map(|_| ());
    let kept = Kept {
        ends_at: submitted.ends_at,
        time_zone: submitted.time_zone,
        ..Kept::default()
    };
    answer(&state, &staff, &report, result, kept).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactForm {
    csrf_token: String,
    participant: String,
    contact: String,
}

pub async fn post_contact(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<ContactForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(&state, &staff, &reference, &submitted.csrf_token).await?;
    let participant = number(&submitted.participant).ok_or(WebError::NotFound)?;
    let result = service::move_contact(
        &state,
        &staff.user,
        &report,
        participant,
        &submitted.contact,
    )
    .await
    .map(|_| ());
    answer(&state, &staff, &report, result, Kept::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ApproveForm {
    csrf_token: String,
    participant: String,
    status: String,
}

pub async fn post_approve(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<ApproveForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(&state, &staff, &reference, &submitted.csrf_token).await?;
    let (Some(participant), Some(status)) =
        (number(&submitted.participant), number(&submitted.status))
    else {
        return Err(WebError::NotFound.into());
    };
    let result = service::approve_status(&state, &staff.user, &report, participant, status)
        .await
        .map(|_| ());
    answer(&state, &staff, &report, result, Kept::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MessageForm {
    csrf_token: String,
    /// A participant's id, or empty for all.
    to: String,
    body: String,
}

pub async fn post_message(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<MessageForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(&state, &staff, &reference, &submitted.csrf_token).await?;
    let to = if submitted.to.trim().is_empty() {
        None
    } else {
        Some(number(&submitted.to).ok_or(WebError::NotFound)?)
    };
    let result = service::coordinator_message(&state, &staff.user, &report, to, &submitted.body)
        .await
        .map(|_| ());
    let kept = Kept {
        body: submitted.body,
        ..Kept::default()
    };
    answer(&state, &staff, &report, result, kept).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeclineForm {
    csrf_token: String,
    proposal: String,
    nomination: String,
}

/// Declines an open embargo proposal or nomination.
pub async fn post_decline(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<DeclineForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(&state, &staff, &reference, &submitted.csrf_token).await?;
    let result = match (number(&submitted.proposal), number(&submitted.nomination)) {
        (Some(proposal), None) => {
            super::embargo::decline_proposal(&state, &staff.user, &report, proposal).await
        }
        (None, Some(nomination)) => {
            service::decline_nomination(&state, &staff.user, &report, nomination).await
        }
        _ => Err(WebError::bad_request(
            "malformed_form",
            "Name one proposal or one nomination to decline.",
        )),
    };
    answer(&state, &staff, &report, result, Kept::default()).await
}
