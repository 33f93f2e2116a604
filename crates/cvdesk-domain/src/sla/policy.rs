//! The desk's service levels: how many days each clock runs. The defaults follow the
//! example in ETSI TR 103 838 clause 6.1 (acknowledge within five working days, triage
//! within ten) and give every severity ninety calendar days to remediate; an organization
//! overrides any of them.

use std::fmt;

use cvdesk_formats::cvss::Severity;
use time::OffsetDateTime;

use super::calendar::{Calendar, DeadlineError};

/// How long a clock runs; see the `sla` module documentation for how days are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    WorkingDays(u32),
    CalendarDays(u32),
}

impl Rule {
    pub fn days(self) -> u32 {
        match self {
            Rule::WorkingDays(days) | Rule::CalendarDays(days) => days,
        }
    }

    /// The same kind of rule with a different number of days.
    pub fn with_days(self, days: u32) -> Rule {
        match self {
            Rule::WorkingDays(_) => Rule::WorkingDays(days),
            Rule::CalendarDays(_) => Rule::CalendarDays(days),
        }
    }

    /// When a clock under this rule that started at `started_at` is due.
    pub fn due_at(
        self,
        calendar: &Calendar,
        started_at: OffsetDateTime,
    ) -> Result<OffsetDateTime, DeadlineError> {
        match self {
            Rule::WorkingDays(days) => calendar.add_working_days(started_at, days),
            Rule::CalendarDays(days) => calendar.add_calendar_days(started_at, days),
        }
    }
}

/// "5 working days", "1 calendar day": the words the policy page and the mails use.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, kind) = match self {
            Rule::WorkingDays(days) => (days, "working"),
            Rule::CalendarDays(days) => (days, "calendar"),
        };
        let unit = if *days == 1 { "day" } else { "days" };
        write!(f, "{days} {kind} {unit}")
    }
}

/// The service levels of the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// From receipt to the first reply to the finder.
    pub acknowledge: Rule,
    /// From receipt to the triage decision.
    pub triage: Rule,
    /// From triage, when the severity is known, to the fix.
    pub remediation: RemediationTargets,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            acknowledge: Rule::WorkingDays(5),
            triage: Rule::WorkingDays(10),
            remediation: RemediationTargets::default(),
        }
    }
}

/// The remediation target for each CVSS severity rating, and for reports nobody has
/// scored yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemediationTargets {
    pub critical: Rule,
    pub high: Rule,
    pub medium: Rule,
    pub low: Rule,
    pub none: Rule,
    pub unrated: Rule,
}

impl RemediationTargets {
    /// The same target for every severity.
    pub fn uniform(rule: Rule) -> Self {
        RemediationTargets {
            critical: rule,
            high: rule,
            medium: rule,
            low: rule,
            none: rule,
            unrated: rule,
        }
    }

    pub fn for_severity(&self, severity: Option<Severity>) -> Rule {
        match severity {
            Some(Severity::Critical) => self.critical,
            Some(Severity::High) => self.high,
            Some(Severity::Medium) => self.medium,
            Some(Severity::Low) => self.low,
            Some(Severity::None) => self.none,
            None => self.unrated,
        }
    }
}

impl Default for RemediationTargets {
    fn default() -> Self {
        RemediationTargets::uniform(Rule::CalendarDays(90))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn defaults_are_five_and_ten_working_days_and_ninety_calendar_days() {
        let policy = Policy::default();
        assert_eq!(policy.acknowledge, Rule::WorkingDays(5));
        assert_eq!(policy.triage, Rule::WorkingDays(10));
        for severity in [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::None,
        ] {
            assert_eq!(
                policy.remediation.for_severity(Some(severity)),
                Rule::CalendarDays(90)
            );
        }
        assert_eq!(
            policy.remediation.for_severity(None),
            Rule::CalendarDays(90)
        );
    }

    #[test]
    fn each_severity_reads_its_own_target() {
        let targets = RemediationTargets {
            critical: Rule::CalendarDays(7),
            high: Rule::CalendarDays(30),
            medium: Rule::WorkingDays(40),
            low: Rule::CalendarDays(180),
            none: Rule::CalendarDays(365),
            unrated: Rule::CalendarDays(90),
        };
        assert_eq!(
            targets.for_severity(Some(Severity::Critical)),
            Rule::CalendarDays(7)
        );
        assert_eq!(
            targets.for_severity(Some(Severity::High)),
            Rule::CalendarDays(30)
        );
        assert_eq!(
            targets.for_severity(Some(Severity::Medium)),
            Rule::WorkingDays(40)
        );
        assert_eq!(
            targets.for_severity(Some(Severity::Low)),
            Rule::CalendarDays(180)
        );
        assert_eq!(
            targets.for_severity(Some(Severity::None)),
            Rule::CalendarDays(365)
        );
        assert_eq!(targets.for_severity(None), Rule::CalendarDays(90));
    }

    #[test]
    fn rules_read_as_words() {
        assert_eq!(Rule::WorkingDays(5).to_string(), "5 working days");
        assert_eq!(Rule::WorkingDays(1).to_string(), "1 working day");
        assert_eq!(Rule::CalendarDays(90).to_string(), "90 calendar days");
        assert_eq!(Rule::CalendarDays(0).to_string(), "0 calendar days");
    }

    #[test]
    fn with_days_keeps_the_kind() {
        assert_eq!(Rule::WorkingDays(5).with_days(1), Rule::WorkingDays(1));
        assert_eq!(Rule::CalendarDays(90).with_days(72), Rule::CalendarDays(72));
        assert_eq!(Rule::CalendarDays(90).days(), 90);
    }

    #[test]
    fn due_at_counts_in_the_rules_kind_of_day() {
        let calendar = Calendar::default();
        // Friday evening: one working day is Monday, one calendar day is Saturday evening.
        let friday_evening = datetime!(2026-01-09 17:00 UTC);
        assert_eq!(
            Rule::WorkingDays(1).due_at(&calendar, friday_evening),
            Ok(datetime!(2026-01-13 00:00 UTC))
        );
        assert_eq!(
            Rule::CalendarDays(1).due_at(&calendar, friday_evening),
            Ok(datetime!(2026-01-10 17:00 UTC))
        );
    }
}
