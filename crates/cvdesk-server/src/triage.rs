//! Triage actions, shared by the staff pages and the staff API: each parses what a person
//! sent, applies the domain rules and the per-product authorisation, stores the change
//! with its history, and records it in the audit log. The caller has already loaded the
//! report with `report_access::permitted_report`.

use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::message::parse_body;
use cvdesk_domain::priority::{Exploitability, Priority, PriorityOverride};
use cvdesk_domain::report::{Report, ReportState, Severity};
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::workflow::{self, CurrentReport, Transition, TransitionRequest};
use cvdesk_domain::Reference;
use cvdesk_formats::cvss::Cvss;
use cvdesk_formats::cwe;
use cvdesk_store::{StoreError, User};

use crate::auth::audit;
use crate::error::WebError;
use crate::mail::{finder_mail_signer, FinderNews, NewsMail};
use crate::AppState;

/// Longest internal note, in characters.
pub const NOTE_MAX_CHARS: usize = 20_000;

/// Why an action did not happen.
#[derive(Debug)]
pub enum ActionError {
    /// What was sent cannot be read (422): a bad vector, an unknown state.
    Invalid(String),
    /// The rules refuse it (409): the sentence says why.
    Refused(String),
    /// The person may not do this (403).
    Forbidden(String),
    Failed(WebError),
}

impl From<WebError> for ActionError {
    fn from(error: WebError) -> Self {
        ActionError::Failed(error)
    }
}

impl From<StoreError> for ActionError {
    fn from(error: StoreError) -> Self {
        ActionError::Failed(error.into())
    }
}

impl From<ActionError> for WebError {
    fn from(error: ActionError) -> Self {
        match error {
            ActionError::Invalid(message) => WebError::Invalid {
                code: "invalid_change",
                message,
                fields: Default::default(),
            },
            ActionError::Refused(message) => WebError::Conflict(message),
            ActionError::Forbidden(message) => WebError::Forbidden(message),
            ActionError::Failed(error) => error,
        }
    }
}

fn current(report: &Report) -> CurrentReport<'_> {
    CurrentReport {
        reference: &report.reference,
        state: report.state,
        product: report.triage.product,
    }
}

/// "the report is already triaged" → "The report is already triaged."
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!(
            "{}{}.",
            first.to_uppercase(),
            chars.as_str().trim_end_matches('.')
        ),
        None => String::new(),
    }
}

/// The audit entry of `user`'s action on `report`, written with the change.
fn audit_entry(
    state: &AppState,
    user: &User,
    report: &Report,
    action: &str,
    detail: String,
) -> AuditEvent {
    let subject = report.reference.to_string();
    audit::event(state, Some(user), "", action, Some(&subject), detail)
}

/// Reads a state and an original's reference as typed (references in any case).
pub fn parse_transition(
    to: &str,
    reason: Option<&str>,
    duplicate_of: Option<&str>,
) -> Result<TransitionRequest, ActionError> {
    let to: ReportState = to
        .trim()
        .parse()
        .map_err(|e| ActionError::Invalid(format!("{e}.")))?;
    let duplicate_of = match duplicate_of.map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(text) => Some(
            text.to_uppercase()
                .parse::<Reference>()
                .map_err(|e| ActionError::Invalid(sentence(&e.to_string())))?,
        ),
    };
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    refuse_control_characters(reason.as_deref().unwrap_or_default())?;
    Ok(TransitionRequest {
        to,
        reason,
        duplicate_of,
    })
}

pub async fn transition(
    state: &AppState,
    user: &User,
    report: &Report,
    request: TransitionRequest,
) -> Result<Transition, ActionError> {
    if let Some(original) = &request.duplicate_of {
        // A report the person may not see answers exactly as one that does not exist, so
        // a member learns nothing of other teams' reports and cannot link to them.
        let visible = match state.store.report_by_reference(original).await? {
            Some(found) => {
                access::check(&user.actor(), StaffAction::ViewReport, found.triage.product)
                    .is_allowed()
            }
            None => false,
        };
        if original != &report.reference && !visible {
            return Err(ActionError::Refused(format!(
                "There is no report {original} to be a duplicate of."
            )));
        }
    }
    let planned = workflow::plan_transition(&user.actor(), &current(report), request)
        .map_err(|refused| ActionError::Refused(sentence(&refused.to_string())))?;
    let now = state.clock.now();
    let mail = match FinderNews::of_transition(&planned) {
        Some(news) => {
            let signer = finder_mail_signer(state, report.content.contact.pgp_key.as_deref()).await;
            NewsMail::of(state).to_finder(report, news, signer.as_deref(), now)
        }
        None => Vec::new(),
    };
    let audit = audit_entry(
        state,
        user,
        report,
        "report.transition",
        format!("{} -> {}", planned.from, planned.to),
    );
    match state
        .store
        .transition_report(report.id, &planned, &audit, &mail, now)
        .await
    {
        Ok(()) => state.mailer.wake(),
        Err(StoreError::Conflict(message)) => return Err(ActionError::Refused(sentence(&message))),
        Err(other) => return Err(other.into()),
    }
    Ok(planned)
}

pub async fn set_needs_info(
    state: &AppState,
    user: &User,
    report: &Report,
    flag: bool,
) -> Result<(), ActionError> {
    workflow::may_flag_needs_info(&user.actor(), &current(report))
        .map_err(|refused| ActionError::Refused(sentence(&refused.to_string())))?;
    let now = state.clock.now();
    // The finder is asked once, when the flag goes up; setting it again asks nothing new.
    let mail = if flag && !report.needs_info {
        let signer = finder_mail_signer(state, report.content.contact.pgp_key.as_deref()).await;
        NewsMail::of(state).to_finder(report, FinderNews::NeedsInfo, signer.as_deref(), now)
    } else {
        Vec::new()
    };
    let audit = audit_entry(state, user, report, "report.needs_info", flag.to_string());
    state
        .store
        .set_needs_info(report.id, flag, &audit, &mail, now)
        .await?;
    state.mailer.wake();
    Ok(())
}

pub async fn set_product(
    state: &AppState,
    user: &User,
    report: &Report,
    product: Option<ProductId>,
) -> Result<(), ActionError> {
    // Permission first: a member must not learn which product ids exist.
    if !access::check(&user.actor(), StaffAction::ChangeReport, product).is_allowed() {
        let message = match product {
            Some(_) => "You may only assign reports to your own products.",
            None => "Only a triager or an admin takes a report off its product.",
        };
        return Err(ActionError::Forbidden(message.into()));
    }
    if let Some(id) = product {
        if state.store.product(id).await?.is_none() {
            return Err(ActionError::Invalid(format!(
                "There is no product {}.",
                id.0
            )));
        }
    }
    let detail = product.map_or_else(|| "none".to_owned(), |p| p.0.to_string());
    let audit = audit_entry(state, user, report, "report.product", detail);
    state
        .store
        .set_product(report.id, product, &audit, state.clock.now())
        .await?;
    Ok(())
}

/// Replaces the weakness and the CVSS vector; blank text clears either.
pub async fn set_classification(
    state: &AppState,
    user: &User,
    report: &Report,
    weakness: &str,
    severity: &str,
) -> Result<(), ActionError> {
    let weakness = match weakness.trim() {
        "" => None,
        text => Some(
            cwe::parse_known(text)
                .map_err(|e| ActionError::Invalid(sentence(&e.to_string())))?
                .id,
        ),
    };
    let severity = match severity.trim() {
        "" => None,
        text => Some(Severity::of(&Cvss::parse(text).map_err(|e| {
            ActionError::Invalid(format!("This is not a valid CVSS vector: {e}."))
        })?)),
    };
    let detail = severity
        .as_ref()
        .map_or_else(|| "no severity".to_owned(), |s| s.vector.clone());
    let audit = audit_entry(state, user, report, "report.classification", detail);
    state
        .store
        .set_classification(
            report.id,
            weakness,
            severity.as_ref(),
            &audit,
            state.clock.now(),
        )
        .await?;
    Ok(())
}

/// Sets the exploitability assessment and the priority override (a priority needs a
/// reason); blank text clears either.
pub async fn set_assessment(
    state: &AppState,
    user: &User,
    report: &Report,
    exploitability: &str,
    priority: &str,
    reason: &str,
) -> Result<(), ActionError> {
    let exploitability = match exploitability.trim() {
        "" => None,
        text => Some(
            text.parse::<Exploitability>()
                .map_err(|e| ActionError::Invalid(sentence(&e.to_string())))?,
        ),
    };
    refuse_control_characters(reason)?;
    let priority_override = match priority.trim() {
        "" => None,
        text => {
            let priority = text
                .parse::<Priority>()
                .map_err(|e| ActionError::Invalid(sentence(&e.to_string())))?;
            Some(
                PriorityOverride::new(priority, reason)
                    .map_err(|e| ActionError::Invalid(sentence(&e.to_string())))?,
            )
        }
    };
    let audit = audit_entry(state, user, report, "report.assessment", String::new());
    state
        .store
        .set_assessment(
            report.id,
            exploitability,
            priority_override.as_ref(),
            &audit,
            state.clock.now(),
        )
        .await?;
    Ok(())
}

/// A message to the finder, shown on their tracking page. The caller loaded the report
/// with `report_access::permitted_report` for `StaffAction::MessageFinder`, which is the check.
pub async fn send_message(
    state: &AppState,
    user: &User,
    report: &Report,
    body: &str,
) -> Result<i64, ActionError> {
    let body = parse_body(body).map_err(ActionError::Invalid)?;
    let now = state.clock.now();
    let signer = finder_mail_signer(state, report.content.contact.pgp_key.as_deref()).await;
    let mail =
        NewsMail::of(state).to_finder(report, FinderNews::Message(&body), signer.as_deref(), now);
    let audit = audit_entry(state, user, report, "report.message", String::new());
    let id = state
        .store
        .add_staff_message(report.id, &body, &audit, &mail, now)
        .await?;
    state.mailer.wake();
    Ok(id)
}

/// A reason is kept and shown as text: control characters (a NUL, which PostgreSQL cannot
/// store, among them) are refused as in every other text.
fn refuse_control_characters(reason: &str) -> Result<(), ActionError> {
    if reason
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ActionError::Invalid(
            "Remove the control characters from the reason.".to_owned(),
        ));
    }
    Ok(())
}

pub async fn add_note(
    state: &AppState,
    user: &User,
    report: &Report,
    body: &str,
) -> Result<i64, ActionError> {
    let body = body.trim();
    if body.is_empty() || body.chars().count() > NOTE_MAX_CHARS {
        return Err(ActionError::Invalid(format!(
            "Write a note of 1 to {NOTE_MAX_CHARS} characters."
        )));
    }
    // As every other text: PostgreSQL cannot store a NUL, and no control character belongs.
    if body
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ActionError::Invalid(format!(
            "Write a note of 1 to {NOTE_MAX_CHARS} characters. Remove the control characters \
             from it."
        )));
    }
    let audit = audit_entry(state, user, report, "report.note", String::new());
    let id = state
        .store
        .add_note(report.id, body, &audit, state.clock.now())
        .await?;
    Ok(id)
}
