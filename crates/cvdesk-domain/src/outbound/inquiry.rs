//! The initial inquiry: the text sent to the vendor, written from the case and the
//! settings with every item of the policy's appendix (a–k). It is a template the user may
//! edit, per case and as the desk's default; placeholders such as `{{product}}` are filled
//! in, an unknown placeholder is refused when the template is saved, and the review names
//! any item a–k the edited text no longer carries.

use std::collections::BTreeMap;

use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::deadlines::{AnnouncementBasis, Deadlines};
use super::form::CaseForm;

/// Items a–d: who the researcher is and the policy they follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Researcher {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub organization: Option<String>,
    /// Where the researcher's disclosure policy is published (item a).
    pub policy_url: String,
    /// Whether the researcher wishes to be credited, unless a case says otherwise (item d).
    pub credit: bool,
}

/// The default subject.
pub const DEFAULT_SUBJECT: &str = "Security vulnerability in {{product}}: {{title}} [{{case_id}}]";

/// The default text, with items a–k in the policy's order.
pub const DEFAULT_BODY: &str = "\
Dear {{vendor_name}} security team,

we found a security vulnerability in {{product}} and report it to you under our responsible
disclosure policy. Please confirm that you received this message.

a) Our disclosure policy
   {{policy_url}}

b) Deadlines
   Date of reporting:             {{reported_on}}
   Deadline for verification:     {{verification_due}} (date of reporting + {{verify_days}} business days)
   Deadline for announcement:     {{announcement_due}} ({{announcement_basis}})

c) Contact
   {{researcher_contact}}

d) Accreditation
   {{credit}}

e) Product and tested versions
   {{product}}: {{versions_tested}}

f) Vulnerability type
   {{vulnerability_type}}

g) Criticality and impact (CVSS)
   Vector: {{cvss_vector}}
   Score:  {{cvss_score}} ({{cvss_severity}}, CVSS v{{cvss_version}})
   Method: {{scoring_method}}

h) Attack vector
   {{attack_vector}}
   Prerequisites: {{prerequisites}}

i) Ease of exploitation
   {{ease_of_exploitation}}

j) CVE ID
   {{cve}}

k) Technical details
{{technical_details}}

Please reply to this message (keep the reference {{case_id}} in the subject); replies are
recorded with the case.

Kind regards,
{{researcher_name}}
";

/// Every placeholder and the inquiry item it carries (`-` for none).
pub const PLACEHOLDERS: [(&str, char); 30] = [
    ("policy_url", 'a'),
    ("reported_on", 'b'),
    ("verification_due", 'b'),
    ("verify_days", '-'),
    ("announcement_due", 'b'),
    ("announcement_basis", '-'),
    ("researcher_contact", 'c'),
    ("researcher_name", '-'),
    ("researcher_email", '-'),
    ("credit", 'd'),
    ("product", 'e'),
    ("versions_tested", 'e'),
    ("vulnerability_type", 'f'),
    ("cvss_vector", 'g'),
    ("cvss_score", '-'),
    ("cvss_severity", '-'),
    ("cvss_version", '-'),
    ("scoring_method", '-'),
    ("attack_vector", 'h'),
    ("prerequisites", '-'),
    ("ease_of_exploitation", 'i'),
    ("cve", 'j'),
    ("technical_details", 'k'),
    ("vendor_name", '-'),
    ("case_id", '-'),
    ("title", '-'),
    ("organization", '-'),
    ("announcement_days", '-'),
    ("reply_address", '-'),
    ("today", '-'),
];

/// What is wrong with an edited template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{{{0}}}}}; the known ones are listed beside the text")]
    Unknown(String),
    #[error("a placeholder opened with {{{{ is not closed with }}}}")]
    Unclosed,
    #[error("the template is empty")]
    Empty,
    #[error("the template is longer than {0} characters")]
    TooLong(usize),
}

/// Longest template, in characters.
pub const MAX_TEMPLATE: usize = 100_000;

/// The placeholders `template` uses, in order; refuses unknown or unclosed ones.
pub fn placeholders(template: &str) -> Result<Vec<&str>, TemplateError> {
    if template.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    if template.chars().count() > MAX_TEMPLATE {
        return Err(TemplateError::TooLong(MAX_TEMPLATE));
    }
    let mut used = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(TemplateError::Unclosed);
        };
        let name = after[..end].trim();
        if !PLACEHOLDERS.iter().any(|(known, _)| *known == name) {
            return Err(TemplateError::Unknown(name.chars().take(40).collect()));
        }
        used.push(name);
        rest = &after[end + 2..];
    }
    Ok(used)
}

/// The items a–k that `subject` and `body` together do not carry.
pub fn missing_items(subject: &str, body: &str) -> Vec<char> {
    let used: Vec<&str> = [subject, body]
        .iter()
        .flat_map(|text| placeholders(text).unwrap_or_default())
        .collect();
    let mut missing: Vec<char> = PLACEHOLDERS
        .iter()
        .filter(|(_, item)| *item != '-')
        .filter(|(_, item)| {
            !PLACEHOLDERS
                .iter()
                .any(|(name, other)| other == item && used.contains(name))
        })
        .map(|(_, item)| *item)
        .collect();
    missing.dedup();
    missing
}

/// Everything a template can name, for one case.
pub struct InquiryFacts<'a> {
    pub case_id: &'a str,
    pub vendor_name: &'a str,
    pub form: &'a CaseForm,
    pub researcher: &'a Researcher,
    /// The case's deadlines, reckoned from the reporting date (today for a draft).
    pub deadlines: &'a Deadlines,
    pub verify_business_days: u32,
    /// The address replies reach the case at, when inbound mail is configured.
    pub reply_address: Option<&'a str>,
    pub today: Date,
}

/// The subject and body written from the templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inquiry {
    pub subject: String,
    pub body: String,
}

/// Fills `subject` and `body` in from `facts`. The templates were checked when saved; a
/// placeholder that is somehow unknown is left as written.
pub fn write(subject: &str, body: &str, facts: &InquiryFacts<'_>) -> Inquiry {
    let values = values(facts);
    Inquiry {
        // A subject is one line whatever the values hold.
        subject: fill(subject, &values).replace(['\r', '\n'], " "),
        body: fill(body, &values),
    }
}

fn fill(template: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match values.get(name) {
                    Some(value) => out.push_str(value),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `2026-03-02`.
pub fn day(instant: OffsetDateTime) -> String {
    instant.date().to_string()
}

/// A deadline as a person reads it: the last whole day, since a deadline is the midnight
/// that ends it.
pub fn last_day(deadline: OffsetDateTime) -> String {
    if deadline.time() == time::Time::MIDNIGHT {
        deadline
            .date()
            .previous_day()
            .map_or_else(|| deadline.date().to_string(), |d| d.to_string())
    } else {
        deadline.date().to_string()
    }
}

fn values(facts: &InquiryFacts<'_>) -> BTreeMap<&'static str, String> {
    let form = facts.form;
    let researcher = facts.researcher;
    let scores = form.severity.scores();
    let credit = form.credit.unwrap_or(researcher.credit);
    let mut contact = researcher.name.clone();
    if let Some(organization) = &researcher.organization {
        contact.push_str(&format!(", {organization}"));
    }
    contact.push_str(&format!("\n   E-mail: {}", researcher.email));
    if let Some(phone) = &researcher.phone {
        contact.push_str(&format!("\n   Phone: {phone}"));
    }
    let deadlines = facts.deadlines;
    let (announcement_basis, announcement_days) = match &deadlines.announcement_basis {
        AnnouncementBasis::Policy { calendar_days } => (
            format!("date of reporting + {calendar_days} calendar days"),
            calendar_days.to_string(),
        ),
        AnnouncementBasis::Agreed { .. } => {
            ("the date agreed in writing".to_owned(), String::new())
        }
    };
    BTreeMap::from([
        ("policy_url", researcher.policy_url.clone()),
        ("reported_on", day(deadlines.reported_at)),
        ("verification_due", last_day(deadlines.verification_due)),
        ("verify_days", facts.verify_business_days.to_string()),
        ("announcement_due", last_day(deadlines.announcement_due)),
        ("announcement_basis", announcement_basis),
        ("announcement_days", announcement_days),
        ("researcher_contact", contact),
        ("researcher_name", researcher.name.clone()),
        ("researcher_email", researcher.email.clone()),
        (
            "organization",
            researcher.organization.clone().unwrap_or_default(),
        ),
        (
            "credit",
            if credit {
                format!(
                    "We wish to be credited publicly as {} once the issue is resolved (in \
                     your advisory, release notes and the CVE record).",
                    researcher.name
                )
            } else {
                "We do not wish to be credited.".to_owned()
            },
        ),
        ("product", form.product.clone()),
        ("versions_tested", form.versions_tested.join(", ")),
        ("vulnerability_type", form.vulnerability_type.clone()),
        ("cvss_vector", form.severity.to_string()),
        ("cvss_score", format!("{:.1}", scores.score)),
        ("cvss_severity", scores.severity.as_str().to_owned()),
        ("cvss_version", form.severity.version().as_str().to_owned()),
        ("scoring_method", form.scoring_method_text()),
        ("attack_vector", form.attack_vector.clone()),
        (
            "prerequisites",
            form.prerequisites
                .clone()
                .unwrap_or_else(|| "none".to_owned()),
        ),
        ("ease_of_exploitation", form.ease_of_exploitation.clone()),
        ("cve", form.cve.sentence()),
        ("technical_details", form.technical_details.clone()),
        ("vendor_name", facts.vendor_name.to_owned()),
        ("case_id", facts.case_id.to_owned()),
        ("title", form.title.clone()),
        (
            "reply_address",
            facts
                .reply_address
                .unwrap_or(researcher.email.as_str())
                .to_owned(),
        ),
        ("today", facts.today.to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::outbound::deadlines::{compute, DeadlineRules};
    use crate::outbound::form::{CaseForm, CaseInput};
    use crate::sla::Calendar;

    fn form() -> CaseForm {
        CaseForm::parse(&CaseInput {
            title: Some("RCE in upload".into()),
            product: Some("Acme Router".into()),
            versions_tested: vec!["4.2.1".into()],
            vulnerability_type: Some("Remote Code Execution".into()),
            severity: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
            attack_vector: Some("POST /upload".into()),
            ease_of_exploitation: Some("Trivial".into()),
            cve: Some("vendor".into()),
            technical_details: Some("The file name reaches a shell.".into()),
            ..CaseInput::default()
        })
        .expect("valid")
    }

    fn researcher() -> Researcher {
        Researcher {
            name: "Ada Lovelace".into(),
            email: "ada@research.example".into(),
            phone: Some("+45 1234 5678".into()),
            organization: Some("Example Research".into()),
            policy_url: "https://research.example/disclosure-policy".into(),
            credit: true,
        }
    }

    #[test]
    fn the_default_inquiry_carries_every_item() {
        assert!(missing_items(DEFAULT_SUBJECT, DEFAULT_BODY).is_empty());
        let form = form();
        let researcher = researcher();
        let deadlines = compute(
            &Calendar::default(),
            &DeadlineRules::default(),
            datetime!(2026-03-06 10:00 UTC),
            None,
            None,
        )
        .expect("due");
        let inquiry = write(
            DEFAULT_SUBJECT,
            DEFAULT_BODY,
            &InquiryFacts {
                case_id: "CVD-OUT-2026-0001",
                vendor_name: "Acme",
                form: &form,
                researcher: &researcher,
                deadlines: &deadlines,
                verify_business_days: 5,
                reply_address: None,
                today: date!(2026 - 03 - 06),
            },
        );
        assert_eq!(
            inquiry.subject,
            "Security vulnerability in Acme Router: RCE in upload [CVD-OUT-2026-0001]"
        );
        for expected in [
            "https://research.example/disclosure-policy",
            "Date of reporting:             2026-03-06",
            // Friday the 6th: Monday 9 to Friday 13 are the five business days.
            "Deadline for verification:     2026-03-13",
            "Deadline for announcement:     2026-06-04",
            "Ada Lovelace, Example Research",
            "Phone: +45 1234 5678",
            "credited publicly as Ada Lovelace",
            "Acme Router: 4.2.1",
            "Remote Code Execution",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "9.8 (critical, CVSS v3.1)",
            "POST /upload",
            "Trivial",
            "We ask you, as the vendor, to request the CVE ID",
            "The file name reaches a shell.",
        ] {
            assert!(
                inquiry.body.contains(expected),
                "{expected:?} in\n{}",
                inquiry.body
            );
        }
        assert!(!inquiry.body.contains("{{"), "{}", inquiry.body);
    }

    #[test]
    fn edited_templates_are_checked() {
        assert_eq!(placeholders("Hi {{ product }}"), Ok(vec!["product"]));
        assert_eq!(
            placeholders("{{secret}}"),
            Err(TemplateError::Unknown("secret".into()))
        );
        assert_eq!(placeholders("{{product"), Err(TemplateError::Unclosed));
        assert_eq!(placeholders("  "), Err(TemplateError::Empty));
        assert_eq!(
            missing_items("{{title}}", "{{policy_url}} {{product}}"),
            vec!['b', 'c', 'd', 'f', 'g', 'h', 'i', 'j', 'k']
        );
    }
}
