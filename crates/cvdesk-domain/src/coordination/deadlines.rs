//! A participant's deadlines, on the desk's SLA engine and business calendar: acknowledge
//! within N business days of the invitation, a status by a date, a fix by a target. The
//! defaults come from the desk's settings, then the supplier's service agreement, then
//! whatever the coordinator sets for this participant. Reminders come due from the same
//! clocks: each is sent once, and a participant silent past its acknowledgement deadline
//! becomes unresponsive.

use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};

use super::agreement::ServiceAgreement;
use super::contact::ContactStatus;
use crate::sla::{Calendar, ClockStatus, Deadline, DeadlineError, Rule};

/// The desk's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineRules {
    pub acknowledge_business_days: u32,
    pub status_business_days: u32,
    pub fix_calendar_days: u32,
}

impl Default for DeadlineRules {
    /// Five business days to acknowledge, as the desk promises finders; ten to say
    /// whether they are affected; ninety calendar days to fix.
    fn default() -> Self {
        DeadlineRules {
            acknowledge_business_days: 5,
            status_business_days: 10,
            fix_calendar_days: 90,
        }
    }
}

/// What the coordinator sets for one participant, each optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeadlineChoice {
    pub acknowledge_business_days: Option<u32>,
    /// The last day a status is due.
    pub status_by: Option<Date>,
    /// The last day of the fix target.
    pub fix_by: Option<Date>,
}

/// Most business days to acknowledge a coordinator may set.
pub const MAX_ACKNOWLEDGE_DAYS: u32 = 60;

/// One participant's clocks, from its invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ParticipantDeadlines {
    #[serde(with = "time::serde::rfc3339")]
    pub acknowledge_by: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub status_by: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub fix_by: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineChoiceError {
    #[error("at most {MAX_ACKNOWLEDGE_DAYS} business days")]
    AcknowledgeTooLong,
    #[error("the date {0} has passed")]
    Past(Date),
    #[error(transparent)]
    Calendar(#[from] DeadlineError),
}

impl DeadlineRules {
    /// The deadlines of a participant invited at `contacted_at`: the coordinator's
    /// choice first, then the supplier's agreement, then the desk's defaults. A date is
    /// due at the end of that day on `calendar`.
    pub fn deadlines(
        &self,
        contacted_at: OffsetDateTime,
        agreement: Option<&ServiceAgreement>,
        choice: &DeadlineChoice,
        calendar: &Calendar,
    ) -> Result<ParticipantDeadlines, DeadlineChoiceError> {
        let acknowledge_days = choice
            .acknowledge_business_days
            .or(agreement.and_then(|a| a.acknowledge_business_days))
            .unwrap_or(self.acknowledge_business_days);
        if acknowledge_days > MAX_ACKNOWLEDGE_DAYS {
            return Err(DeadlineChoiceError::AcknowledgeTooLong);
        }
        let end_of = |date: Date| -> Result<OffsetDateTime, DeadlineChoiceError> {
            let next = date.next_day().ok_or(DeadlineError::OutOfRange)?;
            let due = calendar.start_of_day(next);
            if due <= contacted_at {
                return Err(DeadlineChoiceError::Past(date));
            }
            Ok(due)
        };
        let acknowledge_by = Rule::WorkingDays(acknowledge_days).due_at(calendar, contacted_at)?;
        let status_by = match choice.status_by {
            Some(date) => end_of(date)?,
            None => Rule::WorkingDays(self.status_business_days).due_at(calendar, contacted_at)?,
        };
        let fix_days = agreement.map_or(self.fix_calendar_days, |a| a.mitigation_days);
        let fix_by = match choice.fix_by {
            Some(date) => end_of(date)?,
            None => Rule::CalendarDays(fix_days).due_at(calendar, contacted_at)?,
        };
        Ok(ParticipantDeadlines {
            acknowledge_by,
            status_by,
            fix_by,
        })
    }
}

/// Where a participant stands, as the reminders need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParticipantFacts {
    pub contact: ContactStatus,
    /// When it first answered (acknowledged, declined, or stated anything).
    pub answered_at: Option<OffsetDateTime>,
    /// When it first gave a status other than `not_checked`.
    pub first_status_at: Option<OffsetDateTime>,
    /// When every product it stated was fixed or not affected.
    pub resolved_at: Option<OffsetDateTime>,
}

/// A reminder a participant's clocks call for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParticipantReminder {
    /// The acknowledgement deadline is near.
    AcknowledgeSoon,
    /// It passed unanswered: the participant is now unresponsive.
    Unresponsive,
    StatusSoon,
    StatusMissed,
    FixSoon,
    FixMissed,
}

impl ParticipantReminder {
    /// The key the store records it under, so it is sent once.
    pub fn key(self) -> &'static str {
        match self {
            ParticipantReminder::AcknowledgeSoon => "acknowledge_soon",
            ParticipantReminder::Unresponsive => "unresponsive",
            ParticipantReminder::StatusSoon => "status_soon",
            ParticipantReminder::StatusMissed => "status_missed",
            ParticipantReminder::FixSoon => "fix_soon",
            ParticipantReminder::FixMissed => "fix_missed",
        }
    }

    /// Whether the coordinator is told (the participant is told of every one but
    /// `Unresponsive`, which is the coordinator's to act on).
    pub fn tells_coordinator(self) -> bool {
        matches!(
            self,
            ParticipantReminder::Unresponsive
                | ParticipantReminder::StatusMissed
                | ParticipantReminder::FixMissed
        )
    }

    pub fn tells_participant(self) -> bool {
        self != ParticipantReminder::Unresponsive
    }
}

/// The clock of `deadline` from `started_at`, at risk for its last fifth (at least a day).
fn clock(started_at: OffsetDateTime, due_at: OffsetDateTime) -> Deadline {
    let span = due_at - started_at;
    let fifth: Duration = span / 5;
    let margin = fifth.max(Duration::days(1)).min(span.max(Duration::ZERO));
    Deadline {
        started_at,
        due_at,
        at_risk_from: due_at - margin,
    }
}

/// The reminders due at `now` for a participant invited at `contacted_at`. A declined
/// participant is reminded of nothing.
pub fn due_reminders(
    contacted_at: OffsetDateTime,
    deadlines: &ParticipantDeadlines,
    facts: &ParticipantFacts,
    now: OffsetDateTime,
) -> Vec<ParticipantReminder> {
    if matches!(
        facts.contact,
        ContactStatus::Declined | ContactStatus::NotContacted
    ) {
        return Vec::new();
    }
    let mut due = Vec::new();
    let checks = [
        (
            deadlines.acknowledge_by,
            facts.answered_at,
            ParticipantReminder::AcknowledgeSoon,
            ParticipantReminder::Unresponsive,
        ),
        (
            deadlines.status_by,
            facts.first_status_at,
            ParticipantReminder::StatusSoon,
            ParticipantReminder::StatusMissed,
        ),
        (
            deadlines.fix_by,
            facts.resolved_at,
            ParticipantReminder::FixSoon,
            ParticipantReminder::FixMissed,
        ),
    ];
    for (due_at, done_at, soon, missed) in checks {
        match clock(contacted_at, due_at).status(done_at, now) {
            ClockStatus::AtRisk => due.push(soon),
            ClockStatus::Overdue => due.push(missed),
            ClockStatus::Due | ClockStatus::Met | ClockStatus::Missed => {}
        }
    }
    due
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};
    use time::UtcOffset;

    use super::*;
    use crate::coordination::agreement::CostBearer;
    use crate::sla::Holidays;

    fn calendar() -> Calendar {
        Calendar::new(
            [time::Weekday::Saturday, time::Weekday::Sunday],
            Holidays::default(),
            UtcOffset::UTC,
        )
        .expect("calendar")
    }

    /// Invited on Tuesday 5 January 2027 at 09:00.
    const INVITED: OffsetDateTime = datetime!(2027-01-05 09:00 UTC);

    #[test]
    fn defaults_then_agreement_then_choice() {
        let rules = DeadlineRules::default();
        let plain = rules
            .deadlines(INVITED, None, &DeadlineChoice::default(), &calendar())
            .expect("deadlines");
        // Five business days: Wed 6 to Tue 12, due at the end of Tuesday.
        assert_eq!(plain.acknowledge_by, datetime!(2027-01-13 00:00 UTC));
        assert_eq!(plain.status_by, datetime!(2027-01-20 00:00 UTC));
        assert_eq!(plain.fix_by, INVITED + Duration::days(90));

        let agreement = ServiceAgreement {
            cost_bearer: CostBearer::Supplier,
            mitigation_days: 30,
            acknowledge_business_days: Some(2),
            reference: None,
        };
        let agreed = rules
            .deadlines(
                INVITED,
                Some(&agreement),
                &DeadlineChoice::default(),
                &calendar(),
            )
            .expect("deadlines");
        assert_eq!(agreed.acknowledge_by, datetime!(2027-01-08 00:00 UTC));
        assert_eq!(agreed.fix_by, INVITED + Duration::days(30));

        let chosen = rules
            .deadlines(
                INVITED,
                Some(&agreement),
                &DeadlineChoice {
                    acknowledge_business_days: Some(1),
                    status_by: Some(date!(2027 - 01 - 15)),
                    fix_by: Some(date!(2027 - 02 - 01)),
                },
                &calendar(),
            )
            .expect("deadlines");
        assert_eq!(chosen.acknowledge_by, datetime!(2027-01-07 00:00 UTC));
        assert_eq!(chosen.status_by, datetime!(2027-01-16 00:00 UTC));
        assert_eq!(chosen.fix_by, datetime!(2027-02-02 00:00 UTC));
    }

    #[test]
    fn choices_that_cannot_be_met_are_refused() {
        let rules = DeadlineRules::default();
        let past = DeadlineChoice {
            status_by: Some(date!(2027 - 01 - 04)),
            ..DeadlineChoice::default()
        };
        assert_eq!(
            rules.deadlines(INVITED, None, &past, &calendar()),
            Err(DeadlineChoiceError::Past(date!(2027 - 01 - 04)))
        );
        let long = DeadlineChoice {
            acknowledge_business_days: Some(61),
            ..DeadlineChoice::default()
        };
        assert_eq!(
            rules.deadlines(INVITED, None, &long, &calendar()),
            Err(DeadlineChoiceError::AcknowledgeTooLong)
        );
    }

    fn facts(contact: ContactStatus) -> ParticipantFacts {
        ParticipantFacts {
            contact,
            answered_at: None,
            first_status_at: None,
            resolved_at: None,
        }
    }

    #[test]
    fn reminders_as_the_clocks_run() {
        let deadlines = DeadlineRules::default()
            .deadlines(INVITED, None, &DeadlineChoice::default(), &calendar())
            .expect("deadlines");
        let silent = facts(ContactStatus::Contacted);
        let at = |now| due_reminders(INVITED, &deadlines, &silent, now);
        assert_eq!(at(datetime!(2027-01-06 09:00 UTC)), []);
        assert_eq!(
            at(datetime!(2027-01-12 12:00 UTC)),
            [ParticipantReminder::AcknowledgeSoon]
        );
        assert_eq!(
            at(datetime!(2027-01-13 00:00 UTC)),
            [ParticipantReminder::Unresponsive]
        );
        assert_eq!(
            at(datetime!(2027-01-20 00:00 UTC)),
            [
                ParticipantReminder::Unresponsive,
                ParticipantReminder::StatusMissed
            ]
        );
        let answered = ParticipantFacts {
            answered_at: Some(datetime!(2027-01-06 10:00 UTC)),
            first_status_at: Some(datetime!(2027-01-06 10:00 UTC)),
            ..facts(ContactStatus::Acknowledged)
        };
        assert_eq!(
            due_reminders(
                INVITED,
                &deadlines,
                &answered,
                datetime!(2027-03-30 00:00 UTC)
            ),
            [ParticipantReminder::FixSoon]
        );
        assert_eq!(
            due_reminders(
                INVITED,
                &deadlines,
                &answered,
                datetime!(2027-04-05 09:00 UTC)
            ),
            [ParticipantReminder::FixMissed]
        );
        let resolved = ParticipantFacts {
            resolved_at: Some(datetime!(2027-02-01 00:00 UTC)),
            ..answered
        };
        assert_eq!(
            due_reminders(
                INVITED,
                &deadlines,
                &resolved,
                datetime!(2027-06-01 00:00 UTC)
            ),
            []
        );
        assert_eq!(
            due_reminders(
                INVITED,
                &deadlines,
                &facts(ContactStatus::Declined),
                datetime!(2027-06-01 00:00 UTC)
            ),
            []
        );
    }

    #[test]
    fn who_hears_of_each_reminder() {
        assert!(ParticipantReminder::Unresponsive.tells_coordinator());
        assert!(!ParticipantReminder::Unresponsive.tells_participant());
        assert!(ParticipantReminder::AcknowledgeSoon.tells_participant());
        assert!(!ParticipantReminder::AcknowledgeSoon.tells_coordinator());
        assert!(ParticipantReminder::FixMissed.tells_coordinator());
        assert!(ParticipantReminder::FixMissed.tells_participant());
    }
}
