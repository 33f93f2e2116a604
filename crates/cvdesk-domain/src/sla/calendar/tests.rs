//! Working-day arithmetic over weekends, holidays, year ends, leap days and time zones,
//! with its invariants checked on random calendars.

use proptest::prelude::*;
use time::macros::{date, datetime, offset};
use time::{Date, Duration, OffsetDateTime, Time, UtcOffset, Weekday};

use super::*;

fn calendar(weekend: &[Weekday], holidays: &str, offset: UtcOffset) -> Calendar {
    let holidays = holidays.parse().expect("valid holidays");
    Calendar::new(weekend.iter().copied(), holidays, offset).expect("a working weekday")
}

fn utc_calendar(holidays: &str) -> Calendar {
    calendar(
        &[Weekday::Saturday, Weekday::Sunday],
        holidays,
        UtcOffset::UTC,
    )
}

#[test]
fn default_calendar_works_monday_to_friday_in_utc() {
    let calendar = Calendar::default();
    let working: Vec<bool> = (0..7)
        .map(|day| calendar.is_working_day(date!(2026 - 01 - 05) + Duration::days(day)))
        .collect();
    assert_eq!(working, [true, true, true, true, true, false, false]);
    assert_eq!(calendar, utc_calendar(""));
}

#[test]
fn a_friday_and_saturday_weekend_works_sunday_to_thursday() {
    let calendar = calendar(&[Weekday::Friday, Weekday::Saturday], "", offset!(+3));
    assert!(!calendar.is_working_day(date!(2026 - 01 - 09)));
    assert!(!calendar.is_working_day(date!(2026 - 01 - 10)));
    assert!(calendar.is_working_day(date!(2026 - 01 - 11)));
    // Received Thursday evening: Friday and Saturday are off, Sunday is the first day.
    assert_eq!(
        calendar.add_working_days(datetime!(2026-01-08 18:00 +3), 1),
        Ok(datetime!(2026-01-12 00:00 +3))
    );
}

#[test]
fn a_week_without_working_days_is_refused() {
    let every_day = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];
    let refused = Calendar::new(every_day, Holidays::default(), UtcOffset::UTC);
    assert_eq!(refused, Err(NoWorkingWeekday));
    assert_eq!(
        NoWorkingWeekday.to_string(),
        "every day of the week is a weekend day; leave at least one working day"
    );

    // One working day a week is enough, and naming a day twice changes nothing.
    let wednesdays_only = Calendar::new(
        every_day
            .into_iter()
            .filter(|day| *day != Weekday::Wednesday)
            .chain([Weekday::Monday]),
        Holidays::default(),
        UtcOffset::UTC,
    )
    .expect("Wednesday works");
    assert_eq!(
        wednesdays_only.add_working_days(datetime!(2026-01-12 09:00 UTC), 2),
        Ok(datetime!(2026-01-22 00:00 UTC))
    );
}

#[test]
fn friday_evening_plus_five_working_days_ends_with_the_next_friday() {
    let received = datetime!(2026-01-09 17:00 UTC);
    assert_eq!(received.weekday(), Weekday::Friday);
    assert_eq!(
        Calendar::default().add_working_days(received, 5),
        Ok(datetime!(2026-01-17 00:00 UTC))
    );
}

#[test]
fn the_day_of_receipt_counts_only_from_its_midnight() {
    let calendar = Calendar::default();
    assert_eq!(
        calendar.add_working_days(datetime!(2026-01-12 00:00 UTC), 1),
        Ok(datetime!(2026-01-13 00:00 UTC))
    );
    assert_eq!(
        calendar.add_working_days(datetime!(2026-01-12 00:00:00.000_000_001 UTC), 1),
        Ok(datetime!(2026-01-14 00:00 UTC))
    );
}

#[test]
fn a_weekend_report_starts_counting_on_monday() {
    assert_eq!(
        Calendar::default().add_working_days(datetime!(2026-01-10 11:00 UTC), 1),
        Ok(datetime!(2026-01-13 00:00 UTC))
    );
}

#[test]
fn zero_working_days_is_the_end_of_the_day_of_receipt() {
    let calendar = Calendar::default();
    assert_eq!(
        calendar.add_working_days(datetime!(2026-01-09 17:00 UTC), 0),
        Ok(datetime!(2026-01-10 00:00 UTC))
    );
    assert_eq!(
        calendar.add_working_days(datetime!(2026-01-10 00:00 UTC), 0),
        Ok(datetime!(2026-01-10 00:00 UTC))
    );
}

#[test]
fn holidays_parse_with_comments_blank_lines_and_duplicates() {
    let holidays: Holidays = "# Public holidays\r\n\
         \n\
         2026-12-25   # Christmas Day\n\
         \t2026-01-01\n\
         2026-12-25\n\
         2028-02-29\n\
         #2026-05-01 not this year\n"
        .parse()
        .expect("valid");
    assert_eq!(
        holidays.dates().collect::<Vec<_>>(),
        [
            date!(2026 - 01 - 01),
            date!(2026 - 12 - 25),
            date!(2028 - 02 - 29)
        ]
    );
    assert!(!holidays.contains(date!(2026 - 05 - 01)));
    assert_eq!("".parse::<Holidays>(), Ok(Holidays::default()));
}

#[test]
fn a_malformed_holiday_names_its_line() {
    let cases = [
        ("2026-01-01\n2026-1-06\n", 2, "2026-1-06"),
        ("\n\n\n2026-02-30", 4, "2026-02-30"),
        ("2027-02-29", 1, "2027-02-29"),
        ("2026-13-01", 1, "2026-13-01"),
        ("# comment\n25.12.2026 # Christmas", 2, "25.12.2026"),
        ("2026-12-25 2026-12-26", 1, "2026-12-25 2026-12-26"),
        ("+2026-12-25", 1, "+2026-12-25"),
        ("２０２６-12-25", 1, "２０２６-12-25"),
    ];
    for (text, line, found) in cases {
        assert_eq!(
            text.parse::<Holidays>(),
            Err(HolidayLineError {
                line,
                text: found.to_owned()
            }),
            "{text:?}"
        );
    }
    assert_eq!(
        "2026-01-01\n\n\n2026-02-30"
            .parse::<Holidays>()
            .map_err(|error| error.to_string()),
        Err("line 4: '2026-02-30' is not a date; write one holiday a line as YYYY-MM-DD".into())
    );
}

#[test]
fn holidays_are_not_working_days() {
    let calendar = utc_calendar("2026-05-01");
    assert!(!calendar.is_working_day(date!(2026 - 05 - 01)));
    assert!(calendar.is_working_day(date!(2026 - 04 - 30)));
}

#[test]
fn a_holiday_on_the_monday_after_a_weekend_pushes_the_deadline_on() {
    // Easter 2026: Good Friday on 3 April, Easter Monday on 6 April.
    let calendar = utc_calendar("2026-04-03\n2026-04-06\n");
    assert_eq!(date!(2026 - 04 - 06).weekday(), Weekday::Monday);
    assert_eq!(
        calendar.add_working_days(datetime!(2026-04-02 16:00 UTC), 1),
        Ok(datetime!(2026-04-08 00:00 UTC))
    );
}

#[test]
fn consecutive_holidays_from_christmas_to_new_year() {
    let calendar = utc_calendar("2025-12-24\n2025-12-25\n2025-12-26\n2025-12-31\n2026-01-01\n");
    // Tuesday 23 December: the 29th and 30th count, then 2 January.
    assert_eq!(
        calendar.add_working_days(datetime!(2025-12-23 15:00 UTC), 3),
        Ok(datetime!(2026-01-03 00:00 UTC))
    );
    assert_eq!(
        calendar.working_days_between(
            datetime!(2025-12-22 00:00 UTC),
            datetime!(2026-01-05 00:00 UTC)
        ),
        Ok(5)
    );
}

#[test]
fn deadlines_cross_the_year_end() {
    assert_eq!(
        Calendar::default().add_working_days(datetime!(2025-12-31 10:00 UTC), 2),
        Ok(datetime!(2026-01-03 00:00 UTC))
    );
    assert_eq!(
        Calendar::default().add_calendar_days(datetime!(2025-12-31 10:00 UTC), 1),
        Ok(datetime!(2026-01-01 10:00 UTC))
    );
}

#[test]
fn leap_days_count_like_any_other_day() {
    let calendar = Calendar::default();
    assert_eq!(date!(2028 - 02 - 29).weekday(), Weekday::Tuesday);
    assert_eq!(
        calendar.add_working_days(datetime!(2028-02-28 09:00 UTC), 1),
        Ok(datetime!(2028-03-01 00:00 UTC))
    );
    assert_eq!(
        utc_calendar("2028-02-29").add_working_days(datetime!(2028-02-28 09:00 UTC), 1),
        Ok(datetime!(2028-03-02 00:00 UTC))
    );
    assert_eq!(
        calendar.add_calendar_days(datetime!(2028-02-28 09:00 UTC), 2),
        Ok(datetime!(2028-03-01 09:00 UTC))
    );
    assert_eq!(
        calendar.add_calendar_days(datetime!(2027-02-28 09:00 UTC), 2),
        Ok(datetime!(2027-03-02 09:00 UTC))
    );
}

#[test]
fn friday_evening_in_utc_is_saturday_in_utc_plus_ten() {
    let instant = datetime!(2026-01-09 20:00 UTC);
    let sydney = calendar(&[Weekday::Saturday, Weekday::Sunday], "", offset!(+10));
    assert_eq!(sydney.local_date(instant), Ok(date!(2026 - 01 - 10)));
    assert!(!sydney.is_working_day(date!(2026 - 01 - 10)));
    assert!(Calendar::default().is_working_day(date!(2026 - 01 - 09)));
}

#[test]
fn deadlines_end_at_the_calendars_local_midnight() {
    // Thursday evening in UTC is already Friday morning in UTC+10, so Friday is the day
    // of receipt there and does not count.
    let thursday_evening = datetime!(2026-01-08 20:00 UTC);
    let sydney = calendar(&[Weekday::Saturday, Weekday::Sunday], "", offset!(+10));
    assert_eq!(
        Calendar::default().add_working_days(thursday_evening, 1),
        Ok(datetime!(2026-01-10 00:00 UTC))
    );
    let due = sydney
        .add_working_days(thursday_evening, 1)
        .expect("in range");
    assert_eq!(due, datetime!(2026-01-13 00:00 +10));
    assert_eq!(due, datetime!(2026-01-12 14:00 UTC));
    assert_eq!(due.offset(), offset!(+10));

    // Early Monday in UTC is still Sunday evening in UTC-5, so Monday counts there.
    let monday_early = datetime!(2026-01-12 02:00 UTC);
    let new_york = calendar(&[Weekday::Saturday, Weekday::Sunday], "", offset!(-5));
    assert_eq!(new_york.local_date(monday_early), Ok(date!(2026 - 01 - 11)));
    assert_eq!(
        new_york.add_working_days(monday_early, 1),
        Ok(datetime!(2026-01-13 00:00 -5))
    );
    assert_eq!(
        Calendar::default().add_working_days(monday_early, 1),
        Ok(datetime!(2026-01-14 00:00 UTC))
    );
}

#[test]
fn calendar_days_are_whole_days_in_the_calendars_offset() {
    let sydney = calendar(&[Weekday::Saturday, Weekday::Sunday], "", offset!(+10));
    let due = sydney
        .add_calendar_days(datetime!(2026-01-09 17:00 UTC), 90)
        .expect("in range");
    assert_eq!(due, datetime!(2026-04-09 17:00 UTC));
    assert_eq!(due.offset(), offset!(+10));
}

#[test]
fn working_days_between_counts_whole_days_only() {
    let calendar = Calendar::default();
    let monday_morning = datetime!(2026-01-12 09:00 UTC);
    let next_monday_morning = datetime!(2026-01-19 09:00 UTC);
    assert_eq!(
        calendar.working_days_between(monday_morning, next_monday_morning),
        Ok(4)
    );
    assert_eq!(
        calendar.working_days_between(
            datetime!(2026-01-12 00:00 UTC),
            datetime!(2026-01-19 00:00 UTC)
        ),
        Ok(5)
    );
    assert_eq!(
        calendar.working_days_between(next_monday_morning, monday_morning),
        Ok(0)
    );
    assert_eq!(
        calendar.working_days_between(monday_morning, monday_morning),
        Ok(0)
    );
    assert_eq!(
        calendar.working_days_between(monday_morning, datetime!(2026-01-12 17:00 UTC)),
        Ok(0)
    );
}

#[test]
fn a_holiday_list_without_end_is_an_error_not_a_hang() {
    let every_day: Holidays = (0..366 * 11)
        .map(|day| date!(2026 - 01 - 01) + Duration::days(day))
        .collect();
    let closed = Calendar::new(
        [Weekday::Saturday, Weekday::Sunday],
        every_day,
        UtcOffset::UTC,
    )
    .expect("weekdays work");
    let refused = closed.add_working_days(datetime!(2025-12-31 12:00 UTC), 1);
    assert_eq!(
        refused,
        Err(DeadlineError::NoWorkingDay {
            from: date!(2026 - 01 - 01)
        })
    );
    assert_eq!(
        refused.map_err(|error| error.to_string()),
        Err(
            "there is no working day in the ten years from 2026-01-01; check the holiday list"
                .into()
        )
    );
}

#[test]
fn the_end_of_the_representable_dates_is_an_error_not_a_panic() {
    let last_noon = Date::MAX.with_time(time::macros::time!(12:00)).assume_utc();
    let utc = Calendar::default();
    assert_eq!(
        utc.add_working_days(last_noon, 1),
        Err(DeadlineError::OutOfRange)
    );
    assert_eq!(
        utc.add_calendar_days(last_noon, 1),
        Err(DeadlineError::OutOfRange)
    );
    let ahead = calendar(&[Weekday::Saturday, Weekday::Sunday], "", offset!(+14));
    assert_eq!(ahead.local_date(last_noon), Err(DeadlineError::OutOfRange));
    assert_eq!(
        ahead.working_days_between(last_noon - Duration::days(3), last_noon),
        Err(DeadlineError::OutOfRange)
    );
}

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// Any weekend that leaves a working day, up to sixty holidays around the start, and any
/// offset from -12:00 to +14:00 in quarter hours.
fn any_calendar() -> impl Strategy<Value = Calendar> {
    (
        prop::array::uniform7(any::<bool>()).prop_filter("a working weekday", |weekend| {
            !weekend.iter().all(|day| *day)
        }),
        prop::collection::btree_set(0i64..1_500, 0..60),
        -48i32..=56,
    )
        .prop_map(|(weekend, holiday_days, quarter_hours)| {
            let weekend = WEEK
                .into_iter()
                .zip(weekend)
                .filter_map(|(day, off)| off.then_some(day));
            let holidays = holiday_days
                .into_iter()
                .map(|day| date!(2023 - 12 - 01) + Duration::days(day))
                .collect();
            let offset = UtcOffset::from_whole_seconds(quarter_hours * 900).expect("in range");
            Calendar::new(weekend, holidays, offset).expect("a working weekday")
        })
}

/// Any second from 2024 to 2026, sometimes exactly on a UTC midnight.
fn any_start() -> impl Strategy<Value = OffsetDateTime> {
    prop_oneof![
        (1_704_067_200i64..1_798_761_600),
        (19_723i64..20_819).prop_map(|day| day * 86_400),
    ]
    .prop_map(|seconds| OffsetDateTime::from_unix_timestamp(seconds).expect("in range"))
}

proptest! {
    #[test]
    fn a_working_day_deadline_is_the_end_of_a_working_day(
        calendar in any_calendar(),
        start in any_start(),
        n in 1u32..60,
    ) {
        let due = calendar.add_working_days(start, n).expect("in range");
        prop_assert_eq!(Some(due.offset()), fixed_offset(&calendar));
        prop_assert_eq!(due.time(), Time::MIDNIGHT);
        let last_day = due.date().previous_day().expect("in range");
        prop_assert!(calendar.is_working_day(last_day));
        prop_assert!(due > start);
    }

    #[test]
    fn exactly_n_working_days_lie_between_the_start_and_its_deadline(
        calendar in any_calendar(),
        start in any_start(),
        n in 0u32..60,
    ) {
        let due = calendar.add_working_days(start, n).expect("in range");
        prop_assert_eq!(calendar.working_days_between(start, due), Ok(n));
        // A moment earlier, the last day is no longer whole.
        if n > 0 {
            let just_before = due - Duration::nanoseconds(1);
            prop_assert_eq!(calendar.working_days_between(start, just_before), Ok(n - 1));
        }
    }

    #[test]
    fn n_then_m_working_days_is_n_plus_m(
        calendar in any_calendar(),
        start in any_start(),
        n in 0u32..40,
        m in 0u32..40,
    ) {
        let first = calendar.add_working_days(start, n).expect("in range");
        prop_assert_eq!(
            calendar.add_working_days(first, m),
            calendar.add_working_days(start, n + m)
        );
    }

    #[test]
    fn more_working_days_give_a_later_deadline(
        calendar in any_calendar(),
        start in any_start(),
        n in 0u32..60,
    ) {
        let earlier = calendar.add_working_days(start, n).expect("in range");
        let later = calendar.add_working_days(start, n + 1).expect("in range");
        prop_assert!(earlier < later);
        let same_day = calendar.add_working_days(start, 0).expect("in range");
        prop_assert!(start <= same_day && same_day - start <= Duration::DAY);
    }

    #[test]
    fn calendar_days_add_exactly_n_times_24_hours(
        calendar in any_calendar(),
        start in any_start(),
        n in 0u32..1_000,
    ) {
        let due = calendar.add_calendar_days(start, n).expect("in range");
        prop_assert_eq!(due - start, Duration::hours(24 * i64::from(n)));
        prop_assert_eq!(Some(due.offset()), fixed_offset(&calendar));
    }
}

/// The offset of a calendar with a fixed one.
fn fixed_offset(calendar: &Calendar) -> Option<UtcOffset> {
    match calendar.local_time() {
        LocalTime::Offset(offset) => Some(*offset),
        LocalTime::Zone { .. } => None,
    }
}

fn zoned(name: &str, holidays: &str) -> Calendar {
    Calendar::in_local_time(
        [Weekday::Saturday, Weekday::Sunday],
        holidays.parse().expect("valid holidays"),
        LocalTime::zone(name).expect("a known zone"),
    )
    .expect("a working weekday")
}

#[test]
fn time_zones_are_named_as_the_tz_database_spells_them() {
    assert!(LocalTime::zone("Europe/Berlin").is_ok());
    assert!(LocalTime::zone("UTC").is_ok());
    for refused in ["Europe/Atlantis", "+01:00", "", "Europe Berlin", "CEST+2"] {
        let error = LocalTime::zone(refused).expect_err(refused);
        assert!(error.to_string().contains("IANA tz database"), "{error}");
    }
}

#[test]
fn berlin_deadlines_follow_summer_time() {
    // Friday 27 March 2026, 10:00 UTC; the clocks go forward on Sunday 29 March.
    let berlin = zoned("Europe/Berlin", "");
    let fixed = calendar(&[Weekday::Saturday, Weekday::Sunday], "", offset!(+1));
    let start = datetime!(2026-03-27 10:00 UTC);
    // Two working days: Monday and Tuesday, ending at midnight into Wednesday, local.
    assert_eq!(
        berlin.add_working_days(start, 2),
        Ok(datetime!(2026-04-01 00:00 +2))
    );
    // A fixed +01:00 is an hour late in summer: the error the time zone removes.
    assert_eq!(
        fixed.add_working_days(start, 2),
        Ok(datetime!(2026-04-01 00:00 +1))
    );
    // In winter, both agree.
    let winter = datetime!(2026-01-09 10:00 UTC);
    assert_eq!(
        berlin.add_working_days(winter, 2),
        fixed.add_working_days(winter, 2)
    );
    // The day of the change is 23 hours long.
    let sunday = berlin.start_of_day(date!(2026 - 03 - 29));
    let monday = berlin.start_of_day(date!(2026 - 03 - 30));
    assert_eq!(monday - sunday, Duration::hours(23));
    // Calendar days keep the local time across the change: 10:00 CET to 10:00 CEST.
    let ten = datetime!(2026-03-28 10:00 +1);
    assert_eq!(
        berlin.add_calendar_days(ten, 2),
        Ok(datetime!(2026-03-30 10:00 +2))
    );
    assert_eq!(
        berlin.local_display(datetime!(2026-03-30 15:00 UTC)),
        "2026-03-30 17:00 (Europe/Berlin, UTC+02:00)"
    );
    assert_eq!(
        fixed.local_display(datetime!(2026-03-30 15:00 UTC)),
        "2026-03-30 16:00 (UTC+01:00)"
    );
}

#[test]
fn a_day_that_begins_after_a_jump_over_midnight_begins_then() {
    // Santiago moves its clocks forward at midnight: 2026-09-06 begins at 01:00 local.
    let santiago = zoned("America/Santiago", "");
    let start = santiago.start_of_day(date!(2026 - 09 - 06));
    assert_eq!(start, datetime!(2026-09-06 01:00 -3));
    assert_eq!(santiago.local_date(start), Ok(date!(2026 - 09 - 06)));
    // A deadline counted from that very instant counts that day.
    assert_eq!(
        santiago.working_days_between(start, santiago.start_of_day(date!(2026 - 09 - 08))),
        Ok(1)
    );
}

/// Zones with daylight-saving time on both hemispheres, and one without.
fn any_zone() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("Europe/Berlin"),
        Just("America/New_York"),
        Just("Australia/Sydney"),
        Just("America/Santiago"),
        Just("Asia/Kolkata"),
    ]
}

proptest! {
    #[test]
    fn zoned_days_begin_at_local_midnight_and_last_23_to_25_hours(
        zone in any_zone(),
        day in 0i64..1_100,
    ) {
        let calendar = zoned(zone, "");
        let date = date!(2024 - 01 - 01) + Duration::days(day);
        let start = calendar.start_of_day(date);
        let next = calendar.start_of_day(date.next_day().expect("in range"));
        prop_assert_eq!(calendar.local_date(start), Ok(date));
        prop_assert_eq!(calendar.local_date(start - Duration::nanoseconds(1)), Ok(date.previous_day().expect("in range")));
        let length = next - start;
        prop_assert!(length >= Duration::hours(23) && length <= Duration::hours(25), "{zone} {date}: {length}");
    }

    #[test]
    fn zoned_working_day_deadlines_end_a_working_day_and_count_exactly(
        zone in any_zone(),
        start in any_start(),
        n in 0u32..60,
    ) {
        let calendar = zoned(zone, "2025-12-25\n2026-01-01");
        let due = calendar.add_working_days(start, n).expect("in range");
        let day = calendar.local_date(due).expect("in range");
        prop_assert_eq!(calendar.start_of_day(day), due, "a deadline is the start of a local day");
        if n > 0 {
            let last_day = day.previous_day().expect("in range");
            prop_assert!(calendar.is_working_day(last_day));
        }
        prop_assert_eq!(calendar.working_days_between(start, due), Ok(n));
    }

    #[test]
    fn zoned_calendar_days_keep_the_local_time_of_day(
        zone in any_zone(),
        start in any_start(),
        n in 0u32..400,
    ) {
        let calendar = zoned(zone, "");
        let due = calendar.add_calendar_days(start, n).expect("in range");
        let from = calendar.local_date(start).expect("in range");
        prop_assert_eq!(calendar.local_date(due), Ok(from + Duration::days(i64::from(n))));
        let hours = (due - start).whole_hours() - 24 * i64::from(n);
        prop_assert!((-1..=1).contains(&hours), "{zone}: off by {hours} hours");
    }

    #[test]
    fn a_zone_without_changes_is_its_fixed_offset(
        start in any_start(),
        n in 0u32..60,
    ) {
        let kolkata = zoned("Asia/Kolkata", "");
        let fixed = calendar(&[Weekday::Saturday, Weekday::Sunday], "", offset!(+5:30));
        prop_assert_eq!(kolkata.add_working_days(start, n), fixed.add_working_days(start, n));
        prop_assert_eq!(kolkata.add_calendar_days(start, n), fixed.add_calendar_days(start, n));
    }
}
