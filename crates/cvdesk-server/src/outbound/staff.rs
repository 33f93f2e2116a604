//! The staff pages of outbound disclosure: the cases with their vendors and deadlines
//! (`/staff/cases`), one case with its inquiry for review, its deadlines and log and the
//! forms that send it, record what happened and publish it (`/staff/cases/{case_id}`), and
//! the quarantine of inbound mail that matched nothing (`/staff/mail/quarantine`). Every
//! form carries the session's CSRF token; every change goes through the same services as
//! the API and is audited in its transaction.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::{check_outbound, OutboundAction};
use cvdesk_store::{ReceivedMail, Vendor};
use serde::Deserialize;

use super::api::context;
use super::cases::{self, CaseView, EventInput};
use super::publish::{self, PublishInput};
use super::send::{self, Clear};
use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::views::{render, utc_minute};
use crate::AppState;

/// Most quarantined messages listed.
const QUARANTINE_LISTED: u32 = 200;

pub(super) fn allow(staff: &StaffUser, action: OutboundAction) -> Result<(), PageError> {
    if check_outbound(&staff.user.actor(), action).is_allowed() {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "Outbound disclosure is the security team's: your role may not do this.".to_owned(),
        )
        .into())
    }
}

/// Whether the person may change vendors and cases, so the pages offer the forms.
pub(super) fn may_change(staff: &StaffUser) -> bool {
    check_outbound(&staff.user.actor(), OutboundAction::Change).is_allowed()
}

struct CaseRow {
    id: String,
    state: &'static str,
    vendor: String,
    verification_due: String,
    announcement_due: String,
    decision_needed: bool,
}

#[derive(Template)]
#[template(path = "staff/cases.html")]
struct CasesPage {
    layout: StaffLayout,
    cases: Vec<CaseRow>,
    vendors: Vec<Vendor>,
    may_change: bool,
}

pub async fn get_cases(
    State(state): State<AppState>,
    staff: StaffUser,
) -> Result<Response, PageError> {
    allow(&staff, OutboundAction::View)?;
    let context = context(&state);
    let vendors = state.store.vendors().await?;
    let mut rows = Vec::new();
    for case in state.store.cases().await? {
        let deadlines = cases::deadlines_of(&case, &state.outbound, context.calendar, context.now)?;
        let vendor = vendors
            .iter()
            .find(|v| v.id == case.vendor_id)
            .map_or_else(String::new, |v| v.details.name.clone());
        rows.push(CaseRow {
            id: case.id.to_string(),
            state: case.state.label(),
            vendor,
            verification_due: cvdesk_domain::outbound::inquiry::last_day(
                deadlines.verification_due,
            ),
            announcement_due: cvdesk_domain::outbound::inquiry::last_day(
                deadlines.announcement_due,
            ),
            decision_needed: case.state.is_open_with_vendor()
                && context.now >= deadlines.announcement_due,
        });
    }
    audit::record(&state, Some(&staff.user), "", "case.list", None, "page").await?;
    Ok(render(&CasesPage {
        layout: StaffLayout::of(&state, &staff),
        cases: rows,
        vendors,
        may_change: may_change(&staff),
    })?
    .into_response())
}

struct EntryRow {
    id: i64,
    kind: &'static str,
    at: String,
    actor: String,
    channel: &'static str,
    body: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "staff/case.html")]
struct CasePage {
    layout: StaffLayout,
    id: String,
    title: String,
    state: &'static str,
    vendor: String,
    vendor_has_key: bool,
    subject: String,
    body: String,
    missing_items: String,
    reported: String,
    verification_due: String,
    announcement_due: String,
    basis: &'static str,
    decision_needed: bool,
    moves: Vec<(&'static str, &'static str)>,
    log: Vec<EntryRow>,
    notice: Option<String>,
}

fn page(state: &AppState, staff: &StaffUser, view: CaseView, notice: Option<String>) -> CasePage {
    use cvdesk_domain::outbound::deadlines::AnnouncementBasis;
    use cvdesk_domain::outbound::inquiry::last_day;
    let log = view
        .log
        .iter()
        .map(|entry| {
            let mut detail = Vec::new();
            if let (Some(from), Some(to)) = (entry.from_state, entry.to_state) {
                detail.push(format!("{} → {}", from.label(), to.label()));
            }
            if let Some(date) = entry.announce_by {
                detail.push(format!("agreed date {date}"));
            }
            if let Some(version) = &entry.version {
                detail.push(format!("version {version}"));
            }
            match entry.encrypted {
                Some(true) => detail.push("OpenPGP-encrypted".to_owned()),
                Some(false) => detail.push("unencrypted".to_owned()),
                None => {}
            }
            if let Some(signature) = &entry.signature {
                detail.push(signature.clone());
            }
            EntryRow {
                id: entry.id,
                kind: entry.kind.as_str(),
                at: utc_minute(entry.at),
                actor: entry.actor.clone(),
                channel: entry.channel.map_or("", |c| c.label()),
                body: entry.body.clone(),
                detail: detail.join("; "),
            }
        })
        .collect();
    CasePage {
        layout: StaffLayout::of(state, staff),
        id: view.case.id.to_string(),
        title: view.form.title.clone(),
        state: view.case.state.label(),
        vendor: view.vendor.details.name.clone(),
        vendor_has_key: view.vendor.details.pgp_key.is_some(),
        subject: view.inquiry.subject.clone(),
        body: view.inquiry.body.clone(),
        missing_items: view
            .missing_items
            .iter()
            .map(char::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        reported: view.case.reported_at.map_or_else(
            || "not yet (dates reckoned from today)".to_owned(),
            |at| at.date().to_string(),
        ),
        verification_due: last_day(view.deadlines.verification_due),
        announcement_due: last_day(view.deadlines.announcement_due),
        basis: match view.deadlines.announcement_basis {
            AnnouncementBasis::Policy { .. } => "the policy's days",
            AnnouncementBasis::Agreed { .. } => "agreed in writing",
        },
        decision_needed: view.decision_needed,
        moves: view.moves.iter().map(|s| (s.as_str(), s.label())).collect(),
        log,
        notice,
    }
}

pub async fn get_case(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    allow(&staff, OutboundAction::View)?;
    let view = cases::load(&context(&state), &id)
        .await
        .map_err(WebError::from)?;
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "case.view",
        Some(&id),
        "page",
    )
    .await?;
    Ok(render(&page(&state, &staff, view, None))?.into_response())
}

async fn for_change(
    state: &AppState,
    staff: &StaffUser,
    id: &str,
    csrf: &str,
) -> Result<CaseView, PageError> {
    staff.check_csrf(csrf)?;
    allow(staff, OutboundAction::Change)?;
    Ok(cases::load(&context(state), id)
        .await
        .map_err(WebError::from)?)
}

/// The case page again with what went wrong, for a refused form.
fn refused(
    state: &AppState,
    staff: &StaffUser,
    view: CaseView,
    error: cases::CaseError,
) -> Result<Response, PageError> {
    let message = match error {
        cases::CaseError::Invalid(errors) => errors
            .0
            .iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect::<Vec<_>>()
            .join("; "),
        cases::CaseError::Conflict(message) => message,
        other => return Err(WebError::from(other).into()),
    };
    let mut response = render(&page(state, staff, view, Some(message)))?.into_response();
    *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SendForm {
    csrf_token: String,
    confirm_unencrypted: Option<String>,
}

pub async fn post_send(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<SendForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let view = for_change(&state, &staff, &id, &submitted.csrf_token).await?;
    let clear = if submitted.confirm_unencrypted.is_some() {
        Clear::Confirmed
    } else {
        Clear::Refuse
    };
    let signer =
        crate::mail::finder_mail_signer(&state, view.vendor.details.pgp_key.as_deref()).await;
    let detail = if clear == Clear::Confirmed {
        "sending in clear confirmed"
    } else {
        ""
    };
    let event = audit::event(
        &state,
        Some(&staff.user),
        "",
        "case.send",
        Some(&id),
        detail,
    );
    match send::send(
        &context(&state),
        &view,
        clear,
        signer.as_deref(),
        &staff.user.email,
        &event,
    )
    .await
    {
        Ok(_) => {
            state.mailer.wake();
            Ok(Redirect::to(&format!("/staff/cases/{id}")).into_response())
        }
        Err(error) => refused(&state, &staff, view, error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EventForm {
    csrf_token: String,
    kind: String,
    body: String,
    announce_by: String,
    evidence_message_id: String,
    version: String,
    channel: String,
}

fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

pub async fn post_event(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<EventForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let view = for_change(&state, &staff, &id, &submitted.csrf_token).await?;
    let evidence = match given(&submitted.evidence_message_id) {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let mut errors = cvdesk_domain::outbound::FormErrors::default();
                errors.add("evidence_message_id", "the number of a log entry");
                return refused(&state, &staff, view, cases::CaseError::Invalid(errors));
            }
        },
    };
    let event = EventInput {
        kind: submitted.kind.clone(),
        body: given(&submitted.body),
        at: None,
        announce_by: given(&submitted.announce_by),
        evidence_message_id: evidence,
        version: given(&submitted.version),
        channel: given(&submitted.channel),
    };
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "case.event",
        Some(&id),
        submitted.kind.clone(),
    );
    match cases::record_event(
        &context(&state),
        &view,
        &event,
        &staff.user.email,
        Vec::new(),
        &entry,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/staff/cases/{id}")).into_response()),
        Err(error) => refused(&state, &staff, view, error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    csrf_token: String,
    to: String,
    reason: String,
}

pub async fn post_transition(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<MoveForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let view = for_change(&state, &staff, &id, &submitted.csrf_token).await?;
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "case.move",
        Some(&id),
        format!("{} -> {}", view.case.state, submitted.to),
    );
    let reason = given(&submitted.reason);
    match cases::move_case(
        &context(&state),
        &view,
        &submitted.to,
        reason.as_deref(),
        &staff.user.email,
        &entry,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/staff/cases/{id}")).into_response()),
        Err(error) => refused(&state, &staff, view, error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PublishForm {
    csrf_token: String,
    description: String,
    include_communication: Option<String>,
}

pub async fn post_publish(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<PublishForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let view = for_change(&state, &staff, &id, &submitted.csrf_token).await?;
    let input = PublishInput {
        description: given(&submitted.description),
        include_communication: submitted.include_communication.is_some().then_some(true),
    };
    let entry = audit::event(&state, Some(&staff.user), "", "case.publish", Some(&id), "");
    match publish::publish(
        &context(&state),
        &view,
        &input,
        &state.settings.public_url,
        &staff.user.email,
        &entry,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/disclosures/{id}")).into_response()),
        Err(error) => refused(&state, &staff, view, error),
    }
}

struct QuarantineRow {
    id: i64,
    received: String,
    sender: String,
    subject: String,
    reason: String,
    size: String,
}

#[derive(Template)]
#[template(path = "staff/quarantine.html")]
struct QuarantinePage {
    layout: StaffLayout,
    mail: Vec<QuarantineRow>,
}

pub async fn get_quarantine(
    State(state): State<AppState>,
    staff: StaffUser,
) -> Result<Response, PageError> {
    allow(&staff, OutboundAction::View)?;
    let mail: Vec<ReceivedMail> = state.store.quarantined_mail(QUARANTINE_LISTED).await?;
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "mail.quarantine.view",
        None,
        "",
    )
    .await?;
    Ok(render(&QuarantinePage {
        layout: StaffLayout::of(&state, &staff),
        mail: mail
            .into_iter()
            .map(|m| QuarantineRow {
                id: m.id,
                received: utc_minute(m.received_at),
                sender: m.sender.unwrap_or_else(|| "(unknown)".to_owned()),
                subject: m.subject,
                reason: m.reason.unwrap_or_default(),
                size: cvdesk_domain::attachment::human_bytes(m.size_bytes),
            })
            .collect(),
    })?
    .into_response())
}

/// One quarantined message as it arrived, to read or import by hand: always a download.
pub async fn get_quarantined_message(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    allow(&staff, OutboundAction::View)?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let raw = state
        .store
        .received_mail_raw(id)
        .await?
        .ok_or(WebError::NotFound)?;
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "mail.quarantine.download",
        Some(&id.to_string()),
        "",
    )
    .await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/octet-stream".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mail-{id}.eml\""),
            ),
        ],
        raw,
    )
        .into_response())
}
