//! Duration buckets: one bucket per second below 64 seconds, then 64 buckets for every
//! doubling, so a bucket is never wider than 1/64 of the durations it holds. The store
//! counts durations into the same buckets in SQL, from [`OCTAVES`]; a store test checks
//! that both agree.

/// Buckets per doubling, and the number of one-second buckets at the start.
const SPLITS: i64 = 64;
/// log2 of `SPLITS`.
const SPLIT_BITS: u32 = 6;
/// The largest power of two counted; longer durations (past 69,000 years) share the last
/// bucket.
const LAST_EXPONENT: u32 = 40;
/// The longest duration counted on its own.
pub const LONGEST: i64 = (1 << (LAST_EXPONENT + 1)) - 1;

/// The durations from `1 << exponent` up to `upper` (excluded) go to bucket
/// `base + (seconds >> shift)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Octave {
    pub upper: i64,
    pub base: i64,
    pub shift: u32,
}

/// Every doubling from 64 seconds on, shortest first. Below 64 seconds the bucket is the
/// number of seconds.
pub const OCTAVES: [Octave; (LAST_EXPONENT - SPLIT_BITS + 1) as usize] = octaves();

const fn octaves() -> [Octave; (LAST_EXPONENT - SPLIT_BITS + 1) as usize] {
    let mut table = [Octave {
        upper: 0,
        base: 0,
        shift: 0,
    }; (LAST_EXPONENT - SPLIT_BITS + 1) as usize];
    let mut exponent = SPLIT_BITS;
    while exponent <= LAST_EXPONENT {
        let shift = exponent - SPLIT_BITS;
        table[shift as usize] = Octave {
            upper: 1 << (exponent + 1),
            base: shift as i64 * SPLITS,
            shift,
        };
        exponent += 1;
    }
    table
}

/// The bucket of a duration in whole seconds. Negative durations (a clock stopped before
/// it started, after a clock change) count as zero.
pub fn bucket_of(seconds: i64) -> i64 {
    let seconds = seconds.clamp(0, LONGEST);
    if seconds < SPLITS {
        return seconds;
    }
    let exponent = 63 - seconds.leading_zeros();
    let shift = exponent - SPLIT_BITS;
    i64::from(shift) * SPLITS + (seconds >> shift)
}

/// The durations a bucket holds: from the first value, up to the second (excluded).
pub fn bucket_range(bucket: i64) -> (i64, i64) {
    if bucket < SPLITS {
        let bucket = bucket.max(0);
        return (bucket, bucket + 1);
    }
    let shift = bucket / SPLITS - 1;
    let first = bucket - shift * SPLITS;
    (first << shift, (first + 1) << shift)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn short_durations_have_a_bucket_per_second() {
        for seconds in 0..128 {
            assert_eq!(bucket_of(seconds), seconds);
            assert_eq!(bucket_range(seconds), (seconds, seconds + 1));
        }
        assert_eq!(bucket_of(-5), 0);
    }

    #[test]
    fn a_doubling_is_cut_into_sixty_four() {
        // From 128 s buckets are two seconds wide, from 256 s four.
        assert_eq!(bucket_of(128), 128);
        assert_eq!(bucket_of(129), 128);
        assert_eq!(bucket_of(130), 129);
        assert_eq!(bucket_range(128), (128, 130));
        assert_eq!(bucket_of(255), 191);
        assert_eq!(bucket_of(256), 192);
        assert_eq!(bucket_range(192), (256, 260));
        // A day: 86,400 s lies between 2^16 and 2^17, in buckets 1,024 s wide.
        let day = bucket_of(86_400);
        assert_eq!(bucket_range(day), (86_016, 87_040));
    }

    #[test]
    fn the_octave_table_is_the_same_rule() {
        for octave in OCTAVES {
            for seconds in [octave.upper / 2, octave.upper / 2 + 1, octave.upper - 1] {
                assert_eq!(bucket_of(seconds), octave.base + (seconds >> octave.shift));
            }
        }
        assert_eq!(OCTAVES[0].upper, 128);
        assert_eq!(OCTAVES.last().map(|o| o.upper), Some(LONGEST + 1));
    }

    proptest! {
        #[test]
        fn every_duration_lies_in_its_buckets_range(seconds in 0..LONGEST) {
            let (first, end) = bucket_range(bucket_of(seconds));
            prop_assert!(first <= seconds && seconds < end);
            // Never wider than a 64th of what it holds.
            prop_assert!((end - first) * 64 <= first.max(64));
        }

        #[test]
        fn buckets_keep_the_order_of_durations(a in 0..LONGEST, b in 0..LONGEST) {
            if a <= b {
                prop_assert!(bucket_of(a) <= bucket_of(b));
            }
        }

        #[test]
        fn neighbouring_buckets_touch(bucket in 0..(bucket_of(LONGEST))) {
            prop_assert_eq!(bucket_range(bucket).1, bucket_range(bucket + 1).0);
        }
    }
}
