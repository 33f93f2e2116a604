//! The disclosure policy an organization publishes (ETSI TR 103 838 clauses 5.2 and 6.1):
//! who they are, how to reach them, what is in and out of scope, what not to do, and what
//! a finder can expect. Admins edit it as text, one item a line; each edit becomes a new
//! dated version.

use serde::{Deserialize, Serialize};

use crate::sla;

/// Everything the policy page and security.txt are made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicySettings {
    /// Who the organization is and why it welcomes reports; paragraphs separated by a
    /// blank line.
    pub introduction: String,
    /// Other ways to reach the security team besides the form: `mailto:`, `https:` or
    /// `tel:` URIs.
    pub contact_channels: Vec<String>,
    pub in_scope: Vec<String>,
    pub out_of_scope: Vec<String>,
    /// Kinds of findings not accepted, such as denial of service.
    pub out_of_scope_classes: Vec<String>,
    /// What finders must not do while testing.
    pub do_not: Vec<String>,
    /// Working days until the finder hears from a person.
    pub response_days: u16,
    /// Working days until the finder learns whether the report is accepted.
    pub triage_days: u16,
    /// Calendar days the organization aims to fix a vulnerability in.
    pub remediation_days: u16,
    /// Shorter or longer targets for some CVSS ratings; the others take
    /// `remediation_days`.
    pub remediation_days_by_severity: SeverityDays,
    /// Whether valid reports can be paid.
    pub rewards: bool,
    /// Whether finders who agree are thanked by name.
    pub acknowledgements: bool,
    /// Languages the team reads, as language tags (`en`, `de`).
    pub languages: Vec<String>,
    /// An https URL of security job openings.
    pub hiring_url: Option<String>,
}

impl Default for PolicySettings {
    /// The clause 6.1 example's times, and guidance any programme can start from.
    fn default() -> Self {
        PolicySettings {
            introduction: "We take the security of our products and services seriously. \
                If you believe you have found a vulnerability, we want to hear from you and \
                will work with you to fix it."
                .to_owned(),
            contact_channels: Vec::new(),
            in_scope: Vec::new(),
            out_of_scope: Vec::new(),
            out_of_scope_classes: vec![
                "Denial of service".to_owned(),
                "Social engineering and phishing of staff or users".to_owned(),
                "Physical attacks on offices or data centres".to_owned(),
            ],
            do_not: vec![
                "Do not access, change or delete data that is not yours beyond what is needed \
                 to show the vulnerability."
                    .to_owned(),
                "Do not degrade or interrupt our services.".to_owned(),
                "Do not share the vulnerability with others until it is fixed.".to_owned(),
                "Do not use the vulnerability for any other purpose.".to_owned(),
            ],
            response_days: 5,
            triage_days: 10,
            remediation_days: 90,
            remediation_days_by_severity: SeverityDays::default(),
            rewards: false,
            acknowledgements: true,
            languages: vec!["en".to_owned()],
            hiring_url: None,
        }
    }
}

/// A number of days for some CVSS severity ratings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeverityDays {
    pub critical: Option<u16>,
    pub high: Option<u16>,
    pub medium: Option<u16>,
    pub low: Option<u16>,
}

impl SeverityDays {
    /// The ratings that have their own number, highest first.
    pub fn entries(&self) -> Vec<(&'static str, u16)> {
        [
            ("critical", self.critical),
            ("high", self.high),
            ("medium", self.medium),
            ("low", self.low),
        ]
        .into_iter()
        .filter_map(|(name, days)| days.map(|d| (name, d)))
        .collect()
    }

    /// `critical=30, high=60`: what the policy form shows and reads.
    fn text(&self) -> String {
        self.entries()
            .iter()
            .map(|(name, days)| format!("{name}={days}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn parse(text: &str) -> Result<Self, String> {
        let mut days = SeverityDays::default();
        for item in text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            let explain = || {
                format!(
                    "'{item}' is not a rating and a number of days such as critical=30 \
                     (critical, high, medium or low; 1 to 730 days)."
                )
            };
            let (name, number) = item.split_once('=').ok_or_else(explain)?;
            let number: u16 = number
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=730).contains(n))
                .ok_or_else(explain)?;
            let slot = match name.trim().to_ascii_lowercase().as_str() {
                "critical" => &mut days.critical,
                "high" => &mut days.high,
                "medium" => &mut days.medium,
                "low" => &mut days.low,
                _ => return Err(explain()),
            };
            *slot = Some(number);
        }
        Ok(days)
    }
}

/// A policy as an admin typed it, field by field, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct PolicyInput {
    pub introduction: String,
    pub contact_channels: String,
    pub in_scope: String,
    pub out_of_scope: String,
    pub out_of_scope_classes: String,
    pub do_not: String,
    pub response_days: String,
    pub triage_days: String,
    pub remediation_days: String,
    pub remediation_days_by_severity: String,
    pub rewards: bool,
    pub acknowledgements: bool,
    pub languages: String,
    pub hiring_url: String,
}

impl PolicyInput {
    /// The form's text for `settings`: lists one item a line.
    pub fn of(settings: &PolicySettings) -> Self {
        PolicyInput {
            introduction: settings.introduction.clone(),
            contact_channels: settings.contact_channels.join("\n"),
            in_scope: settings.in_scope.join("\n"),
            out_of_scope: settings.out_of_scope.join("\n"),
            out_of_scope_classes: settings.out_of_scope_classes.join("\n"),
            do_not: settings.do_not.join("\n"),
            response_days: settings.response_days.to_string(),
            triage_days: settings.triage_days.to_string(),
            remediation_days: settings.remediation_days.to_string(),
            remediation_days_by_severity: settings.remediation_days_by_severity.text(),
            rewards: settings.rewards,
            acknowledgements: settings.acknowledgements,
            languages: settings.languages.join(", "),
            hiring_url: settings.hiring_url.clone().unwrap_or_default(),
        }
    }
}

/// One message per field that must change, keyed by the form's field name.
pub type PolicyErrors = Vec<(&'static str, String)>;

/// Longest text of one field, in characters.
const MAX_FIELD_CHARS: usize = 20_000;

impl PolicySettings {
    /// Checks an edit: URIs that security.txt can carry, days within reason, language
    /// tags of the usual shape.
    pub fn parse(input: &PolicyInput) -> Result<Self, PolicyErrors> {
        let mut errors = PolicyErrors::new();
        let fields = [
            ("introduction", &input.introduction),
            ("contact_channels", &input.contact_channels),
            ("in_scope", &input.in_scope),
            ("out_of_scope", &input.out_of_scope),
            ("out_of_scope_classes", &input.out_of_scope_classes),
            ("do_not", &input.do_not),
            ("languages", &input.languages),
            ("hiring_url", &input.hiring_url),
        ];
        for (name, text) in fields {
            if text.chars().count() > MAX_FIELD_CHARS {
                errors.push((
                    name,
                    format!("Keep this under {MAX_FIELD_CHARS} characters."),
                ));
            }
            if text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
            {
                errors.push((name, "Remove the control characters.".to_owned()));
            }
        }
        let introduction = input.introduction.trim().replace("\r\n", "\n");
        if introduction.is_empty() {
            errors.push((
                "introduction",
                "Introduce the organization in a sentence or two.".to_owned(),
            ));
        }
        let contact_channels = lines(&input.contact_channels);
        for channel in &contact_channels {
            if let Err(problem) = check_contact(channel) {
                errors.push(("contact_channels", problem));
            }
        }
        let mut days = |name: &'static str, text: &str, max: u16| match text.trim().parse::<u16>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                errors.push((
                    name,
                    format!("Give a whole number of days from 1 to {max}."),
                ));
                0
            }
        };
        let response_days = days("response_days", &input.response_days, 60);
        let triage_days = days("triage_days", &input.triage_days, 120);
        let remediation_days = days("remediation_days", &input.remediation_days, 730);
        let remediation_days_by_severity = SeverityDays::parse(&input.remediation_days_by_severity)
            .unwrap_or_else(|problem| {
                errors.push(("remediation_days_by_severity", problem));
                SeverityDays::default()
            });
        let languages: Vec<String> = input
            .languages
            .split([',', '\n'])
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .map(str::to_owned)
            .collect();
        for tag in &languages {
            if !is_language_tag(tag) {
                errors.push((
                    "languages",
                    format!("'{tag}' is not a language tag such as en, de or pt-BR."),
                ));
            }
        }
        let hiring_url = Some(input.hiring_url.trim())
            .filter(|url| !url.is_empty())
            .map(str::to_owned);
        if let Some(url) = &hiring_url {
            if !is_https_url(url) {
                errors.push((
                    "hiring_url",
                    "Give an https:// address, or leave it empty.".to_owned(),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PolicySettings {
            introduction,
            contact_channels,
            in_scope: lines(&input.in_scope),
            out_of_scope: lines(&input.out_of_scope),
            out_of_scope_classes: lines(&input.out_of_scope_classes),
            do_not: lines(&input.do_not),
            response_days,
            triage_days,
            remediation_days,
            remediation_days_by_severity,
            rewards: input.rewards,
            acknowledgements: input.acknowledgements,
            languages,
            hiring_url,
        })
    }

    /// The deadline rules these times make: first response and triage in working days
    /// from receipt, the fix in calendar days from triage, by severity.
    pub fn service_levels(&self) -> sla::Policy {
        let fix = |days: Option<u16>| {
            sla::Rule::CalendarDays(u32::from(days.unwrap_or(self.remediation_days)))
        };
        let by = &self.remediation_days_by_severity;
        sla::Policy {
            acknowledge: sla::Rule::WorkingDays(u32::from(self.response_days)),
            triage: sla::Rule::WorkingDays(u32::from(self.triage_days)),
            remediation: sla::RemediationTargets {
                critical: fix(by.critical),
                high: fix(by.high),
                medium: fix(by.medium),
                low: fix(by.low),
                none: fix(None),
                unrated: fix(None),
            },
        }
    }

    /// The introduction's paragraphs.
    pub fn introduction_paragraphs(&self) -> Vec<&str> {
        self.introduction
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    }
}

/// Non-empty trimmed lines.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// RFC 9116 Contact values: an e-mail (`mailto:`), a phone number (`tel:`) or a web page,
/// which must be https.
fn check_contact(channel: &str) -> Result<(), String> {
    let valid = match channel.split_once(':') {
        Some(("mailto", address)) => {
            address.contains('@') && !address.contains(char::is_whitespace)
        }
        Some(("tel", number)) => {
            !number.is_empty()
                && number
                    .chars()
                    .all(|c| c.is_ascii_digit() || "+-(). ".contains(c))
        }
        Some(("https", _)) => is_https_url(channel),
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "'{channel}' is not a contact security.txt can carry: write mailto:security@example.org, tel:+1-201-555-0123 or an https:// address."
        ))
    }
}

fn is_https_url(url: &str) -> bool {
    url.strip_prefix("https://").is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !url.contains(char::is_whitespace)
    })
}

/// The shape of a BCP 47 tag: a 2–3 letter language, then subtags of 1–8 letters or
/// digits. (security.txt's own linter checks them against the registry.)
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or_default();
    (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_round_trip_through_the_form() {
        let defaults = PolicySettings::default();
        let parsed = PolicySettings::parse(&PolicyInput::of(&defaults)).expect("valid");
        assert_eq!(parsed, defaults);
        assert_eq!((defaults.response_days, defaults.triage_days), (5, 10));
    }

    #[test]
    fn lists_are_one_item_a_line() {
        let input = PolicyInput {
            in_scope: "  shop.example.org \r\n\r\n*.api.example.org\n".into(),
            languages: "en, de-CH\nfr".into(),
            ..PolicyInput::of(&PolicySettings::default())
        };
        let parsed = PolicySettings::parse(&input).expect("valid");
        assert_eq!(parsed.in_scope, ["shop.example.org", "*.api.example.org"]);
        assert_eq!(parsed.languages, ["en", "de-CH", "fr"]);
    }

    #[test]
    fn each_bad_field_gets_its_message() {
        let input = PolicyInput {
            introduction: "  ".into(),
            contact_channels:
                "mailto:security@example.org\nhttp://example.org/contact\nsecurity@example.org"
                    .into(),
            response_days: "0".into(),
            triage_days: "ten".into(),
            remediation_days: "1000".into(),
            languages: "english, en".into(),
            hiring_url: "jobs.example.org".into(),
            ..PolicyInput::default()
        };
        let errors = PolicySettings::parse(&input).expect_err("refused");
        let names: Vec<&str> = errors.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            [
                "introduction",
                "contact_channels",
                "contact_channels",
                "response_days",
                "triage_days",
                "remediation_days",
                "languages",
                "hiring_url"
            ]
        );
        assert!(
            errors[1].1.contains("http://example.org/contact"),
            "{errors:?}"
        );
    }

    #[test]
    fn fix_targets_by_severity() {
        let input = PolicyInput {
            remediation_days_by_severity: "Critical=7,\nhigh = 30".into(),
            ..PolicyInput::of(&PolicySettings::default())
        };
        let parsed = PolicySettings::parse(&input).expect("valid");
        assert_eq!(
            parsed.remediation_days_by_severity.entries(),
            [("critical", 7), ("high", 30)]
        );
        assert_eq!(
            PolicyInput::of(&parsed).remediation_days_by_severity,
            "critical=7, high=30"
        );
        let levels = parsed.service_levels();
        use cvdesk_formats::cvss::Severity;
        assert_eq!(
            levels.remediation.for_severity(Some(Severity::Critical)),
            sla::Rule::CalendarDays(7)
        );
        assert_eq!(
            levels.remediation.for_severity(Some(Severity::Medium)),
            sla::Rule::CalendarDays(90)
        );
        assert_eq!(
            levels.remediation.for_severity(None),
            sla::Rule::CalendarDays(90)
        );
        assert_eq!(levels.acknowledge, sla::Rule::WorkingDays(5));
        for bad in ["critical", "urgent=3", "high=0", "low=731", "critical=soon"] {
            let input = PolicyInput {
                remediation_days_by_severity: bad.into(),
                ..PolicyInput::of(&PolicySettings::default())
            };
            let errors = PolicySettings::parse(&input).expect_err(bad);
            assert_eq!(errors[0].0, "remediation_days_by_severity", "{bad}");
        }
    }

    #[test]
    fn contacts_security_txt_can_carry() {
        for good in [
            "mailto:sec@example.org",
            "tel:+1-201-555-0123",
            "https://example.org/security",
        ] {
            assert!(check_contact(good).is_ok(), "{good}");
        }
        for bad in [
            "http://example.org",
            "mailto:",
            "tel:call me",
            "https://",
            "ftp://x",
            "sec@example.org",
        ] {
            assert!(check_contact(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn control_characters_and_huge_fields_are_refused() {
        let input = PolicyInput {
            introduction: "Hello\u{0}".into(),
            do_not: "x".repeat(MAX_FIELD_CHARS + 1),
            ..PolicyInput::of(&PolicySettings::default())
        };
        let errors = PolicySettings::parse(&input).expect_err("refused");
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn stored_settings_may_lack_newer_fields() {
        let parsed: PolicySettings =
            serde_json::from_str(r#"{"introduction": "Hi", "rewards": true}"#).expect("json");
        assert!(parsed.rewards);
        assert_eq!(parsed.response_days, 5);
    }
}
