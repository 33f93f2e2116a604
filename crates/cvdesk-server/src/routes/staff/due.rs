//! What is due this week: every deadline clock of the open reports a person may see that
//! is still running and falls before the end of the week, overdue ones included, soonest
//! first. Clocks come from the policy's times and the business calendar.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::sla::{running_clocks, ClockStatus, Deadline, ReportTimes};
use cvdesk_store::OpenReportTimes;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::auth::StaffUser;
use crate::error::{PageError, WebError};
use crate::routes::staff::layout::StaffLayout;
use crate::views::{calendar_local, render, utc_minute};
use crate::AppState;

/// Most open reports looked at; a desk with more has bigger problems than this page.
const OPEN_REPORTS: u32 = 5_000;

#[derive(Template)]
#[template(path = "staff/due.html")]
struct DuePage {
    layout: StaffLayout,
    week_ends: String,
    clocks: Vec<ClockRow>,
    rules: [(String, &'static str); 3],
}

struct ClockRow {
    reference: String,
    title: String,
    clock: &'static str,
    due: String,
    /// The same instant in the calendar's local time, when that is not UTC.
    due_local: Option<String>,
    status: ClockStatus,
    due_at: OffsetDateTime,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DueQuery {
    /// How many weeks ahead to look: 1 (this week, the default) to 13.
    weeks: String,
}

pub async fn get_due(
    State(state): State<AppState>,
    staff: StaffUser,
    query: Result<Query<DueQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let weeks = match query.map(|Query(q)| q.weeks).unwrap_or_default().as_str() {
        "" => 1,
        text => text
            .parse::<i64>()
            .ok()
            .filter(|w| (1..=13).contains(w))
            .ok_or_else(|| {
                WebError::bad_request("invalid_query", "weeks: give a number from 1 to 13.")
            })?,
    };
    let actor = staff.user.actor();
    if !access::check(&actor, StaffAction::ViewQueue, None).is_allowed() {
        return Err(WebError::Forbidden("You may not see the queue.".into()).into());
    }
    let policy = state
        .store
        .current_policy()
        .await?
        .map(|p| p.settings)
        .unwrap_or_default();
    let levels = policy.service_levels();
    let calendar = &state.settings.calendar;
    let now = state.clock.now();
    let week_ends = end_of_week(calendar, now) + Duration::weeks(weeks - 1);
    let mut clocks = Vec::new();
    for report in state.store.open_report_times(OPEN_REPORTS).await? {
        if !access::check(&actor, StaffAction::ViewReport, report.product).is_allowed() {
            continue;
        }
        let times = ReportTimes {
            received_at: report.received_at,
            responded_at: report.responded_at,
            triaged_at: report.triaged_at,
            severity: report.severity,
            assigned_at: None,
            last_update_at: None,
        };
        for (clock, deadline) in running_clocks(&times, &levels, calendar) {
            let Ok(deadline) = deadline else {
                continue;
            };
            if deadline.due_at < week_ends {
                clocks.push(row(&report, clock.words(), &deadline, calendar, now));
            }
        }
    }
    clocks.sort_by_key(|c| c.due_at);
    let page = DuePage {
        layout: StaffLayout::of(&state, &staff),
        week_ends: format!("{}", (week_ends - Duration::seconds(1)).date()),
        clocks,
        rules: [
            (levels.acknowledge.to_string(), "first response"),
            (levels.triage.to_string(), "triage"),
            (
                levels.remediation.for_severity(None).to_string(),
                "fix from triage, unless the policy sets another for the report's severity",
            ),
        ],
    };
    Ok(render(&page)?.into_response())
}

fn row(
    report: &OpenReportTimes,
    clock: &'static str,
    deadline: &Deadline,
    calendar: &cvdesk_domain::sla::Calendar,
    now: OffsetDateTime,
) -> ClockRow {
    ClockRow {
        reference: report.reference.to_string(),
        title: report.title.clone(),
        clock,
        due: utc_minute(deadline.due_at),
        due_local: calendar_local(calendar, deadline.due_at),
        status: deadline.status(None, now),
        due_at: deadline.due_at,
    }
}

/// The next local Monday midnight after `now`: the end of this working week.
fn end_of_week(calendar: &cvdesk_domain::sla::Calendar, now: OffsetDateTime) -> OffsetDateTime {
    let today = calendar.local_date(now).unwrap_or_else(|_| now.date());
    let days = 7 - i64::from(today.weekday().number_days_from_monday());
    calendar.start_of_day(today + Duration::days(days))
}
