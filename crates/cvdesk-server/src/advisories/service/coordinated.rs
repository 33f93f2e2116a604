//! What an advisory takes from the coordination of the reports it answers: each
//! participant's position as the coordinator approved it (published with the revision),
//! and the embargo, which publishing or scheduling before its end only passes with an
//! override and a reason, kept in the audit log and each report's coordination log.

use std::collections::BTreeMap;

use cvdesk_domain::advisory::AdvisoryContent;
use cvdesk_domain::coordination::{ContactStatus, Embargo, LogKind, VendorPosition};
use cvdesk_domain::Reference;
use cvdesk_store::{Change, LogEntry, Participant, StoredLogEntry, User};
use time::OffsetDateTime;

use super::ActionError;
use crate::coordination::views::shown_contact;
use crate::error::WebError;
use crate::AppState;

/// Longest reason for publishing before the embargo ends, in characters.
pub const OVERRIDE_REASON_MAX_CHARS: usize = 2_000;

/// A report the advisory answers, with the embargo that still holds at the instant asked.
pub struct HeldBy {
    pub report_id: i64,
    pub reference: Reference,
    pub embargo: Embargo,
}

/// The reports the advisory answers, by id.
async fn reports_of(
    state: &AppState,
    content: &AdvisoryContent,
) -> Result<Vec<(i64, Reference)>, WebError> {
    let mut reports = Vec::with_capacity(content.reports.len());
    for reference in &content.reports {
        if let Some(report) = state.store.report_by_reference(reference).await? {
            reports.push((report.id, report.reference.clone()));
        }
    }
    Ok(reports)
}

/// When the participant came to stand where it stands on the contact axis: its last
/// contact change (being added, a move on the axis, its first answer), and for a vendor
/// unresponsive past its acknowledgement deadline no earlier than that deadline.
fn contact_since(
    participant: &Participant,
    log: &[StoredLogEntry],
    now: OffsetDateTime,
) -> OffsetDateTime {
    let deadline = participant.deadlines.acknowledge_by;
    let silent = shown_contact(participant, now) == ContactStatus::Unresponsive && deadline <= now;
    log.iter()
        .filter(|entry| {
            entry.participant_id == Some(participant.id)
                && matches!(entry.kind, LogKind::ParticipantAdded | LogKind::Contact)
        })
        .map(|entry| entry.at)
        .chain(participant.answered_at)
        .chain(silent.then_some(deadline))
        .fold(participant.created_at, OffsetDateTime::max)
}

/// Every participant of the advisory's reports with its contact as of `now` and only the
/// statuses the coordinator approved; a vendor taking part in two reports appears once per
/// report it answered.
pub async fn vendor_positions(
    state: &AppState,
    content: &AdvisoryContent,
    now: OffsetDateTime,
) -> Result<Vec<VendorPosition>, WebError> {
    let mut positions = Vec::new();
    for (report_id, _) in reports_of(state, content).await? {
        let participants = state.store.participants(report_id).await?;
        if participants.is_empty() {
            continue;
        }
        let log = state.store.coordination_log(report_id).await?;
        for participant in &participants {
            positions.push(VendorPosition {
                vendor: participant.vendor_name.clone(),
                contact: shown_contact(participant, now),
                contact_since: contact_since(participant, &log, now),
                products: participant
                    .statuses
                    .iter()
                    .filter(|stored| stored.approved.is_some())
                    .map(|stored| stored.status.clone())
                    .collect(),
            });
        }
    }
    Ok(positions)
}

/// The embargoes of the advisory's reports that still hold at `at`.
pub async fn held_at(
    state: &AppState,
    content: &AdvisoryContent,
    at: OffsetDateTime,
) -> Result<Vec<HeldBy>, WebError> {
    let mut held = Vec::new();
    for (report_id, reference) in reports_of(state, content).await? {
        if let Some(embargo) = state.store.embargo(report_id).await? {
            if embargo.is_running(at) {
                held.push(HeldBy {
                    report_id,
                    reference,
                    embargo,
                });
            }
        }
    }
    Ok(held)
}

/// The reason to go ahead of the embargoes in `held`, checked: none is needed when nothing
/// holds; without one the action is refused with each embargo's end in UTC. A reason given
/// is checked either way, so what is refused does not depend on an embargo.
pub fn override_reason(
    held: &[HeldBy],
    reason: Option<&str>,
    field: &str,
) -> Result<Option<String>, ActionError> {
    let reason = reason
        .map(|reason| checked_reason(reason, field))
        .transpose()?;
    if held.is_empty() {
        return Ok(None);
    }
    let Some(reason) = reason else {
        let ends: Vec<String> = held
            .iter()
            .map(|held| {
                format!(
                    "the embargo of {} ends at {} (UTC; {})",
                    held.reference,
                    held.embargo.ends_at_text(),
                    held.embargo.display()
                )
            })
            .collect();
        return Err(ActionError::Refused(format!(
            "Not published: {}. To go ahead before it, give {field} with a reason.",
            ends.join("; ")
        )));
    };
    Ok(Some(reason))
}

fn checked_reason(reason: &str, field: &str) -> Result<String, ActionError> {
    let reason = reason.replace("\r\n", "\n");
    let reason = reason.trim();
    let message = if reason.is_empty() {
        Some("say why the advisory goes out before the embargo ends".to_owned())
    } else if reason.chars().count() > OVERRIDE_REASON_MAX_CHARS {
        Some(format!("at most {OVERRIDE_REASON_MAX_CHARS} characters"))
    } else if reason.chars().any(|c| c.is_control() && c != '\n') {
        Some("text without control characters".to_owned())
    } else {
        None
    };
    match message {
        Some(message) => Err(ActionError::Invalid(BTreeMap::from([(
            field.to_owned(),
            message,
        )]))),
        None => Ok(reason.to_owned()),
    }
}

/// Writes the override into each report's coordination log.
pub async fn log_override(
    state: &AppState,
    user: &User,
    held: &[HeldBy],
    what: &str,
    reason: &str,
) -> Result<(), WebError> {
    for held in held {
        let change = Change {
            entry: LogEntry {
                kind: LogKind::EmbargoOverridden,
                participant_id: None,
                actor: user.email.clone(),
                text: format!(
                    "{what} before the embargo ends at {}: {reason}",
                    held.embargo.display()
                ),
            },
            mail: &[],
            audit: None,
            now: state.clock.now(),
        };
        state
            .store
            .record_coordination_change(held.report_id, change)
            .await?;
    }
    Ok(())
}
