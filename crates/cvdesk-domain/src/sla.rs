//! Deadline clocks: how long the desk has to acknowledge, triage and remediate a report,
//! counted on the organization's business calendar, and whether each clock is met, missed
//! or running out. Mail reminders and the staff "due this week" view read these clocks.
//! Nothing here reads the machine's clock: `now` is always an argument.
//!
//! # Working days
//!
//! Only whole local days count. A working day counts when it begins at or after the moment
//! the clock starts, so the day a report arrives does not count (unless it arrived at
//! exactly local midnight, when none of that day has passed). The deadline is the end of
//! the n-th counted working day: the local midnight that follows it, in the calendar's UTC
//! offset.
//!
//! A report received on Friday 9 January 2026 at 17:00 with five working days is due at the
//! end of Friday 16 January, which is `2026-01-17 00:00` local. Received on a Saturday, the
//! following Monday is the first day. Zero working days is the end of the day of receipt.
//!
//! Because a deadline is itself a local midnight, clocks compose: n working days and then m
//! more is n + m working days, and `working_days_between(start, add_working_days(start, n))`
//! is exactly n.
//!
//! # Calendar days
//!
//! n calendar days are exactly n × 24 hours from the start, to the second: a remediation
//! target is a promise to the finder measured like an embargo, not office hours.
//!
//! # At risk
//!
//! An open clock is at risk once only a fifth of its days, rounded up, remain, counted in
//! the rule's own days: five working days are at risk on the last working day, ten on the
//! last two, ninety calendar days for the last eighteen. So any clock of at least one day
//! warns at least a day ahead.
//!
//! # Time zone
//!
//! A calendar has one fixed UTC offset. Resolving a named zone, and which side of a
//! daylight-saving change a date is on, is the caller's job: it passes the offset in force.

mod calendar;
mod clock;
mod policy;
mod reminders;
mod updates;

pub use calendar::{
    Calendar, DeadlineError, HolidayLineError, Holidays, NoWorkingWeekday, MAX_DAYS_WITHOUT_WORK,
};
pub use clock::{ClockStatus, Deadline};
pub use policy::{Policy, RemediationTargets, Rule};
pub use reminders::{due_reminders, running_clocks, DueReminder, Reminder, ReportTimes};
pub use updates::{
    may_request_update, next_update_due, UpdateRequestTooSoon, UPDATE_INTERVAL,
    UPDATE_REQUEST_INTERVAL,
};
