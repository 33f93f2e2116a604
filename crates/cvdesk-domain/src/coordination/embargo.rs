//! The embargo: one coordinated release instant per case, kept in UTC together with the
//! time zone it was set in, and shown to every viewer in UTC and in that zone
//! ("2027-02-10 16:00 UTC — 17:00 CET") so that no participant has to guess the hour
//! (VINCE's participants in other zones did). A participant may also see it in its own
//! zone; every form names the same instant.

use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ZonedDateTime};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::sla::ScheduleZone;

/// Longest `ends_at` text read.
const INSTANT_MAX_CHARS: usize = 40;
/// How far ahead an embargo may end: further is taken for a typing mistake in the year.
pub const MAX_AHEAD: Duration = Duration::days(3 * 366);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbargoError {
    #[error(
        "'{0}' is not an RFC 3339 date and time with its offset, e.g. 2027-02-10T17:00:00+01:00"
    )]
    Instant(String),
    #[error("{0}")]
    Zone(String),
    #[error("the embargo must end in the future")]
    Past,
    #[error("the embargo may end at most three years from now")]
    TooFar,
}

impl EmbargoError {
    /// The input field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            EmbargoError::Zone(_) => "time_zone",
            _ => "ends_at",
        }
    }
}

/// When the embargo ends, and the zone it was set in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embargo {
    ends_at: OffsetDateTime,
    zone: ScheduleZone,
}

impl Embargo {
    /// An embargo from what a person typed: an RFC 3339 instant with its offset and the
    /// zone (an IANA name, `UTC`, or an offset). It must end after `now` and within
    /// `MAX_AHEAD`.
    pub fn parse(
        ends_at: &str,
        time_zone: &str,
        now: OffsetDateTime,
    ) -> Result<Embargo, Vec<EmbargoError>> {
        let mut errors = Vec::new();
        let instant = parse_instant(ends_at);
        let zone = time_zone
            .parse::<ScheduleZone>()
            .map_err(|error| EmbargoError::Zone(error.to_string()));
        match (instant, zone) {
            (Ok(ends_at), Ok(zone)) => {
                if ends_at <= now {
                    errors.push(EmbargoError::Past);
                } else if ends_at - now > MAX_AHEAD {
                    errors.push(EmbargoError::TooFar);
                } else {
                    return Ok(Embargo { ends_at, zone });
                }
            }
            (instant, zone) => {
                errors.extend(instant.err());
                errors.extend(zone.err());
            }
        }
        Err(errors)
    }

    /// An embargo read back from the store, where it was checked when set.
    pub fn stored(ends_at: OffsetDateTime, time_zone: &str) -> Result<Embargo, EmbargoError> {
        let zone = time_zone
            .parse::<ScheduleZone>()
            .map_err(|error| EmbargoError::Zone(error.to_string()))?;
        Ok(Embargo {
            ends_at: ends_at.to_offset(UtcOffset::UTC),
            zone,
        })
    }

    /// The instant, in UTC.
    pub fn ends_at(&self) -> OffsetDateTime {
        self.ends_at
    }

    pub fn zone(&self) -> &ScheduleZone {
        &self.zone
    }

    /// Whether the embargo still holds at `now`: information may not be published yet.
    pub fn is_running(&self, now: OffsetDateTime) -> bool {
        now < self.ends_at
    }

    /// The instant in RFC 3339, in UTC: `2027-02-10T16:00:00Z`.
    pub fn ends_at_text(&self) -> String {
        self.ends_at
            .format(&Rfc3339)
            .unwrap_or_else(|_| utc_text(self.ends_at))
    }

    /// The instant in RFC 3339 with the offset of `zone` at that instant:
    /// `2027-02-10T17:00:00+01:00`.
    pub fn local_text(&self, zone: &ScheduleZone) -> String {
        let offset = UtcOffset::from_whole_seconds(zoned(self.ends_at, zone).offset().seconds())
            .unwrap_or(UtcOffset::UTC);
        self.ends_at
            .to_offset(offset)
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.ends_at_text())
    }

    /// "2027-02-10 16:00 UTC — 17:00 CET (Europe/Berlin)": UTC first, then the zone it was
    /// set in; the date is repeated when it differs there.
    pub fn display(&self) -> String {
        self.display_in(&self.zone)
    }

    /// The same, with the local time in `zone` (a viewer's own).
    pub fn display_in(&self, zone: &ScheduleZone) -> String {
        let utc = utc_text(self.ends_at);
        if zone.name() == "UTC" {
            return utc;
        }
        format!("{utc} — {}", self.local_in(zone))
    }

    /// "17:00 CET (Europe/Berlin)", with the date when it is not the UTC date.
    pub fn local_in(&self, zone: &ScheduleZone) -> String {
        let local = zoned(self.ends_at, zone);
        let same_day = i32::from(local.year()) == self.ends_at.year()
            && i32::from(local.month()) == i32::from(u8::from(self.ends_at.month()))
            && i32::from(local.day()) == i32::from(self.ends_at.day());
        let time = if same_day {
            local.strftime("%H:%M").to_string()
        } else {
            local.strftime("%Y-%m-%d %H:%M").to_string()
        };
        if zone.name().starts_with(['+', '-']) {
            format!("{time} UTC{}", zone.name())
        } else {
            format!("{time} {} ({})", local.strftime("%Z"), zone.name())
        }
    }
}

/// An instant as `2027-02-10 16:00 UTC`.
fn utc_text(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute())
}

fn parse_instant(text: &str) -> Result<OffsetDateTime, EmbargoError> {
    let text = text.trim();
    let refuse = || EmbargoError::Instant(text.chars().take(INSTANT_MAX_CHARS).collect());
    if text.chars().count() > INSTANT_MAX_CHARS {
        return Err(refuse());
    }
    let parsed = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| refuse())?;
    let utc = parsed.to_offset(UtcOffset::UTC);
    if !(1..=9999).contains(&utc.year()) {
        return Err(refuse());
    }
    Ok(utc)
}

/// `at` in `zone`, with the zone's rules (daylight saving time included).
fn zoned(at: OffsetDateTime, zone: &ScheduleZone) -> ZonedDateTime {
    let timestamp = Timestamp::new(at.unix_timestamp(), 0).unwrap_or(Timestamp::UNIX_EPOCH);
    timestamp.to_zoned_datetime(time_zone_of(zone))
}

/// The jiff zone of a zone's canonical name: an IANA name, `UTC`, or `+HH:MM`.
fn time_zone_of(zone: &ScheduleZone) -> TimeZone {
    let name = zone.name();
    match name.strip_prefix(['+', '-']).and_then(|digits| {
        let hours: i32 = digits.get(..2)?.parse().ok()?;
        let minutes: i32 = digits.get(3..5)?.parse().ok()?;
        Some(hours * 3600 + minutes * 60)
    }) {
        Some(seconds) => {
            let seconds = if name.starts_with('-') {
                -seconds
            } else {
                seconds
            };
            Offset::from_seconds(seconds)
                .map(TimeZone::fixed)
                .unwrap_or(TimeZone::UTC)
        }
        None => TimeZone::get(name).unwrap_or(TimeZone::UTC),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2027-01-05 09:00 UTC);

    fn zone(name: &str) -> ScheduleZone {
        name.parse().expect("zone")
    }

    #[test]
    fn set_in_one_zone_shown_in_utc_and_that_zone() {
        let embargo =
            Embargo::parse("2027-02-10T17:00:00+01:00", "Europe/Berlin", NOW).expect("valid");
        assert_eq!(embargo.ends_at(), datetime!(2027-02-10 16:00 UTC));
        assert_eq!(embargo.ends_at_text(), "2027-02-10T16:00:00Z");
        assert_eq!(
            embargo.display(),
            "2027-02-10 16:00 UTC — 17:00 CET (Europe/Berlin)"
        );
        assert_eq!(
            embargo.local_text(embargo.zone()),
            "2027-02-10T17:00:00+01:00"
        );
    }

    #[test]
    fn a_viewer_in_another_zone_sees_the_same_instant() {
        let embargo = Embargo::parse("2027-02-10T16:00:00Z", "Europe/Berlin", NOW).expect("valid");
        let new_york = zone("America/New_York");
        assert_eq!(
            embargo.display_in(&new_york),
            "2027-02-10 16:00 UTC — 11:00 EST (America/New_York)"
        );
        let local = embargo.local_text(&new_york);
        assert_eq!(local, "2027-02-10T11:00:00-05:00");
        let read_back = OffsetDateTime::parse(&local, &Rfc3339).expect("rfc 3339");
        assert_eq!(read_back, embargo.ends_at());
        let tokyo = zone("Asia/Tokyo");
        assert_eq!(
            embargo.local_in(&tokyo),
            "2027-02-11 01:00 JST (Asia/Tokyo)",
            "the date is repeated when it is another day there"
        );
        assert_eq!(
            embargo.display_in(&zone("+05:30")),
            "2027-02-10 16:00 UTC — 21:30 UTC+05:30"
        );
        assert_eq!(embargo.display_in(&zone("UTC")), "2027-02-10 16:00 UTC");
    }

    #[test]
    fn summer_time_is_the_zone_s_own() {
        let embargo = Embargo::parse("2027-07-01T12:00:00Z", "Europe/Berlin", NOW).expect("valid");
        assert_eq!(
            embargo.display(),
            "2027-07-01 12:00 UTC — 14:00 CEST (Europe/Berlin)"
        );
    }

    #[test]
    fn refusals_name_their_field() {
        let table = [
            ("2027-02-10T17:00:00", "Europe/Berlin", "ends_at"),
            ("2027-02-10 17:00", "Europe/Berlin", "ends_at"),
            ("tomorrow", "Europe/Berlin", "ends_at"),
            ("2027-02-10T17:00:00+01:00", "Europe/Nowhere", "time_zone"),
            ("2027-02-10T17:00:00+01:00", "", "time_zone"),
            ("2027-01-05T09:00:00Z", "UTC", "ends_at"),
            ("2026-12-31T09:00:00Z", "UTC", "ends_at"),
            ("2031-01-05T09:00:00Z", "UTC", "ends_at"),
        ];
        for (ends_at, time_zone, field) in table {
            let errors = Embargo::parse(ends_at, time_zone, NOW).expect_err("refused");
            assert!(
                errors.iter().any(|error| error.field() == field),
                "{ends_at} {time_zone}: {errors:?}"
            );
        }
        let both = Embargo::parse("soon", "Mars/Base", NOW).expect_err("refused");
        assert_eq!(both.len(), 2, "both fields are named at once");
    }

    #[test]
    fn running_until_the_instant() {
        let embargo = Embargo::parse("2027-02-10T16:00:00Z", "UTC", NOW).expect("valid");
        assert!(embargo.is_running(datetime!(2027-02-10 15:59:59 UTC)));
        assert!(!embargo.is_running(datetime!(2027-02-10 16:00 UTC)));
        let stored =
            Embargo::stored(datetime!(2027-02-10 16:00 UTC), "Europe/Berlin").expect("stored");
        assert_eq!(stored.zone().name(), "Europe/Berlin");
    }
}
