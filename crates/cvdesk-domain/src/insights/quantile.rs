//! The median and the 90th percentile of a group of durations, exactly.

use serde::Serialize;
use time::Duration;

/// The figures of one group of durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DurationSummary {
    /// How many durations the group holds.
    pub count: u64,
    /// `None` for an empty group.
    pub median: Option<Duration>,
    pub p90: Option<Duration>,
}

impl DurationSummary {
    /// The figures of `seconds`, which are reordered. Only the values at the wanted ranks
    /// are put in place (linear time), not the whole group sorted.
    pub fn of(seconds: &mut [i64]) -> DurationSummary {
        let n = seconds.len();
        if n == 0 {
            return DurationSummary {
                count: 0,
                median: None,
                p90: None,
            };
        }
        let middle = n / 2;
        let (lower, &mut upper_middle, above) = seconds.select_nth_unstable(middle);
        let median = if n % 2 == 1 {
            Duration::seconds(upper_middle)
        } else {
            // The mean of the two middle values, in milliseconds so half seconds stay;
            // the lower one is the largest of those below the upper.
            let lower_middle = lower.iter().copied().max().unwrap_or(upper_middle);
            Duration::milliseconds((lower_middle + upper_middle).saturating_mul(500))
        };
        // The nearest rank, the ⌈0.9 n⌉-th value, is never below the upper middle.
        let rank = (n * 9).div_ceil(10) - 1;
        let p90 = match rank.checked_sub(middle + 1) {
            None => upper_middle,
            Some(index) => *above.select_nth_unstable(index).1,
        };
        DurationSummary {
            count: u64::try_from(n).unwrap_or(u64::MAX),
            median: Some(median),
            p90: Some(Duration::seconds(p90)),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn figures(values: &[i64]) -> DurationSummary {
        DurationSummary::of(&mut values.to_vec())
    }

    /// The figures by sorting every value, as the definitions say.
    fn by_sorting(values: &[i64]) -> DurationSummary {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        let median = match n {
            0 => None,
            n if n % 2 == 1 => Some(Duration::seconds(sorted[n / 2])),
            n => Some(Duration::milliseconds(
                (sorted[n / 2 - 1] + sorted[n / 2]) * 500,
            )),
        };
        let p90 = (n > 0).then(|| Duration::seconds(sorted[(n * 9).div_ceil(10) - 1]));
        DurationSummary {
            count: n as u64,
            median,
            p90,
        }
    }

    #[test]
    fn figures_worked_by_hand() {
        let hour = 3600;
        // 1, 2, 3, 4 hours and 2 days: median 3 h, the 90th percentile (5th of 5) 2 days.
        let summary = figures(&[4 * hour, hour, 48 * hour, 3 * hour, 2 * hour]);
        assert_eq!(summary.count, 5);
        assert_eq!(summary.median, Some(Duration::hours(3)));
        assert_eq!(summary.p90, Some(Duration::hours(48)));
        // An even count takes the mean of the middle two: (2 h + 3 h) / 2.
        let summary = figures(&[hour, 2 * hour, 3 * hour, 10 * hour]);
        assert_eq!(summary.median, Some(Duration::minutes(150)));
        assert_eq!(summary.p90, Some(Duration::hours(10)));
        // One value is its own median and percentile; 1 and 2 s have a median of 1.5 s.
        let summary = figures(&[7]);
        assert_eq!(
            (summary.median, summary.p90),
            (Some(Duration::seconds(7)), Some(Duration::seconds(7)))
        );
        assert_eq!(figures(&[2, 1]).median, Some(Duration::milliseconds(1500)));
        assert_eq!(
            figures(&[]),
            DurationSummary {
                count: 0,
                median: None,
                p90: None
            }
        );
    }

    #[test]
    fn the_percentile_is_the_nearest_rank() {
        // Of 1..=n, the ⌈0.9 n⌉-th: 9 of 10, 10 of 11, 18 of 20, 1 of 1.
        for (n, rank) in [(10, 9), (11, 10), (20, 18), (1, 1)] {
            let values: Vec<i64> = (1..=n).collect();
            assert_eq!(figures(&values).p90, Some(Duration::seconds(rank)), "{n}");
        }
    }

    proptest! {
        #[test]
        fn many_equal_durations_change_nothing(
            values in proptest::collection::vec(0i64..4, 0..50),
        ) {
            prop_assert_eq!(figures(&values), by_sorting(&values));
        }

        #[test]
        fn the_figures_are_those_sorting_gives(
            values in proptest::collection::vec(0i64..100_000_000, 0..300),
        ) {
            let mut reversed = values.clone();
            reversed.sort_unstable_by(|a, b| b.cmp(a));
            let summary = figures(&values);
            prop_assert_eq!(summary, figures(&reversed));
            prop_assert_eq!(summary, by_sorting(&values));
            // At least half the values lie at or below the median, and at least 90 % at
            // or below the 90th percentile.
            if let (Some(median), Some(p90)) = (summary.median, summary.p90) {
                let at_or_below = |limit: Duration| {
                    values.iter().filter(|&&v| Duration::seconds(v) <= limit).count() as u64
                };
                prop_assert!(at_or_below(median) * 2 >= summary.count);
                prop_assert!(at_or_below(p90) * 10 >= summary.count * 9);
            }
        }
    }
}
