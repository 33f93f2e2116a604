//! Instants typed in a named time zone (a scheduled advisory's publication, a coordinated
//! embargo): a local date and time in a zone the person names (an IANA zone such as
//! `Europe/Berlin`, `UTC`, or a fixed offset such as `+02:00`), and shown back both in
//! UTC and in that zone. A local time that a daylight-saving change skips or repeats is
//! refused rather than guessed.

use std::fmt;
use std::str::FromStr;

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::Timestamp;
use time::OffsetDateTime;

/// Longest zone name accepted (the longest IANA name is about 30 characters).
const ZONE_MAX_CHARS: usize = 64;

/// A time zone by IANA name or fixed offset, as the publisher named it.
#[derive(Debug, Clone)]
pub struct ScheduleZone {
    /// The canonical name: the IANA name as the database spells it, `UTC`, or `+HH:MM`.
    name: String,
    zone: TimeZone,
}

impl PartialEq for ScheduleZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ScheduleZone {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("'{0}' is not a time zone: give an IANA name such as Europe/Berlin, UTC, or an offset such as +02:00")]
    Zone(String),
    #[error("'{0}' is not a date and time: give them as 2026-11-02T10:00")]
    LocalTime(String),
    #[error(
        "{local} does not exist in {zone}: the clocks skip it when daylight saving time starts"
    )]
    Skipped { local: String, zone: String },
    #[error("{local} happens twice in {zone} (the clocks go back): give it as an offset, e.g. +01:00, to say which")]
    Repeated { local: String, zone: String },
    #[error("{0} is outside the years the desk can store")]
    OutOfRange(String),
}

impl FromStr for ScheduleZone {
    type Err = ScheduleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let refuse = || ScheduleError::Zone(text.chars().take(40).collect());
        if text.is_empty() || text.chars().count() > ZONE_MAX_CHARS {
            return Err(refuse());
        }
        if matches!(text, "UTC" | "Z" | "utc" | "z") {
            return Ok(ScheduleZone {
                name: "UTC".to_owned(),
                zone: TimeZone::UTC,
            });
        }
        if text.starts_with(['+', '-']) {
            let seconds = parse_offset(text).ok_or_else(refuse)?;
            let offset = Offset::from_seconds(seconds).map_err(|_| refuse())?;
            return Ok(ScheduleZone {
                name: offset_text(seconds),
                zone: TimeZone::fixed(offset),
            });
        }
        // Only names of the form Area/Place (and a few like UTC above): never a path.
        if text.contains("..") || text.starts_with('/') {
            return Err(refuse());
        }
        let zone = TimeZone::get(text).map_err(|_| refuse())?;
        let name = zone.iana_name().unwrap_or(text).to_owned();
        Ok(ScheduleZone { name, zone })
    }
}

/// `+HH:MM` or `-HH:MM` (also `+HHMM` and `+HH`), at most 18 hours, in seconds.
fn parse_offset(text: &str) -> Option<i32> {
    let (sign, digits) = text.split_at(1);
    let digits = digits.replace(':', "");
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours: i32 = digits.get(..2)?.parse().ok()?;
    let minutes: i32 = digits
        .get(2..)
        .filter(|m| !m.is_empty())
        .map_or(Some(0), |m| m.parse().ok())?;
    if hours > 18 || minutes > 59 {
        return None;
    }
    let seconds = hours * 3600 + minutes * 60;
    Some(if sign == "-" { -seconds } else { seconds })
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.abs();
    format!("{sign}{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

impl fmt::Display for ScheduleZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl ScheduleZone {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The instant a local date and time (`2026-11-02T10:00`, seconds optional) names in
    /// this zone.
    pub fn instant_of(&self, local: &str) -> Result<OffsetDateTime, ScheduleError> {
        let local = local.trim();
        let refuse = || ScheduleError::LocalTime(local.chars().take(40).collect());
        if local.chars().count() > 40 {
            return Err(refuse());
        }
        let civil: DateTime = local.parse().map_err(|_| refuse())?;
        let ambiguous = self.zone.to_ambiguous_timestamp(civil);
        let shown = civil.strftime("%Y-%m-%d %H:%M").to_string();
        match ambiguous.offset() {
            AmbiguousOffset::Gap { .. } => {
                return Err(ScheduleError::Skipped {
                    local: shown,
                    zone: self.name.clone(),
                })
            }
            AmbiguousOffset::Fold { .. } => {
                return Err(ScheduleError::Repeated {
                    local: shown,
                    zone: self.name.clone(),
                })
            }
            AmbiguousOffset::Unambiguous { .. } => {}
        }
        let timestamp = ambiguous.unambiguous().map_err(|_| refuse())?;
        OffsetDateTime::from_unix_timestamp_nanos(timestamp.as_nanosecond())
            .map_err(|_| ScheduleError::OutOfRange(shown))
    }

    /// `at` as a local time in this zone, e.g. `2026-11-02 10:00 (Europe/Berlin, UTC+01:00)`.
    pub fn local_display(&self, at: OffsetDateTime) -> String {
        let Ok(timestamp) = Timestamp::new(at.unix_timestamp(), 0) else {
            return at.to_string();
        };
        let zoned = timestamp.to_zoned_datetime(self.zone.clone());
        let offset = offset_text(zoned.offset().seconds());
        if self.name.starts_with(['+', '-']) {
            format!("{} (UTC{offset})", zoned.strftime("%Y-%m-%d %H:%M"))
        } else {
            format!(
                "{} ({}, UTC{offset})",
                zoned.strftime("%Y-%m-%d %H:%M"),
                self.name
            )
        }
    }

    /// `at` as a local date and time for a `datetime-local` field, e.g. `2026-11-02T10:00`.
    pub fn local_input(&self, at: OffsetDateTime) -> String {
        match Timestamp::new(at.unix_timestamp(), 0) {
            Ok(timestamp) => timestamp
                .to_zoned_datetime(self.zone.clone())
                .strftime("%Y-%m-%dT%H:%M")
                .to_string(),
            Err(_) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn zone(text: &str) -> ScheduleZone {
        text.parse().expect("a zone")
    }

    #[test]
    fn iana_names_and_offsets() {
        let berlin = zone("Europe/Berlin");
        assert_eq!(berlin.name(), "Europe/Berlin");
        assert_eq!(
            berlin.instant_of("2026-11-02T10:00"),
            Ok(datetime!(2026-11-02 09:00 UTC))
        );
        assert_eq!(
            berlin.instant_of("2026-07-02T10:00:00"),
            Ok(datetime!(2026-07-02 08:00 UTC))
        );
        assert_eq!(
            berlin.local_display(datetime!(2026-11-02 09:00 UTC)),
            "2026-11-02 10:00 (Europe/Berlin, UTC+01:00)"
        );
        assert_eq!(
            berlin.local_input(datetime!(2026-11-02 09:00 UTC)),
            "2026-11-02T10:00"
        );
        let offset = zone("-05:30");
        assert_eq!(offset.name(), "-05:30");
        assert_eq!(
            offset.instant_of("2026-11-02T10:00"),
            Ok(datetime!(2026-11-02 15:30 UTC))
        );
        assert_eq!(
            offset.local_display(datetime!(2026-11-02 15:30 UTC)),
            "2026-11-02 10:00 (UTC-05:30)"
        );
        assert_eq!(zone("+0200").name(), "+02:00");
        assert_eq!(zone("Z").name(), "UTC");
        assert_eq!(
            zone("UTC").instant_of("2026-11-02T10:00"),
            Ok(datetime!(2026-11-02 10:00 UTC))
        );
    }

    #[test]
    fn skipped_and_repeated_local_times_are_refused() {
        let berlin = zone("Europe/Berlin");
        assert!(matches!(
            berlin.instant_of("2026-03-29T02:30"),
            Err(ScheduleError::Skipped { .. })
        ));
        assert!(matches!(
            berlin.instant_of("2026-10-25T02:30"),
            Err(ScheduleError::Repeated { .. })
        ));
    }

    #[test]
    fn refuses_what_is_not_a_zone_or_a_time() {
        for text in [
            "",
            "Mars/Olympus",
            "../../etc/passwd",
            "/etc/localtime",
            "+25:00",
            "+1",
            "+01:60",
            "Europe/Berlin/../UTC",
        ] {
            assert!(text.parse::<ScheduleZone>().is_err(), "{text:?}");
        }
        let utc = zone("UTC");
        for text in [
            "",
            "tomorrow",
            "2026-13-01T10:00",
            "10:00",
            "2026-11-02T25:00",
        ] {
            assert!(utc.instant_of(text).is_err(), "{text:?}");
        }
    }
}
