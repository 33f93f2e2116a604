//! What is written to whom when a report arrives (ETSI TR 103 838 clause 5.5.1): the
//! finder is thanked, given the reference, the policy's response and triage times and the
//! promise that no NDA is asked for; staff learn the reference and where to read it.
//!
//! Plain mail never carries vulnerability details nor the tracking link (a bearer secret):
//! only mail encrypted to the finder's own key does.

use askama::Template;
use cvdesk_domain::policy::PolicySettings;
use cvdesk_domain::report::Report;
use cvdesk_store::{MailBody, MailKind, NewMail};
use lettre::message::SinglePart;
use lettre::Address;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::UtcOffset;

const RECEIVED_AT: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute] UTC");

use super::encrypt::{EncryptError, FinderKey};
use crate::openpgp::MessageSigner;

#[derive(Template)]
#[template(path = "mail/acknowledgement.txt")]
struct Acknowledgement<'a> {
    name: Option<&'a str>,
    organization_name: &'a str,
    reference: String,
    response_days: u16,
    triage_days: u16,
    policy_url: String,
    /// Why the mail is plain although the finder gave a key.
    not_encrypted_because: Option<String>,
}

#[derive(Template)]
#[template(path = "mail/acknowledgement_encrypted.txt")]
struct EncryptedAcknowledgement<'a> {
    name: Option<&'a str>,
    organization_name: &'a str,
    reference: String,
    response_days: u16,
    triage_days: u16,
    policy_url: String,
    title: &'a str,
    tracking_url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/staff_new_report.txt")]
struct StaffNewReport {
    reference: String,
    received_at: String,
    report_url: String,
    response_days: u16,
}

/// Everything the mail about a new report needs besides the report itself.
pub struct NewReportMail<'a> {
    pub organization_name: &'a str,
    /// Without a trailing slash.
    pub public_url: &'a str,
    pub policy: &'a PolicySettings,
    /// The finder's tracking link; written only into encrypted mail.
    pub tracking_url: &'a str,
    pub staff_recipients: &'a [Address],
    /// The finder's key, checked before the report's transaction; `None` without one.
    pub finder_key: Option<Result<FinderKey, EncryptError>>,
    /// Signs the encrypted acknowledgement; `None` leaves it unsigned.
    pub signer: Option<&'a MessageSigner>,
}

impl NewReportMail<'_> {
    /// The acknowledgement to the finder (when they gave an address) and one notification
    /// per staff address. A mail that cannot be written is logged and left out: the report
    /// itself must not fail because of its mail.
    pub fn compose(&self, report: &Report) -> Vec<NewMail> {
        let mut mail = Vec::with_capacity(self.staff_recipients.len() + 1);
        match self.acknowledgement(report) {
            Ok(Some(acknowledgement)) => mail.push(acknowledgement),
            Ok(None) => {}
            Err(error) => {
                tracing::error!(reference = %report.reference, %error, "could not write the acknowledgement")
            }
        }
        match self.staff_notification(report) {
            Ok(body) => mail.extend(self.staff_recipients.iter().map(|recipient| NewMail {
                kind: MailKind::StaffNewReport,
                report_id: Some(report.id),
                recipient: recipient.to_string(),
                subject: format!("[{}] New vulnerability report", report.reference),
                body: MailBody::Plain(body.clone()),
            })),
            Err(error) => {
                tracing::error!(reference = %report.reference, %error, "could not write the staff notification")
            }
        }
        mail
    }

    fn acknowledgement(&self, report: &Report) -> Result<Option<NewMail>, askama::Error> {
        let contact = &report.content.contact;
        let Some(email) = contact.email.as_deref() else {
            return Ok(None);
        };
        let Ok(recipient) = email.parse::<Address>() else {
            tracing::warn!(reference = %report.reference, "the finder's address cannot be mailed to; no acknowledgement");
            return Ok(None);
        };
        let name = contact.name.as_deref();
        let reference = report.reference.to_string();
        let policy_url = format!("{}/policy", self.public_url);
        let plain = |not_encrypted_because| Acknowledgement {
            name,
            organization_name: self.organization_name,
            reference: reference.clone(),
            response_days: self.policy.response_days,
            triage_days: self.policy.triage_days,
            policy_url: policy_url.clone(),
            not_encrypted_because,
        };
        let body = match &self.finder_key {
            None => MailBody::Plain(plain(None).render()?),
            Some(Err(error)) => {
                tracing::info!(reference = %report.reference, %error, "the acknowledgement goes unencrypted");
                MailBody::Plain(plain(Some(error.to_string())).render()?)
            }
            Some(Ok(key)) => {
                let text = EncryptedAcknowledgement {
                    name,
                    organization_name: self.organization_name,
                    reference: reference.clone(),
                    response_days: self.policy.response_days,
                    triage_days: self.policy.triage_days,
                    policy_url: policy_url.clone(),
                    title: &report.content.title,
                    tracking_url: self.tracking_url,
                }
                .render()?;
                match key.encrypt(
                    SinglePart::plain(text).formatted(),
                    self.signer,
                    report.created_at,
                ) {
                    Ok(armored) => MailBody::PgpMime(armored),
                    Err(error) => {
                        tracing::warn!(reference = %report.reference, %error, "the acknowledgement goes unencrypted");
                        MailBody::Plain(plain(Some(error.to_string())).render()?)
                    }
                }
            }
        };
        Ok(Some(NewMail {
            kind: MailKind::FinderAcknowledgement,
            report_id: Some(report.id),
            recipient: recipient.to_string(),
            subject: format!("[{reference}] We received your report"),
            body,
        }))
    }

    fn staff_notification(&self, report: &Report) -> Result<String, askama::Error> {
        let reference = report.reference.to_string();
        StaffNewReport {
            report_url: format!("{}/staff/reports/{reference}", self.public_url),
            reference,
            received_at: report
                .created_at
                .to_offset(UtcOffset::UTC)
                .format(RECEIVED_AT)
                .unwrap_or_else(|_| report.created_at.to_string()),
            response_days: self.policy.response_days,
        }
        .render()
    }
}

#[cfg(test)]
mod tests {
    use cvdesk_domain::report::{ReportState, Triage};
    use cvdesk_domain::{Reference, ReferencePrefix, ReportDraft, ReportInput, TextLimits};
    use time::macros::datetime;
    use time::OffsetDateTime;

    use super::*;
    use crate::openpgp::OrganizationKey;

    const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);
    const TRACKING_URL: &str = "https://security.example.org/track/SECRET-TOKEN";
    const TITLE: &str = "SQL injection in product search";

    fn report(email: Option<&str>) -> Report {
        let content = ReportDraft::parse(
            &ReportInput {
                title: Some(TITLE.into()),
                summary: Some("The q parameter is concatenated into SQL.".into()),
                steps_to_reproduce: Some("GET /search?q='".into()),
                impact: Some("Database read.".into()),
                contact_name: Some("Ada".into()),
                contact_email: email.map(str::to_owned),
                ..ReportInput::default()
            },
            TextLimits::default(),
        )
        .expect("valid");
        Report {
            id: 7,
            reference: Reference::new(ReferencePrefix::default(), 2026, 1),
            state: ReportState::New,
            needs_info: false,
            created_at: NOW,
            content,
            attachments: Vec::new(),
            triage: Triage::default(),
            received_from: None,
        }
    }

    fn staff() -> Vec<Address> {
        ["triage@example.org", "lead@example.org"]
            .iter()
            .map(|a| a.parse().expect("address"))
            .collect()
    }

    fn composed(
        report: &Report,
        finder_key: Option<Result<FinderKey, EncryptError>>,
    ) -> Vec<NewMail> {
        let policy = PolicySettings {
            response_days: 3,
            triage_days: 12,
            ..PolicySettings::default()
        };
        let staff = staff();
        NewReportMail {
            organization_name: "Example Org",
            public_url: "https://security.example.org",
            policy: &policy,
            tracking_url: TRACKING_URL,
            staff_recipients: &staff,
            finder_key,
            signer: None,
        }
        .compose(report)
    }

    fn plain(mail: &NewMail) -> &str {
        match &mail.body {
            MailBody::Plain(text) => text,
            MailBody::PgpMime(_) => panic!("{} is encrypted", mail.subject),
        }
    }

    #[test]
    fn the_plain_acknowledgement_thanks_and_sets_expectations_without_details() {
        let mail = composed(&report(Some("ada@example.org")), None);
        assert_eq!(mail.len(), 3, "the finder and two staff addresses");
        let acknowledgement = &mail[0];
        assert_eq!(acknowledgement.kind, MailKind::FinderAcknowledgement);
        assert_eq!(acknowledgement.recipient, "ada@example.org");
        assert_eq!(acknowledgement.report_id, Some(7));
        assert_eq!(
            acknowledgement.subject,
            "[CVD-2026-0001] We received your report"
        );
        let text = plain(acknowledgement);
        for expected in [
            "Hello Ada,",
            "thank you for reporting a security issue to Example Org",
            "    CVD-2026-0001\n",
            "Within 3 working days you hear from a person",
            "Within 12 working days we tell you whether we confirm",
            "never ask you to sign a non-disclosure agreement",
            "https://security.example.org/policy",
            "Follow\nyour report with the tracking link from the page that confirmed",
        ] {
            assert!(text.contains(expected), "{expected:?} in\n{text}");
        }
        for secret in [TITLE, "SECRET-TOKEN", "/track/", "concatenated"] {
            assert!(!text.contains(secret), "{secret:?} in\n{text}");
        }
    }

    #[test]
    fn staff_learn_only_the_reference_and_where_to_read_it() {
        let mail = composed(&report(None), None);
        assert_eq!(mail.len(), 2, "no finder address, no acknowledgement");
        let recipients: Vec<&str> = mail.iter().map(|m| m.recipient.as_str()).collect();
        assert_eq!(recipients, ["triage@example.org", "lead@example.org"]);
        for notification in &mail {
            assert_eq!(notification.kind, MailKind::StaffNewReport);
            assert_eq!(
                notification.subject,
                "[CVD-2026-0001] New vulnerability report"
            );
            let text = plain(notification);
            assert!(
                text.contains("https://security.example.org/staff/reports/CVD-2026-0001"),
                "{text}"
            );
            assert!(text.contains("received 2026-11-23 12:00 UTC"), "{text}");
            for secret in [TITLE, "SECRET-TOKEN", "Ada", "concatenated"] {
                assert!(!text.contains(secret), "{secret:?} in\n{text}");
            }
        }
    }

    #[test]
    fn with_the_finders_key_the_acknowledgement_is_encrypted_and_complete() {
        let secret =
            OrganizationKey::generate("Ada", "ada@example.org", None, NOW).expect("generated");
        let finder = OrganizationKey::from_armored(&secret, None, NOW).expect("usable");
        let key = FinderKey::prepare(&finder.public_armored(), NOW);
        let mail = composed(&report(Some("ada@example.org")), Some(key));
        let MailBody::PgpMime(armored) = &mail[0].body else {
            panic!("not encrypted");
        };
        assert!(!armored.contains("SECRET-TOKEN"));
        let decrypted =
            String::from_utf8(finder.decrypt(armored).expect("decrypts")).expect("utf-8");
        assert!(
            decrypted.starts_with("Content-Type: text/plain; charset=utf-8\r\n"),
            "{decrypted}"
        );
        for expected in [TITLE, TRACKING_URL, "CVD-2026-0001", "non-disclosure"] {
            assert!(decrypted.contains(expected), "{expected:?} in\n{decrypted}");
        }
    }

    #[test]
    fn an_unusable_key_gives_a_plain_acknowledgement_saying_why() {
        let key = FinderKey::prepare("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n", NOW);
        let mail = composed(&report(Some("ada@example.org")), Some(key));
        let text = plain(&mail[0]);
        assert!(
            text.contains("We could not encrypt this e-mail to the OpenPGP key you gave:\nthe key"),
            "{text}"
        );
        assert!(
            !text.contains("SECRET-TOKEN") && !text.contains(TITLE),
            "{text}"
        );
    }
}
