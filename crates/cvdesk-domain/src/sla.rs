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
//! the n-th counted working day: the local midnight that follows it, in the calendar's
//! local time.
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
//! n calendar days end at the same local time of day n dates later: a remediation target
//! is a promise to the finder measured like an embargo, not office hours. With a fixed
//! offset that is exactly n × 24 hours; in a time zone it is an hour more or less when the
//! clocks change in between.
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
//! A calendar's local time is a fixed UTC offset or an IANA time zone (`LocalTime`). In a
//! zone each date's offset is the one in force that day, so a deadline is the organisation's
//! own midnight in summer and in winter, and a day is 23 or 25 hours long when the clocks
//! change. Staff see each deadline in UTC and in this local time (`local_display`).

mod calendar;
mod clock;
mod policy;
mod reminders;
mod updates;
mod zone;

pub use calendar::{
    Calendar, DeadlineError, HolidayLineError, Holidays, LocalTime, NoWorkingWeekday,
    UnknownTimeZone, MAX_DAYS_WITHOUT_WORK,
};
pub use clock::{ClockStatus, Deadline};
pub use policy::{Policy, RemediationTargets, Rule};
pub use reminders::{due_reminders, running_clocks, DueReminder, Reminder, ReportTimes};
pub use updates::{
    may_request_update, next_update_due, UpdateRequestTooSoon, UPDATE_INTERVAL,
    UPDATE_REQUEST_INTERVAL,
};
pub use zone::{ScheduleError, ScheduleZone};
