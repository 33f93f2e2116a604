//! What a participant does through its link, on its page or with its own tooling: state a
//! product's status, write, acknowledge or decline, propose another embargo, nominate a
//! vendor. Each change is written with its log entry and the mail to the coordinators in one
//! transaction; an answer of any kind acknowledges a contacted participant.

use std::collections::BTreeMap;

use cvdesk_domain::coordination::{
    tlp, ContactActor, ContactStatus, Embargo, LogKind, ParticipantTokenHash, ProductStatus,
    StatusInput,
};
use cvdesk_domain::report::Report;
use cvdesk_store::{Change, ContactMove, NewCoordinationMessage, NewNomination, Participant};

use super::mail::to_coordinators;
use super::service::{
    invalid, message_body, message_mail, one_field, participant_entry, refused, NAME_MAX_CHARS,
    REASON_MAX_CHARS,
};
use crate::error::WebError;
use crate::AppState;

/// The participant a link belongs to, with its report; not found for any other token.
pub async fn by_token(state: &AppState, token: &str) -> Result<(Participant, Report), WebError> {
    let hash = ParticipantTokenHash::of_presented(token);
    let participant = state
        .store
        .participant_by_token(&hash)
        .await?
        .ok_or(WebError::NotFound)?;
    let report = state
        .store
        .report_by_reference(&participant.report_reference)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok((participant, report))
}

fn answered(participant: &Participant) -> Option<ContactMove> {
    participant.contact.after_answer().map(|to| ContactMove {
        from: participant.contact,
        to,
    })
}

/// A participant states where one of its products stands.
pub async fn state_status(
    state: &AppState,
    participant: &Participant,
    report: &Report,
    input: &StatusInput,
) -> Result<ProductStatus, WebError> {
    let status = ProductStatus::parse(input).map_err(|errors| {
        invalid(
            "invalid_status",
            "The status was not recorded",
            errors.0.into_iter().collect(),
        )
    })?;
    let text = format!(
        "{}: {} {}",
        participant.vendor_name,
        status.product,
        status.summary()
    );
    let mail = to_coordinators(
        state,
        report,
        participant.tlp,
        "a participant stated a status",
        &text,
    )
    .await?;
    state
        .store
        .state_product(
            participant.id,
            &status,
            answered(participant),
            Change {
                entry: participant_entry(participant, LogKind::Status, text),
                mail: &mail,
                audit: None,
                now: state.clock.now(),
            },
        )
        .await
        .map_err(refused)?;
    state.mailer.wake();
    Ok(status)
}

/// A participant writes to the coordinator, or to all when it may.
pub async fn participant_message(
    state: &AppState,
    participant: &Participant,
    report: &Report,
    body: &str,
    to_all: bool,
) -> Result<i64, WebError> {
    let body = message_body(body)?;
    if to_all && !participant.talks_to_all {
        return Err(WebError::Forbidden(
            "The coordinator has not opened the thread of all participants to you.".to_owned(),
        ));
    }
    let (thread, label, readers) = if to_all {
        let others: Vec<Participant> = state
            .store
            .participants(report.id)
            .await?
            .into_iter()
            .filter(|p| p.talks_to_all)
            .collect();
        let label = tlp::for_everyone(others.iter().map(|p| p.tlp));
        let readers = others
            .into_iter()
            .filter(|p| p.id != participant.id)
            .collect();
        (None, label, readers)
    } else {
        (Some(participant.id), participant.tlp, Vec::new())
    };
    let mut mail = to_coordinators(
        state,
        report,
        label,
        "a participant wrote",
        &format!("{} wrote a message.", participant.vendor_name),
    )
    .await?;
    mail.extend(message_mail(state, report, &readers, body).await?);
    let id = state
        .store
        .post_coordination_message(
            NewCoordinationMessage {
                report_id: report.id,
                thread,
                author: Some(participant.id),
                author_label: &participant.vendor_name,
                body,
                tlp: label,
            },
            answered(participant),
            &mail,
            None,
            state.clock.now(),
        )
        .await
        .map_err(refused)?;
    state.mailer.wake();
    Ok(id)
}

/// A participant acknowledges, or declines to take part.
pub async fn participant_contact(
    state: &AppState,
    participant: &Participant,
    report: &Report,
    to: &str,
) -> Result<ContactStatus, WebError> {
    let refuse = |message: String| {
        one_field(
            "invalid_contact",
            "The contact was not changed",
            "contact",
            message,
        )
    };
    let to: ContactStatus = to
        .trim()
        .parse()
        .map_err(|error: cvdesk_domain::coordination::ContactRefused| refuse(error.to_string()))?;
    let next = participant
        .contact
        .next(to, ContactActor::Participant)
        .map_err(|error| refuse(error.to_string()))?;
    let Some(next) = next else {
        return Ok(participant.contact);
    };
    let text = format!("{}: {}", participant.vendor_name, next.label());
    let mail = to_coordinators(
        state,
        report,
        participant.tlp,
        "a participant answered",
        &text,
    )
    .await?;
    state
        .store
        .move_contact(
            participant.id,
            ContactMove {
                from: participant.contact,
                to: next,
            },
            Change {
                entry: participant_entry(participant, LogKind::Contact, text),
                mail: &mail,
                audit: None,
                now: state.clock.now(),
            },
        )
        .await
        .map_err(refused)?;
    state.mailer.wake();
    Ok(next)
}

fn reason(field: &str, text: &str, code: &'static str, what: &str) -> Result<String, WebError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(one_field(code, what, field, "say why"));
    }
    if text.chars().count() > REASON_MAX_CHARS {
        return Err(one_field(code, what, field, "at most 2000 characters"));
    }
    Ok(text.to_owned())
}

/// A participant proposes another release instant.
pub async fn propose_embargo(
    state: &AppState,
    participant: &Participant,
    report: &Report,
    ends_at: &str,
    time_zone: &str,
    why: &str,
) -> Result<i64, WebError> {
    const CODE: &str = "invalid_proposal";
    const WHAT: &str = "The proposal was not made";
    let now = state.clock.now();
    let embargo = Embargo::parse(ends_at, time_zone, now).map_err(|errors| {
        invalid(
            CODE,
            WHAT,
            errors
                .iter()
                .map(|error| (error.field().to_owned(), error.to_string()))
                .collect(),
        )
    })?;
    let why = reason("reason", why, CODE, WHAT)?;
    let text = format!(
        "{} proposes the embargo end at {}: {why}",
        participant.vendor_name,
        embargo.display()
    );
    let mail =
        to_coordinators(state, report, participant.tlp, "an embargo proposal", &text).await?;
    let id = state
        .store
        .propose_embargo(
            report.id,
            participant.id,
            &embargo,
            &why,
            Change {
                entry: participant_entry(participant, LogKind::EmbargoProposed, text),
                mail: &mail,
                audit: None,
                now,
            },
        )
        .await
        .map_err(refused)?;
    state.mailer.wake();
    Ok(id)
}

/// A participant asks the coordinator to bring in another vendor.
pub async fn nominate(
    state: &AppState,
    participant: &Participant,
    report: &Report,
    vendor_name: &str,
    email: &str,
    why: &str,
) -> Result<i64, WebError> {
    const CODE: &str = "invalid_nomination";
    const WHAT: &str = "The nomination was not made";
    tlp::check_nomination(participant.tlp)
        .map_err(|error| WebError::Forbidden(format!("{error}.")))?;
    let mut fields = BTreeMap::new();
    let name = vendor_name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
        fields.insert(
            "vendor_name".to_owned(),
            "name the vendor (at most 200 characters)".to_owned(),
        );
    }
    let email = email.trim();
    if email.parse::<lettre::Address>().is_err() {
        fields.insert(
            "email".to_owned(),
            "an e-mail address such as psirt@vendor.example".to_owned(),
        );
    }
    let why = reason("reason", why, CODE, WHAT);
    if let Err(WebError::Invalid { fields: more, .. }) = &why {
        fields.extend(more.clone());
    }
    if !fields.is_empty() {
        return Err(invalid(CODE, WHAT, fields));
    }
    let why = why?;
    let text = format!(
        "{} nominates {name} <{email}>: {why}",
        participant.vendor_name
    );
    let mail = to_coordinators(state, report, participant.tlp, "a nomination", &text).await?;
    let id = state
        .store
        .nominate(
            NewNomination {
                report_id: report.id,
                participant_id: participant.id,
                vendor_name: name,
                email,
                reason: &why,
            },
            Change {
                entry: participant_entry(participant, LogKind::Nominated, text),
                mail: &mail,
                audit: None,
                now: state.clock.now(),
            },
        )
        .await
        .map_err(refused)?;
    state.mailer.wake();
    Ok(id)
}

/// The viewer's own zone: the one asked for when it is a zone, else the participant's.
pub fn viewer_zone<'a>(
    asked: Option<&'a str>,
    participant: Option<&'a Participant>,
) -> Option<&'a str> {
    asked
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .or_else(|| participant.and_then(|p| p.time_zone.as_deref()))
}
