//! Each participant's deadlines as a periodic job, run once across instances: a reminder to
//! the participant as its acknowledgement, status and fix deadlines near, word to the
//! coordinator when one passes, and a participant still silent after its acknowledgement
//! deadline recorded as unresponsive. Each reminder is recorded once with its log entry,
//! mail and contact move in one transaction, so none is sent twice.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use async_trait::async_trait;
use cvdesk_domain::coordination::deadlines::{
    due_reminders, ParticipantFacts, ParticipantReminder,
};
use cvdesk_domain::coordination::{ContactActor, ContactStatus, LogKind};
use cvdesk_domain::report::Report;
use cvdesk_store::{Change, ClaimedJob, ContactMove, LogEntry, MailKind, Participant};
use time::Duration;

use super::mail::{to_coordinators, CoordinationMail, Letter};
use crate::error::WebError;
use crate::jobs::JobKind;
use crate::views::utc_minute;
use crate::AppState;

/// The periodic job.
pub struct ParticipantDeadlines;

#[async_trait]
impl JobKind for ParticipantDeadlines {
    fn name(&self) -> &'static str {
        "coordination_deadlines"
    }

    fn every(&self) -> Option<Duration> {
        Some(Duration::minutes(1))
    }

    async fn run(&self, state: &AppState, _job: &ClaimedJob) -> Result<(), String> {
        remind(state)
            .await
            .map(drop)
            .map_err(|error| format!("could not queue the participants' reminders: {error}"))
    }
}

/// Records and mails the reminders that have come due; returns how many.
pub async fn remind(state: &AppState) -> Result<usize, WebError> {
    let now = state.clock.now();
    let writer = CoordinationMail::of(state).await;
    let mut reports: HashMap<i64, Option<Report>> = HashMap::new();
    let mut sent = 0;
    for participant in state.store.participants_with_deadlines().await? {
        let facts = ParticipantFacts {
            contact: participant.contact,
            answered_at: participant.answered_at,
            first_status_at: participant.first_status_at,
            resolved_at: participant.resolved_at,
        };
        let due = due_reminders(participant.created_at, &participant.deadlines, &facts, now);
        if due.is_empty() {
            continue;
        }
        let report = match reports.entry(participant.report_id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => slot.insert(
                state
                    .store
                    .report_by_reference(&participant.report_reference)
                    .await?,
            ),
        };
        let Some(report) = &*report else {
            continue;
        };
        for reminder in due {
            let text = text(&participant, reminder);
            let mut mail = Vec::new();
            if reminder.tells_participant() {
                if let Some(vendor) = state.store.vendor(participant.vendor_id).await? {
                    let letter = Letter {
                        subject: format!("{}: {}", report.reference, subject(reminder)),
                        public: format!(
                            "{text}\n\nYour participant page is behind the link in our invitation."
                        ),
                        private: String::new(),
                    };
                    mail.extend(writer.to_participant(
                        &vendor.details,
                        participant.tlp,
                        MailKind::ParticipantNews,
                        report,
                        &letter,
                    ));
                }
            }
            if reminder.tells_coordinator() {
                mail.extend(
                    to_coordinators(state, report, participant.tlp, subject(reminder), &text)
                        .await?,
                );
            }
            let contact = unresponsive(&participant, reminder);
            let recorded = state
                .store
                .record_participant_reminder(
                    participant.id,
                    reminder.key(),
                    contact,
                    Change {
                        entry: LogEntry {
                            kind: LogKind::Reminder,
                            participant_id: Some(participant.id),
                            actor: "desk".to_owned(),
                            text,
                        },
                        mail: &mail,
                        audit: None,
                        now,
                    },
                )
                .await?;
            if recorded {
                sent += 1;
            }
        }
    }
    if sent > 0 {
        state.mailer.wake();
    }
    Ok(sent)
}

/// The contact move a passed acknowledgement deadline makes: contacted becomes
/// unresponsive; nothing else moves (silence is never an affectedness).
fn unresponsive(participant: &Participant, reminder: ParticipantReminder) -> Option<ContactMove> {
    if reminder != ParticipantReminder::Unresponsive {
        return None;
    }
    participant
        .contact
        .next(ContactStatus::Unresponsive, ContactActor::Deadline)
        .ok()
        .flatten()
        .map(|to| ContactMove {
            from: participant.contact,
            to,
        })
}

fn subject(reminder: ParticipantReminder) -> &'static str {
    match reminder {
        ParticipantReminder::AcknowledgeSoon => "please acknowledge",
        ParticipantReminder::Unresponsive => "a participant did not acknowledge",
        ParticipantReminder::StatusSoon => "your status is due soon",
        ParticipantReminder::StatusMissed => "a participant's status is overdue",
        ParticipantReminder::FixSoon => "the fix target is near",
        ParticipantReminder::FixMissed => "a participant's fix target passed",
    }
}

fn text(participant: &Participant, reminder: ParticipantReminder) -> String {
    let deadlines = &participant.deadlines;
    let vendor = &participant.vendor_name;
    match reminder {
        ParticipantReminder::AcknowledgeSoon => format!(
            "{vendor}: please acknowledge the invitation by {}.",
            utc_minute(deadlines.acknowledge_by)
        ),
        ParticipantReminder::Unresponsive => format!(
            "{vendor} did not acknowledge by {} and is now unresponsive; its products stay \
             not checked.",
            utc_minute(deadlines.acknowledge_by)
        ),
        ParticipantReminder::StatusSoon => format!(
            "{vendor}: please say whether your products are affected by {}.",
            utc_minute(deadlines.status_by)
        ),
        ParticipantReminder::StatusMissed => format!(
            "{vendor} stated no status by {}.",
            utc_minute(deadlines.status_by)
        ),
        ParticipantReminder::FixSoon => format!(
            "{vendor}: the fix target is {}.",
            utc_minute(deadlines.fix_by)
        ),
        ParticipantReminder::FixMissed => format!(
            "{vendor}: the fix target {} passed with products not yet fixed.",
            utc_minute(deadlines.fix_by)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_passed_acknowledgement_makes_a_contacted_participant_unresponsive() {
        let participant = |contact| Participant {
            id: 1,
            report_id: 1,
            report_reference: "CVD-2027-0001".parse().expect("reference"),
            vendor_id: cvdesk_domain::vendor::VendorId(1),
            vendor_name: "Acme".to_owned(),
            share: cvdesk_domain::coordination::Share::summary_only(),
            tlp: cvdesk_formats::tlp::Tlp::Amber,
            contact,
            sees_participants: false,
            talks_to_all: false,
            time_zone: None,
            deadlines: cvdesk_domain::coordination::ParticipantDeadlines {
                acknowledge_by: time::macros::datetime!(2027-01-12 00:00 UTC),
                status_by: time::macros::datetime!(2027-01-19 00:00 UTC),
                fix_by: time::macros::datetime!(2027-04-05 00:00 UTC),
            },
            answered_at: None,
            first_status_at: None,
            resolved_at: None,
            nominated_by: None,
            created_at: time::macros::datetime!(2027-01-05 00:00 UTC),
            statuses: Vec::new(),
        };
        assert_eq!(
            unresponsive(
                &participant(ContactStatus::Contacted),
                ParticipantReminder::Unresponsive
            ),
            Some(ContactMove {
                from: ContactStatus::Contacted,
                to: ContactStatus::Unresponsive
            })
        );
        assert_eq!(
            unresponsive(
                &participant(ContactStatus::Acknowledged),
                ParticipantReminder::Unresponsive
            ),
            None
        );
        assert_eq!(
            unresponsive(
                &participant(ContactStatus::Contacted),
                ParticipantReminder::StatusMissed
            ),
            None
        );
    }
}
