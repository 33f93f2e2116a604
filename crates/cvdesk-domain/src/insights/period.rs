//! The period a dashboard looks at, and its weeks.
//!
//! A period runs from `from` (included) to `to` (excluded). Its weeks are counted back
//! from `to`, so the last week ends at `to` and only the first may be shorter than seven
//! days. Week k (from 1) ends at `to - (K - k) weeks`; a time belongs to the first week
//! that ends at or after it, times before the first week to week 0 or below, times after
//! `to` to week K + 1. The store numbers times the same way in SQL.

use time::{Duration, OffsetDateTime};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: OffsetDateTime,
    to: OffsetDateTime,
}

impl Period {
    pub fn new(
        from: OffsetDateTime,
        to: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Period, PeriodError> {
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
        Ok(Period { from, to })
    }

    pub fn from(&self) -> OffsetDateTime {
        self.from
    }

    pub fn to(&self) -> OffsetDateTime {
        self.to
    }

    /// How many weeks the period has (the first may be short).
    pub fn week_count(&self) -> i64 {
        let micros = (self.to - self.from).whole_microseconds();
        let week = Duration::WEEK.whole_microseconds();
        i64::try_from((micros + week - 1) / week).unwrap_or(i64::MAX)
    }

    /// When each week ends, first to last; the last is `to`.
    pub fn week_ends(&self) -> Vec<OffsetDateTime> {
        let weeks = self.week_count();
        (1..=weeks)
            .map(|week| self.to - Duration::WEEK * i32::try_from(weeks - week).unwrap_or(0))
            .collect()
    }

    /// The week `at` belongs to (see the module documentation).
    pub fn week_of(&self, at: OffsetDateTime) -> i64 {
        if at > self.to {
            return self.week_count() + 1;
        }
        let back = (self.to - at).whole_microseconds() / Duration::WEEK.whole_microseconds();
        self.week_count() - i64::try_from(back).unwrap_or(i64::MAX)
    }
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
        assert_eq!(period.week_of(datetime!(2026-02-01 00:00 UTC)), -3);
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
                .into_iter()
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
