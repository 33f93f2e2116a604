//! The report's embargo as the coordinator sets it: one release instant in UTC with the zone
//! it was set in, or a participant's open proposal accepted or declined. Every participant
//! is told of a change by mail; every change is in the log and audited with it.

use cvdesk_domain::coordination::{tlp, ContactStatus, Embargo, LogKind};
use cvdesk_domain::report::Report;
use cvdesk_formats::tlp::Tlp;
use cvdesk_store::{Change, MailKind, NewMail, Participant, User};

use super::mail::{CoordinationMail, Letter};
use super::service::{invalid, one_field, refused, staff_entry};
use crate::auth::audit;
use crate::error::WebError;
use crate::AppState;

/// Mail to every participant with an e-mail address about a change they all need to know.
async fn news_to_all(
    state: &AppState,
    report: &Report,
    participants: &[Participant],
    subject: &str,
    text: &str,
) -> Result<Vec<NewMail>, WebError> {
    let writer = CoordinationMail::of(state).await;
    let mut mail = Vec::new();
    for participant in participants {
        if participant.contact == ContactStatus::Declined {
            continue;
        }
        if let Some(vendor) = state.store.vendor(participant.vendor_id).await? {
            let letter = Letter {
                subject: format!("{}: {subject}", report.reference),
                public: text.to_owned(),
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
    Ok(mail)
}

/// Sets the report's embargo, or moves it to an open proposal's instant; every participant
/// is told.
pub async fn set_embargo(
    state: &AppState,
    user: &User,
    report: &Report,
    ends_at: &str,
    time_zone: &str,
    proposal: Option<i64>,
) -> Result<Embargo, WebError> {
    const CODE: &str = "invalid_embargo";
    const WHAT: &str = "The embargo was not set";
    let now = state.clock.now();
    let embargo = match proposal {
        Some(id) => state
            .store
            .embargo_proposals(report.id)
            .await?
            .into_iter()
            .find(|p| p.id == id && p.decision == cvdesk_store::Decision::Open)
            .map(|p| p.embargo)
            .ok_or_else(|| WebError::Conflict("the proposal is not open".to_owned()))?,
        None => Embargo::parse(ends_at, time_zone, now).map_err(|errors| {
            invalid(
                CODE,
                WHAT,
                errors
                    .iter()
                    .map(|error| (error.field().to_owned(), error.to_string()))
                    .collect(),
            )
        })?,
    };
    let participants = state.store.participants(report.id).await?;
    if let Some(clear) = participants.iter().find(|p| p.tlp == Tlp::Clear) {
        if let Err(error) = tlp::check_share(clear.tlp, embargo.is_running(now)) {
            return Err(one_field(
                CODE,
                WHAT,
                "ends_at",
                format!("{} holds a share under {error}", clear.vendor_name),
            ));
        }
    }
    let text = format!("The embargo ends at {}.", embargo.display());
    let mail = news_to_all(state, report, &participants, "the embargo was set", &text).await?;
    let reference = report.reference.to_string();
    let event = audit::event(
        state,
        Some(user),
        "",
        "coordination.embargo_set",
        Some(&reference),
        format!("{} ({})", embargo.ends_at_text(), embargo.zone().name()),
    );
    state
        .store
        .set_embargo(
            report.id,
            &embargo,
            proposal,
            Change {
                entry: staff_entry(user, LogKind::EmbargoSet, None, text),
                mail: &mail,
                audit: Some(&event),
                now,
            },
        )
        .await
        .map_err(refused)?;
    state.mailer.wake();
    Ok(embargo)
}

/// Declines an open embargo proposal.
pub async fn decline_proposal(
    state: &AppState,
    user: &User,
    report: &Report,
    proposal_id: i64,
) -> Result<(), WebError> {
    let reference = report.reference.to_string();
    let text = format!("embargo proposal {proposal_id} declined");
    let event = audit::event(
        state,
        Some(user),
        "",
        "coordination.proposal_decline",
        Some(&reference),
        text.clone(),
    );
    state
        .store
        .decline_embargo_proposal(
            report.id,
            proposal_id,
            Change {
                entry: staff_entry(user, LogKind::EmbargoProposalDeclined, None, text),
                mail: &[],
                audit: Some(&event),
                now: state.clock.now(),
            },
        )
        .await
        .map_err(refused)
}
