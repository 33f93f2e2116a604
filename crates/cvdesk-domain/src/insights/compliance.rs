//! Deadline compliance: which clocks were met, and the deadlines the store compares with.
//!
//! The store cannot work out a business calendar in SQL, so the domain hands it a table
//! for the days the clocks started on: a working-day deadline depends only on the local day
//! a clock starts in (see the `sla` module), so one deadline per day serves every report
//! that arrived that day. A calendar-day deadline is a fixed number of seconds after the
//! start and needs no table.

use std::ops::Range;

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::sla::{Calendar, DeadlineError, LocalTime, Rule};

/// The deadline clocks a report runs (the `sla` module's clocks, named for statistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaClock {
    /// From receipt to the first message to the finder or change of state.
    FirstResponse,
    /// From receipt to leaving `new`.
    Triage,
    /// From triage to remediated.
    Remediation,
}

impl SlaClock {
    pub const ALL: [SlaClock; 3] = [
        SlaClock::FirstResponse,
        SlaClock::Triage,
        SlaClock::Remediation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaClock::FirstResponse => "first_response",
            SlaClock::Triage => "triage",
            SlaClock::Remediation => "remediation",
        }
    }

    /// In a heading: "Time to first response".
    pub fn label(self) -> &'static str {
        match self {
            SlaClock::FirstResponse => "first response",
            SlaClock::Triage => "triage",
            SlaClock::Remediation => "remediation",
        }
    }
}

/// How a group of clocks stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClockCounts {
    /// Stopped at or before the deadline.
    pub met: u64,
    /// Stopped after it.
    pub missed: u64,
    /// Still running, past it.
    pub overdue: u64,
    /// Still running, within it: not decided yet.
    pub running: u64,
}

impl ClockCounts {
    /// Clocks whose outcome is known: met, missed or overdue.
    pub fn decided(&self) -> u64 {
        self.met + self.missed + self.overdue
    }

    /// The share of decided clocks that were met, from 0 to 1; `None` before any is
    /// decided.
    pub fn compliance(&self) -> Option<f64> {
        let decided = self.decided();
        (decided > 0).then(|| self.met as f64 / decided as f64)
    }
}

impl std::ops::Add for ClockCounts {
    type Output = ClockCounts;

    fn add(self, other: ClockCounts) -> ClockCounts {
        ClockCounts {
            met: self.met + other.met,
            missed: self.missed + other.missed,
            overdue: self.overdue + other.overdue,
            running: self.running + other.running,
        }
    }
}

/// How the store finds a clock's deadline from its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deadlines {
    /// Exactly this long after the start (calendar days at a fixed offset).
    After(Duration),
    /// By the day the clock started (working days).
    ByDay(DeadlineTable),
    /// The same local time so many local days later (calendar days in a time zone, where a
    /// span across a daylight-saving change is an hour longer or shorter).
    LocalDays(LocalDaysTable),
}

/// Calendar-day deadlines in a time zone: the span in days, and the zone's offset changes
/// around the starts asked for, all in microseconds since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDaysTable {
    days: u32,
    /// The instants whose offsets `changes` gives; outside them the calendar decides.
    covered: Range<i64>,
    /// The offset from UTC before the first change.
    first_offset: i64,
    /// (when the offset changes, the offset from then on), in order.
    changes: Vec<(i64, i64)>,
    /// Asked for the deadlines that fall near a change, where the local time may be skipped
    /// or repeated.
    calendar: Calendar,
}

/// How near a change of offset a deadline is left to the calendar: more than any change
/// in the tz database.
const NEAR_CHANGE: i64 = 3 * 3_600 * 1_000_000;

impl LocalDaysTable {
    fn offset_at(&self, at: i64) -> i64 {
        match self.changes.partition_point(|&(change, _)| change <= at) {
            0 => self.first_offset,
            after => self.changes[after - 1].1,
        }
    }

    /// The deadline of a clock that started at `start`: the same local time `days` later.
    /// Away from a change that is `start` plus whole days plus the difference in offset;
    /// near one the calendar resolves it.
    pub fn due_for(&self, start: i64) -> Option<i64> {
        let whole_days = i64::from(self.days).checked_mul(86_400 * 1_000_000)?;
        let same_offset = start.checked_add(whole_days)?;
        let next = self
            .changes
            .partition_point(|&(change, _)| change <= same_offset.saturating_sub(NEAR_CHANGE));
        let near = self
            .changes
            .get(next)
            .is_some_and(|&(change, _)| change <= same_offset.saturating_add(NEAR_CHANGE));
        let covered = self.covered.contains(&start) && self.covered.contains(&same_offset);
        if near || !covered {
            let due = self
                .calendar
                .add_calendar_days(from_epoch_micros(start)?, self.days)
                .ok()?;
            return epoch_micros(due).ok();
        }
        same_offset.checked_add(self.offset_at(start) - self.offset_at(same_offset))
    }
}

/// Deadlines by start day. Starts fall into the calendar's local days, each from just
/// after one local midnight up to and including the next (a start at exactly midnight is
/// the end of the day before); all starts of one such day share a first counted working
/// day and so a deadline. Days are found by their bounds, not counted in 24-hour steps:
/// in a time zone with daylight-saving time a local day is 23 or 25 hours long twice a
/// year.
///
/// Instants are microseconds since the epoch, as the store counts them: a long period
/// looks up a deadline for each of hundreds of thousands of reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineTable {
    /// Where the first day begins: starts at or before it are not covered.
    pub after: i64,
    /// (the local midnight that ends a day, the deadline of the starts within it), every
    /// day of the starts asked for, in order.
    pub dues: Vec<(i64, i64)>,
}

impl DeadlineTable {
    /// The deadline of a clock that started at `start`, when the table covers it.
    pub fn due_for(&self, start: i64) -> Option<i64> {
        if start <= self.after {
            return None;
        }
        let day = self.dues.partition_point(|&(end, _)| end < start);
        self.dues.get(day).map(|&(_, due)| due)
    }
}

/// `at` in microseconds since the epoch.
pub fn epoch_micros(at: OffsetDateTime) -> Result<i64, DeadlineError> {
    i64::try_from(at.unix_timestamp_nanos() / 1000).map_err(|_| DeadlineError::OutOfRange)
}

/// The instant `micros` microseconds after the epoch.
pub fn from_epoch_micros(micros: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).ok()
}

impl Deadlines {
    /// The deadlines under `rule` of clocks that start within `starts` (both ends
    /// included).
    pub fn for_rule(
        rule: Rule,
        calendar: &Calendar,
        starts: Range<OffsetDateTime>,
    ) -> Result<Deadlines, DeadlineError> {
        match rule {
            Rule::CalendarDays(days) => {
                let span = Duration::days(i64::from(days));
                let LocalTime::Zone { .. } = calendar.local_time() else {
                    return Ok(Deadlines::After(span));
                };
                // The offsets of every start and deadline asked for, with a day either side.
                let first = starts.start - Duration::DAY;
                let last = starts.end.max(starts.start) + span + Duration::DAY;
                let micros =
                    |offset: time::UtcOffset| i64::from(offset.whole_seconds()) * 1_000_000;
                let changes = calendar
                    .local_time()
                    .offset_changes(first..last)
                    .into_iter()
                    .map(|(at, offset)| Ok((epoch_micros(at)?, micros(offset))))
                    .collect::<Result<_, DeadlineError>>()?;
                Ok(Deadlines::LocalDays(LocalDaysTable {
                    days,
                    covered: epoch_micros(first)?..epoch_micros(last)?,
                    first_offset: micros(calendar.local_time().offset_at(first)),
                    changes,
                    calendar: calendar.clone(),
                }))
            }
            Rule::WorkingDays(_) => {
                let first = calendar.local_date(starts.start)?;
                let last = calendar.local_date(starts.end.max(starts.start))?;
                let day_before = first.previous_day().ok_or(DeadlineError::OutOfRange)?;
                let mut dues = Vec::new();
                // Each day from the one before the first start's (which ends at its
                // midnight, a start there included) to the last start's.
                let mut date = Some(day_before);
                while let Some(day) = date.filter(|day| *day <= last) {
                    let next = day.next_day().ok_or(DeadlineError::OutOfRange)?;
                    let end = calendar.start_of_day(next);
                    dues.push((
                        epoch_micros(end)?,
                        epoch_micros(rule.due_at(calendar, end)?)?,
                    ));
                    date = Some(next);
                }
                Ok(Deadlines::ByDay(DeadlineTable {
                    after: epoch_micros(calendar.start_of_day(day_before))?,
                    dues,
                }))
            }
        }
    }

    /// The deadline of a clock that started at `start`.
    pub fn due_for(&self, start: OffsetDateTime) -> Option<OffsetDateTime> {
        let start = epoch_micros(start).ok()?;
        self.due_for_micros(start).and_then(from_epoch_micros)
    }

    /// The same in microseconds since the epoch.
    pub fn due_for_micros(&self, start: i64) -> Option<i64> {
        match self {
            Deadlines::After(span) => {
                start.checked_add(i64::try_from(span.whole_microseconds()).ok()?)
            }
            Deadlines::ByDay(table) => table.due_for(start),
            Deadlines::LocalDays(table) => table.due_for(start),
        }
    }
}

/// Where one clock that is due at `due` and stopped at `done` stands at `now` (instants,
/// or microseconds since the epoch).
pub fn judge<T: Ord>(due: T, done: Option<T>, now: T) -> ClockCounts {
    let mut counts = ClockCounts::default();
    match done {
        Some(done) if done <= due => counts.met = 1,
        Some(_) => counts.missed = 1,
        None if now >= due => counts.overdue = 1,
        None => counts.running = 1,
    }
    counts
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::datetime;
    use time::UtcOffset;

    use super::*;
    use crate::sla::Holidays;

    fn calendar(offset: UtcOffset) -> Calendar {
        Calendar::new(
            [time::Weekday::Saturday, time::Weekday::Sunday],
            [time::macros::date!(2026 - 01 - 12)]
                .into_iter()
                .collect::<Holidays>(),
            offset,
        )
        .expect("calendar")
    }

    /// A calendar in the IANA time zone `zone`.
    fn zoned(zone: &str) -> Calendar {
        Calendar::in_local_time(
            [time::Weekday::Saturday, time::Weekday::Sunday],
            Holidays::default(),
            crate::sla::LocalTime::zone(zone).expect("zone"),
        )
        .expect("calendar")
    }

    /// The deadlines under `rule` for clocks from `first` to the last of `starts` give each
    /// start the deadline the calendar gives it.
    fn agrees_with_the_calendar(
        rule: Rule,
        calendar: &Calendar,
        first: OffsetDateTime,
        starts: &[OffsetDateTime],
    ) -> Result<(), TestCaseError> {
        let last = starts.iter().copied().max().expect("one start");
        let deadlines = Deadlines::for_rule(rule, calendar, first..last).expect("table");
        for &start in starts {
            prop_assert_eq!(
                deadlines.due_for(start),
                Some(rule.due_at(calendar, start).expect("due")),
                "start {}",
                start
            );
        }
        Ok(())
    }

    #[test]
    fn compliance_is_the_met_share_of_decided_clocks() {
        let counts = ClockCounts {
            met: 3,
            missed: 1,
            overdue: 0,
            running: 7,
        };
        assert_eq!(counts.compliance(), Some(0.75));
        let counts = ClockCounts {
            overdue: 4,
            ..counts
        };
        assert_eq!(counts.compliance(), Some(3.0 / 8.0));
        assert_eq!(ClockCounts::default().compliance(), None);
    }

    #[test]
    fn judging_follows_the_clock_rules() {
        let due = datetime!(2026-01-17 00:00 UTC);
        let now = datetime!(2026-02-01 00:00 UTC);
        assert_eq!(judge(due, Some(due), now).met, 1);
        assert_eq!(
            judge(due, Some(due + Duration::microseconds(1)), now).missed,
            1
        );
        assert_eq!(judge(due, None, now).overdue, 1);
        assert_eq!(judge(due, None, due - Duration::SECOND).running, 1);
    }

    #[test]
    fn a_start_at_midnight_belongs_to_the_day_before() {
        let calendar = calendar(UtcOffset::UTC);
        let table = match Deadlines::for_rule(
            Rule::WorkingDays(5),
            &calendar,
            datetime!(2026-01-09 00:00 UTC)..datetime!(2026-01-10 12:00 UTC),
        ) {
            Ok(Deadlines::ByDay(table)) => table,
            other => panic!("{other:?}"),
        };
        let micros = |at| epoch_micros(at).expect("micros");
        assert_eq!(table.after, micros(datetime!(2026-01-08 00:00 UTC)));
        assert_eq!(
            table.dues.iter().map(|&(end, _)| end).collect::<Vec<_>>(),
            [
                micros(datetime!(2026-01-09 00:00 UTC)),
                micros(datetime!(2026-01-10 00:00 UTC)),
                micros(datetime!(2026-01-11 00:00 UTC))
            ]
        );
        let due = |start| table.due_for(micros(start)).expect("covered");
        assert_eq!(
            due(datetime!(2026-01-09 00:00 UTC)),
            due(datetime!(2026-01-08 10:00 UTC))
        );
        assert_ne!(
            due(datetime!(2026-01-09 00:00 UTC)),
            due(datetime!(2026-01-09 00:00:00.000001 UTC))
        );
        assert_eq!(
            due(datetime!(2026-01-10 00:00 UTC)),
            due(datetime!(2026-01-09 00:00:00.000001 UTC))
        );
        assert_eq!(table.due_for(micros(datetime!(2026-01-08 00:00 UTC))), None);
        assert_eq!(
            table.due_for(micros(datetime!(2026-01-11 00:00:01 UTC))),
            None
        );
    }

    proptest! {
        /// The table gives every start the deadline the calendar gives it.
        #[test]
        fn the_table_agrees_with_the_calendar(
            first in 0i64..400 * 86_400,
            offsets in proptest::collection::vec(0i64..20 * 86_400_000_000, 1..40),
            days in 0u32..15,
            hours in -11i8..12,
            midnight in any::<bool>(),
        ) {
            let offset = UtcOffset::from_hms(hours, 0, 0).expect("offset");
            let calendar = calendar(offset);
            let first = datetime!(2025-06-01 00:00 UTC) + Duration::seconds(first);
            let starts: Vec<OffsetDateTime> = offsets
                .iter()
                .map(|&micros| {
                    let start = first + Duration::microseconds(micros);
                    if midnight {
                        // Exactly a local midnight: the day itself counts.
                        calendar.start_of_day(calendar.local_date(start).expect("date"))
                            .max(first)
                    } else {
                        start
                    }
                })
                .collect();
            agrees_with_the_calendar(Rule::WorkingDays(days), &calendar, first, &starts)?;
        }
    }

    proptest! {
        /// In a time zone with daylight-saving time, local days are 23 or 25 hours long
        /// twice a year; every start still gets the deadline the calendar gives it.
        #[test]
        fn the_table_agrees_with_a_calendar_across_daylight_saving(
            first in 0i64..400 * 86_400,
            offsets in proptest::collection::vec(0i64..40 * 86_400_000_000, 1..40),
            days in 0u32..15,
            zone in proptest::sample::select(vec![
                "Europe/Berlin", "America/New_York", "Australia/Sydney", "America/Havana",
            ]),
        ) {
            let calendar = zoned(zone);
            let first = datetime!(2025-02-15 00:00 UTC) + Duration::seconds(first);
            let starts: Vec<OffsetDateTime> = offsets
                .iter()
                .map(|&micros| first + Duration::microseconds(micros))
                .collect();
            agrees_with_the_calendar(Rule::WorkingDays(days), &calendar, first, &starts)?;
        }
    }

    proptest! {
        /// Calendar days in a time zone: every start gets the deadline the calendar gives
        /// it, the same local time so many days later, also when that falls in the hour a
        /// change skips or repeats.
        #[test]
        fn calendar_days_agree_with_the_calendar_across_daylight_saving(
            first in 0i64..400 * 86_400,
            offsets in proptest::collection::vec(0i64..60 * 86_400_000_000, 1..30),
            near in proptest::collection::vec(-6 * 3_600i64..6 * 3_600, 0..10),
            days in 0u32..400,
            zone in proptest::sample::select(vec![
                "Europe/Berlin", "America/New_York", "Australia/Sydney", "America/Havana",
                "Asia/Tokyo",
            ]),
        ) {
            let calendar = zoned(zone);
            let first = datetime!(2025-02-15 00:00 UTC) + Duration::seconds(first);
            let span = Duration::days(i64::from(days));
            let mut starts: Vec<OffsetDateTime> = offsets
                .iter()
                .map(|&micros| first + Duration::microseconds(micros))
                .collect();
            // Starts whose deadline falls within hours of a change.
            let changes = calendar
                .local_time()
                .offset_changes(first + span..first + span + Duration::days(60));
            for (change, seconds) in changes.iter().zip(&near) {
                let start = change.0 - span + Duration::seconds(*seconds);
                if start >= first {
                    starts.push(start);
                }
            }
            agrees_with_the_calendar(Rule::CalendarDays(days), &calendar, first, &starts)?;
        }
    }

    #[test]
    fn calendar_days_need_no_table() {
        let deadlines = Deadlines::for_rule(
            Rule::CalendarDays(90),
            &Calendar::default(),
            datetime!(2026-01-01 00:00 UTC)..datetime!(2026-02-01 00:00 UTC),
        )
        .expect("rule");
        assert_eq!(deadlines, Deadlines::After(Duration::days(90)));
        assert_eq!(
            deadlines.due_for(datetime!(2026-01-01 09:30 UTC)),
            Some(datetime!(2026-04-01 09:30 UTC))
        );
    }
}
