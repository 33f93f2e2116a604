//! Clock statuses at their boundaries, the at-risk margin of each kind of rule, and the
//! "due this week" window.

use proptest::prelude::*;
use time::macros::{date, datetime, offset};
use time::{Duration, UtcOffset, Weekday};

use super::*;
use crate::sla::calendar::Holidays;

fn five_working_days_from_friday_evening() -> Deadline {
    Deadline::new(
        Rule::WorkingDays(5),
        &Calendar::default(),
        datetime!(2026-01-09 17:00 UTC),
    )
    .expect("in range")
}

#[test]
fn five_working_days_are_at_risk_on_the_last_working_day() {
    let deadline = five_working_days_from_friday_evening();
    assert_eq!(deadline.due_at, datetime!(2026-01-17 00:00 UTC));
    assert_eq!(deadline.at_risk_from, datetime!(2026-01-16 00:00 UTC));
}

#[test]
fn an_open_clock_goes_from_due_to_at_risk_to_overdue() {
    let deadline = five_working_days_from_friday_evening();
    let status_at = |now| deadline.status(None, now);
    assert_eq!(status_at(datetime!(2026-01-09 17:00 UTC)), ClockStatus::Due);
    assert_eq!(
        status_at(datetime!(2026-01-15 23:59:59 UTC)),
        ClockStatus::Due
    );
    assert_eq!(
        status_at(datetime!(2026-01-16 00:00 UTC)),
        ClockStatus::AtRisk
    );
    assert_eq!(
        status_at(datetime!(2026-01-16 23:59:59 UTC)),
        ClockStatus::AtRisk
    );
    assert_eq!(
        status_at(datetime!(2026-01-17 00:00 UTC)),
        ClockStatus::Overdue
    );
    assert_eq!(
        status_at(datetime!(2026-03-01 00:00 UTC)),
        ClockStatus::Overdue
    );
}

#[test]
fn a_done_clock_is_met_up_to_the_deadline_and_missed_after_it() {
    let deadline = five_working_days_from_friday_evening();
    let later = datetime!(2026-06-01 00:00 UTC);
    assert_eq!(
        deadline.status(Some(datetime!(2026-01-12 09:00 UTC)), later),
        ClockStatus::Met
    );
    assert_eq!(
        deadline.status(Some(datetime!(2026-01-17 00:00 UTC)), later),
        ClockStatus::Met
    );
    assert_eq!(
        deadline.status(Some(datetime!(2026-01-17 00:00:01 UTC)), later),
        ClockStatus::Missed
    );
    // Done counts even when `now` is before the deadline.
    assert_eq!(
        deadline.status(
            Some(datetime!(2026-01-12 09:00 UTC)),
            datetime!(2026-01-12 10:00 UTC)
        ),
        ClockStatus::Met
    );
}

#[test]
fn the_margin_is_a_fifth_of_the_days_rounded_up() {
    let calendar = Calendar::default();
    let start = datetime!(2026-01-09 17:00 UTC);
    let ten_working_days = Deadline::new(Rule::WorkingDays(10), &calendar, start).expect("ok");
    assert_eq!(ten_working_days.due_at, datetime!(2026-01-24 00:00 UTC));
    assert_eq!(
        ten_working_days.at_risk_from,
        datetime!(2026-01-22 00:00 UTC)
    );

    let ninety_days = Deadline::new(Rule::CalendarDays(90), &calendar, start).expect("ok");
    assert_eq!(ninety_days.due_at, datetime!(2026-04-09 17:00 UTC));
    assert_eq!(ninety_days.at_risk_from, datetime!(2026-03-22 17:00 UTC));

    let one_working_day = Deadline::new(Rule::WorkingDays(1), &calendar, start).expect("ok");
    assert_eq!(one_working_day.due_at, datetime!(2026-01-13 00:00 UTC));
    assert_eq!(
        one_working_day.at_risk_from,
        datetime!(2026-01-10 00:00 UTC)
    );

    for rule in [Rule::WorkingDays(0), Rule::CalendarDays(0)] {
        let deadline = Deadline::new(rule, &calendar, start).expect("ok");
        assert_eq!(deadline.at_risk_from, deadline.due_at);
    }
}

#[test]
fn holidays_and_offsets_reach_the_clock() {
    let holidays: Holidays = "2026-01-12".parse().expect("valid");
    let calendar = Calendar::new([Weekday::Saturday, Weekday::Sunday], holidays, offset!(+2))
        .expect("weekdays work");
    let deadline = Deadline::new(
        Rule::WorkingDays(1),
        &calendar,
        datetime!(2026-01-09 17:00 +2),
    )
    .expect("in range");
    assert_eq!(deadline.due_at, datetime!(2026-01-14 00:00 +2));
}

#[test]
fn a_deadline_is_due_within_a_half_open_window() {
    let deadline = five_working_days_from_friday_evening();
    let calendar = Calendar::default();
    let this_week =
        calendar.start_of_day(date!(2026 - 01 - 12))..calendar.start_of_day(date!(2026 - 01 - 19));
    assert!(deadline.is_due_within(&this_week));
    let next_week =
        calendar.start_of_day(date!(2026 - 01 - 19))..calendar.start_of_day(date!(2026 - 01 - 26));
    assert!(!deadline.is_due_within(&next_week));

    let starting_at_due = deadline.due_at..deadline.due_at + Duration::DAY;
    assert!(deadline.is_due_within(&starting_at_due));
    let ending_at_due = deadline.due_at - Duration::DAY..deadline.due_at;
    assert!(!deadline.is_due_within(&ending_at_due));
}

#[test]
fn statuses_have_names_and_know_whether_they_are_open() {
    let all = [
        ClockStatus::Due,
        ClockStatus::AtRisk,
        ClockStatus::Overdue,
        ClockStatus::Met,
        ClockStatus::Missed,
    ];
    let names: Vec<&str> = all.iter().map(|status| status.as_str()).collect();
    assert_eq!(names, ["due", "at_risk", "overdue", "met", "missed"]);
    let open: Vec<bool> = all.iter().map(|status| status.is_open()).collect();
    assert_eq!(open, [true, true, true, false, false]);
}

fn any_rule() -> impl Strategy<Value = Rule> {
    prop_oneof![
        (0u32..30).prop_map(Rule::WorkingDays),
        (0u32..200).prop_map(Rule::CalendarDays),
    ]
}

fn open_rank(status: ClockStatus) -> u8 {
    match status {
        ClockStatus::Due => 0,
        ClockStatus::AtRisk => 1,
        _ => 2,
    }
}

proptest! {
    #[test]
    fn an_open_clock_only_moves_towards_overdue(
        rule in any_rule(),
        start_seconds in 1_704_067_200i64..1_798_761_600,
        earlier_hours in 0i64..6_000,
        more_hours in 0i64..6_000,
        quarter_hours in -48i32..=56,
    ) {
        let offset = UtcOffset::from_whole_seconds(quarter_hours * 900).expect("in range");
        let calendar = Calendar::new([Weekday::Saturday, Weekday::Sunday], Holidays::default(), offset)
            .expect("weekdays work");
        let start = OffsetDateTime::from_unix_timestamp(start_seconds).expect("in range");
        let deadline = Deadline::new(rule, &calendar, start).expect("in range");
        prop_assert!(deadline.started_at <= deadline.at_risk_from);
        prop_assert!(deadline.at_risk_from <= deadline.due_at);

        let earlier = start + Duration::hours(earlier_hours);
        let later = earlier + Duration::hours(more_hours);
        let (before, after) = (deadline.status(None, earlier), deadline.status(None, later));
        prop_assert!(before.is_open() && after.is_open());
        prop_assert!(open_rank(before) <= open_rank(after));
        prop_assert_eq!(after == ClockStatus::Overdue, later >= deadline.due_at);

        let done = deadline.status(Some(earlier), later);
        prop_assert_eq!(done == ClockStatus::Met, earlier <= deadline.due_at);
        prop_assert!(!done.is_open());
    }
}
