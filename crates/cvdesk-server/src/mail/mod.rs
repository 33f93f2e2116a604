//! E-mail to finders and staff through a durable outbox. Intake, and each later change
//! that someone is told about, writes its mail into the store in the change's own
//! transaction, so a change that happened always has its mail queued and a refused one
//! has none; the worker sends what is due through SMTP, retries with
//! back-off while the server is down, and survives restarts because the queue is the
//! database. Without an SMTP server configured mail is still queued, and sent once one is.
//!
//! The rule: mail never contains vulnerability details or a tracking link unless it is
//! OpenPGP-encrypted to the finder's own key.

mod encrypt;
mod message;
mod news;
pub mod outbox_page;
mod recipients;
mod reminder;
mod smtp;
mod templates;
mod worker;

use std::fmt;
use std::sync::Arc;

use lettre::message::Mailbox;
use lettre::{Address, AsyncSmtpTransport, Tokio1Executor};
use tokio::sync::Notify;

use crate::openpgp::MessageSigner;
use crate::AppState;

pub use encrypt::FinderKey;
pub use news::{FinderNews, NewsMail, StaffNews};
pub use recipients::{parse_recipients, staff_recipients, team_or_global, InvalidRecipient};
pub use reminder::ReminderMail;
pub use smtp::{SmtpUrl, SmtpUrlError};
pub use templates::NewReportMail;
pub use worker::run;

/// What signs mail to a finder who gave `finder_pgp_key`: the organization's key when the
/// desk has one it can unlock. Without it the mail is still encrypted, only unsigned.
pub async fn finder_mail_signer(
    state: &AppState,
    finder_pgp_key: Option<&str>,
) -> Option<Arc<MessageSigner>> {
    finder_pgp_key?;
    state
        .organization_signer
        .for_mail(
            state.store.as_ref(),
            state.settings.pgp_passphrase.as_ref(),
            state.clock.now(),
        )
        .await
}

/// Mail settings as configured, before they are checked by `Mailer::new`.
#[derive(Clone, Default)]
pub struct MailSettings {
    /// `CVDESK_SMTP_URL`; without it mail is queued but not sent.
    pub smtp_url: Option<String>,
    /// `CVDESK_MAIL_FROM`: `security@example.org` or `Example Security <security@example.org>`.
    pub from: Option<String>,
    /// Who is told about each new report, each reply of a finder, each request for an
    /// update and each deadline or update reminder, unless the report's product belongs to
    /// a team with addresses of its own.
    pub staff_recipients: Vec<String>,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let smtp = self
            .smtp_url
            .as_deref()
            .map(|url| match SmtpUrl::parse(url) {
                Ok(parsed) => parsed.to_string(),
                Err(_) => "(invalid)".to_owned(),
            });
        f.debug_struct("MailSettings")
            .field("smtp_url", &smtp)
            .field("from", &self.from)
            .field("staff_recipients", &self.staff_recipients)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("smtp_url: {0}")]
    SmtpUrl(#[from] SmtpUrlError),
    #[error("smtp_url: the SMTP transport cannot be set up: {0}")]
    Transport(String),
    #[error(
        "mail from: set CVDESK_MAIL_FROM (or [mail] from) to the address mail is sent from, \
         e.g. security@example.org, whenever an SMTP URL is set"
    )]
    FromMissing,
    #[error(
        "mail from: '{0}' is not an e-mail address such as security@example.org or \
         \"Example Security <security@example.org>\""
    )]
    From(String),
    #[error("mail staff_recipients: '{0}' is not an e-mail address such as security@example.org")]
    StaffRecipient(String),
}

/// The SMTP server and the sender's address.
pub struct Transport {
    url: SmtpUrl,
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Checked mail settings, and the bell that wakes the sender when mail is queued.
pub struct Mailer {
    transport: Option<Transport>,
    staff_recipients: Vec<Address>,
    wake: Notify,
    /// Where answers come back, when inbound mail is configured.
    replies: Option<crate::inbound_mail::ReplyAddresses>,
    /// Mail sent and failed, for the operator's metrics.
    pub counters: crate::metrics::MailCounters,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Self, MailConfigError> {
        let from = settings
            .from
            .as_deref()
            .map(|text| {
                text.trim()
                    .parse::<Mailbox>()
                    .map_err(|_| MailConfigError::From(text.to_owned()))
            })
            .transpose()?;
        let transport = match (settings.smtp_url.as_deref(), from) {
            (None, _) => None,
            (Some(_), None) => return Err(MailConfigError::FromMissing),
            (Some(url), Some(from)) => {
                let url = SmtpUrl::parse(url)?;
                let smtp = url
                    .transport()
                    .map_err(|error| MailConfigError::Transport(error.to_string()))?;
                Some(Transport { url, smtp, from })
            }
        };
        let staff_recipients = settings
            .staff_recipients
            .iter()
            .map(|text| {
                text.trim()
                    .parse::<Address>()
                    .map_err(|_| MailConfigError::StaffRecipient(text.to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Mailer {
            transport,
            staff_recipients,
            wake: Notify::new(),
            replies: None,
            counters: crate::metrics::MailCounters::default(),
        })
    }

    /// Mail to finders and vendors then carries a `Reply-To` with the reply token of
    /// its report or case, so answers find their way back (`cvdesk mail receive`).
    pub fn with_replies(mut self, replies: crate::inbound_mail::ReplyAddresses) -> Self {
        self.replies = Some(replies);
        self
    }

    pub fn staff_recipients(&self) -> &[Address] {
        &self.staff_recipients
    }

    /// Tells the sender that mail was queued, so it goes out now rather than at the next
    /// poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(smtp_url: Option<&str>, from: Option<&str>, staff: &[&str]) -> MailSettings {
        MailSettings {
            smtp_url: smtp_url.map(str::to_owned),
            from: from.map(str::to_owned),
            staff_recipients: staff.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn without_smtp_mail_is_only_queued() {
        let mailer = Mailer::new(&settings(None, None, &["triage@example.org"])).expect("valid");
        assert!(mailer.transport.is_none());
        assert_eq!(mailer.staff_recipients().len(), 1);
    }

    #[test]
    fn smtp_needs_a_sender_and_valid_addresses() {
        let refused = |s: MailSettings| Mailer::new(&s).err().map(|e| e.to_string());
        let message = refused(settings(Some("smtp://127.0.0.1:25"), None, &[])).expect("refused");
        assert!(message.contains("CVDESK_MAIL_FROM"), "{message}");
        let message = refused(settings(None, Some("security at example"), &[])).expect("refused");
        assert!(message.contains("'security at example'"), "{message}");
        let message = refused(settings(None, None, &["x"])).expect("refused");
        assert!(message.contains("staff_recipients: 'x'"), "{message}");
        let message = refused(settings(
            Some("smtp://u:secret@mail.example.org"),
            Some("a@b.org"),
            &[],
        ))
        .expect("refused");
        assert!(message.starts_with("smtp_url: "), "{message}");
        assert!(!message.contains("secret"), "{message}");
        let mailer = Mailer::new(&settings(
            Some("smtp://127.0.0.1:2525"),
            Some("Example Security <security@example.org>"),
            &[],
        ))
        .expect("valid");
        assert!(mailer.transport.is_some());
    }

    #[test]
    fn debug_hides_the_smtp_password() {
        let shown = format!(
            "{:?}",
            settings(Some("smtps://u:secret@mail.example.org"), None, &[])
        );
        assert!(!shown.contains("secret"), "{shown}");
        assert!(
            shown.contains("smtps://u:***@mail.example.org:465"),
            "{shown}"
        );
    }
}
