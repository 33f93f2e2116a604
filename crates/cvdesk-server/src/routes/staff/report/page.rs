//! The staff report page's view model: everything the finder sent, the triage panel with
//! what this person may do, the deadline clocks, the computed priority and the suggested
//! duplicates; and the page again with a refusal when a change is refused.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::priority::{self, Exploitability, Priority, PriorityInputs};
use cvdesk_domain::report::{Report, ReportState};
use cvdesk_domain::root_cause::RootCause;
use cvdesk_domain::root_cause_analysis::RootCauseAnalysis;
use cvdesk_domain::similarity::Suggestion;
use cvdesk_domain::spam;
use cvdesk_domain::staff::Actor;
use cvdesk_domain::workflow::{self, CurrentReport};
use cvdesk_formats::cvss::Cvss;
use cvdesk_formats::cwe;
use cvdesk_store::{Note, ReportEvent};

use crate::auth::StaffUser;
use crate::duplicates;
use crate::error::PageError;
use crate::routes::staff::layout::StaffLayout;
use crate::triage::ActionError;
use crate::views::{calendar_local, render, utc_minute, MessageView};
use crate::AppState;

#[derive(Template)]
#[template(path = "staff/report.html")]
pub(super) struct ReportPage {
    layout: StaffLayout,
    report: Report,
    received: String,
    notice: Option<String>,
    problem: Option<String>,
    product_name: Option<String>,
    products: Vec<(i64, String)>,
    current_product: Option<i64>,
    weakness_name: Option<&'static str>,
    weakness_value: String,
    severity_value: String,
    allowed: Vec<ReportState>,
    may_change: bool,
    may_note: bool,
    may_message: bool,
    /// An admin looking at a report closed as spam, which may be purged.
    may_purge: bool,
    messages: Vec<MessageView>,
    notes: Vec<Note>,
    events: Vec<ReportEvent>,
    computed_priority: &'static str,
    effective_priority: &'static str,
    explanation: Vec<String>,
    formula: &'static str,
    exploitability_options: Vec<(&'static str, &'static str)>,
    exploitability_value: &'static str,
    priority_options: Vec<&'static str>,
    override_value: &'static str,
    override_reason: String,
    suggestions: Vec<Suggestion>,
    root_cause: RootCauseAnalysis,
    /// When the finder asked to have their contact details removed, if they are waiting.
    contact_removal_requested: Option<String>,
    /// The finder's appeal of the outcome, if there is one.
    appeal: Option<crate::appeals::AppealPanel>,
    root_cause_options: Vec<(&'static str, &'static str)>,
    draft: MoveDraft,
    /// The report body decrypted with the organization key, shown once, never stored.
    pub(super) decrypted: Option<String>,
    /// Mail to the finder the desk gave up on, so staff know the finder did not hear.
    undelivered: Vec<UndeliveredMail>,
    /// Each deadline clock, in UTC and in the business calendar's local time.
    deadlines: Vec<DeadlineRow>,
}

/// One deadline clock of the report.
pub(super) struct DeadlineRow {
    clock: &'static str,
    due: String,
    due_local: Option<String>,
    state: &'static str,
    done: Option<String>,
}

/// A mail to the finder that could not be delivered.
pub(super) struct UndeliveredMail {
    subject: String,
    given_up: String,
    error: String,
}

impl ReportPage {
    fn is_current_product(&self, id: &i64) -> bool {
        self.current_product == Some(*id)
    }

    fn is_same(&self, option: &str, chosen: &str) -> bool {
        option == chosen
    }

    fn is_draft_target(&self, target: &ReportState) -> bool {
        self.draft.to == target.as_str()
    }

    fn is_root_cause(&self, option: &str) -> bool {
        self.root_cause
            .category
            .is_some_and(|category| category.as_str() == option)
    }

    fn percent(&self, score: &f64) -> String {
        format!("{:.0} %", score * 100.0)
    }

    /// An address for a query string (an IPv6 /64 carries `:` and `/`).
    fn encoded(&self, address: &str) -> String {
        crate::percent::encode(address)
    }
}

/// What was typed into the move form, shown again when the move is refused.
#[derive(Default)]
pub(super) struct MoveDraft {
    pub(super) to: String,
    pub(super) duplicate_of: String,
    pub(super) reason: String,
}

pub(super) async fn show(
    state: &AppState,
    staff: &StaffUser,
    report: Report,
    notice: Option<String>,
    problem: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    show_with(
        state,
        staff,
        report,
        notice,
        problem,
        status,
        MoveDraft::default(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn show_with(
    state: &AppState,
    staff: &StaffUser,
    report: Report,
    notice: Option<String>,
    problem: Option<String>,
    status: StatusCode,
    draft: MoveDraft,
) -> Result<Response, PageError> {
    let page = report_page(state, staff, report, notice, problem, draft).await?;
    Ok((status, render(&page)?).into_response())
}

pub(super) async fn report_page(
    state: &AppState,
    staff: &StaffUser,
    report: Report,
    notice: Option<String>,
    problem: Option<String>,
    draft: MoveDraft,
) -> Result<ReportPage, PageError> {
    let actor = staff.user.actor();
    let current = CurrentReport {
        reference: &report.reference,
        state: report.state,
        product: report.triage.product,
    };
    let allowed = workflow::allowed_targets(&actor, &current);
    let may_change =
        access::check(&actor, StaffAction::ChangeReport, report.triage.product).is_allowed();
    let may_note =
        access::check(&actor, StaffAction::AddInternalNote, report.triage.product).is_allowed();
    let products = state.store.products().await?;
    let product = report
        .triage
        .product
        .and_then(|id| products.iter().find(|p| p.id == id));
    let cvss = report
        .content
        .severity
        .as_ref()
        .and_then(|s| Cvss::parse(&s.vector).ok());
    let assessment = priority::assess(&PriorityInputs {
        severity: report.content.severity.as_ref().map(|s| s.score),
        criticality: product.map(|p| p.criticality),
        exploitability: report.triage.exploitability,
        attack_complexity_high: cvss.as_ref().map(priority::attack_complexity_high),
    });
    let effective = assessment.effective(report.triage.priority_override.as_ref());
    let suggestions = duplicates::suggestions(state, &actor, &report).await?;
    let calendar = &state.settings.calendar;
    let deadlines = crate::report_status::report_status(state, &report)
        .await?
        .deadlines
        .into_iter()
        .map(|deadline| DeadlineRow {
            clock: deadline.clock.label(),
            due: utc_minute(deadline.due_at),
            due_local: calendar_local(calendar, deadline.due_at),
            state: deadline.state.as_str(),
            done: deadline.done_at.map(utc_minute),
        })
        .collect();
    let mut page = ReportPage {
        layout: StaffLayout::of(state, staff),
        received: utc_minute(report.created_at),
        notice,
        problem,
        product_name: product.map(|p| p.name.clone()),
        current_product: report.triage.product.map(|p| p.0),
        products: products.iter().map(|p| (p.id.0, p.name.clone())).collect(),
        weakness_name: report
            .content
            .weakness
            .and_then(cwe::lookup)
            .map(|w| w.name),
        weakness_value: report
            .content
            .weakness
            .map(|w| w.to_string())
            .unwrap_or_default(),
        severity_value: report
            .content
            .severity
            .as_ref()
            .map(|s| s.vector.clone())
            .unwrap_or_default(),
        allowed,
        may_change,
        may_note,
        may_message: access::check(&actor, StaffAction::MessageFinder, report.triage.product)
            .is_allowed(),
        messages: state
            .store
            .messages(report.id)
            .await?
            .iter()
            .map(|m| MessageView::of(m, false))
            .collect(),
        undelivered: state
            .store
            .undelivered_finder_mail(report.id)
            .await?
            .into_iter()
            .map(|mail| UndeliveredMail {
                subject: mail.subject,
                given_up: utc_minute(mail.at),
                error: mail.last_error.unwrap_or_default(),
            })
            .collect(),
        notes: state.store.notes(report.id).await?,
        events: state.store.report_events(report.id).await?,
        computed_priority: assessment.computed.as_str(),
        effective_priority: effective.as_str(),
        explanation: assessment.explanation,
        formula: priority::formula(),
        exploitability_options: Exploitability::ALL
            .iter()
            .map(|e| (e.as_str(), e.label()))
            .collect(),
        exploitability_value: report
            .triage
            .exploitability
            .map_or("", Exploitability::as_str),
        priority_options: [Priority::P1, Priority::P2, Priority::P3, Priority::P4]
            .iter()
            .map(|p| p.as_str())
            .collect(),
        override_value: report
            .triage
            .priority_override
            .as_ref()
            .map_or("", |o| o.priority.as_str()),
        override_reason: report
            .triage
            .priority_override
            .as_ref()
            .map(|o| o.reason.clone())
            .unwrap_or_default(),
        suggestions,
        root_cause: state.store.root_cause(report.id).await?,
        contact_removal_requested: state
            .store
            .contact_removal_requested(report.id)
            .await?
            .map(utc_minute),
        appeal: crate::appeals::for_report_page(state, &staff.user, &report).await?,
        root_cause_options: RootCause::ALL
            .iter()
            .map(|category| (category.as_str(), category.label()))
            .collect(),
        draft,
        deadlines,
        may_purge: false,
        report,
        decrypted: None,
    };
    page.may_purge = may_purge(&actor, &page.report, &page.events);
    Ok(page)
}

/// Whether `actor` may purge the report: an admin, and a report closed as spam.
fn may_purge(actor: &Actor, report: &Report, events: &[ReportEvent]) -> bool {
    let last_reason = events
        .iter()
        .rev()
        .find(|event| event.kind == "transition")
        .map(|event| event.detail.as_str());
    access::check(actor, StaffAction::PurgeReport, report.triage.product).is_allowed()
        && spam::closed_as_spam(report.state, last_reason)
}

/// Back to the report after a change, or the page again with the refusal and what was
/// typed into the move form.
pub(super) async fn after(
    state: &AppState,
    staff: &StaffUser,
    report: Report,
    outcome: Result<(), ActionError>,
    done: &str,
    draft: MoveDraft,
) -> Result<Response, PageError> {
    let (message, status) = match outcome {
        Ok(()) => {
            let to = format!("/staff/reports/{}?done={done}", report.reference);
            return Ok(Redirect::to(&to).into_response());
        }
        Err(ActionError::Invalid(message)) => (message, StatusCode::UNPROCESSABLE_ENTITY),
        Err(ActionError::Refused(message)) => (message, StatusCode::CONFLICT),
        Err(ActionError::Forbidden(message)) => (message, StatusCode::FORBIDDEN),
        Err(ActionError::Failed(error)) => return Err(error.into()),
    };
    show_with(state, staff, report, None, Some(message), status, draft).await
}
