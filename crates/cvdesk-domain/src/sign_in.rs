//! Sign-in lockout: how many failed attempts lock a credential, for how long, and what an
//! attempt costs. Pure: the store keeps the counts, the caller passes the time.
//!
//! Two counts are kept apart so that neither can reset the other:
//!
//! - **Passwords**, per account *and client address*. Someone who only knows an address
//!   locks it for themselves, never for the account holder at another address, so wrong
//!   passwords cannot keep an admin out.
//! - **Second factor**, per account. Only someone who knew the password reaches this step;
//!   its count survives a correct password and is cleared only by a complete sign-in.
//!
//! Every attempt is *charged* before it is checked and the charge is stored at once, so
//! attempts racing each other are all counted; a correct one then clears the count. Like
//! kanidm's soft lock, the lock grows: the first `attempts` failures lock for `first_lock`,
//! and each further `attempts` failures lock for twice as long as the last lock, up to
//! `longest_lock`. Password failures are forgotten a day after the last one (while not
//! locked), so a typo made last week does not count towards today's lock.

use time::{Duration, OffsetDateTime};

/// When failures lock a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Failures per lock.
    pub attempts: i64,
    pub first_lock: Duration,
    pub longest_lock: Duration,
    /// Failures are forgotten this long after the last one, unless locked; `None` keeps
    /// them until a success.
    pub forget_after: Option<Duration>,
}

/// Wrong passwords from one client address for one account.
pub const PASSWORD: Lockout = Lockout {
    attempts: 5,
    first_lock: Duration::minutes(15),
    longest_lock: Duration::hours(24),
    forget_after: Some(Duration::hours(24)),
};

/// Wrong one-time codes for one account, after a correct password.
pub const SECOND_FACTOR: Lockout = Lockout {
    attempts: 5,
    first_lock: Duration::minutes(15),
    longest_lock: Duration::hours(24),
    forget_after: None,
};

/// A credential's failures since its last success, as the store keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    pub count: i64,
    pub locked_until: Option<OffsetDateTime>,
    pub last_failure_at: Option<OffsetDateTime>,
}

impl Failures {
    pub fn is_locked(&self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

/// What one attempt may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Locked: refuse the attempt without checking it, and store nothing.
    Refused { until: OffsetDateTime },
    /// Check the attempt. Store `record` first: it counts this attempt as failed until it
    /// succeeds. `locks` says that this attempt, if wrong, starts a lock.
    Check { record: Failures, locks: bool },
}

impl Lockout {
    /// Charges one attempt against `failures` at `now`.
    pub fn charge(&self, failures: Failures, now: OffsetDateTime) -> Charge {
        if let Some(until) = failures.locked_until.filter(|until| *until > now) {
            return Charge::Refused { until };
        }
        let failures = if self.forgets(&failures, now) {
            Failures::default()
        } else {
            failures
        };
        let count = failures.count.saturating_add(1);
        let attempts = self.attempts.max(1);
        let locks = count % attempts == 0;
        let locked_until = if locks {
            Some(now + self.lock_duration(count / attempts))
        } else {
            failures.locked_until
        };
        Charge::Check {
            record: Failures {
                count,
                locked_until,
                last_failure_at: Some(now),
            },
            locks,
        }
    }

    /// Whether `failures` are old enough to be forgotten at `now`.
    pub fn forgets(&self, failures: &Failures, now: OffsetDateTime) -> bool {
        !failures.is_locked(now)
            && self
                .forget_after
                .zip(failures.last_failure_at)
                .is_some_and(|(after, last)| now - last >= after)
    }

    /// How long the `nth` lock (from 1) lasts.
    fn lock_duration(&self, nth: i64) -> Duration {
        let doublings = u32::try_from(nth.saturating_sub(1)).unwrap_or(u32::MAX);
        let factor = 2_i32.checked_pow(doublings).unwrap_or(i32::MAX);
        self.first_lock
            .checked_mul(factor)
            .map_or(self.longest_lock, |lock| lock.min(self.longest_lock))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-05-05 10:00 UTC);

    fn minutes(offset: i64) -> OffsetDateTime {
        NOW + Duration::minutes(offset)
    }

    /// One row per situation, for the password lockout: the stored count, lock and last
    /// failure (minutes from now), then what the attempt may do: refused, or the count to
    /// store, whether a wrong attempt locks, and the lock's end (minutes from now).
    #[test]
    fn the_password_policy_as_a_table() {
        type Row = (
            i64,
            Option<i64>,
            Option<i64>,
            Option<(i64, bool, Option<i64>)>,
        );
        let day = 24 * 60;
        let table: [Row; 12] = [
            (0, None, None, Some((1, false, None))),
            (3, None, Some(-1), Some((4, false, None))),
            (4, None, Some(-1), Some((5, true, Some(15)))),
            (5, Some(10), Some(-5), None),
            (5, Some(0), Some(-15), Some((6, false, Some(0)))),
            (9, Some(-1), Some(-16), Some((10, true, Some(30)))),
            (14, Some(-1), Some(-31), Some((15, true, Some(60)))),
            (49, Some(-1), Some(-61), Some((50, true, Some(day)))),
            // A day after the last failure, with no lock running, the count starts again.
            (4, None, Some(-day), Some((1, false, None))),
            (4, None, Some(-day + 1), Some((5, true, Some(15)))),
            (9, Some(-1), Some(-day - 1), Some((1, false, None))),
            (i64::MAX - 1, None, Some(-1), Some((i64::MAX, false, None))),
        ];
        for (count, lock, last, expected) in table {
            let failures = Failures {
                count,
                locked_until: lock.map(minutes),
                last_failure_at: last.map(minutes),
            };
            let charge = PASSWORD.charge(failures, NOW);
            match expected {
                None => assert_eq!(
                    charge,
                    Charge::Refused {
                        until: failures.locked_until.expect("locked")
                    },
                    "{count} {lock:?}"
                ),
                Some((next, locks, until)) => assert_eq!(
                    charge,
                    Charge::Check {
                        record: Failures {
                            count: next,
                            locked_until: until.map(minutes),
                            last_failure_at: Some(NOW),
                        },
                        locks,
                    },
                    "{count} {lock:?} {last:?}"
                ),
            }
        }
    }

    #[test]
    fn second_factor_failures_are_kept_until_a_success() {
        let long_ago = Failures {
            count: 4,
            locked_until: None,
            last_failure_at: Some(NOW - Duration::days(30)),
        };
        assert!(!SECOND_FACTOR.forgets(&long_ago, NOW));
        assert!(matches!(
            SECOND_FACTOR.charge(long_ago, NOW),
            Charge::Check {
                record: Failures { count: 5, .. },
                locks: true
            }
        ));
    }

    #[test]
    fn a_lock_ends_at_its_instant() {
        let failures = Failures {
            count: 5,
            locked_until: Some(NOW),
            last_failure_at: Some(NOW - Duration::minutes(15)),
        };
        assert!(failures.is_locked(NOW - Duration::SECOND));
        assert!(!failures.is_locked(NOW));
        assert!(!Failures::default().is_locked(NOW));
    }

    #[test]
    fn the_lock_grows_and_is_capped() {
        let durations: Vec<i64> = (1..=9)
            .map(|nth| SECOND_FACTOR.lock_duration(nth).whole_minutes())
            .collect();
        assert_eq!(
            durations,
            [15, 30, 60, 120, 240, 480, 960, 1440, 1440],
            "minutes"
        );
        assert_eq!(
            SECOND_FACTOR.lock_duration(i64::MAX),
            SECOND_FACTOR.longest_lock
        );
    }
}
