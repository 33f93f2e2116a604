//! How long the desk keeps personal data and spent records (ETSI 5.3: collect only what is
//! needed, keep it only as long as needed). Each rule is a number of days after an
//! event: a report's closing for the finder's network address and for spam, expiry or use
//! for sessions, one-time links and intake challenges, sending for mail. The background
//! job and `cvdesk retention run` apply them with cutoffs worked out here from the clock's
//! time.

use std::fmt;

use time::{Duration, OffsetDateTime};

/// The longest any rule may wait: ten years.
pub const MAX_DAYS: u32 = 3_650;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Days after a report closes that the client address it came from is forgotten.
    pub client_address_days: u32,
    /// Days after a report is closed as spam that it is deleted with its files.
    pub spam_days: u32,
    /// Days after expiry (or use) that sessions, one-time links and spent intake
    /// challenges are deleted.
    pub spent_days: u32,
    /// Days after sending that a mail (recipient and body) is deleted from the outbox.
    pub sent_mail_days: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            client_address_days: 90,
            spam_days: 30,
            spent_days: 30,
            sent_mail_days: 90,
        }
    }
}

/// A number of days outside 1..=`MAX_DAYS`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting} is {days} days; it must be between 1 and {MAX_DAYS}")]
pub struct RetentionError {
    pub setting: &'static str,
    pub days: i64,
}

/// Checks one setting's days.
pub fn days(setting: &'static str, days: i64) -> Result<u32, RetentionError> {
    u32::try_from(days)
        .ok()
        .filter(|days| (1..=MAX_DAYS).contains(days))
        .ok_or(RetentionError { setting, days })
}

/// Instants before which each rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionCutoffs {
    /// Reports closed before this forget their client address.
    pub client_address_before: OffsetDateTime,
    /// Reports closed as spam before this are deleted.
    pub spam_before: OffsetDateTime,
    /// Sessions, links and challenges that expired (or links used) before this go.
    pub spent_before: OffsetDateTime,
    /// Mail sent before this goes.
    pub sent_mail_before: OffsetDateTime,
}

impl RetentionSettings {
    pub fn cutoffs(&self, now: OffsetDateTime) -> RetentionCutoffs {
        let before = |days: u32| now - Duration::days(i64::from(days));
        RetentionCutoffs {
            client_address_before: before(self.client_address_days),
            spam_before: before(self.spam_days),
            spent_before: before(self.spent_days),
            sent_mail_before: before(self.sent_mail_days),
        }
    }
}

/// What a run removed (or, dry, would remove): counts, never content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionCounts {
    pub client_addresses: u64,
    pub spam_reports: u64,
    pub sessions: u64,
    pub links: u64,
    pub challenges: u64,
    pub sent_mail: u64,
}

impl RetentionCounts {
    pub fn is_empty(&self) -> bool {
        self == &RetentionCounts::default()
    }
}

impl fmt::Display for RetentionCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "client addresses forgotten: {}; spam reports deleted: {}; sessions: {}; \
             one-time links: {}; intake challenges: {}; sent mail: {}",
            self.client_addresses,
            self.spam_reports,
            self.sessions,
            self.links,
            self.challenges,
            self.sent_mail
        )
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn cutoffs_count_back_whole_days_from_now() {
        let now = datetime!(2026-03-29 12:30 UTC);
        let cutoffs = RetentionSettings {
            client_address_days: 90,
            spam_days: 1,
            spent_days: 30,
            sent_mail_days: 3_650,
        }
        .cutoffs(now);
        assert_eq!(
            cutoffs.client_address_before,
            datetime!(2025-12-29 12:30 UTC)
        );
        assert_eq!(cutoffs.spam_before, datetime!(2026-03-28 12:30 UTC));
        assert_eq!(cutoffs.spent_before, datetime!(2026-02-27 12:30 UTC));
        assert_eq!(cutoffs.sent_mail_before, datetime!(2016-03-31 12:30 UTC));
    }

    #[test]
    fn the_defaults_are_safe_and_documented() {
        assert_eq!(
            RetentionSettings::default(),
            RetentionSettings {
                client_address_days: 90,
                spam_days: 30,
                spent_days: 30,
                sent_mail_days: 90,
            }
        );
    }

    #[test]
    fn days_are_between_one_and_ten_years() {
        for (given, expected) in [
            (1, Ok(1)),
            (90, Ok(90)),
            (3_650, Ok(3_650)),
            (0, Err(())),
            (-5, Err(())),
            (3_651, Err(())),
            (i64::MAX, Err(())),
        ] {
            assert_eq!(days("spam_days", given).map_err(drop), expected, "{given}");
        }
        assert_eq!(
            days("spam_days", 0).expect_err("zero").to_string(),
            "spam_days is 0 days; it must be between 1 and 3650"
        );
    }
}
