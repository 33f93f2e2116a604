//! Mail coming back in: a vendor's answer to a case, or a finder's answer to mail from the
//! desk (ETSI TR 103 838 clause 5.5.1). Each message is kept as received before anything
//! else, then matched by the reply token in the address it was sent to, or else by the
//! Message-ID of desk mail it answers when it comes from the address that mail went to;
//! PGP/MIME is decrypted with the organization key and its signature checked against the
//! sender's known key. What matches nothing, or cannot be read, stays in the quarantine
//! with the reason: never dropped, never attached to a guess.

use cvdesk_domain::attachment::AttachmentName;
use cvdesk_domain::outbound::log::{Channel, LogKind};
use cvdesk_domain::reply_address::{ReplyKey, ReplyTarget};
use cvdesk_formats::inbound_mail::{self, Attachment, Content, Limits, Mail};
use cvdesk_store::{
    Delivery, NewAttachment, NewCaseFile, NewLogEntry, NewReceivedMail, Store, StoreError,
    MAX_CASE_FILE_BYTES,
};
use time::OffsetDateTime;

use crate::openpgp::{OrganizationKey, SignatureCheck};
use crate::outbound::cases::record_mail_reply;

/// Where the desk's reply addresses point, and the key their tokens are made with.
pub struct ReplyAddresses {
    /// The configured inbound address, e.g. `security@research.example`.
    pub base: String,
    pub key: ReplyKey,
}

/// What receiving needs.
pub struct Receiver<'a> {
    pub store: &'a dyn Store,
    pub replies: Option<&'a ReplyAddresses>,
    /// Unlocked, when the desk has one: encrypted mail is read with it.
    pub organization_key: Option<&'a OrganizationKey>,
    pub limits: Limits,
    pub now: OffsetDateTime,
}

/// Where a message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The case's id and row.
    Case(String, i64),
    Report(i64),
    Quarantined(String),
}

/// Keeps `raw` and delivers it. Fails only when the message could not even be kept.
pub async fn receive(
    receiver: &Receiver<'_>,
    raw: &[u8],
    envelope_recipient: Option<&str>,
) -> Result<(i64, Outcome), StoreError> {
    let parsed = inbound_mail::parse(raw, &receiver.limits);
    let kept = &raw[..raw.len().min(receiver.limits.max_bytes)];
    let (sender, subject, message_id) = match &parsed {
        Ok(mail) => (
            mail.from.as_deref(),
            mail.subject.as_str(),
            mail.message_id.as_deref(),
        ),
        Err(_) => (None, "", None),
    };
    let id = receiver
        .store
        .keep_received_mail(NewReceivedMail {
            received_at: receiver.now,
            reason: None,
            sender,
            subject,
            message_id,
            size_bytes: raw.len() as u64,
            raw: kept,
        })
        .await?;
    let outcome = match parsed {
        Err(error) => Outcome::Quarantined(format!("unreadable: {error}")),
        Ok(mail) => match deliver(receiver, &mail, envelope_recipient).await {
            Ok(outcome) => outcome,
            Err(Refusal(reason)) => Outcome::Quarantined(reason),
        },
    };
    let (delivery, reason) = match &outcome {
        Outcome::Case(_, row) => (Delivery::Case(*row), None),
        Outcome::Report(report) => (Delivery::Report(*report), None),
        Outcome::Quarantined(reason) => (Delivery::Quarantined, Some(reason.as_str())),
    };
    receiver
        .store
        .deliver_received_mail(id, delivery, reason)
        .await?;
    Ok((id, outcome))
}

/// Why a message stays in the quarantine.
struct Refusal(String);

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "a received mail could not be recorded where it belongs");
        Refusal(format!("could not be recorded: {error}"))
    }
}

async fn deliver(
    receiver: &Receiver<'_>,
    mail: &Mail,
    envelope_recipient: Option<&str>,
) -> Result<Outcome, Refusal> {
    let target = target_of(receiver, mail, envelope_recipient).await?;
    match target {
        ReplyTarget::Case(row_id) => {
            let Some(case) = receiver.store.case_by_row(row_id).await? else {
                return Err(Refusal(format!(
                    "the case it answers ({row_id}) no longer exists"
                )));
            };
            let vendor = receiver.store.vendor(case.vendor_id).await?;
            let vendor_key = vendor.as_ref().and_then(|v| v.details.pgp_key.as_deref());
            let read = read(receiver, mail, vendor_key)?;
            let mut entry = NewLogEntry::new(
                LogKind::VendorReply,
                mail.date
                    .filter(|date| *date <= receiver.now)
                    .unwrap_or(receiver.now),
                &format!(
                    "mail from {}",
                    mail.from.as_deref().unwrap_or("an unknown sender")
                ),
                &format!("Subject: {}\n\n{}", mail.subject, read.text),
            );
            entry.channel = Some(Channel::Email);
            entry.encrypted = Some(read.encrypted);
            entry.signature = Some(read.signature.describe());
            entry.message_id = mail.message_id.clone();
            entry.files = read
                .attachments
                .into_iter()
                .filter(|file| file.bytes.len() <= MAX_CASE_FILE_BYTES)
                .map(|file| NewCaseFile {
                    file_name: AttachmentName::sanitize(&file.name).as_str().to_owned(),
                    content: file.bytes,
                })
                .collect();
            // A case that moves meanwhile is read again once.
            let recorded =
                match record_mail_reply(receiver.store, &case, entry.clone(), receiver.now).await {
                    Err(StoreError::Conflict(_)) => {
                        let again = receiver.store.case_by_row(row_id).await?.ok_or_else(|| {
                            Refusal("the case it answers no longer exists".to_owned())
                        })?;
                        record_mail_reply(receiver.store, &again, entry, receiver.now).await
                    }
                    other => other,
                };
            recorded?;
            Ok(Outcome::Case(case.id.to_string(), case.row_id))
        }
        ReplyTarget::Report(report_id) => {
            let Some((_, finder_key)) = receiver.store.finder_contact(report_id).await? else {
                return Err(Refusal(format!(
                    "the report it answers ({report_id}) no longer exists"
                )));
            };
            let read = read(receiver, mail, finder_key.as_deref())?;
            let mut files = Vec::new();
            for file in read.attachments {
                files.push(NewAttachment {
                    name: AttachmentName::sanitize(&file.name),
                    blob: receiver.store.stage_blob(&file.bytes).await?,
                });
            }
            let mut body = read.text.trim().to_owned();
            if body.is_empty() {
                body = "(The e-mail had no text.)".to_owned();
            }
            receiver
                .store
                .add_finder_message(
                    report_id,
                    &body,
                    &files,
                    cvdesk_domain::AttachmentLimits::default().max_report_bytes,
                    &[],
                    receiver.now,
                )
                .await?;
            Ok(Outcome::Report(report_id))
        }
    }
}

/// The case or report a message answers, or why it is quarantined.
async fn target_of(
    receiver: &Receiver<'_>,
    mail: &Mail,
    envelope_recipient: Option<&str>,
) -> Result<ReplyTarget, Refusal> {
    let recipients: Vec<&str> = envelope_recipient
        .into_iter()
        .chain(mail.recipients.iter().map(String::as_str))
        .collect();
    if let Some(replies) = receiver.replies {
        for address in &recipients {
            if let Some(target) = replies.key.target_of(&replies.base, address) {
                return Ok(target);
            }
        }
        let (local, domain) = replies.base.rsplit_once('@').unwrap_or_default();
        let tokened = recipients.iter().any(|address| {
            address
                .to_ascii_lowercase()
                .starts_with(&format!("{}+", local.to_ascii_lowercase()))
                && address
                    .to_ascii_lowercase()
                    .ends_with(&format!("@{}", domain.to_ascii_lowercase()))
        });
        if tokened {
            return Err(Refusal(
                "the reply address's token is not one the desk made (altered or forged)".to_owned(),
            ));
        }
    }
    // Mail answering desk mail, from the address that mail went to.
    let sender = mail
        .from
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    for reference in mail.in_reply_to.iter().chain(&mail.references) {
        let Some(outbox_id) = outbox_id_of(reference) else {
            continue;
        };
        let Some((case, report, recipient)) = receiver.store.case_of_sent_mail(outbox_id).await?
        else {
            continue;
        };
        if !sender.is_empty() && recipient.eq_ignore_ascii_case(&sender) {
            if let Some(case) = case {
                return Ok(ReplyTarget::Case(case));
            }
            if let Some(report) = report {
                return Ok(ReplyTarget::Report(report));
            }
        }
    }
    Err(Refusal(
        "no reply token in its address, and it answers no mail the desk sent to its sender"
            .to_owned(),
    ))
}

/// The outbox row a desk Message-ID (`cvdesk.{id}.{time}@domain`) names.
fn outbox_id_of(message_id: &str) -> Option<i64> {
    let local = message_id.trim_matches(['<', '>']).split('@').next()?;
    let mut parts = local.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("cvdesk"), Some(id), Some(time), None) if time.parse::<i64>().is_ok() => {
            id.parse().ok()
        }
        _ => None,
    }
}

struct Read {
    text: String,
    attachments: Vec<Attachment>,
    encrypted: bool,
    signature: SignatureCheck,
}

fn read(receiver: &Receiver<'_>, mail: &Mail, sender_key: Option<&str>) -> Result<Read, Refusal> {
    match &mail.content {
        Content::Plain { text, attachments } => Ok(Read {
            text: text.clone(),
            attachments: attachments.clone(),
            encrypted: false,
            signature: SignatureCheck::Unsigned,
        }),
        Content::Encrypted { armored, .. } => {
            let Some(key) = receiver.organization_key else {
                return Err(Refusal(
                    "it is encrypted, and the organization key is not available to read it \
                     (is CVDESK_PGP_PASSPHRASE set?)"
                        .to_owned(),
                ));
            };
            let (content, signature) = key
                .decrypt_and_check(armored, sender_key)
                .map_err(|error| Refusal(format!("it cannot be decrypted: {error}")))?;
            let (text, attachments) = inbound_mail::parse_entity(&content, &receiver.limits)
                .map_err(|error| {
                    Refusal(format!("its decrypted content is unreadable: {error}"))
                })?;
            Ok(Read {
                text,
                attachments,
                encrypted: true,
                signature,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desk_message_ids_name_their_outbox_row() {
        assert_eq!(outbox_id_of("cvdesk.42.1795435200@example.org"), Some(42));
        assert_eq!(outbox_id_of("<cvdesk.42.1795435200@example.org>"), Some(42));
        assert_eq!(outbox_id_of("reply-1@acme.example"), None);
        assert_eq!(outbox_id_of("cvdesk.x.1@example.org"), None);
    }
}
