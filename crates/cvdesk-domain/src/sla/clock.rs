//! One running clock: when it started, when it is due, from when it is at risk, and where
//! it stands at a given moment.

use std::ops::Range;

use serde::Serialize;
use time::OffsetDateTime;

use super::calendar::{Calendar, DeadlineError};
use super::policy::Rule;

/// The at-risk margin is this fraction (1/5) of a rule's days, rounded up.
const AT_RISK_PARTS: u32 = 5;

/// A clock's deadline, worked out once so a page listing many clocks needs no calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub started_at: OffsetDateTime,
    pub due_at: OffsetDateTime,
    /// When an open clock turns from due to at risk; never after `due_at`.
    pub at_risk_from: OffsetDateTime,
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    /// Open, with more than the at-risk margin left.
    Due,
    /// Open, within the at-risk margin.
    AtRisk,
    /// Open and past its deadline.
    Overdue,
    /// Done on or before the deadline.
    Met,
    /// Done after the deadline.
    Missed,
}

impl ClockStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockStatus::Due => "due",
            ClockStatus::AtRisk => "at_risk",
            ClockStatus::Overdue => "overdue",
            ClockStatus::Met => "met",
            ClockStatus::Missed => "missed",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(
            self,
            ClockStatus::Due | ClockStatus::AtRisk | ClockStatus::Overdue
        )
    }
}

impl Deadline {
    /// The deadline of a clock under `rule` that started at `started_at`. The at-risk
    /// margin is a fifth of the rule's days rounded up, in the rule's kind of day.
    pub fn new(
        rule: Rule,
        calendar: &Calendar,
        started_at: OffsetDateTime,
    ) -> Result<Deadline, DeadlineError> {
        let days = rule.days();
        let margin = days.div_ceil(AT_RISK_PARTS);
        Ok(Deadline {
            started_at,
            due_at: rule.due_at(calendar, started_at)?,
            at_risk_from: rule.with_days(days - margin).due_at(calendar, started_at)?,
        })
    }

    /// Where the clock stands at `now`. Once done, `now` no longer matters: the clock was
    /// met if done at or before the deadline. Open, it is overdue from the deadline on.
    pub fn status(&self, done_at: Option<OffsetDateTime>, now: OffsetDateTime) -> ClockStatus {
        match done_at {
            Some(done_at) if done_at <= self.due_at => ClockStatus::Met,
            Some(_) => ClockStatus::Missed,
            None if now >= self.due_at => ClockStatus::Overdue,
            None if now >= self.at_risk_from => ClockStatus::AtRisk,
            None => ClockStatus::Due,
        }
    }

    /// Whether the deadline falls in `window`, start included and end excluded, so
    /// consecutive weeks never list a clock twice.
    pub fn is_due_within(&self, window: &Range<OffsetDateTime>) -> bool {
        window.contains(&self.due_at)
    }
}

#[cfg(test)]
mod tests;
