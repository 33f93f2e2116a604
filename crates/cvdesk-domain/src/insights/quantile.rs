//! The median and the 90th percentile of a group of durations, exactly, from its bucket
//! counts and the durations of the few buckets the wanted ranks fall in.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use time::Duration;

use super::buckets::bucket_of;

/// Which figure of a group of durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Wanted {
    Median,
    P90,
}

/// The figures of one group of durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DurationSummary {
    /// How many durations the group holds.
    pub count: u64,
    /// `None` for an empty group.
    pub median: Option<Duration>,
    pub p90: Option<Duration>,
}

/// Where the ranks a group's figures need fall: which bucket, and which place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantilePlan {
    count: u64,
    /// 1-based rank → (bucket, 1-based place among the bucket's durations in order).
    places: BTreeMap<u64, (i64, u64)>,
}

/// The durations handed to [`QuantilePlan::finish`] were not those the counts describe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bucket {bucket} holds {held} durations, fewer than the counts said ({wanted} needed)")]
pub struct BucketMismatch {
    pub bucket: i64,
    pub held: usize,
    pub wanted: u64,
}

/// The ranks (1-based) of the values the median of `count` values needs: one, or the two
/// middle ones.
pub fn median_ranks(count: u64) -> Vec<u64> {
    match count {
        0 => Vec::new(),
        n if n % 2 == 1 => vec![n.div_ceil(2)],
        n => vec![n / 2, n / 2 + 1],
    }
}

/// The nearest rank of the 90th percentile of `count` values, ⌈0.9 n⌉.
pub fn p90_rank(count: u64) -> Option<u64> {
    (count > 0).then(|| (count * 9).div_ceil(10))
}

impl QuantilePlan {
    /// Plans from a group's bucket counts, `(bucket, count)` in any order (a bucket may
    /// appear more than once).
    pub fn new(histogram: &[(i64, u64)]) -> QuantilePlan {
        let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
        for &(bucket, count) in histogram {
            *counts.entry(bucket).or_default() += count;
        }
        let count: u64 = counts.values().sum();
        let mut ranks: BTreeSet<u64> = median_ranks(count).into_iter().collect();
        ranks.extend(p90_rank(count));
        let mut places = BTreeMap::new();
        let mut before = 0;
        let mut wanted = ranks.into_iter().peekable();
        for (bucket, held) in counts {
            while let Some(&rank) = wanted.peek() {
                if rank > before + held {
                    break;
                }
                places.insert(rank, (bucket, rank - before));
                wanted.next();
            }
            before += held;
        }
        QuantilePlan { count, places }
    }

    /// How many durations the group holds.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The buckets whose durations [`finish`](Self::finish) needs.
    pub fn buckets(&self) -> BTreeSet<i64> {
        self.places.values().map(|&(bucket, _)| bucket).collect()
    }

    /// The figures, from every duration of the group that lies in [`buckets`](Self::buckets)
    /// (in any order; durations of other buckets are ignored).
    pub fn finish(&self, durations: &[i64]) -> Result<DurationSummary, BucketMismatch> {
        let wanted = self.buckets();
        let mut held: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for &seconds in durations {
            let bucket = bucket_of(seconds);
            if wanted.contains(&bucket) {
                held.entry(bucket).or_default().push(seconds);
            }
        }
        for values in held.values_mut() {
            values.sort_unstable();
        }
        let value_at = |rank: u64| -> Result<i64, BucketMismatch> {
            let &(bucket, place) = self.places.get(&rank).ok_or(BucketMismatch {
                bucket: -1,
                held: 0,
                wanted: rank,
            })?;
            let values = held.get(&bucket).map(Vec::as_slice).unwrap_or_default();
            usize::try_from(place - 1)
                .ok()
                .and_then(|index| values.get(index))
                .copied()
                .ok_or(BucketMismatch {
                    bucket,
                    held: values.len(),
                    wanted: place,
                })
        };
        let median = match median_ranks(self.count).as_slice() {
            [middle] => Some(Duration::seconds(value_at(*middle)?)),
            [lower, upper] => Some(Duration::milliseconds(
                (value_at(*lower)? + value_at(*upper)?) * 500,
            )),
            _ => None,
        };
        let p90 = p90_rank(self.count)
            .map(|rank| value_at(rank).map(Duration::seconds))
            .transpose()?;
        Ok(DurationSummary {
            count: self.count,
            median,
            p90,
        })
    }
}

impl DurationSummary {
    /// The figure asked for.
    pub fn get(&self, wanted: Wanted) -> Option<Duration> {
        match wanted {
            Wanted::Median => self.median,
            Wanted::P90 => self.p90,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::insights::buckets::LONGEST;

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
        let p90 = (n > 0).then(|| {
            let rank = (n * 9).div_ceil(10);
            Duration::seconds(sorted[rank - 1])
        });
        DurationSummary {
            count: n as u64,
            median,
            p90,
        }
    }

    fn histogram(values: &[i64]) -> Vec<(i64, u64)> {
        values.iter().map(|&v| (bucket_of(v), 1)).collect()
    }

    fn figures(values: &[i64]) -> DurationSummary {
        let plan = QuantilePlan::new(&histogram(values));
        plan.finish(values).expect("consistent")
    }

    #[test]
    fn ranks_follow_the_definitions() {
        assert_eq!(median_ranks(0), Vec::<u64>::new());
        assert_eq!(median_ranks(1), [1]);
        assert_eq!(median_ranks(4), [2, 3]);
        assert_eq!(median_ranks(5), [3]);
        assert_eq!(p90_rank(0), None);
        assert_eq!(p90_rank(1), Some(1));
        assert_eq!(p90_rank(10), Some(9));
        assert_eq!(p90_rank(11), Some(10));
        assert_eq!(p90_rank(20), Some(18));
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
    fn only_the_buckets_of_the_wanted_ranks_are_needed() {
        // Ten values in ten different buckets: the median needs the 5th and 6th, the 90th
        // percentile the 9th.
        let values: Vec<i64> = (1..=10).map(|i| i * 1000).collect();
        let plan = QuantilePlan::new(&histogram(&values));
        let wanted: Vec<i64> = plan.buckets().into_iter().collect();
        assert_eq!(wanted, [bucket_of(5000), bucket_of(6000), bucket_of(9000)]);
        let needed: Vec<i64> = [5000, 6000, 9000].into();
        assert_eq!(plan.finish(&needed), Ok(figures(&values)));
    }

    #[test]
    fn durations_missing_from_a_bucket_are_an_error_not_a_guess() {
        let values = [10, 20, 30];
        let plan = QuantilePlan::new(&histogram(&values));
        assert!(plan.finish(&[10, 30]).is_err());
    }

    proptest! {
        #[test]
        fn buckets_give_the_figures_sorting_gives(
            values in proptest::collection::vec(0..LONGEST / 1_000_000, 0..300),
            spread in 0u32..4,
        ) {
            // Some groups bunched in one bucket, some spread over years.
            let values: Vec<i64> = values.into_iter().map(|v| v >> (spread * 8)).collect();
            prop_assert_eq!(figures(&values), by_sorting(&values));
        }

        #[test]
        fn durations_of_other_buckets_change_nothing(
            values in proptest::collection::vec(0i64..10_000_000, 1..100),
            noise in proptest::collection::vec(0i64..10_000_000, 0..100),
        ) {
            let plan = QuantilePlan::new(&histogram(&values));
            let wanted = plan.buckets();
            let mut given = values.clone();
            given.extend(noise.into_iter().filter(|v| !wanted.contains(&bucket_of(*v))));
            prop_assert_eq!(plan.finish(&given), Ok(by_sorting(&values)));
        }
    }
}
