//! How the disclosure process performs (ETSI TR 103 838 clause 5.6.1): how long reports
//! wait for a first response, for triage and for remediation, how often the deadline
//! clocks are met, how many reports are open week by week, where they come from and what
//! they are about. Pure statistics: the store reads or counts in the database, and the
//! rules here turn what it hands over into figures.
//!
//! # Medians and the 90th percentile
//!
//! Exact, from every duration of the group: the store reads the period's durations in one
//! pass and [`quantile`] puts them in order.
//!
//! - The median of n values is the middle one, or the mean of the two middle ones when n
//!   is even.
//! - The 90th percentile is the nearest-rank value: the smallest value with at least 90 %
//!   of the values at or below it, the ⌈0.9 n⌉-th in order.
//!
//! Durations are whole seconds (each instant cut to its second), so both backends count
//! the same.
//!
//! # Deadlines met
//!
//! A clock is met when it stopped at or before its deadline, missed when it stopped after,
//! overdue when it is still running past it. Compliance is the share of met clocks among
//! those decided (met, missed, overdue); clocks still within their time do not count yet.
//! [`compliance`] turns a rule and calendar into a table of deadlines by local start day,
//! which the store looks each clock up in (a local day is found by its midnights, so days
//! of 23 or 25 hours in a daylight-saving time zone count right).
//!
//! # Weeks
//!
//! A [`period`] is cut into weeks counted back from its end, so the last week ends with the
//! period and only the first may be shorter. A time belongs to the first week that ends at
//! or after it.

pub mod compliance;
pub mod period;
pub mod quantile;

pub use compliance::{
    epoch_micros, from_epoch_micros, judge, ClockCounts, DeadlineTable, Deadlines, SlaClock,
};
pub use period::{Period, PeriodError, WeekFlows, MAX_PERIOD_DAYS};
pub use quantile::DurationSummary;
