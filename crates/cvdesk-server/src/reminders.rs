//! The reminder job: about once a minute (run by `jobs`) it looks at every open report and
//! queues a staff reminder when a running first-response, triage or fix clock is at risk or
//! overdue, or when an assigned report owes the finder their fortnightly update. Which reminders are
//! due is `cvdesk_domain::sla::due_reminders`; the store records each one with its mail, so
//! a reminder goes out once per report, clock and due instant whatever the number of
//! instances and restarts.

use std::collections::{BTreeMap, HashMap};

use cvdesk_domain::report::ReportState;
use cvdesk_domain::sla::{due_reminders, ReportTimes};
use cvdesk_domain::staff::ProductId;
use cvdesk_store::{OpenReportTimes, StoreError, UpdateTimes};
use lettre::Address;

use crate::mail::{team_or_global, ReminderMail};
use crate::AppState;

/// Most open reports looked at in one round.
const OPEN_REPORTS: u32 = 5_000;
/// Most references named in the round's line about reports whose reminders cannot be dated.
const UNDATED_NAMED: usize = 10;

/// One round: queues what is due now and returns how many reminders were queued.
pub async fn remind(state: &AppState) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let policy = state
        .store
        .current_policy()
        .await?
        .map(|version| version.settings)
        .unwrap_or_default();
    let rules = policy.service_levels();
    let global = state.mailer.staff_recipients();
    let team_recipients: BTreeMap<ProductId, Vec<Address>> = state
        .store
        .products()
        .await?
        .into_iter()
        .map(|product| (product.id, team_or_global(product.team.as_ref(), global)))
        .collect();
    let updates: HashMap<i64, UpdateTimes> = state
        .store
        .update_times(OPEN_REPORTS)
        .await?
        .into_iter()
        .map(|times| (times.report_id, times))
        .collect();
    let mail = ReminderMail {
        public_url: &state.settings.public_url,
    };
    let mut queued = 0;
    // Said once a round, not once a report: the round comes every minute.
    let mut undated = Vec::new();
    for report in state.store.open_report_times(OPEN_REPORTS).await? {
        let Some(times) = report_times(&report, updates.get(&report.id)) else {
            undated.push(report.reference.to_string());
            continue;
        };
        let due = match due_reminders(&times, &rules, &state.settings.calendar, now) {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(reference = %report.reference, %error, "cannot count this report's deadlines; no reminders for it");
                continue;
            }
        };
        let recipients = report
            .product
            .and_then(|product| team_recipients.get(&product))
            .map_or(global, Vec::as_slice);
        if recipients.is_empty() {
            continue;
        }
        for one in due {
            let letters = mail.compose(report.id, &report.reference, &one, recipients);
            if letters.is_empty() {
                continue;
            }
            if state
                .store
                .queue_reminder(report.id, one.reminder.as_str(), one.due_at, &letters, now)
                .await?
            {
                tracing::info!(reference = %report.reference, reminder = one.reminder.as_str(), "reminder queued");
                queued += 1;
            }
        }
    }
    if !undated.is_empty() {
        tracing::warn!(
            reports = undated.len(),
            first = %undated[..undated.len().min(UNDATED_NAMED)].join(", "),
            "assigned reports without an assignment time get no reminders"
        );
    }
    if queued > 0 {
        state.mailer.wake();
    }
    Ok(queued)
}

/// The clock times of `report`; `None` for an assigned report whose assignment time is
/// unknown, as its update reminder cannot be dated.
fn report_times(report: &OpenReportTimes, updates: Option<&UpdateTimes>) -> Option<ReportTimes> {
    let (assigned_at, last_update_at) = if report.state == ReportState::Assigned {
        let updates = updates?;
        (Some(updates.assigned_at?), updates.last_update_at)
    } else {
        (None, None)
    };
    Some(ReportTimes {
        received_at: report.received_at,
        responded_at: report.responded_at,
        triaged_at: report.triaged_at,
        severity: report.severity,
        assigned_at,
        last_update_at,
    })
}
