//! Business-day calendars: which local days are working days, and deadline arithmetic on
//! them. The counting rules are in the `sla` module documentation. Local days are those of
//! a fixed UTC offset or of an IANA time zone, whose offset changes with daylight-saving
//! time (from the tz database compiled into the binary, through `jiff`).

use std::collections::BTreeSet;
use std::str::FromStr;

use std::fmt;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset, Weekday};

/// How many days in a row may be free of work before deadline arithmetic gives up. Ten
/// years is far beyond any real closure; a holiday list that long is a mistake, and
/// stopping turns it into an error instead of a search without end.
pub const MAX_DAYS_WITHOUT_WORK: u32 = 366 * 10;

/// Which days are working days, and in which local time a day begins and ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Indexed by days from Monday.
    weekend: [bool; 7],
    holidays: Holidays,
    local: LocalTime,
}

/// The local time of a calendar.
#[derive(Clone, PartialEq, Eq)]
pub enum LocalTime {
    /// The same offset from UTC all year (`utc_offset`).
    Offset(UtcOffset),
    /// An IANA time zone (`time_zone`): the offset follows its daylight-saving rules.
    Zone { name: String, zone: TimeZone },
}

impl fmt::Debug for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalTime::Offset(offset) => write!(f, "Offset({offset})"),
            LocalTime::Zone { name, .. } => write!(f, "Zone({name})"),
        }
    }
}

/// A time zone name the tz database does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a time zone of the IANA tz database (e.g. Europe/Berlin, America/New_York, UTC)"
)]
pub struct UnknownTimeZone(pub String);

impl LocalTime {
    /// An IANA time zone by name, as the tz database spells it.
    pub fn zone(name: &str) -> Result<LocalTime, UnknownTimeZone> {
        let name = name.trim();
        // Fixed offsets are `utc_offset`'s; a zone here is a name from the database.
        if name.is_empty() || name.starts_with(['+', '-']) || name.chars().any(char::is_whitespace)
        {
            return Err(UnknownTimeZone(name.to_owned()));
        }
        let zone = TimeZone::get(name).map_err(|_| UnknownTimeZone(name.to_owned()))?;
        Ok(LocalTime::Zone {
            name: zone.iana_name().unwrap_or(name).to_owned(),
            zone,
        })
    }

    /// The offset from UTC in force at `instant`.
    pub fn offset_at(&self, instant: OffsetDateTime) -> UtcOffset {
        match self {
            LocalTime::Offset(offset) => *offset,
            LocalTime::Zone { zone, .. } => {
                let seconds = Timestamp::new(instant.unix_timestamp(), 0)
                    .map(|timestamp| zone.to_offset(timestamp).seconds())
                    .unwrap_or(0);
                UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
            }
        }
    }

    /// Each instant within `range` at which the offset from UTC changes, with the offset
    /// from then on; none for a fixed offset.
    pub fn offset_changes(
        &self,
        range: std::ops::Range<OffsetDateTime>,
    ) -> Vec<(OffsetDateTime, UtcOffset)> {
        let LocalTime::Zone { zone, .. } = self else {
            return Vec::new();
        };
        let Ok(start) = Timestamp::new(range.start.unix_timestamp(), 0) else {
            return Vec::new();
        };
        zone.following(start)
            .map_while(|change| {
                let at =
                    OffsetDateTime::from_unix_timestamp(change.timestamp().as_second()).ok()?;
                let offset = UtcOffset::from_whole_seconds(change.offset().seconds()).ok()?;
                (at < range.end).then_some((at, offset))
            })
            .collect()
    }

    /// The first instant of `date`: its midnight, or, where the clocks jump over
    /// midnight, the moment the day begins after the jump.
    fn start_of(&self, date: Date) -> Option<OffsetDateTime> {
        match self {
            LocalTime::Offset(offset) => Some(date.midnight().assume_offset(*offset)),
            LocalTime::Zone { zone, .. } => {
                let civil = jiff::civil::Date::new(
                    i16::try_from(date.year()).ok()?,
                    i8::try_from(u8::from(date.month())).ok()?,
                    i8::try_from(date.day()).ok()?,
                )
                .ok()?
                .to_datetime(jiff::civil::Time::midnight());
                let timestamp = zone.to_ambiguous_timestamp(civil).compatible().ok()?;
                let instant =
                    OffsetDateTime::from_unix_timestamp_nanos(timestamp.as_nanosecond()).ok()?;
                instant.checked_to_offset(self.offset_at(instant))
            }
        }
    }
}

/// A calendar needs at least one working weekday, or no deadline could ever be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("every day of the week is a weekend day; leave at least one working day")]
pub struct NoWorkingWeekday;

/// Why a deadline cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    #[error("there is no working day in the ten years from {from}; check the holiday list")]
    NoWorkingDay { from: Date },
    #[error("the deadline falls outside the dates the desk can represent")]
    OutOfRange,
}

impl Calendar {
    /// A calendar with the given weekend days, holidays and offset. Naming a weekday twice
    /// is harmless.
    pub fn new(
        weekend: impl IntoIterator<Item = Weekday>,
        holidays: Holidays,
        offset: UtcOffset,
    ) -> Result<Calendar, NoWorkingWeekday> {
        Calendar::in_local_time(weekend, holidays, LocalTime::Offset(offset))
    }

    /// A calendar whose days are those of `local` (a fixed offset or a time zone).
    pub fn in_local_time(
        weekend: impl IntoIterator<Item = Weekday>,
        holidays: Holidays,
        local: LocalTime,
    ) -> Result<Calendar, NoWorkingWeekday> {
        let mut weekend_days = [false; 7];
        for day in weekend {
            weekend_days[weekday_index(day)] = true;
        }
        if weekend_days.iter().all(|&is_weekend| is_weekend) {
            return Err(NoWorkingWeekday);
        }
        Ok(Calendar {
            weekend: weekend_days,
            holidays,
            local,
        })
    }

    /// The calendar's local time.
    pub fn local_time(&self) -> &LocalTime {
        &self.local
    }

    /// `instant` in the calendar's local time, for people: `2026-03-30 17:00
    /// (Europe/Berlin, UTC+02:00)`, or `2026-03-30 17:00 (UTC+01:00)` for a fixed offset.
    pub fn local_display(&self, instant: OffsetDateTime) -> String {
        let offset = self.local.offset_at(instant);
        let local = instant.checked_to_offset(offset).unwrap_or(instant);
        let (hours, minutes, _) = offset.as_hms();
        let sign = if offset.is_negative() { '-' } else { '+' };
        let when = format!("{} {:02}:{:02}", local.date(), local.hour(), local.minute());
        let offset = format!("UTC{sign}{:02}:{:02}", hours.abs(), minutes.abs());
        match &self.local {
            LocalTime::Offset(_) => format!("{when} ({offset})"),
            LocalTime::Zone { name, .. } => format!("{when} ({name}, {offset})"),
        }
    }

    /// Whether `date` is neither a weekend day nor a holiday.
    pub fn is_working_day(&self, date: Date) -> bool {
        !self.weekend[weekday_index(date.weekday())] && !self.holidays.contains(date)
    }

    /// The local date `instant` falls on.
    pub fn local_date(&self, instant: OffsetDateTime) -> Result<Date, DeadlineError> {
        Ok(self.local(instant)?.date())
    }

    /// The instant `date` begins: its local midnight (or, where the clocks jump over
    /// midnight, the end of the jump).
    pub fn start_of_day(&self, date: Date) -> OffsetDateTime {
        self.local
            .start_of(date)
            .unwrap_or_else(|| date.midnight().assume_utc())
    }

    /// The end of the n-th working day that begins at or after `start`, as the local
    /// midnight that follows it. The day `start` falls in does not count unless `start` is
    /// that day's midnight; with `n` = 0 the deadline is the end of that day.
    pub fn add_working_days(
        &self,
        start: OffsetDateTime,
        n: u32,
    ) -> Result<OffsetDateTime, DeadlineError> {
        let mut day = self.first_whole_day(start)?;
        for _ in 0..n {
            let working_day = self.working_day_on_or_after(day)?;
            day = working_day.next_day().ok_or(DeadlineError::OutOfRange)?;
        }
        Ok(self.start_of_day(day))
    }

    /// `n` days after `start` at the same local time of day (with a fixed offset, exactly
    /// `n` × 24 hours; in a time zone, an hour more or less across a change of the
    /// clocks, and the first valid time after a time the clocks skip). Weekends and
    /// holidays make no difference.
    pub fn add_calendar_days(
        &self,
        start: OffsetDateTime,
        n: u32,
    ) -> Result<OffsetDateTime, DeadlineError> {
        match &self.local {
            LocalTime::Offset(offset) => start
                .checked_add(Duration::days(i64::from(n)))
                .and_then(|due| due.checked_to_offset(*offset))
                .ok_or(DeadlineError::OutOfRange),
            LocalTime::Zone { zone, .. } => {
                let timestamp = Timestamp::new(
                    start.unix_timestamp(),
                    i32::try_from(start.nanosecond()).unwrap_or(0),
                )
                .map_err(|_| DeadlineError::OutOfRange)?;
                let due = timestamp
                    .to_zoned_datetime(zone.clone())
                    .checked_add(jiff::Span::new().days(i64::from(n)))
                    .map_err(|_| DeadlineError::OutOfRange)?
                    .timestamp();
                let due = OffsetDateTime::from_unix_timestamp_nanos(due.as_nanosecond())
                    .map_err(|_| DeadlineError::OutOfRange)?;
                self.local(due)
            }
        }
    }

    /// How many working days lie wholly between `from` and `to`: those that begin at or
    /// after `from` and end at or before `to`. Zero when `to` is not after `from`.
    pub fn working_days_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<u32, DeadlineError> {
        if to <= from {
            return Ok(0);
        }
        // A day ends at or before `to` when it begins before the day `to` falls on.
        let end = self.local_date(to)?;
        let mut day = self.first_whole_day(from)?;
        let mut count = 0;
        while day < end {
            if self.is_working_day(day) {
                count += 1;
            }
            let Some(next) = day.next_day() else { break };
            day = next;
        }
        Ok(count)
    }

    fn local(&self, instant: OffsetDateTime) -> Result<OffsetDateTime, DeadlineError> {
        instant
            .checked_to_offset(self.local.offset_at(instant))
            .ok_or(DeadlineError::OutOfRange)
    }

    /// The first local day that begins at or after `instant`.
    fn first_whole_day(&self, instant: OffsetDateTime) -> Result<Date, DeadlineError> {
        let date = self.local(instant)?.date();
        if self.local.start_of(date) == Some(instant) {
            Ok(date)
        } else {
            date.next_day().ok_or(DeadlineError::OutOfRange)
        }
    }

    fn working_day_on_or_after(&self, from: Date) -> Result<Date, DeadlineError> {
        let mut day = from;
        for _ in 0..MAX_DAYS_WITHOUT_WORK {
            if self.is_working_day(day) {
                return Ok(day);
            }
            day = day.next_day().ok_or(DeadlineError::OutOfRange)?;
        }
        Err(DeadlineError::NoWorkingDay { from })
    }
}

impl Default for Calendar {
    /// Saturday and Sunday off, no holidays, UTC.
    fn default() -> Self {
        let mut weekend = [false; 7];
        weekend[weekday_index(Weekday::Saturday)] = true;
        weekend[weekday_index(Weekday::Sunday)] = true;
        Calendar {
            weekend,
            holidays: Holidays::default(),
            local: LocalTime::Offset(UtcOffset::UTC),
        }
    }
}

fn weekday_index(day: Weekday) -> usize {
    usize::from(day.number_days_from_monday())
}

/// Days off that are not weekend days. Parsed from text with one `YYYY-MM-DD` date a
/// line; blank lines are skipped and `#` starts a comment, on its own line or after a date.
/// A date given twice counts once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays(BTreeSet<Date>);

/// The first line of a holiday list that is not a date, numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: '{text}' is not a date; write one holiday a line as YYYY-MM-DD")]
pub struct HolidayLineError {
    pub line: usize,
    /// The line without its comment and surrounding spaces.
    pub text: String,
}

impl Holidays {
    pub fn contains(&self, date: Date) -> bool {
        self.0.contains(&date)
    }

    /// The dates in order, each once.
    pub fn dates(&self) -> impl Iterator<Item = Date> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Date> for Holidays {
    fn from_iter<I: IntoIterator<Item = Date>>(dates: I) -> Self {
        Holidays(dates.into_iter().collect())
    }
}

impl FromStr for Holidays {
    type Err = HolidayLineError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut dates = BTreeSet::new();
        for (index, line) in text.lines().enumerate() {
            let entry = line
                .split_once('#')
                .map_or(line, |(before_comment, _)| before_comment)
                .trim();
            if entry.is_empty() {
                continue;
            }
            let date = parse_date(entry).ok_or_else(|| HolidayLineError {
                line: index + 1,
                text: entry.to_owned(),
            })?;
            dates.insert(date);
        }
        Ok(Holidays(dates))
    }
}

/// Exactly `YYYY-MM-DD` naming a day that exists; nothing looser, so a typo such as
/// `2026-1-6` or `2026-02-30` is reported instead of guessed at.
fn parse_date(text: &str) -> Option<Date> {
    let shape_ok = text.len() == 10
        && text
            .bytes()
            .enumerate()
            .all(|(position, byte)| match position {
                4 | 7 => byte == b'-',
                _ => byte.is_ascii_digit(),
            });
    if !shape_ok {
        return None;
    }
    let year = text.get(0..4)?.parse().ok()?;
    let month = Month::try_from(text.get(5..7)?.parse::<u8>().ok()?).ok()?;
    let day = text.get(8..10)?.parse().ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

#[cfg(test)]
mod tests;
