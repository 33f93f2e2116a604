//! The Expires field's date-time: RFC 3339 as RFC 9116 §2.5.5 asks, read without a
//! clock — the caller says what "now" is.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// How an Expires value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// Exactly RFC 3339 `date-time`.
    Strict(OffsetDateTime),
    /// RFC 3339 but with a space instead of `T`, which RFC 3339 §5.6 tolerates and
    /// RFC 9116's grammar does not.
    SpaceSeparated(OffsetDateTime),
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` and `Z` in either case.
pub(crate) fn parse(value: &str) -> Option<Parsed> {
    let bytes = value.as_bytes();
    if bytes.len() < 20 || !value.is_ascii() {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| digits_of(value.get(range)?);
    if bytes[4] != b'-' || bytes[7] != b'-' || bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let space_separated = match bytes[10] {
        b'T' | b't' => false,
        b' ' => true,
        _ => return None,
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    let hour = u8::try_from(digits(11..13)?).ok()?;
    let minute = u8::try_from(digits(14..16)?).ok()?;
    let second = u8::try_from(digits(17..19)?).ok()?;

    let mut rest = &value[19..];
    let mut nanosecond = 0u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if length == 0 {
            return None;
        }
        // Precision beyond nanoseconds cannot change a verdict.
        let kept = &fraction[..length.min(9)];
        nanosecond = kept.parse::<u32>().ok()? * 10u32.pow(9 - kept.len() as u32);
        rest = &fraction[length..];
    }
    let offset = match rest {
        "Z" | "z" => UtcOffset::UTC,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let hours = i8::try_from(digits_of(&rest[1..3])?).ok()?;
            let minutes = i8::try_from(digits_of(&rest[4..6])?).ok()?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?
        }
    };
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms_nano(hour, minute, second, nanosecond).ok()?;
    let moment = PrimitiveDateTime::new(date, time).assume_offset(offset);
    Some(if space_separated {
        Parsed::SpaceSeparated(moment)
    } else {
        Parsed::Strict(moment)
    })
}

fn digits_of(part: &str) -> Option<u32> {
    if part.bytes().all(|b| b.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

/// One calendar year after `now` (29 February falls back to 28 February).
pub(crate) fn one_year_after(now: OffsetDateTime) -> OffsetDateTime {
    let date = now.date();
    let next_year = date.year() + 1;
    let same_day = Date::from_calendar_date(next_year, date.month(), date.day())
        .or_else(|_| Date::from_calendar_date(next_year, date.month(), date.day() - 1));
    match same_day {
        Ok(day) => now.replace_date(day),
        // Only at the very end of time's range; any later moment will do.
        Err(_) => now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn parses_rfc3339() {
        assert_eq!(
            parse("2027-10-01T00:00:00Z"),
            Some(Parsed::Strict(datetime!(2027-10-01 00:00 UTC)))
        );
        assert_eq!(
            parse("2027-10-01t12:30:15.5+02:00"),
            Some(Parsed::Strict(datetime!(2027-10-01 12:30:15.5 +02:00)))
        );
        assert_eq!(
            parse("2027-10-01 00:00:00z"),
            Some(Parsed::SpaceSeparated(datetime!(2027-10-01 00:00 UTC)))
        );
    }

    #[test]
    fn refuses_other_shapes() {
        for value in [
            "2027-10-01",
            "2027-10-01T00:00Z",
            "2027-10-01T00:00:00",
            "2027-13-01T00:00:00Z",
            "2027-02-29T00:00:00Z",
            "2027-10-01T24:00:00Z",
            "2027-10-01T00:00:00+24:00",
            "2027-10-01T00:00:00.Z",
            "2027-10-01T00:00:00+0200",
            "Fri, 01 Oct 2027 00:00:00 GMT",
            "２０２７-10-01T00:00:00Z",
        ] {
            assert_eq!(parse(value), None, "{value}");
        }
    }

    #[test]
    fn a_year_is_a_calendar_year() {
        assert_eq!(
            one_year_after(datetime!(2028-02-29 10:00 UTC)),
            datetime!(2029-02-28 10:00 UTC)
        );
        assert_eq!(
            one_year_after(datetime!(2026-05-01 10:00 UTC)),
            datetime!(2027-05-01 10:00 UTC)
        );
    }
}
