//! The coordination service, shared by the pages and the API: it applies the domain's rules
//! to a report's coordination and hands the store each change with its log entry, its mail
//! and (for a staff action) its audit entry, to be written in one transaction. Staff callers
//! have already been checked for the report; participants are found by their link.

use std::collections::BTreeMap;

use cvdesk_domain::coordination::deadlines::DeadlineChoice;
use cvdesk_domain::coordination::{
    tlp, ContactActor, ContactStatus, DeadlineRules, LogKind, ParticipantToken, Share,
};
use cvdesk_domain::report::Report;
use cvdesk_domain::vendor::VendorId;
use cvdesk_formats::tlp::Tlp;
use cvdesk_store::{
    Change, ContactMove, LogEntry, MailKind, NewCoordinationMessage, NewMail, NewParticipant,
    Participant, StoreError, User,
};
use time::Date;

use super::mail::{CoordinationMail, Letter};
use super::views::shared_texts;
use crate::auth::audit;
use crate::error::WebError;
use crate::random::random_bytes;
use crate::AppState;

/// Longest message in a coordination thread, in characters.
pub const MESSAGE_MAX_CHARS: usize = 20_000;
/// Longest reason for an embargo proposal or a nomination, in characters.
pub const REASON_MAX_CHARS: usize = 2_000;
/// Longest vendor name in a nomination, in characters.
pub const NAME_MAX_CHARS: usize = 200;

/// What staff ask for when they add a vendor; every field may be missing or wrong.
#[derive(Debug, Default, Clone)]
pub struct ParticipantRequest {
    pub vendor_id: Option<i64>,
    /// Field names (`summary`, `steps_to_reproduce`, `attachment:12`, …).
    pub shared: Vec<String>,
    pub tlp: Option<String>,
    pub sees_participants: bool,
    pub talks_to_all: bool,
    pub time_zone: Option<String>,
    pub acknowledge_business_days: Option<u32>,
    pub status_by: Option<String>,
    pub fix_by: Option<String>,
    /// The open nomination this participant answers.
    pub nomination: Option<i64>,
}

/// A participant just added, with its link (shown once; only its hash is kept).
pub struct Added {
    pub participant: Participant,
    pub token: ParticipantToken,
    /// Whether the invitation was queued (the vendor has an e-mail address).
    pub mailed: bool,
}

/// The refusal of a request, naming each field.
pub fn invalid(code: &'static str, what: &str, fields: BTreeMap<String, String>) -> WebError {
    WebError::Invalid {
        code,
        message: format!("{what}; each problem is named in fields."),
        fields,
    }
}

pub(super) fn one_field(
    code: &'static str,
    what: &str,
    field: &str,
    message: impl Into<String>,
) -> WebError {
    invalid(
        code,
        what,
        BTreeMap::from([(field.to_owned(), message.into())]),
    )
}

/// A store refusal as the client should read it: a conflict or a missing thing is theirs to
/// fix, anything else is the desk's failure.
pub fn refused(error: StoreError) -> WebError {
    match error {
        StoreError::Conflict(message) => WebError::Conflict(message),
        StoreError::Missing(_) => WebError::NotFound,
        other => WebError::from(other),
    }
}

pub(super) fn staff_entry(
    user: &User,
    kind: LogKind,
    participant: Option<i64>,
    text: String,
) -> LogEntry {
    LogEntry {
        kind,
        participant_id: participant,
        actor: user.email.clone(),
        text,
    }
}

pub(super) fn participant_entry(
    participant: &Participant,
    kind: LogKind,
    text: String,
) -> LogEntry {
    LogEntry {
        kind,
        participant_id: Some(participant.id),
        actor: format!("participant: {}", participant.vendor_name),
        text,
    }
}

fn date_field(
    fields: &mut BTreeMap<String, String>,
    name: &str,
    text: Option<&str>,
) -> Option<Date> {
    let text = text.map(str::trim).filter(|text| !text.is_empty())?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match Date::parse(text, &format) {
        Ok(date) => Some(date),
        Err(_) => {
            fields.insert(
                name.to_owned(),
                format!(
                    "'{}' is not a date such as 2027-03-31",
                    text.chars().take(40).collect::<String>()
                ),
            );
            None
        }
    }
}

/// Adds a vendor to the report's coordination and queues its invitation with its link.
pub async fn add_participant(
    state: &AppState,
    user: &User,
    report: &Report,
    request: &ParticipantRequest,
) -> Result<Added, WebError> {
    const CODE: &str = "invalid_participant";
    const WHAT: &str = "The vendor was not added";
    let now = state.clock.now();
    let mut fields = BTreeMap::new();
    let vendor = match request.vendor_id {
        None => {
            fields.insert(
                "vendor_id".to_owned(),
                "choose a vendor from the directory".to_owned(),
            );
            None
        }
        Some(id) => match state.store.vendor(VendorId(id)).await? {
            Some(vendor) => Some(vendor),
            None => {
                fields.insert("vendor_id".to_owned(), format!("there is no vendor {id}"));
                None
            }
        },
    };
    let file_ids: Vec<i64> = report.attachments.iter().map(|file| file.id).collect();
    let share = Share::parse(&request.shared, &file_ids)
        .map_err(|error| fields.insert("shared".to_owned(), error.to_string()))
        .ok();
    let embargo = state.store.embargo(report.id).await?;
    let running = embargo.as_ref().is_some_and(|e| e.is_running(now));
    let label = match request.tlp.as_deref().map(str::trim) {
        None | Some("") => Some(tlp::DEFAULT_SHARE),
        Some(text) => match text.parse::<Tlp>() {
            Ok(label) => match tlp::check_share(label, running) {
                Ok(()) => Some(label),
                Err(error) => {
                    fields.insert("tlp".to_owned(), error.to_string());
                    None
                }
            },
            Err(error) => {
                fields.insert("tlp".to_owned(), error.to_string());
                None
            }
        },
    };
    let time_zone = match request.time_zone.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => match name.parse::<cvdesk_domain::advisory::ScheduleZone>() {
            Ok(zone) => Some(zone.name().to_owned()),
            Err(error) => {
                fields.insert("time_zone".to_owned(), error.to_string());
                None
            }
        },
    };
    let choice = DeadlineChoice {
        acknowledge_business_days: request.acknowledge_business_days,
        status_by: date_field(&mut fields, "status_by", request.status_by.as_deref()),
        fix_by: date_field(&mut fields, "fix_by", request.fix_by.as_deref()),
    };
    let agreement = match &vendor {
        Some(vendor) => state.store.supplier_agreement(vendor.id).await?,
        None => None,
    };
    let deadlines = DeadlineRules::default()
        .deadlines(now, agreement.as_ref(), &choice, &state.settings.calendar)
        .map_err(|error| {
            let field = match error {
                cvdesk_domain::coordination::deadlines::DeadlineChoiceError::AcknowledgeTooLong => {
                    "acknowledge_business_days"
                }
                _ => "deadlines",
            };
            fields.insert(field.to_owned(), error.to_string());
        })
        .ok();
    let (Some(vendor), Some(share), Some(label), Some(deadlines)) =
        (vendor, share, label, deadlines)
    else {
        return Err(invalid(CODE, WHAT, fields));
    };
    if !fields.is_empty() {
        return Err(invalid(CODE, WHAT, fields));
    }
    let token = ParticipantToken::from_random_bytes(random_bytes()?);
    let writer = CoordinationMail::of(state).await;
    let link = writer.link(token.as_str());
    let probe = Participant {
        id: 0,
        report_id: report.id,
        report_reference: report.reference.clone(),
        vendor_id: vendor.id,
        vendor_name: vendor.details.name.clone(),
        share: share.clone(),
        tlp: label,
        contact: ContactStatus::Contacted,
        sees_participants: request.sees_participants,
        talks_to_all: request.talks_to_all,
        time_zone: time_zone.clone(),
        deadlines,
        answered_at: None,
        first_status_at: None,
        resolved_at: None,
        nominated_by: None,
        created_at: now,
        statuses: Vec::new(),
    };
    let details = shared_texts(report, &probe)
        .into_iter()
        .map(|text| format!("{}:\n{}", text.label, text.text))
        .collect::<Vec<_>>()
        .join("\n\n");
    let embargo_line = embargo.as_ref().map_or_else(
        || "No embargo is set yet.".to_owned(),
        |e| format!("Embargo until {}.", e.display()),
    );
    let letter = Letter {
        subject: format!("{}: invitation to coordinate a vulnerability", report.reference),
        public: format!(
            "{} invites {} to coordinate the disclosure of a vulnerability ({}).\n\n{embargo_line}\n\
             Please acknowledge by {} and say whether your products are affected by {}.\n\n\
             Your participant page (keep this link to yourself; it is not sent again):\n{link}",
            state.settings.organization_name,
            vendor.details.name,
            report.reference,
            crate::views::utc_minute(deadlines.acknowledge_by),
            crate::views::utc_minute(deadlines.status_by),
        ),
        private: details,
    };
    let mail: Vec<NewMail> = writer
        .to_participant(
            &vendor.details,
            label,
            MailKind::ParticipantInvitation,
            report,
            &letter,
        )
        .into_iter()
        .collect();
    let contact = if mail.is_empty() {
        ContactStatus::NotContacted
    } else {
        ContactStatus::Contacted
    };
    let reference = report.reference.to_string();
    let text = format!(
        "{} added under {label}, sharing {}",
        vendor.details.name,
        share.names().join(", ")
    );
    let audit_detail = text.clone();
    let participant = state
        .store
        .add_participant(
            NewParticipant {
                report_id: report.id,
                vendor_id: vendor.id,
                token_hash: &token.hash(),
                share: &share,
                tlp: label,
                contact,
                sees_participants: request.sees_participants,
                talks_to_all: request.talks_to_all,
                time_zone: time_zone.as_deref(),
                deadlines,
                nomination: request.nomination,
                created_by: &user.email,
            },
            Change {
                entry: staff_entry(user, LogKind::ParticipantAdded, None, text),
                mail: &mail,
                audit: None,
                now,
            },
            &|id: &i64| {
                audit::event(
                    state,
                    Some(user),
                    "",
                    "coordination.participant_add",
                    Some(&reference),
                    format!("participant {id}: {audit_detail}"),
                )
            },
        )
        .await
        .map_err(refused)?;
    let mailed = !mail.is_empty();
    if mailed {
        state.mailer.wake();
    }
    Ok(Added {
        participant,
        token,
        mailed,
    })
}

/// One of the report's participants, or not found.
pub async fn participant_of(
    state: &AppState,
    report: &Report,
    participant_id: i64,
) -> Result<Participant, WebError> {
    state
        .store
        .participant(participant_id)
        .await?
        .filter(|participant| participant.report_id == report.id)
        .ok_or(WebError::NotFound)
}

/// Approves one of a participant's statuses for publication as it stands now.
pub async fn approve_status(
    state: &AppState,
    user: &User,
    report: &Report,
    participant_id: i64,
    status_id: i64,
) -> Result<Participant, WebError> {
    let participant = participant_of(state, report, participant_id).await?;
    let stored = participant
        .statuses
        .iter()
        .find(|status| status.id == status_id)
        .ok_or(WebError::NotFound)?;
    let text = format!(
        "{}: {} {} approved",
        participant.vendor_name,
        stored.status.product,
        stored.status.summary()
    );
    let reference = report.reference.to_string();
    let event = audit::event(
        state,
        Some(user),
        "",
        "coordination.status_approve",
        Some(&reference),
        text.clone(),
    );
    state
        .store
        .approve_status(
            participant.id,
            stored.id,
            stored.stated_at,
            &user.email,
            Change {
                entry: staff_entry(user, LogKind::StatusApproved, Some(participant.id), text),
                mail: &[],
                audit: Some(&event),
                now: state.clock.now(),
            },
        )
        .await
        .map_err(refused)?;
    participant_of(state, report, participant_id).await
}

/// Records what the coordinator learned of a participant's contact (a call, a letter).
pub async fn move_contact(
    state: &AppState,
    user: &User,
    report: &Report,
    participant_id: i64,
    to: &str,
) -> Result<Participant, WebError> {
    let participant = participant_of(state, report, participant_id).await?;
    let to: ContactStatus =
        to.trim()
            .parse()
            .map_err(|error: cvdesk_domain::coordination::ContactRefused| {
                one_field(
                    "invalid_contact",
                    "The contact was not changed",
                    "contact",
                    error.to_string(),
                )
            })?;
    let next = participant
        .contact
        .next(to, ContactActor::Coordinator)
        .map_err(|error| {
            one_field(
                "invalid_contact",
                "The contact was not changed",
                "contact",
                error.to_string(),
            )
        })?;
    let Some(next) = next else {
        return Ok(participant);
    };
    let text = format!(
        "{}: {} → {}",
        participant.vendor_name,
        participant.contact.label(),
        next.label()
    );
    let reference = report.reference.to_string();
    let event = audit::event(
        state,
        Some(user),
        "",
        "coordination.contact",
        Some(&reference),
        text.clone(),
    );
    state
        .store
        .move_contact(
            participant.id,
            ContactMove {
                from: participant.contact,
                to: next,
            },
            Change {
                entry: staff_entry(user, LogKind::Contact, Some(participant.id), text),
                mail: &[],
                audit: Some(&event),
                now: state.clock.now(),
            },
        )
        .await
        .map_err(refused)?;
    participant_of(state, report, participant_id).await
}

pub(super) fn message_body(body: &str) -> Result<&str, WebError> {
    let body = body.trim();
    let refuse = |message: &str| {
        one_field(
            "invalid_message",
            "The message was not sent",
            "body",
            message,
        )
    };
    if body.is_empty() {
        return Err(refuse("write a message"));
    }
    if body.chars().count() > MESSAGE_MAX_CHARS {
        return Err(refuse("the message is longer than 20000 characters"));
    }
    Ok(body)
}

/// A message from the coordinator to one participant, or (without one) to every
/// participant allowed to read the thread of all.
pub async fn coordinator_message(
    state: &AppState,
    user: &User,
    report: &Report,
    to: Option<i64>,
    body: &str,
) -> Result<i64, WebError> {
    let body = message_body(body)?;
    let participants = state.store.participants(report.id).await?;
    let readers: Vec<Participant> = match to {
        Some(id) => vec![participants
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(WebError::NotFound)?],
        None => participants
            .into_iter()
            .filter(|p| p.talks_to_all)
            .collect(),
    };
    let label = match to {
        Some(_) => readers.first().map_or(tlp::DEFAULT_SHARE, |p| p.tlp),
        None => tlp::for_everyone(readers.iter().map(|p| p.tlp)),
    };
    let mail = message_mail(state, report, &readers, body).await?;
    let reference = report.reference.to_string();
    let event = audit::event(
        state,
        Some(user),
        "",
        "coordination.message",
        Some(&reference),
        match to {
            Some(id) => format!("to participant {id}, {} characters", body.chars().count()),
            None => format!("to all participants, {} characters", body.chars().count()),
        },
    );
    let id = state
        .store
        .post_coordination_message(
            NewCoordinationMessage {
                report_id: report.id,
                thread: to,
                author: None,
                author_label: &user.email,
                body,
                tlp: label,
            },
            None,
            &mail,
            Some(&event),
            state.clock.now(),
        )
        .await
        .map_err(refused)?;
    state.mailer.wake();
    Ok(id)
}

/// Tells `readers` a message waits on their page; encrypted mail carries it.
pub(super) async fn message_mail(
    state: &AppState,
    report: &Report,
    readers: &[Participant],
    body: &str,
) -> Result<Vec<NewMail>, WebError> {
    let writer = CoordinationMail::of(state).await;
    let mut mail = Vec::new();
    for reader in readers {
        if let Some(vendor) = state.store.vendor(reader.vendor_id).await? {
            let letter = Letter {
                subject: format!("{}: a new message", report.reference),
                public: format!(
                    "A new message about {} waits on your participant page (the link in our \
                     invitation).",
                    report.reference
                ),
                private: body.to_owned(),
            };
            mail.extend(writer.to_participant(
                &vendor.details,
                reader.tlp,
                MailKind::ParticipantNews,
                report,
                &letter,
            ));
        }
    }
    Ok(mail)
}

/// Declines an open nomination.
pub async fn decline_nomination(
    state: &AppState,
    user: &User,
    report: &Report,
    nomination_id: i64,
) -> Result<(), WebError> {
    let reference = report.reference.to_string();
    let text = format!("nomination {nomination_id} declined");
    let event = audit::event(
        state,
        Some(user),
        "",
        "coordination.nomination_decline",
        Some(&reference),
        text.clone(),
    );
    state
        .store
        .decline_nomination(
            report.id,
            nomination_id,
            Change {
                entry: staff_entry(user, LogKind::NominationDeclined, None, text),
                mail: &[],
                audit: Some(&event),
                now: state.clock.now(),
            },
        )
        .await
        .map_err(refused)
}
