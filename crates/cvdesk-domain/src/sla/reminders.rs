//! Which reminders an open report owes staff at a given moment: one when a running
//! first-response, triage or fix clock is at risk or overdue, and one when an assigned
//! report's fortnightly update to the finder has fallen due (ETSI TR 103 838 clause 5.5.1).
//! Each reminder is named by what it is about and the instant it is due, so a reminder
//! already sent for that instant can be recognised and not sent again.

use time::OffsetDateTime;

use super::calendar::{Calendar, DeadlineError};
use super::clock::{ClockStatus, Deadline};
use super::policy::Policy;
use super::updates::next_update_due;
use cvdesk_formats::cvss::Severity;

/// What a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reminder {
    FirstResponse,
    Triage,
    Fix,
    /// The finder is owed an update while the fix is under way.
    FinderUpdate,
}

impl Reminder {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reminder::FirstResponse => "first_response",
            Reminder::Triage => "triage",
            Reminder::Fix => "fix",
            Reminder::FinderUpdate => "finder_update",
        }
    }

    /// In a sentence: "the triage deadline".
    pub fn words(self) -> &'static str {
        match self {
            Reminder::FirstResponse => "first response",
            Reminder::Triage => "triage",
            Reminder::Fix => "fix",
            Reminder::FinderUpdate => "update to the finder",
        }
    }
}

/// The moments of an open report that its clocks run from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportTimes {
    pub received_at: OffsetDateTime,
    /// The first message to the finder or change of state.
    pub responded_at: Option<OffsetDateTime>,
    /// When the report first left `new`; the fix clock runs from here.
    pub triaged_at: Option<OffsetDateTime>,
    /// The report's CVSS rating, which picks its fix target; `None` while unscored.
    pub severity: Option<Severity>,
    /// When the report became assigned, while it is; `None` in any other state.
    pub assigned_at: Option<OffsetDateTime>,
    /// The last message the desk sent the finder.
    pub last_update_at: Option<OffsetDateTime>,
}

/// A reminder that is due now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueReminder {
    pub reminder: Reminder,
    pub due_at: OffsetDateTime,
    /// `AtRisk` or `Overdue`; an update to the finder past its date is `Overdue`.
    pub status: ClockStatus,
}

/// The deadline clocks of a report that are still running (first response, triage, fix;
/// in that order), each with its deadline or why it cannot be counted on `calendar`.
pub fn running_clocks(
    times: &ReportTimes,
    rules: &Policy,
    calendar: &Calendar,
) -> Vec<(Reminder, Result<Deadline, DeadlineError>)> {
    let clocks = [
        (
            Reminder::FirstResponse,
            rules.acknowledge,
            Some(times.received_at),
            times.responded_at,
        ),
        (
            Reminder::Triage,
            rules.triage,
            Some(times.received_at),
            times.triaged_at,
        ),
        (
            Reminder::Fix,
            rules.remediation.for_severity(times.severity),
            times.triaged_at,
            None,
        ),
    ];
    clocks
        .into_iter()
        .filter_map(|(reminder, rule, started, done)| match (started, done) {
            (Some(started), None) => Some((reminder, Deadline::new(rule, calendar, started))),
            _ => None,
        })
        .collect()
}

/// Every reminder `times` call for at `now`, in clock order. A clock that stopped (the
/// finder heard from a person, triage is done) or is not yet at risk calls for none.
/// Fails when a deadline cannot be counted on `calendar`, so the caller can skip the report
/// rather than remind with a wrong date.
pub fn due_reminders(
    times: &ReportTimes,
    rules: &Policy,
    calendar: &Calendar,
    now: OffsetDateTime,
) -> Result<Vec<DueReminder>, DeadlineError> {
    let mut due = Vec::new();
    for (reminder, deadline) in running_clocks(times, rules, calendar) {
        let deadline = deadline?;
        let status = deadline.status(None, now);
        if matches!(status, ClockStatus::AtRisk | ClockStatus::Overdue) {
            due.push(DueReminder {
                reminder,
                due_at: deadline.due_at,
                status,
            });
        }
    }
    if let Some(assigned_at) = times.assigned_at {
        let due_at = next_update_due(assigned_at, times.last_update_at);
        if now >= due_at {
            due.push(DueReminder {
                reminder: Reminder::FinderUpdate,
                due_at,
                status: ClockStatus::Overdue,
            });
        }
    }
    Ok(due)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use time::Duration;

    use super::*;

    use crate::sla::{RemediationTargets, Rule};

    /// Received Friday 9 January 2026: the response is due at the end of Friday 16th, at
    /// risk on that last day; triage at the end of Friday 23rd, at risk from Thursday 22nd.
    fn received() -> ReportTimes {
        ReportTimes {
            received_at: datetime!(2026-01-09 17:00 UTC),
            responded_at: None,
            triaged_at: None,
            severity: None,
            assigned_at: None,
            last_update_at: None,
        }
    }

    fn due(
        times: &ReportTimes,
        now: OffsetDateTime,
    ) -> Vec<(Reminder, OffsetDateTime, ClockStatus)> {
        due_reminders(times, &Policy::default(), &Calendar::default(), now)
            .expect("countable")
            .into_iter()
            .map(|d| (d.reminder, d.due_at, d.status))
            .collect()
    }

    #[test]
    fn nothing_is_due_while_every_clock_has_time() {
        assert_eq!(due(&received(), datetime!(2026-01-15 23:59 UTC)), []);
    }

    #[test]
    fn a_clock_reminds_from_at_risk_with_its_due_instant() {
        let response_due = datetime!(2026-01-17 00:00 UTC);
        let at_risk = (Reminder::FirstResponse, response_due, ClockStatus::AtRisk);
        assert_eq!(due(&received(), datetime!(2026-01-16 00:00 UTC)), [at_risk]);
        assert_eq!(
            due(&received(), datetime!(2026-01-22 09:00 UTC)),
            [
                (Reminder::FirstResponse, response_due, ClockStatus::Overdue),
                (
                    Reminder::Triage,
                    datetime!(2026-01-24 00:00 UTC),
                    ClockStatus::AtRisk
                ),
            ]
        );
    }

    #[test]
    fn a_stopped_clock_reminds_no_more_and_the_fix_clock_runs_from_triage() {
        let triaged_at = datetime!(2026-01-12 10:00 UTC);
        let times = ReportTimes {
            responded_at: Some(triaged_at),
            triaged_at: Some(triaged_at),
            ..received()
        };
        assert_eq!(due(&times, datetime!(2026-03-01 00:00 UTC)), []);
        let fix_due = triaged_at + Duration::days(90);
        assert_eq!(
            due(&times, fix_due - Duration::days(18)),
            [(Reminder::Fix, fix_due, ClockStatus::AtRisk)]
        );
    }

    #[test]
    fn an_assigned_report_owes_the_finder_an_update_every_fortnight() {
        let triaged_at = datetime!(2026-01-12 10:00 UTC);
        let assigned_at = datetime!(2026-01-13 10:00 UTC);
        let times = ReportTimes {
            responded_at: Some(triaged_at),
            triaged_at: Some(triaged_at),
            assigned_at: Some(assigned_at),
            ..received()
        };
        let first_due = assigned_at + Duration::days(14);
        assert_eq!(due(&times, first_due - Duration::seconds(1)), []);
        let owed = (Reminder::FinderUpdate, first_due, ClockStatus::Overdue);
        assert_eq!(due(&times, first_due), [owed]);
        let written = ReportTimes {
            last_update_at: Some(first_due + Duration::hours(2)),
            ..times
        };
        assert_eq!(due(&written, first_due + Duration::days(3)), []);
        assert_eq!(
            due(&written, first_due + Duration::days(15)),
            [(
                Reminder::FinderUpdate,
                first_due + Duration::days(14) + Duration::hours(2),
                ClockStatus::Overdue
            )]
        );
    }

    #[test]
    fn names_are_distinct() {
        let all = [
            Reminder::FirstResponse,
            Reminder::Triage,
            Reminder::Fix,
            Reminder::FinderUpdate,
        ];
        let names: std::collections::HashSet<&str> = all.iter().map(|r| r.as_str()).collect();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn the_fix_clock_follows_the_reports_severity() {
        let triaged_at = datetime!(2026-01-12 10:00 UTC);
        let times = ReportTimes {
            responded_at: Some(triaged_at),
            triaged_at: Some(triaged_at),
            severity: Some(Severity::Critical),
            ..received()
        };
        let rules = Policy {
            remediation: RemediationTargets {
                critical: Rule::CalendarDays(7),
                ..RemediationTargets::default()
            },
            ..Policy::default()
        };
        let reminders = due_reminders(
            &times,
            &rules,
            &Calendar::default(),
            triaged_at + Duration::days(8),
        )
        .expect("countable");
        assert_eq!(reminders.len(), 1);
        assert_eq!(reminders[0].due_at, triaged_at + Duration::days(7));
        assert_eq!(reminders[0].status, ClockStatus::Overdue);
    }
}
