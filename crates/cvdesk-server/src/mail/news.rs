//! What is written to whom as a report moves on after intake (ETSI TR 103 838 clause
//! 5.5.1): the finder hears that the security team wrote, needs more information, finished
//! triage, remediated the issue or closed the report; staff hear that the finder replied
//! or asked for an update. The mail is composed before the change and queued in the
//! change's own transaction.
//!
//! Plain mail to the finder says only that there is news and, for a change of state, the
//! new state in plain words; the report's title, the message text and a closing reason go
//! only into mail encrypted to the finder's own key. Later mail never carries the tracking
//! link: the desk keeps only its hash. Staff mail carries the reference and the staff link.

use askama::Template;
use cvdesk_domain::report::{Report, ReportState};
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::Reference;
use cvdesk_store::{MailBody, MailKind, NewMail};
use lettre::message::SinglePart;
use lettre::Address;
use time::OffsetDateTime;

use super::encrypt::FinderKey;
use crate::openpgp::MessageSigner;
use crate::AppState;

/// What the finder is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinderNews<'a> {
    /// The security team wrote; the text goes only into encrypted mail.
    Message(&'a str),
    /// The security team needs more information.
    NeedsInfo,
    /// Triage is done: the report is triaged, or closed straight from new.
    Triaged(Outcome<'a>),
    /// The issue is fixed; the finder is invited to retest.
    Remediated,
    /// Closed after triage as a duplicate, informative or not applicable.
    Closed(Outcome<'a>),
    /// A credit in an advisory is proposed; its text goes only into encrypted mail.
    CreditProposed(&'a str),
}

/// The state a report moved to, and why; the why goes only into encrypted mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome<'a> {
    pub state: ReportState,
    pub reason: Option<&'a str>,
    pub duplicate_of: Option<&'a Reference>,
}

impl<'a> FinderNews<'a> {
    /// What a change of state tells the finder, if anything: assigning a report to a team
    /// and reopening it are internal.
    pub fn of_transition(transition: &'a Transition) -> Option<Self> {
        use ReportState::{
            Assigned, Duplicate, Informative, New, NotApplicable, Remediated, Triaged,
        };
        let outcome = Outcome {
            state: transition.to,
            reason: transition.reason.as_deref(),
            duplicate_of: transition.duplicate_of.as_ref(),
        };
        match (transition.from, transition.to) {
            (New, Triaged | Duplicate | Informative | NotApplicable) => {
                Some(FinderNews::Triaged(outcome))
            }
            (Triaged | Assigned, Duplicate | Informative | NotApplicable) => {
                Some(FinderNews::Closed(outcome))
            }
            (_, Remediated) => Some(FinderNews::Remediated),
            _ => None,
        }
    }

    fn kind(self) -> MailKind {
        match self {
            FinderNews::Message(_) => MailKind::FinderStaffMessage,
            FinderNews::NeedsInfo => MailKind::FinderNeedsInfo,
            FinderNews::Triaged(_) => MailKind::FinderTriaged,
            FinderNews::Remediated => MailKind::FinderRemediated,
            FinderNews::Closed(_) => MailKind::FinderClosed,
            FinderNews::CreditProposed(_) => MailKind::FinderCreditProposed,
        }
    }

    fn topic(self) -> Topic {
        match self {
            FinderNews::Message(_) => Topic::Message,
            FinderNews::NeedsInfo => Topic::NeedsInfo,
            FinderNews::Triaged(_) => Topic::Triaged,
            FinderNews::Remediated => Topic::Remediated,
            FinderNews::Closed(_) => Topic::Closed,
            FinderNews::CreditProposed(_) => Topic::CreditProposed,
        }
    }

    /// The subject after the reference; it names no detail.
    fn subject(self) -> &'static str {
        match self {
            FinderNews::Message(_) => "A new message about your report",
            FinderNews::NeedsInfo => "We need more information about your report",
            FinderNews::Triaged(_) => "The triage of your report is done",
            FinderNews::Remediated => "The issue you reported is remediated",
            FinderNews::Closed(_) => "Your report is closed",
            FinderNews::CreditProposed(_) => "May we thank you by name?",
        }
    }

    fn outcome(self) -> Option<Outcome<'a>> {
        match self {
            FinderNews::Triaged(outcome) | FinderNews::Closed(outcome) => Some(outcome),
            FinderNews::Message(_)
            | FinderNews::NeedsInfo
            | FinderNews::Remediated
            | FinderNews::CreditProposed(_) => None,
        }
    }
}

/// What staff are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffNews {
    FinderReplied,
    UpdateRequested,
    AppealFiled,
}

impl StaffNews {
    fn kind(self) -> MailKind {
        match self {
            StaffNews::FinderReplied => MailKind::StaffFinderReplied,
            StaffNews::UpdateRequested => MailKind::StaffUpdateRequested,
            StaffNews::AppealFiled => MailKind::StaffAppealFiled,
        }
    }

    fn subject(self) -> &'static str {
        match self {
            StaffNews::FinderReplied => "The finder replied",
            StaffNews::UpdateRequested => "The finder asked for an update",
            StaffNews::AppealFiled => "The finder contested the outcome",
        }
    }
}

/// The templates' view of `FinderNews`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    Message,
    NeedsInfo,
    Triaged,
    Remediated,
    Closed,
    CreditProposed,
}

/// The templates' view of `StaffNews`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StaffTopic {
    FinderReplied,
    UpdateRequested,
    AppealFiled,
}

#[derive(Template)]
#[template(path = "mail/finder_news.txt")]
struct PlainNews<'a> {
    topic: Topic,
    name: Option<&'a str>,
    organization_name: &'a str,
    reference: &'a str,
    outcome: &'a str,
    explanation: &'a str,
    /// Why the mail is plain although the finder gave a key.
    not_encrypted_because: Option<String>,
}

#[derive(Template)]
#[template(path = "mail/finder_news_encrypted.txt")]
struct EncryptedNews<'a> {
    topic: Topic,
    name: Option<&'a str>,
    organization_name: &'a str,
    reference: &'a str,
    outcome: &'a str,
    explanation: &'a str,
    title: &'a str,
    message: Option<&'a str>,
    reason: Option<&'a str>,
    duplicate_of: Option<&'a Reference>,
}

#[derive(Template)]
#[template(path = "mail/staff_news.txt")]
struct StaffNotice<'a> {
    topic: StaffTopic,
    reference: &'a str,
    report_url: String,
}

/// An outcome in a few words, and a sentence saying what it means.
fn outcome_words(state: ReportState) -> (&'static str, &'static str) {
    match state {
        ReportState::New => ("waiting for triage", ""),
        ReportState::Triaged => (
            "triaged",
            "We assessed it as a valid vulnerability, and it goes to the team\n\
             responsible for a fix.",
        ),
        ReportState::Assigned => ("with the team responsible for a fix", ""),
        ReportState::Remediated => ("remediated", ""),
        ReportState::Duplicate => (
            "closed as a duplicate",
            "The same issue was reported to us before, and it is handled under\n\
             that earlier report.",
        ),
        ReportState::Informative => (
            "closed as informative",
            "It holds useful security information, but does not call for a fix.",
        ),
        ReportState::NotApplicable => (
            "closed as not applicable",
            "We do not consider it a security issue that calls for a fix.",
        ),
    }
}

/// Who writes, and where the desk is.
pub struct NewsMail<'a> {
    pub organization_name: &'a str,
    /// Without a trailing slash.
    pub public_url: &'a str,
}

impl<'a> NewsMail<'a> {
    pub fn of(state: &'a AppState) -> Self {
        NewsMail {
            organization_name: &state.settings.organization_name,
            public_url: &state.settings.public_url,
        }
    }

    /// The mail telling the finder `news`, when they gave an address: encrypted with the
    /// details when their key is usable at `now`, else plain without them. A mail that
    /// cannot be written is logged and left out: the change must not fail for its mail.
    pub fn to_finder(
        &self,
        report: &Report,
        news: FinderNews<'_>,
        signer: Option<&MessageSigner>,
        now: OffsetDateTime,
    ) -> Vec<NewMail> {
        let contact = &report.content.contact;
        let Some(email) = contact.email.as_deref() else {
            return Vec::new();
        };
        let Ok(recipient) = email.parse::<Address>() else {
            tracing::warn!(reference = %report.reference, "the finder's address cannot be mailed to");
            return Vec::new();
        };
        let finder_key = contact
            .pgp_key
            .as_deref()
            .map(|key| FinderKey::prepare(key, now));
        match self.finder_body(report, news, finder_key, signer, now) {
            Ok(body) => vec![NewMail {
                kind: news.kind(),
                report_id: Some(report.id),
                recipient: recipient.to_string(),
                subject: format!("[{}] {}", report.reference, news.subject()),
                body,
            }],
            Err(error) => {
                tracing::error!(reference = %report.reference, kind = news.kind().as_str(), %error, "could not write the mail to the finder");
                Vec::new()
            }
        }
    }

    fn finder_body(
        &self,
        report: &Report,
        news: FinderNews<'_>,
        finder_key: Option<Result<FinderKey, super::encrypt::EncryptError>>,
        signer: Option<&MessageSigner>,
        now: OffsetDateTime,
    ) -> Result<MailBody, askama::Error> {
        let reference = report.reference.to_string();
        let outcome = news.outcome();
        let (outcome_text, explanation) =
            outcome.map_or(("", ""), |outcome| outcome_words(outcome.state));
        let name = report.content.contact.name.as_deref();
        let plain = |not_encrypted_because| {
            PlainNews {
                topic: news.topic(),
                name,
                organization_name: self.organization_name,
                reference: &reference,
                outcome: outcome_text,
                explanation,
                not_encrypted_because,
            }
            .render()
        };
        let key = match finder_key {
            None => return Ok(MailBody::Plain(plain(None)?)),
            Some(Err(error)) => {
                tracing::info!(reference = %report.reference, %error, "mail to the finder goes unencrypted");
                return Ok(MailBody::Plain(plain(Some(error.to_string()))?));
            }
            Some(Ok(key)) => key,
        };
        let text = EncryptedNews {
            topic: news.topic(),
            name,
            organization_name: self.organization_name,
            reference: &reference,
            outcome: outcome_text,
            explanation,
            title: &report.content.title,
            message: match news {
                FinderNews::Message(text) | FinderNews::CreditProposed(text) => Some(text),
                _ => None,
            },
            reason: outcome.and_then(|outcome| outcome.reason),
            duplicate_of: outcome.and_then(|outcome| outcome.duplicate_of),
        }
        .render()?;
        match key.encrypt(SinglePart::plain(text).formatted(), signer, now) {
            Ok(armored) => Ok(MailBody::PgpMime(armored)),
            Err(error) => {
                tracing::warn!(reference = %report.reference, %error, "mail to the finder goes unencrypted");
                Ok(MailBody::Plain(plain(Some(error.to_string()))?))
            }
        }
    }

    /// One notice per staff address (see `staff_recipients`), with the reference and the
    /// staff link only.
    pub fn to_staff(
        &self,
        report: &Report,
        news: StaffNews,
        recipients: &[Address],
    ) -> Vec<NewMail> {
        let reference = report.reference.to_string();
        let notice = StaffNotice {
            topic: match news {
                StaffNews::FinderReplied => StaffTopic::FinderReplied,
                StaffNews::UpdateRequested => StaffTopic::UpdateRequested,
                StaffNews::AppealFiled => StaffTopic::AppealFiled,
            },
            reference: &reference,
            report_url: format!("{}/staff/reports/{reference}", self.public_url),
        };
        let body = match notice.render() {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%reference, kind = news.kind().as_str(), %error, "could not write the staff notice");
                return Vec::new();
            }
        };
        recipients
            .iter()
            .map(|recipient| NewMail {
                kind: news.kind(),
                report_id: Some(report.id),
                recipient: recipient.to_string(),
                subject: format!("[{reference}] {}", news.subject()),
                body: MailBody::Plain(body.clone()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use cvdesk_domain::report::Triage;
    use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits};
    use time::macros::datetime;

    use super::*;
    use crate::openpgp::OrganizationKey;

    const NOW: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);
    const TITLE: &str = "Stored XSS in the profile page";
    const MESSAGE: &str = "Does the payload survive a logout?";
    const REASON: &str = "The page is only reachable by administrators.";

    fn report(email: Option<&str>, pgp_key: Option<String>) -> Report {
        let content = ReportDraft::parse(
            &ReportInput {
                title: Some(TITLE.into()),
                summary: Some("The display name is rendered unescaped.".into()),
                steps_to_reproduce: Some("Set the name to <script>.".into()),
                impact: Some("Session theft.".into()),
                contact_name: Some("Grace".into()),
                contact_email: email.map(str::to_owned),
                contact_pgp_key: pgp_key,
                ..ReportInput::default()
            },
            TextLimits::default(),
        )
        .expect("valid");
        Report {
            id: 11,
            reference: Reference::new(ReferencePrefix::default(), 2026, 4),
            state: ReportState::Triaged,
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

    fn news_mail() -> NewsMail<'static> {
        NewsMail {
            organization_name: "Example Org",
            public_url: "https://security.example.org",
        }
    }

    fn transition(from: ReportState, to: ReportState, reason: Option<&str>) -> Transition {
        Transition {
            from,
            to,
            reason: reason.map(str::to_owned),
            duplicate_of: (to == ReportState::Duplicate)
                .then(|| Reference::new(ReferencePrefix::default(), 2026, 2)),
        }
    }

    fn plain(mail: &NewMail) -> &str {
        match &mail.body {
            MailBody::Plain(text) => text,
            MailBody::PgpMime(_) => panic!("{} is encrypted", mail.subject),
        }
    }

    fn assert_no_details(text: &str) {
        for secret in [
            TITLE,
            MESSAGE,
            REASON,
            "unescaped",
            "CVD-2026-0002",
            "/track/",
        ] {
            assert!(!text.contains(secret), "{secret:?} in\n{text}");
        }
    }

    #[test]
    fn state_changes_the_finder_hears_of() {
        use ReportState::*;
        let kind = |from, to| {
            let transition = transition(from, to, Some(REASON));
            FinderNews::of_transition(&transition).map(FinderNews::kind)
        };
        assert_eq!(kind(New, Triaged), Some(MailKind::FinderTriaged));
        for closed in [Duplicate, Informative, NotApplicable] {
            assert_eq!(kind(New, closed), Some(MailKind::FinderTriaged));
            assert_eq!(kind(Triaged, closed), Some(MailKind::FinderClosed));
            assert_eq!(kind(Assigned, closed), Some(MailKind::FinderClosed));
            assert_eq!(kind(closed, Triaged), None, "reopening is internal");
        }
        assert_eq!(kind(Assigned, Remediated), Some(MailKind::FinderRemediated));
        assert_eq!(kind(Triaged, Assigned), None, "assigning is internal");
    }

    #[test]
    fn plain_finder_mail_says_there_is_news_and_nothing_more() {
        let report = report(Some("grace@example.org"), None);
        let closing = transition(ReportState::Triaged, ReportState::Duplicate, Some(REASON));
        let triage = transition(ReportState::New, ReportState::Triaged, None);
        let cases = [
            (
                FinderNews::Message(MESSAGE),
                "A new message about your report",
                "our security team has\nwritten to you.",
            ),
            (
                FinderNews::NeedsInfo,
                "We need more information about your report",
                "we need some more information from you. We would be\ngrateful",
            ),
            (
                FinderNews::of_transition(&triage).expect("news"),
                "The triage of your report is done",
                "The outcome: triaged.\n\nWe assessed it as a valid vulnerability",
            ),
            (
                FinderNews::Remediated,
                "The issue you reported is remediated",
                "You are\nwelcome to retest it to confirm the fix",
            ),
            (
                FinderNews::of_transition(&closing).expect("news"),
                "Your report is closed",
                "The outcome: closed as a duplicate.\n\nThe same issue was reported",
            ),
        ];
        for (news, subject, expected) in cases {
            let mail = news_mail().to_finder(&report, news, None, NOW);
            let [mail] = mail.as_slice() else {
                panic!("{} mails", mail.len());
            };
            assert_eq!(mail.kind, news.kind());
            assert_eq!(mail.recipient, "grace@example.org");
            assert_eq!(mail.report_id, Some(11));
            assert_eq!(mail.subject, format!("[CVD-2026-0004] {subject}"));
            let text = plain(mail);
            for expected in [
                "Hello Grace,\n\n",
                "report CVD-2026-0004",
                expected,
                "This e-mail carries no details of your report",
                "tracking link from\nthe page that confirmed your submission",
                "Example Org security team",
            ] {
                assert!(text.contains(expected), "{expected:?} in\n{text}");
            }
            assert_no_details(text);
        }
    }

    #[test]
    fn without_an_address_the_finder_gets_no_mail() {
        let mail = news_mail().to_finder(&report(None, None), FinderNews::NeedsInfo, None, NOW);
        assert!(mail.is_empty());
    }

    #[test]
    fn with_the_finders_key_the_details_are_in_the_encrypted_mail() {
        let secret =
            OrganizationKey::generate("Grace", "grace@example.org", None, NOW).expect("generated");
        let finder = OrganizationKey::from_armored(&secret, None, NOW).expect("usable");
        let report = report(Some("grace@example.org"), Some(finder.public_armored()));
        let decrypted = |news| {
            let mail = news_mail().to_finder(&report, news, None, NOW);
            let MailBody::PgpMime(armored) = &mail[0].body else {
                panic!("not encrypted");
            };
            assert!(!armored.contains(TITLE));
            String::from_utf8(finder.decrypt(armored).expect("decrypts")).expect("utf-8")
        };
        let text = decrypted(FinderNews::Message(MESSAGE));
        for expected in [
            TITLE,
            MESSAGE,
            "CVD-2026-0004",
            "encrypted to the OpenPGP key",
        ] {
            assert!(text.contains(expected), "{expected:?} in\n{text}");
        }
        let closing = transition(ReportState::Assigned, ReportState::Duplicate, Some(REASON));
        let text = decrypted(FinderNews::of_transition(&closing).expect("news"));
        for expected in [
            TITLE,
            REASON,
            "duplicate of our earlier report CVD-2026-0002",
        ] {
            assert!(text.contains(expected), "{expected:?} in\n{text}");
        }
    }

    #[test]
    fn an_unusable_key_gives_plain_mail_saying_why() {
        let key =
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"
                .to_owned();
        let report = report(Some("grace@example.org"), Some(key));
        let mail = news_mail().to_finder(&report, FinderNews::Message(MESSAGE), None, NOW);
        let text = plain(&mail[0]);
        assert!(
            text.contains("We could not encrypt this e-mail to the OpenPGP key you gave:\nthe key"),
            "{text}"
        );
        assert_no_details(text);
    }

    #[test]
    fn staff_learn_only_the_reference_and_where_to_read_it() {
        let staff = staff();
        let report = report(Some("grace@example.org"), None);
        for (news, kind, subject, lead) in [
            (
                StaffNews::FinderReplied,
                MailKind::StaffFinderReplied,
                "The finder replied",
                "The finder has replied on report\n\n    CVD-2026-0004\n",
            ),
            (
                StaffNews::UpdateRequested,
                MailKind::StaffUpdateRequested,
                "The finder asked for an update",
                "The finder has asked for a status update on report\n\n    CVD-2026-0004\n",
            ),
        ] {
            let mail = news_mail().to_staff(&report, news, &staff);
            let recipients: Vec<&str> = mail.iter().map(|m| m.recipient.as_str()).collect();
            assert_eq!(recipients, ["triage@example.org", "lead@example.org"]);
            for notice in &mail {
                assert_eq!(notice.kind, kind);
                assert_eq!(notice.subject, format!("[CVD-2026-0004] {subject}"));
                let text = plain(notice);
                assert!(text.starts_with(lead), "{text}");
                assert!(
                    text.contains("https://security.example.org/staff/reports/CVD-2026-0004"),
                    "{text}"
                );
                assert_no_details(text);
                assert!(!text.contains("Grace"), "{text}");
            }
        }
    }
}
