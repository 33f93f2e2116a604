//! The period a dashboard looks at, and its weeks.
//!
//! A period runs from `from` (included) to `to` (excluded). Its weeks are counted back
//! from `to`, so the last week ends at `to` and only the first may be shorter than seven
//! days. A time belongs to the first week that ends at or after it; times at or before the
//! start of the first week to week 0, times after `to` to week K + 1. A period of the
//! desk's days (`Period::of_days`) ends its weeks at local midnights, seven local days
//! apart, so a week across a daylight-saving change is 167 or 169 hours long.

use time::{Date, Duration, OffsetDateTime};

use crate::sla::Calendar;

/// The longest period a dashboard covers, and how far back it may start: ten years.
pub const MAX_PERIOD_DAYS: i64 = 3653;

/// A period's bounds are the wrong way round, too long or too far back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the start must be before the end")]
    Reversed,
    #[error("a period is at most ten years long")]
    TooLong,
    #[error("a period may start at most ten years ago")]
    TooFarBack,
}

/// A dashboard's period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    from: OffsetDateTime,
    to: OffsetDateTime,
    /// Where the first week begins, then where each week ends, in order; the last is `to`.
    bounds: Vec<OffsetDateTime>,
}

impl Period {
    /// A period whose weeks are 7 × 24 hours, counted back from `to`.
    pub fn new(
        from: OffsetDateTime,
        to: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Period, PeriodError> {
        check(from, to, now)?;
        let weeks = week_count(from, to);
        let bounds = (0..=weeks)
            .map(|k| to - Duration::WEEK * i32::try_from(weeks - k).unwrap_or(0))
            .collect();
        Ok(Period { from, to, bounds })
    }

    /// The desk's days from `first_day` to `last_day`, both included, with weeks of seven
    /// local days ending at the local midnight after `last_day`.
    pub fn of_days(
        first_day: Date,
        last_day: Date,
        calendar: &Calendar,
        now: OffsetDateTime,
    ) -> Result<Period, PeriodError> {
        let end = last_day.next_day().ok_or(PeriodError::TooLong)?;
        let (from, to) = (calendar.start_of_day(first_day), calendar.start_of_day(end));
        check(from, to, now)?;
        let weeks = (end - first_day).whole_days().div_euclid(7)
            + i64::from((end - first_day).whole_days().rem_euclid(7) > 0);
        let bounds = (0..=weeks)
            .map(|k| {
                end.checked_sub(Duration::days(7 * (weeks - k)))
                    .map_or(from, |day| calendar.start_of_day(day))
            })
            .collect();
        Ok(Period { from, to, bounds })
    }

    pub fn from(&self) -> OffsetDateTime {
        self.from
    }

    pub fn to(&self) -> OffsetDateTime {
        self.to
    }

    /// How many weeks the period has (the first may be short).
    pub fn week_count(&self) -> i64 {
        i64::try_from(self.bounds.len().saturating_sub(1)).unwrap_or(i64::MAX)
    }

    /// When each week ends, first to last; the last is `to`.
    pub fn week_ends(&self) -> &[OffsetDateTime] {
        self.bounds.get(1..).unwrap_or_default()
    }

    /// Where the first week begins, then where each week ends.
    pub fn week_bounds(&self) -> &[OffsetDateTime] {
        &self.bounds
    }

    /// The week `at` belongs to (see the module documentation).
    pub fn week_of(&self, at: OffsetDateTime) -> i64 {
        if at > self.to {
            return self.week_count() + 1;
        }
        // The bounds before `at`: at or before the first, week 0.
        i64::try_from(self.bounds.partition_point(|bound| *bound < at)).unwrap_or(i64::MAX)
    }
}

fn check(from: OffsetDateTime, to: OffsetDateTime, now: OffsetDateTime) -> Result<(), PeriodError> {
    let longest = Duration::days(MAX_PERIOD_DAYS);
    if from >= to {
        return Err(PeriodError::Reversed);
    }
    if to - from > longest {
        return Err(PeriodError::TooLong);
    }
    if now - from > longest {
        return Err(PeriodError::TooFarBack);
    }
    Ok(())
}

/// Weeks of seven days that cover `from` to `to`, the first perhaps short.
fn week_count(from: OffsetDateTime, to: OffsetDateTime) -> i64 {
    let micros = (to - from).whole_microseconds();
    let week = Duration::WEEK.whole_microseconds();
    i64::try_from((micros + week - 1) / week).unwrap_or(i64::MAX)
}

/// Counts per week, built from changes numbered by week: how many reports are open at the
/// end of each week, from how many became open and how many stopped being open in each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekFlows {
    weeks: i64,
    /// The net change per week; index 0 holds everything before the first week.
    changes: Vec<i64>,
}

impl WeekFlows {
    pub fn new(period: &Period) -> WeekFlows {
        let weeks = period.week_count();
        WeekFlows {
            weeks,
            changes: vec![0; usize::try_from(weeks + 1).unwrap_or(0)],
        }
    }

    /// Adds `count` reports that started (positive) or stopped (negative) being open in
    /// `week`; changes after the period are of no interest.
    pub fn add(&mut self, week: i64, count: i64) {
        if week > self.weeks {
            return;
        }
        if let Some(slot) = self
            .changes
            .get_mut(usize::try_from(week.max(0)).unwrap_or(0))
        {
            *slot += count;
        }
    }

    /// How many were open at the end of each week.
    pub fn open_at_week_ends(&self) -> Vec<u64> {
        let mut open = self.changes.first().copied().unwrap_or(0);
        self.changes
            .iter()
            .skip(1)
            .map(|change| {
                open += change;
                u64::try_from(open).unwrap_or(0)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-06-01 00:00 UTC);

    #[test]
    fn periods_are_checked() {
        let from = datetime!(2026-01-01 00:00 UTC);
        assert!(Period::new(from, from + Duration::DAY, NOW).is_ok());
        assert_eq!(Period::new(from, from, NOW), Err(PeriodError::Reversed));
        assert_eq!(
            Period::new(from - Duration::days(MAX_PERIOD_DAYS + 1), from, NOW),
            Err(PeriodError::TooLong)
        );
        assert_eq!(
            Period::new(
                NOW - Duration::days(MAX_PERIOD_DAYS + 1),
                NOW - Duration::days(MAX_PERIOD_DAYS),
                NOW
            ),
            Err(PeriodError::TooFarBack)
        );
    }

    #[test]
    fn weeks_count_back_from_the_end() {
        // Ten days: a three-day week, then a whole one ending at `to`.
        let period = Period::new(
            datetime!(2026-03-01 00:00 UTC),
            datetime!(2026-03-11 00:00 UTC),
            NOW,
        )
        .expect("period");
        assert_eq!(period.week_count(), 2);
        assert_eq!(
            period.week_ends(),
            [
                datetime!(2026-03-04 00:00 UTC),
                datetime!(2026-03-11 00:00 UTC)
            ]
        );
        assert_eq!(period.week_of(datetime!(2026-03-01 00:00 UTC)), 1);
        assert_eq!(period.week_of(datetime!(2026-03-04 00:00 UTC)), 1);
        assert_eq!(period.week_of(datetime!(2026-03-04 00:00:00.000001 UTC)), 2);
        assert_eq!(period.week_of(datetime!(2026-03-11 00:00 UTC)), 2);
        assert_eq!(period.week_of(datetime!(2026-03-11 00:00:01 UTC)), 3);
        assert_eq!(period.week_of(datetime!(2026-02-25 00:00 UTC)), 0);
        assert_eq!(period.week_of(datetime!(2026-02-01 00:00 UTC)), 0);
    }

    #[test]
    fn open_counts_accumulate_changes() {
        let period = Period::new(
            datetime!(2026-03-01 00:00 UTC),
            datetime!(2026-03-22 00:00 UTC),
            NOW,
        )
        .expect("period");
        let mut flows = WeekFlows::new(&period);
        flows.add(-10, 4); // open before the period
        flows.add(0, -1); // one of them closed before it
        flows.add(1, 2);
        flows.add(2, -3);
        flows.add(4, 7); // after the period
        assert_eq!(flows.open_at_week_ends(), [5, 2, 2]);
    }

    fn berlin() -> Calendar {
        Calendar::in_local_time(
            [time::Weekday::Saturday, time::Weekday::Sunday],
            crate::sla::Holidays::default(),
            crate::sla::LocalTime::zone("Europe/Berlin").expect("zone"),
        )
        .expect("calendar")
    }

    #[test]
    fn weeks_of_local_days_end_at_local_midnights_across_daylight_saving() {
        // 1 March to 31 May 2026 in Berlin: summer time begins on 29 March.
        let calendar = berlin();
        let period = Period::of_days(
            time::macros::date!(2026 - 03 - 01),
            time::macros::date!(2026 - 05 - 31),
            &calendar,
            NOW,
        )
        .expect("period");
        assert_eq!(period.week_count(), 14);
        assert_eq!(period.from(), datetime!(2026-03-01 00:00 +01:00));
        assert_eq!(period.to(), datetime!(2026-06-01 00:00 +02:00));
        for end in period.week_ends() {
            let local = end.to_offset(calendar.local_time().offset_at(*end));
            assert_eq!(local.time(), time::Time::MIDNIGHT, "{end}");
            assert_eq!(local.weekday(), time::Weekday::Monday, "{end}");
        }
        // The week ending at midnight after Sunday 22 March (winter time) holds a report
        // at 23:30 that Sunday, not the next week, as a week of 7 × 24 hours would.
        let sunday_night = datetime!(2026-03-22 23:30 +01:00);
        let week = period.week_of(sunday_night);
        assert_eq!(
            period.week_ends()[usize::try_from(week - 1).expect("a week")],
            datetime!(2026-03-23 00:00 +01:00)
        );
        assert_eq!(period.week_of(datetime!(2026-03-23 00:30 +01:00)), week + 1);
    }

    proptest! {
        /// A report open from `a` to `b` counts at the end of week k exactly when it
        /// arrived by then and had not closed.
        #[test]
        fn week_numbers_decide_who_is_open_at_each_week_end(
            length in 1i64..120 * 86_400,
            spans in proptest::collection::vec((0i64..200 * 86_400, proptest::option::of(0i64..100 * 86_400)), 0..30),
        ) {
            let from = datetime!(2026-01-01 00:00 UTC);
            let period = Period::new(from, from + Duration::seconds(length), NOW).expect("period");
            let mut flows = WeekFlows::new(&period);
            let start = from - Duration::days(60);
            let spans: Vec<(OffsetDateTime, Option<OffsetDateTime>)> = spans
                .into_iter()
                .map(|(a, d)| {
                    let a = start + Duration::seconds(a);
                    (a, d.map(|d| a + Duration::seconds(d)))
                })
                .collect();
            for &(a, b) in &spans {
                flows.add(period.week_of(a), 1);
                if let Some(b) = b {
                    flows.add(period.week_of(b), -1);
                }
            }
            let expected: Vec<u64> = period
                .week_ends()
                .iter()
                .copied()
                .map(|end| {
                    spans
                        .iter()
                        .filter(|(a, b)| *a <= end && b.is_none_or(|b| b > end))
                        .count() as u64
                })
                .collect();
            prop_assert_eq!(flows.open_at_week_ends(), expected);
        }
    }
}
