//! Mail about a coordination. Every subject starts with the TLP label of the share it is
//! about, in FIRST's spelling (`[TLP:AMBER] …`). Mail to a participant is OpenPGP-encrypted
//! (and signed with the organization key) when its vendor has a key that can be used; it
//! then carries the details. Without a key it carries only what may travel in clear: the
//! reference, the label, the embargo instant and the participant's link (which, like a
//! finder's tracking link, is the one thing it needs). Mail to the coordinator names the
//! participant and what happened, and points to the coordination page.

use std::sync::Arc;

use cvdesk_domain::coordination::tlp;
use cvdesk_domain::report::Report;
use cvdesk_domain::vendor::VendorDetails;
use cvdesk_formats::tlp::Tlp;
use cvdesk_store::{MailBody, MailKind, NewMail};
use lettre::message::SinglePart;
use lettre::Address;
use time::OffsetDateTime;

use crate::mail::{staff_recipients, FinderKey};
use crate::openpgp::MessageSigner;
use crate::AppState;

/// What a mail says: the subject (without its label), the part that may travel in clear,
/// and the part only encrypted mail carries.
pub struct Letter {
    pub subject: String,
    pub public: String,
    pub private: String,
}

/// Writes mail about one report's coordination.
pub struct CoordinationMail {
    signer: Option<Arc<MessageSigner>>,
    public_url: String,
    now: OffsetDateTime,
}

impl CoordinationMail {
    /// Unlocks the organization key once for every mail written.
    pub async fn of(state: &AppState) -> CoordinationMail {
        let now = state.clock.now();
        CoordinationMail {
            signer: state
                .organization_signer
                .for_mail(
                    state.store.as_ref(),
                    state.settings.pgp_passphrase.as_ref(),
                    now,
                )
                .await,
            public_url: state.settings.public_url.clone(),
            now,
        }
    }

    /// The participant's link.
    pub fn link(&self, token: &str) -> String {
        format!("{}/participate/{token}", self.public_url)
    }

    /// The coordinator's page of a report.
    pub fn page(&self, report: &Report) -> String {
        format!(
            "{}/staff/reports/{}/coordination",
            self.public_url, report.reference
        )
    }

    /// The mail to a participant's vendor, or `None` when it has no e-mail address.
    pub fn to_participant(
        &self,
        vendor: &VendorDetails,
        share: Tlp,
        kind: MailKind,
        report: &Report,
        letter: &Letter,
    ) -> Option<NewMail> {
        let recipient = vendor.email()?;
        let subject = tlp::subject(share, &letter.subject);
        let key = vendor
            .pgp_key
            .as_deref()
            .and_then(|key| match FinderKey::prepare(key, self.now) {
                Ok(key) => Some(key),
                Err(error) => {
                    tracing::warn!(vendor = %vendor.name, %error, "the vendor's key cannot be used; mail goes without details");
                    None
                }
            });
        let encrypted = key.and_then(|key| {
            let text = format!(
                "Subject: {subject}\n\n{}\n\n{}\n\n{share}: {}\n",
                letter.public,
                letter.private,
                tlp::meaning(share)
            );
            key.encrypt(
                SinglePart::plain(text).formatted(),
                self.signer.as_deref(),
                self.now,
            )
            .map_err(|error| tracing::warn!(vendor = %vendor.name, %error, "encryption failed; mail goes without details"))
            .ok()
        });
        let body = match encrypted {
            Some(armored) => MailBody::PgpMime(armored),
            None => MailBody::Plain(format!(
                "{}\n\n{share}: {}\n\nThe details are on the page behind your link; this mail \
                 carries none because we hold no OpenPGP key of yours that we can use.\n",
                letter.public,
                tlp::meaning(share)
            )),
        };
        Some(NewMail {
            kind,
            report_id: Some(report.id),
            recipient: recipient.to_owned(),
            subject,
            body,
        })
    }
}

/// The mail to the coordinators of `report` (its product's team, or the desk's staff
/// addresses): `text` names only the participant and what happened.
pub async fn to_coordinators(
    state: &AppState,
    report: &Report,
    label: Tlp,
    subject: &str,
    text: &str,
) -> Result<Vec<NewMail>, cvdesk_store::StoreError> {
    let recipients: Vec<Address> = staff_recipients(state, report.triage.product).await?;
    let page = format!(
        "{}/staff/reports/{}/coordination",
        state.settings.public_url, report.reference
    );
    Ok(recipients
        .into_iter()
        .map(|address| NewMail {
            kind: MailKind::StaffCoordination,
            report_id: Some(report.id),
            recipient: address.to_string(),
            subject: tlp::subject(label, &format!("{}: {subject}", report.reference)),
            body: MailBody::Plain(format!("{text}\n\nThe coordination: {page}\n")),
        })
        .collect())
}
