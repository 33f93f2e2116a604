//! Sending the inquiry: by mail through the outbox to the vendor's preferred e-mail
//! contact, OpenPGP-encrypted (and signed with the organization key) when the vendor has
//! a key. Without a key the details go in clear only when the person confirms it, and the
//! log records that choice; the subject of an encrypted mail names only the case.

use cvdesk_store::{MailBody, MailKind, NewMail};
use lettre::message::SinglePart;

use super::cases::{record_sent, CaseError, CaseView, Context};
use crate::mail::FinderKey;
use crate::openpgp::MessageSigner;

/// The person's choice about a vendor without a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clear {
    Refuse,
    Confirmed,
}

/// The mail that carries the inquiry, and whether it is encrypted.
pub fn compose(
    view: &CaseView,
    clear: Clear,
    signer: Option<&MessageSigner>,
    now: time::OffsetDateTime,
) -> Result<(NewMail, bool), CaseError> {
    let Some(recipient) = view.vendor.details.email() else {
        return Err(CaseError::Conflict(format!(
            "{} has no e-mail contact: add one to the vendor, or record that the case was \
             reported through a web form or by phone",
            view.vendor.details.name
        )));
    };
    let case_id = view.case.id.to_string();
    let (subject, body, encrypted) = match view.vendor.details.pgp_key.as_deref() {
        Some(key) => {
            let key = FinderKey::prepare(key, now).map_err(|error| {
                CaseError::Conflict(format!(
                    "the vendor's OpenPGP key cannot be used ({error}); replace it, or remove \
                     it and confirm sending in clear"
                ))
            })?;
            let text = format!("Subject: {}\n\n{}", view.inquiry.subject, view.inquiry.body);
            let armored = key
                .encrypt(SinglePart::plain(text).formatted(), signer, now)
                .map_err(|error| CaseError::Conflict(format!("encryption failed: {error}")))?;
            (
                format!("Vulnerability report {case_id} (encrypted)"),
                MailBody::PgpMime(armored),
                true,
            )
        }
        None if clear == Clear::Confirmed => (
            view.inquiry.subject.clone(),
            MailBody::Plain(view.inquiry.body.clone()),
            false,
        ),
        None => {
            return Err(CaseError::Conflict(format!(
                "{} has no OpenPGP key, so the details would travel in clear: add the \
                 vendor's key, or confirm sending unencrypted (\"confirm_unencrypted\": true)",
                view.vendor.details.name
            )))
        }
    };
    Ok((
        NewMail {
            kind: MailKind::VendorInquiry,
            report_id: None,
            recipient: recipient.to_owned(),
            subject,
            body,
        },
        encrypted,
    ))
}

/// Sends the inquiry and records the case as reported (or the follow-up as sent).
pub async fn send(
    context: &Context<'_>,
    view: &CaseView,
    clear: Clear,
    signer: Option<&MessageSigner>,
    actor: &str,
    audit: &cvdesk_domain::audit::AuditEvent,
) -> Result<bool, CaseError> {
    if context.settings.researcher.is_none() {
        return Err(CaseError::Conflict(
            "set the researcher's name and e-mail address ([outbound] researcher_name and \
             researcher_email) before sending: the inquiry must say who reports (item c)"
                .to_owned(),
        ));
    }
    let (mail, encrypted) = compose(view, clear, signer, context.now)?;
    record_sent(context, view, mail, encrypted, actor, audit).await?;
    Ok(encrypted)
}

/// Whether mail could be encrypted to `armored_key` at `now`, in the words the finder's
/// form uses when it cannot.
pub fn check_vendor_key(armored_key: &str, now: time::OffsetDateTime) -> Result<(), String> {
    FinderKey::prepare(armored_key, now)
        .map(drop)
        .map_err(|error| error.to_string())
}
