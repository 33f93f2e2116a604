//! Deadline reminders to the researcher: a day before the verification deadline and when
//! it passes unverified (with a follow-up to send the vendor), a week before the
//! announcement and when it comes (when the case asks for a decision: publish, or agree a
//! new date in writing). A periodic job, run once across instances; each reminder is
//! recorded with its log entry and mail in one transaction, so none is sent twice.

use async_trait::async_trait;
use cvdesk_domain::outbound::deadlines::{due_reminders, Milestone, Reminder, ReminderKind};
use cvdesk_domain::outbound::inquiry::last_day;
use cvdesk_domain::outbound::log::LogKind;
use cvdesk_store::{ClaimedJob, MailBody, MailKind, NewLogEntry, NewMail, StoreError, StoredCase};
use time::Duration;

use super::cases::deadlines_of;
use crate::jobs::JobKind;
use crate::AppState;

/// The periodic job.
pub struct CaseDeadlines;

#[async_trait]
impl JobKind for CaseDeadlines {
    fn name(&self) -> &'static str {
        "case_deadlines"
    }

    fn every(&self) -> Option<Duration> {
        Some(Duration::minutes(1))
    }

    async fn run(&self, state: &AppState, _job: &ClaimedJob) -> Result<(), String> {
        remind(state)
            .await
            .map(drop)
            .map_err(|error| format!("could not queue the case deadline reminders: {error}"))
    }
}

/// Records and mails the reminders that have come due; returns how many.
pub async fn remind(state: &AppState) -> Result<usize, StoreError> {
    let Some(researcher) = &state.outbound.researcher else {
        return Ok(0);
    };
    let now = state.clock.now();
    let mut sent = 0;
    for case in state.store.cases().await? {
        if !case.state.is_open_with_vendor() {
            continue;
        }
        let deadlines = deadlines_of(&case, &state.outbound, &state.settings.calendar, now)?;
        for reminder in due_reminders(&deadlines, true, case.state.is_verified(), now) {
            let text = text(&case, &reminder, &state.settings.public_url);
            let entry = NewLogEntry::new(LogKind::Reminder, now, "desk", &text);
            let mail = NewMail {
                kind: MailKind::ResearcherReminder,
                report_id: None,
                recipient: researcher.email.clone(),
                subject: format!("[{}] {}", case.id, subject(&reminder)),
                body: MailBody::Plain(text.clone()),
            };
            if state
                .store
                .record_case_reminder(case.row_id, &reminder.key(), &entry, &[mail], now)
                .await?
            {
                sent += 1;
            }
        }
    }
    if sent > 0 {
        state.mailer.wake();
    }
    Ok(sent)
}

fn subject(reminder: &Reminder) -> &'static str {
    match (reminder.milestone, reminder.kind) {
        (Milestone::Verification, ReminderKind::Soon) => "verification deadline tomorrow",
        (Milestone::Verification, ReminderKind::Due) => "verification deadline passed",
        (Milestone::Announcement, ReminderKind::Soon) => "announcement deadline in a week",
        (Milestone::Announcement, ReminderKind::Due) => "announcement deadline: decide",
    }
}

/// What the researcher reads. Plain mail to the researcher's own address names the case
/// and its deadline only; the details stay in the desk.
fn text(case: &StoredCase, reminder: &Reminder, public_url: &str) -> String {
    let day = last_day(reminder.at);
    let id = &case.id;
    match (reminder.milestone, reminder.kind) {
        (Milestone::Verification, ReminderKind::Soon) => format!(
            "Case {id}: the vendor has until the end of {day} to verify the report, and has \
             not confirmed it yet.\n"
        ),
        (Milestone::Verification, ReminderKind::Due) => format!(
            "Case {id}: the verification deadline ({day}) has passed without the vendor \
             confirming the report. A follow-up to send (POST {public_url}/api/v1/cases/{id}/send \
             sends the inquiry again):\n\n\
             We reported a security vulnerability to you on {reported} and have not yet had \
             your confirmation. Please confirm that you received and can reproduce it. Under \
             our disclosure policy the vendor verifies within five business days; without an \
             answer we may publish after the announcement deadline.\n",
            reported = case
                .reported_at
                .map_or_else(String::new, |at| at.date().to_string()),
        ),
        (Milestone::Announcement, ReminderKind::Soon) => {
            format!("Case {id}: the announcement deadline is {day}, a week from now.\n")
        }
        (Milestone::Announcement, ReminderKind::Due) => format!(
            "Case {id}: the announcement deadline ({day}) has come and the vendor still has \
             the case. Decide: publish the write-up (the policy allows it now, with the \
             communication log), or record a new date agreed in writing.\n"
        ),
    }
}
