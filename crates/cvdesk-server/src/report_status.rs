//! Where one report stands: each deadline clock's due instant and state, and the priority
//! computed from its severity, its product's criticality, its exploitability and attack
//! complexity, with each factor's points (the staff API's report object carries both).

use cvdesk_domain::insights::SlaClock;
use cvdesk_domain::priority::{self, PriorityInputs};
use cvdesk_domain::report::Report;
use cvdesk_domain::sla::{ClockStatus, Deadline, Rule};
use cvdesk_formats::cvss::Cvss;
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::WebError;
use crate::AppState;

/// One deadline clock of a report.
#[derive(Debug, Serialize)]
pub struct ClockDeadline {
    pub clock: SlaClock,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    /// `due`, `at_risk` or `overdue` while running; `met` or `missed` once stopped.
    pub state: ClockStatus,
    /// When the clock stopped, if it has.
    #[serde(with = "time::serde::rfc3339::option")]
    pub done_at: Option<OffsetDateTime>,
}

/// The computed priority and the one that applies.
#[derive(Debug, Serialize)]
pub struct PriorityStatus {
    pub computed: &'static str,
    /// The override when there is one, else the computed priority.
    pub effective: &'static str,
    pub points: u8,
    /// One line per factor with its points, then the total.
    pub factors: Vec<String>,
}

pub struct ReportStatus {
    pub deadlines: Vec<ClockDeadline>,
    pub priority: PriorityStatus,
}

pub async fn report_status(state: &AppState, report: &Report) -> Result<ReportStatus, WebError> {
    let milestones = state
        .store
        .milestones(report.id)
        .await?
        .ok_or(WebError::NotFound)?;
    let levels = state
        .store
        .current_policy()
        .await?
        .map(|version| version.settings)
        .unwrap_or_default()
        .service_levels();
    let cvss = report
        .content
        .severity
        .as_ref()
        .and_then(|severity| Cvss::parse(&severity.vector).ok());
    let fix_rule = levels
        .remediation
        .for_severity(cvss.as_ref().map(|cvss| cvss.scores().severity));
    let mut clocks: Vec<(SlaClock, Rule, OffsetDateTime, Option<OffsetDateTime>)> = vec![
        (
            SlaClock::FirstResponse,
            levels.acknowledge,
            report.created_at,
            milestones.first_response_at,
        ),
        (
            SlaClock::Triage,
            levels.triage,
            report.created_at,
            milestones.triaged_at,
        ),
    ];
    // The fix clock runs from triage until remediated; a report closed otherwise has none.
    if let Some(triaged_at) = milestones.triaged_at {
        if milestones.remediated_at.is_some() || milestones.closed_at.is_none() {
            clocks.push((
                SlaClock::Remediation,
                fix_rule,
                triaged_at,
                milestones.remediated_at,
            ));
        }
    }
    let now = state.clock.now();
    let mut deadlines = Vec::new();
    for (clock, rule, started, done) in clocks {
        let deadline = Deadline::new(rule, &state.settings.calendar, started)
            .map_err(|error| WebError::Internal(Box::new(error)))?;
        deadlines.push(ClockDeadline {
            clock,
            due_at: deadline.due_at,
            state: deadline.status(done, now),
            done_at: done,
        });
    }
    let criticality = match report.triage.product {
        Some(product) => state.store.product(product).await?.map(|p| p.criticality),
        None => None,
    };
    let assessment = priority::assess(&PriorityInputs {
        severity: report.content.severity.as_ref().map(|s| s.score),
        criticality,
        exploitability: report.triage.exploitability,
        attack_complexity_high: cvss.as_ref().map(priority::attack_complexity_high),
    });
    let effective = assessment.effective(report.triage.priority_override.as_ref());
    Ok(ReportStatus {
        deadlines,
        priority: PriorityStatus {
            computed: assessment.computed.as_str(),
            effective: effective.as_str(),
            points: assessment.points,
            factors: assessment.explanation,
        },
    })
}
