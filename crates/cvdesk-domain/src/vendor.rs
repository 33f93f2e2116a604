//! Vendors: the parties the desk contacts about vulnerabilities in their products, shared
//! by everything that reaches out (outbound cases, coordination). A vendor has a name,
//! its domains, its contacts in order of preference, its OpenPGP key, its policy, the
//! languages it reads and notes. `discovery` proposes these from the vendor's security.txt.

pub mod discovery;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::outbound::form::{text, FormErrors, LONG_TEXT, SHORT_TEXT};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VendorId(pub i64);

/// How a contact is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Email,
    /// A web form or page.
    Url,
    Phone,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Email => "email",
            ContactKind::Url => "url",
            ContactKind::Phone => "phone",
        }
    }
}

impl FromStr for ContactKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(ContactKind::Email),
            "url" => Ok(ContactKind::Url),
            "phone" => Ok(ContactKind::Phone),
            other => Err(format!(
                "'{}' is not a contact kind (email, url, phone)",
                other.chars().take(40).collect::<String>()
            )),
        }
    }
}

impl fmt::Display for ContactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One way to reach the vendor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorContact {
    pub kind: ContactKind,
    pub value: String,
}

impl VendorContact {
    /// Checks `value` for its kind: an e-mail address, an http(s) URL, or a phone number
    /// of digits, spaces and `+-()./`.
    pub fn new(kind: ContactKind, value: &str) -> Result<Self, String> {
        let value = value.trim();
        let ok = match kind {
            ContactKind::Email => is_email(value),
            ContactKind::Url => {
                (value.starts_with("https://") || value.starts_with("http://"))
                    && url::Url::parse(value).is_ok_and(|url| url.host().is_some())
            }
            ContactKind::Phone => {
                value.chars().filter(char::is_ascii_digit).count() >= 3
                    && value
                        .chars()
                        .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
            }
        };
        if !ok || value.len() > SHORT_TEXT {
            return Err(format!(
                "'{}' is not {}",
                value.chars().take(60).collect::<String>(),
                match kind {
                    ContactKind::Email => "an e-mail address (security@vendor.example)",
                    ContactKind::Url => "a web address (https://vendor.example/security)",
                    ContactKind::Phone => "a phone number (+45 12 34 56 78)",
                }
            ));
        }
        Ok(VendorContact {
            kind,
            value: value.to_owned(),
        })
    }
}

/// Whether `text` looks like one plain e-mail address: a local part and a domain with a
/// dot, no spaces, angle brackets or control characters.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && text.len() <= 254
        && is_domain(domain)
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"@".contains(c))
}

/// Whether `text` is a DNS name of at least two labels (letters, digits, hyphens).
pub fn is_domain(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    text.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// A vendor's details, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VendorDetails {
    pub name: String,
    /// Lower-case DNS names, e.g. `vendor.example`.
    pub domains: Vec<String>,
    /// In order of preference.
    pub contacts: Vec<VendorContact>,
    /// The vendor's armoured OpenPGP public key.
    pub pgp_key: Option<String>,
    pub policy_url: Option<String>,
    /// Language tags such as `en`, `de`.
    pub languages: Vec<String>,
    pub notes: Option<String>,
}

/// A vendor as typed: every field optional, so the same shape creates (`name` required)
/// and changes (only what is given).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorInput {
    pub name: Option<String>,
    pub domains: Option<Vec<String>>,
    pub contacts: Option<Vec<ContactInput>>,
    pub pgp_key: Option<String>,
    pub policy_url: Option<String>,
    pub languages: Option<Vec<String>>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub kind: String,
    pub value: String,
}

/// Longest armoured key accepted.
pub const MAX_KEY: usize = 200_000;
/// Most domains, contacts or languages one vendor lists.
pub const MAX_ITEMS: usize = 50;

impl VendorDetails {
    /// A new vendor from `input`; the name is required.
    pub fn create(input: &VendorInput) -> Result<VendorDetails, FormErrors> {
        let mut errors = FormErrors::default();
        if input.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            errors.add("name", "required");
        }
        let mut details = VendorDetails::default();
        details.apply(input, &mut errors);
        errors.into_result(|| details)
    }

    /// These details with what `input` gives changed; a blank text clears it.
    pub fn changed(&self, input: &VendorInput) -> Result<VendorDetails, FormErrors> {
        let mut errors = FormErrors::default();
        let mut details = self.clone();
        if input.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            errors.add("name", "required");
        }
        details.apply(input, &mut errors);
        errors.into_result(|| details)
    }

    fn apply(&mut self, input: &VendorInput, errors: &mut FormErrors) {
        if let Some(name) = text(errors, "name", input.name.as_deref(), SHORT_TEXT, false) {
            self.name = name;
        }
        if let Some(domains) = &input.domains {
            self.domains = domain_list(errors, domains);
        }
        if let Some(contacts) = &input.contacts {
            self.contacts = contact_list(errors, contacts);
        }
        if let Some(key) = &input.pgp_key {
            self.pgp_key = text(errors, "pgp_key", Some(key), MAX_KEY, true);
            if self
                .pgp_key
                .as_deref()
                .is_some_and(|key| !key.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"))
            {
                errors.add(
                    "pgp_key",
                    "an ASCII-armoured public key (-----BEGIN PGP PUBLIC KEY BLOCK-----)",
                );
            }
        }
        if let Some(policy) = &input.policy_url {
            self.policy_url = text(errors, "policy_url", Some(policy), SHORT_TEXT, false);
            if let Some(url) = &self.policy_url {
                if VendorContact::new(ContactKind::Url, url).is_err() {
                    errors.add(
                        "policy_url",
                        "a web address (https://vendor.example/policy)",
                    );
                }
            }
        }
        if let Some(languages) = &input.languages {
            self.languages = language_list(errors, languages);
        }
        if let Some(notes) = &input.notes {
            self.notes = text(errors, "notes", Some(notes), LONG_TEXT, true);
        }
    }

    /// The preferred e-mail contact.
    pub fn email(&self) -> Option<&str> {
        self.contacts
            .iter()
            .find(|contact| contact.kind == ContactKind::Email)
            .map(|contact| contact.value.as_str())
    }
}

fn domain_list(errors: &mut FormErrors, given: &[String]) -> Vec<String> {
    let mut domains: Vec<String> = Vec::new();
    for domain in given {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        if domain.is_empty() {
            continue;
        }
        if !is_domain(&domain) {
            errors.add(
                "domains",
                format!(
                    "'{}' is not a domain name (vendor.example)",
                    domain.chars().take(60).collect::<String>()
                ),
            );
        } else if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    if domains.len() > MAX_ITEMS {
        errors.add("domains", format!("at most {MAX_ITEMS} domains"));
    }
    domains
}

fn contact_list(errors: &mut FormErrors, given: &[ContactInput]) -> Vec<VendorContact> {
    let mut contacts: Vec<VendorContact> = Vec::new();
    for (index, contact) in given.iter().enumerate() {
        let checked = contact
            .kind
            .parse::<ContactKind>()
            .and_then(|kind| VendorContact::new(kind, &contact.value));
        match checked {
            Ok(contact) if !contacts.contains(&contact) => contacts.push(contact),
            Ok(_) => {}
            Err(message) => errors.add(&format!("contacts[{index}]"), message),
        }
    }
    if contacts.len() > MAX_ITEMS {
        errors.add("contacts", format!("at most {MAX_ITEMS} contacts"));
    }
    contacts
}

fn language_list(errors: &mut FormErrors, given: &[String]) -> Vec<String> {
    let mut languages: Vec<String> = Vec::new();
    for language in given {
        let language = language.trim();
        if language.is_empty() {
            continue;
        }
        let well_formed = language.len() <= 35
            && language
                .split('-')
                .all(|part| !part.is_empty() && part.len() <= 8)
            && language
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !well_formed {
            errors.add(
                "languages",
                format!(
                    "'{}' is not a language tag (en, de, pt-BR)",
                    language.chars().take(40).collect::<String>()
                ),
            );
        } else if !languages.iter().any(|l| l.eq_ignore_ascii_case(language)) {
            languages.push(language.to_owned());
        }
    }
    if languages.len() > MAX_ITEMS {
        errors.add("languages", format!("at most {MAX_ITEMS} languages"));
    }
    languages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(kind: &str, value: &str) -> ContactInput {
        ContactInput {
            kind: kind.into(),
            value: value.into(),
        }
    }

    #[test]
    fn a_vendor_is_created_and_changed() {
        let created = VendorDetails::create(&VendorInput {
            name: Some(" Acme ".into()),
            domains: Some(vec!["Acme.Example.".into(), "acme.example".into()]),
            contacts: Some(vec![
                contact("email", "security@acme.example"),
                contact("url", "https://acme.example/security"),
                contact("phone", "+45 12 34 56 78"),
            ]),
            languages: Some(vec!["en".into(), "da".into(), "EN".into()]),
            ..VendorInput::default()
        })
        .expect("valid");
        assert_eq!(created.name, "Acme");
        assert_eq!(created.domains, ["acme.example"]);
        assert_eq!(created.contacts.len(), 3);
        assert_eq!(created.email(), Some("security@acme.example"));
        assert_eq!(created.languages, ["en", "da"]);
        let changed = created
            .changed(&VendorInput {
                notes: Some("Prefers encrypted mail.".into()),
                languages: Some(vec![]),
                ..VendorInput::default()
            })
            .expect("valid");
        assert_eq!(changed.name, "Acme");
        assert_eq!(changed.notes.as_deref(), Some("Prefers encrypted mail."));
        assert!(changed.languages.is_empty());
    }

    #[test]
    fn each_bad_field_is_named() {
        let errors = VendorDetails::create(&VendorInput {
            domains: Some(vec!["not a domain".into()]),
            contacts: Some(vec![
                contact("email", "security at acme"),
                contact("fax", "123"),
                contact("url", "javascript:alert(1)"),
            ]),
            pgp_key: Some("hello".into()),
            policy_url: Some("ftp://acme.example".into()),
            languages: Some(vec!["en_US".into()]),
            ..VendorInput::default()
        })
        .expect_err("refused");
        for field in [
            "name",
            "domains",
            "contacts[0]",
            "contacts[1]",
            "contacts[2]",
            "pgp_key",
            "policy_url",
            "languages",
        ] {
            assert!(errors.get(field).is_some(), "{field} in {errors:?}");
        }
    }
}
