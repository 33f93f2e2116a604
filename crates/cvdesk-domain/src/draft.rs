//! Intake: what a finder typed becomes a `ReportDraft`, or a message per field saying
//! what to fix. The same rules serve the web form and the JSON API.

use cvdesk_formats::cvss::Cvss;
use cvdesk_formats::cwe::{self, CweId};

pub use crate::report_field::{Field, FieldErrors};
use crate::severity::Severity;
use crate::third_party::{ThirdParty, ThirdPartyInput};

/// Longest accepted values, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimits {
    pub short: usize,
    pub long: usize,
    pub pgp_key: usize,
}

impl Default for TextLimits {
    fn default() -> Self {
        TextLimits {
            short: 200,
            long: 50_000,
            pgp_key: 64 * 1024,
        }
    }
}

/// Raw text exactly as submitted; every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportInput {
    pub asset: Option<String>,
    pub weakness: Option<String>,
    pub severity: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub steps_to_reproduce: Option<String>,
    pub impact: Option<String>,
    pub mitigation: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_pgp_key: Option<String>,
    pub credit: bool,
    pub third_party: ThirdPartyInput,
}

/// How to reach the finder, all optional: anonymous reports are welcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub pgp_key: Option<String>,
}

/// A report that passed every intake rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportDraft {
    pub asset: Option<String>,
    pub weakness: Option<CweId>,
    pub severity: Option<Severity>,
    pub title: String,
    pub summary: String,
    pub steps_to_reproduce: String,
    pub impact: String,
    pub mitigation: Option<String>,
    pub contact: Contact,
    pub credit: bool,
    /// A third-party component and known CVE IDs, when the finder named them.
    pub third_party: ThirdParty,
}

const MESSAGE_BEGIN: &str = "-----BEGIN PGP MESSAGE-----";
const MESSAGE_END: &str = "-----END PGP MESSAGE-----";

/// Whether `text` is one whole ASCII-armored OpenPGP message (and nothing else).
pub fn is_encrypted_message(text: &str) -> bool {
    let text = text.trim();
    text.starts_with(MESSAGE_BEGIN)
        && text.ends_with(MESSAGE_END)
        && text.len() > MESSAGE_BEGIN.len() + MESSAGE_END.len()
}

impl ReportDraft {
    /// Whether the finder encrypted the report to the organization's key.
    pub fn is_encrypted(&self) -> bool {
        is_encrypted_message(&self.summary)
    }

    pub fn parse(input: &ReportInput, limits: TextLimits) -> Result<ReportDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut text =
            |field: Field, value: &Option<String>, max: usize, required: Option<&str>| {
                match clean_text(field, value.as_deref(), max) {
                    Ok(Some(value)) => Some(value),
                    Ok(None) => {
                        if let Some(message) = required {
                            errors.add(field, message);
                        }
                        None
                    }
                    Err(message) => {
                        errors.add(field, message);
                        None
                    }
                }
            };
        let asset = text(Field::Asset, &input.asset, limits.short, None);
        let title = text(
            Field::Title,
            &input.title,
            limits.short,
            Some("Give the report a short title."),
        );
        let summary = text(
            Field::Summary,
            &input.summary,
            limits.long,
            Some("Summarise the vulnerability in a few sentences."),
        );
        // A summary encrypted to the organization's key carries the whole report, so
        // the steps and the impact may stay empty.
        let encrypted = summary.as_deref().is_some_and(is_encrypted_message);
        let required = |message| (!encrypted).then_some(message);
        let steps_to_reproduce = text(
            Field::StepsToReproduce,
            &input.steps_to_reproduce,
            limits.long,
            required("Describe the steps to reproduce the vulnerability."),
        );
        let impact = text(
            Field::Impact,
            &input.impact,
            limits.long,
            required("Describe what an attacker could achieve."),
        );
        let mitigation = text(Field::Mitigation, &input.mitigation, limits.long, None);
        let contact_name = text(Field::ContactName, &input.contact_name, limits.short, None);
        let contact_email = text(Field::ContactEmail, &input.contact_email, 254, None);
        let contact_pgp_key = text(
            Field::ContactPgpKey,
            &input.contact_pgp_key,
            limits.pgp_key,
            None,
        );
        let weakness = text(Field::Weakness, &input.weakness, limits.short, None);
        let severity = text(Field::Severity, &input.severity, limits.short, None);
        let third_party = ThirdParty::parse(&input.third_party, &mut errors, &|field, value| {
            clean_text(field, value, limits.short)
        });

        let weakness = weakness.and_then(|id| match cwe::parse_known(&id) {
            Ok(known) => Some(known.id),
            Err(error) => {
                errors.add(Field::Weakness, error.to_string());
                None
            }
        });
        let severity = severity.and_then(|vector| match Cvss::parse(&vector) {
            Ok(cvss) => Some(Severity::of(&cvss)),
            Err(error) => {
                errors.add(
                    Field::Severity,
                    format!("This is not a valid CVSS vector: {error}."),
                );
                None
            }
        });
        if let Some(email) = &contact_email {
            if !is_plausible_email(email) {
                errors.add(
                    Field::ContactEmail,
                    "This does not look like an e-mail address (expected name@example.org).",
                );
            }
        }
        if let Some(key) = &contact_pgp_key {
            if let Err(message) = check_public_key_block(key) {
                errors.add(Field::ContactPgpKey, message);
            }
        }
        if let Some(summary) = &summary {
            let starts = summary.trim_start().starts_with(MESSAGE_BEGIN);
            if starts && !encrypted {
                errors.add(
                    Field::Summary,
                    "The encrypted message is incomplete: paste everything from -----BEGIN PGP \
                     MESSAGE----- to -----END PGP MESSAGE-----.",
                );
            }
        }
        if input.credit && contact_name.is_none() {
            errors.add(
                Field::ContactName,
                "Tell us the name or handle to credit, or untick “credit me”.",
            );
        }

        let (steps_to_reproduce, impact) = if encrypted {
            (
                Some(steps_to_reproduce.unwrap_or_default()),
                Some(impact.unwrap_or_default()),
            )
        } else {
            (steps_to_reproduce, impact)
        };
        match (title, summary, steps_to_reproduce, impact) {
            (Some(title), Some(summary), Some(steps_to_reproduce), Some(impact))
                if errors.is_empty() =>
            {
                Ok(ReportDraft {
                    asset,
                    weakness,
                    severity,
                    title: title.split_whitespace().collect::<Vec<_>>().join(" "),
                    summary,
                    steps_to_reproduce,
                    impact,
                    mitigation,
                    contact: Contact {
                        name: contact_name,
                        email: contact_email,
                        pgp_key: contact_pgp_key,
                    },
                    credit: input.credit,
                    third_party,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Trims, normalises line endings, and refuses control characters (a NUL byte cannot even
/// be stored by PostgreSQL) and text over the limit. Empty text counts as absent.
fn clean_text(
    field: Field,
    value: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let normalised = value.replace("\r\n", "\n").replace('\r', "\n");
    let trimmed = normalised.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("This contains control characters; please remove them.".to_owned());
    }
    let length = trimmed.chars().count();
    if length > max_chars {
        return Err(format!(
            "This is {length} characters long; the limit is {max_chars}.{}",
            if matches!(field, Field::Title | Field::Asset | Field::ContactName) {
                ""
            } else {
                " Put the rest in an attached file."
            }
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

/// A syntax check, not a deliverability check: one `@`, a local part, a dotted domain,
/// no spaces. Mail to a wrong address simply bounces.
fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn check_public_key_block(key: &str) -> Result<(), String> {
    if key.contains("PRIVATE KEY BLOCK") {
        return Err(
            "This is a private key. Never share it: paste your public key instead.".to_owned(),
        );
    }
    let begin = key.find("-----BEGIN PGP PUBLIC KEY BLOCK-----");
    let end = key.find("-----END PGP PUBLIC KEY BLOCK-----");
    match (begin, end) {
        (Some(begin), Some(end)) if begin < end => Ok(()),
        (Some(_), _) => Err("This key is cut short: copy all of it, down to the line “-----END PGP PUBLIC KEY BLOCK-----”.".to_owned()),
        (None, _) if key.contains("-----BEGIN PGP ") => Err("This is an OpenPGP message or signature, not a public key: paste your public key, from “-----BEGIN PGP PUBLIC KEY BLOCK-----” to “-----END PGP PUBLIC KEY BLOCK-----”.".to_owned()),
        (None, _) => Err("This is not an ASCII-armoured OpenPGP public key: paste it from “-----BEGIN PGP PUBLIC KEY BLOCK-----” to “-----END PGP PUBLIC KEY BLOCK-----” (gpg --armor --export prints it).".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_input() -> ReportInput {
        ReportInput {
            title: Some("  Stored XSS in\ncomments ".into()),
            summary: Some("The comment field does not escape HTML.".into()),
            steps_to_reproduce: Some("1. Post <script>alert(1)</script>\r\n2. Reload".into()),
            impact: Some("Session theft.".into()),
            ..ReportInput::default()
        }
    }

    #[test]
    fn accepts_an_anonymous_report_with_only_the_mandatory_fields() {
        let draft = ReportDraft::parse(&valid_input(), TextLimits::default()).expect("valid");
        assert_eq!(draft.title, "Stored XSS in comments");
        assert_eq!(
            draft.steps_to_reproduce,
            "1. Post <script>alert(1)</script>\n2. Reload"
        );
        assert_eq!(draft.contact, Contact::default());
        assert!(!draft.credit);
    }

    #[test]
    fn an_encrypted_summary_carries_the_whole_report() {
        let message = "-----BEGIN PGP MESSAGE-----\n\nhQEMA1234\n=abcd\n-----END PGP MESSAGE-----";
        let input = ReportInput {
            title: Some("Encrypted report".into()),
            summary: Some(format!("\n{message}\n")),
            ..ReportInput::default()
        };
        let draft = ReportDraft::parse(&input, TextLimits::default()).expect("valid");
        assert!(draft.is_encrypted());
        assert_eq!(
            (draft.steps_to_reproduce.as_str(), draft.impact.as_str()),
            ("", "")
        );

        let cut = ReportInput {
            summary: Some("-----BEGIN PGP MESSAGE-----\n\nhQEMA1234".into()),
            ..input.clone()
        };
        let errors = ReportDraft::parse(&cut, TextLimits::default()).expect_err("refused");
        assert!(errors
            .get(Field::Summary)
            .is_some_and(|m| m.contains("incomplete")));
        assert!(
            errors.get(Field::StepsToReproduce).is_some(),
            "a cut message is plain text"
        );
        assert!(!ReportDraft::parse(&valid_input(), TextLimits::default())
            .expect("valid")
            .is_encrypted());
    }

    #[test]
    fn each_missing_mandatory_field_is_named() {
        let limits = TextLimits::default();
        type Blank = fn(&mut ReportInput);
        let cases: [(Field, Blank); 4] = [
            (Field::Title, |i| i.title = None),
            (Field::Summary, |i| i.summary = Some("   ".into())),
            (Field::StepsToReproduce, |i| i.steps_to_reproduce = None),
            (Field::Impact, |i| i.impact = Some(String::new())),
        ];
        for (field, blank) in cases {
            let mut input = valid_input();
            blank(&mut input);
            let errors = ReportDraft::parse(&input, limits).expect_err("refused");
            assert!(errors.get(field).is_some(), "{field:?} not named");
            assert_eq!(errors.iter().count(), 1);
        }
    }

    #[test]
    fn over_long_and_control_characters_are_refused() {
        let limits = TextLimits {
            short: 10,
            long: 20,
            pgp_key: 100,
        };
        let mut input = valid_input();
        input.title = Some("x".repeat(11));
        input.summary = Some("nul\0byte".into());
        let errors = ReportDraft::parse(&input, limits).expect_err("refused");
        assert!(errors
            .get(Field::Title)
            .is_some_and(|m| m.contains("limit is 10")));
        assert!(errors
            .get(Field::Summary)
            .is_some_and(|m| m.contains("control characters")));
    }

    #[test]
    fn contact_rules() {
        let mut input = valid_input();
        input.contact_email = Some("not-an-address".into());
        input.contact_pgp_key = Some("-----BEGIN PGP PRIVATE KEY BLOCK-----".into());
        input.credit = true;
        let errors = ReportDraft::parse(&input, TextLimits::default()).expect_err("refused");
        assert!(errors.get(Field::ContactEmail).is_some());
        assert!(errors
            .get(Field::ContactPgpKey)
            .is_some_and(|m| m.contains("private key")));
        assert!(errors.get(Field::ContactName).is_some());

        let mut input = valid_input();
        input.contact_name = Some("Ada".into());
        input.contact_email = Some("ada@example.org".into());
        input.contact_pgp_key = Some(
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBF...\n-----END PGP PUBLIC KEY BLOCK-----"
                .into(),
        );
        input.credit = true;
        let draft = ReportDraft::parse(&input, TextLimits::default()).expect("valid");
        assert_eq!(draft.contact.name.as_deref(), Some("Ada"));
        assert!(draft.credit);
    }

    #[test]
    fn a_key_that_is_not_a_whole_armoured_public_key_is_named_for_what_it_is() {
        let refusal = |key: &str| {
            let mut input = valid_input();
            input.contact_pgp_key = Some(key.to_owned());
            let errors = ReportDraft::parse(&input, TextLimits::default()).expect_err("refused");
            errors
                .get(Field::ContactPgpKey)
                .map(str::to_owned)
                .expect("key error")
        };
        assert!(refusal("mQENBF...").contains("not an ASCII-armoured"));
        assert!(refusal("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBF").contains("cut short"));
        assert!(
            refusal("-----BEGIN PGP MESSAGE-----\n\nhQEM\n-----END PGP MESSAGE-----")
                .contains("not a public key")
        );
    }

    #[test]
    fn email_syntax() {
        for good in ["a@b.c", "first.last+tag@sub.example.org"] {
            assert!(is_plausible_email(good), "{good}");
        }
        for bad in ["", "a", "@b.c", "a@b", "a@.b", "a@b.", "a b@c.d", "a@@b.c"] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn weakness_and_severity_are_validated() {
        let mut input = valid_input();
        input.weakness = Some("CWE-99999999".into());
        input.severity = Some("CVSS:3.1/AV:N".into());
        let errors = ReportDraft::parse(&input, TextLimits::default()).expect_err("refused");
        assert!(errors.get(Field::Weakness).is_some());
        assert!(errors.get(Field::Severity).is_some());

        let mut input = valid_input();
        input.weakness = Some("CWE-79".into());
        input.severity = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N".into());
        let draft = ReportDraft::parse(&input, TextLimits::default()).expect("valid");
        assert_eq!(
            draft.weakness.map(|w| w.to_string()).as_deref(),
            Some("CWE-79")
        );
        let severity = draft.severity.expect("scored");
        assert_eq!(severity.version, "3.1");
        assert_eq!(severity.score, 6.1);
        assert_eq!(severity.rating, "medium");
    }
}
