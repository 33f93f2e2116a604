//! Instants as the exchange formats write them: RFC 3339 in UTC with milliseconds
//! (`2026-11-02T10:00:00.000Z`). One fixed shape satisfies CSAF, CVE JSON 5, OSV (which
//! requires the `Z`), ROLIE and Atom alike, and makes documents byte-for-byte
//! reproducible from the same inputs.

use std::fmt;

use serde::{Serialize, Serializer};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// An instant, kept in UTC to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }

    /// The calendar year in UTC, which names a CSAF provider's year folder.
    pub fn year(&self) -> i32 {
        self.0.year()
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(instant: OffsetDateTime) -> Self {
        let utc = instant.to_offset(UtcOffset::UTC);
        let millisecond = utc.millisecond();
        // Dropping what lies below the millisecond cannot fail: the value stays in range.
        let truncated = utc.replace_millisecond(millisecond).unwrap_or(utc);
        Timestamp(truncated)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.format(FORMAT).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn writes_utc_with_milliseconds() {
        let instant = Timestamp::from(datetime!(2026-11-02 12:00:00.123456 +02:00));
        assert_eq!(instant.to_string(), "2026-11-02T10:00:00.123Z");
        assert_eq!(
            Timestamp::from(datetime!(2026-11-02 10:00 UTC)).to_string(),
            "2026-11-02T10:00:00.000Z"
        );
    }

    #[test]
    fn year_is_taken_in_utc() {
        let instant = Timestamp::from(datetime!(2027-01-01 00:30 +01:00));
        assert_eq!(instant.year(), 2026);
    }
}
