//! Contact discovery: what a vendor's security.txt (RFC 9116) proposes for its entry in
//! the directory, for a person to accept. The file is linted by the desk's own linter, so
//! an expired or broken file is reported plainly; without a file, RFC 2142's `security@`
//! address is proposed and said to be a guess. Fetching and signature checking happen at
//! the edge; this turns their results into a proposal.

use cvdesk_formats::securitytxt::{Document, Report};
use serde::Serialize;

use super::{ContactKind, VendorContact};

/// Where a proposal comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A security.txt file at this address.
    SecurityTxt { url: String },
    /// No file was found: the RFC 2142 mailbox is a guess.
    Guess,
}

/// What the file's signature says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Signature {
    Unsigned,
    /// Signed, and the signature verifies with this key.
    Verified {
        fingerprint: String,
    },
    /// Signed, but no key to check it against is known.
    KeyUnknown,
    /// Signed, and the signature does not verify.
    Invalid {
        reason: String,
    },
}

/// What discovery proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub source: Source,
    pub contacts: Vec<VendorContact>,
    /// The `Encryption:` addresses the file names.
    pub encryption: Vec<String>,
    /// The key fetched from the first `Encryption:` address that gave one.
    pub pgp_key: Option<String>,
    pub policy_url: Option<String>,
    pub languages: Vec<String>,
    pub signature: Signature,
    /// Whether the linter found the file valid (no errors).
    pub valid: bool,
    /// What is wrong, in words: lint errors (an expired file among them), fetch
    /// problems, a guess.
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// The proposal from the file at `url`, with the linter's `report` on it.
pub fn from_security_txt(url: &str, document: &Document, report: &Report) -> Proposal {
    let mut problems: Vec<String> = report.errors().map(ToString::to_string).collect();
    let warnings: Vec<String> = report.warnings().map(ToString::to_string).collect();
    let mut contacts = Vec::new();
    for value in document.values("Contact") {
        match contact_of(value) {
            Some(contact) if !contacts.contains(&contact) => contacts.push(contact),
            Some(_) => {}
            None => problems.push(format!("the contact '{value}' cannot be used")),
        }
    }
    let languages = document
        .values("Preferred-Languages")
        .flat_map(|list| list.split(','))
        .map(|tag| tag.trim().to_owned())
        .filter(|tag| !tag.is_empty())
        .collect();
    Proposal {
        source: Source::SecurityTxt {
            url: url.to_owned(),
        },
        contacts,
        encryption: document.values("Encryption").map(str::to_owned).collect(),
        pgp_key: None,
        policy_url: document.values("Policy").next().map(str::to_owned),
        languages,
        signature: if document.signed {
            Signature::KeyUnknown
        } else {
            Signature::Unsigned
        },
        valid: report.is_valid(),
        problems,
        warnings,
    }
}

/// The guess for a domain without a security.txt: `security@{domain}` (RFC 2142).
pub fn guess(domain: &str, why: Vec<String>) -> Proposal {
    let mut problems = why;
    problems.push(format!(
        "no security.txt was found, so security@{domain} (RFC 2142) is only a guess: check \
         it before sending details"
    ));
    Proposal {
        source: Source::Guess,
        contacts: VendorContact::new(ContactKind::Email, &format!("security@{domain}"))
            .into_iter()
            .collect(),
        encryption: Vec::new(),
        pgp_key: None,
        policy_url: None,
        languages: Vec::new(),
        signature: Signature::Unsigned,
        valid: false,
        problems,
        warnings: Vec::new(),
    }
}

/// A contact URI of security.txt as a directory contact: `mailto:`, `tel:` or a web address.
fn contact_of(uri: &str) -> Option<VendorContact> {
    let lower = uri.to_ascii_lowercase();
    if lower.starts_with("mailto:") {
        let address = &uri["mailto:".len()..];
        let address = address.split('?').next().unwrap_or_default();
        VendorContact::new(ContactKind::Email, address).ok()
    } else if lower.starts_with("tel:") {
        VendorContact::new(ContactKind::Phone, &uri["tel:".len()..]).ok()
    } else if lower.starts_with("https://") || lower.starts_with("http://") {
        VendorContact::new(ContactKind::Url, uri).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use cvdesk_formats::securitytxt::{lint, parse};
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_file_proposes_its_contacts_in_order() {
        let text = "Contact: mailto:security@acme.example\n\
                    Contact: https://acme.example/report\n\
                    Contact: tel:+45-1234-5678\n\
                    Expires: 2027-01-01T00:00:00.000Z\n\
                    Encryption: https://acme.example/pgp.asc\n\
                    Policy: https://acme.example/policy\n\
                    Preferred-Languages: en, da\n";
        let now = datetime!(2026-06-01 00:00 UTC);
        let proposal = from_security_txt(
            "https://acme.example/.well-known/security.txt",
            &parse(text),
            &lint(text, now),
        );
        let kinds: Vec<ContactKind> = proposal.contacts.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [ContactKind::Email, ContactKind::Url, ContactKind::Phone]
        );
        assert_eq!(proposal.encryption, ["https://acme.example/pgp.asc"]);
        assert_eq!(
            proposal.policy_url.as_deref(),
            Some("https://acme.example/policy")
        );
        assert_eq!(proposal.languages, ["en", "da"]);
        assert!(proposal.valid, "{:?}", proposal.problems);
        assert_eq!(proposal.signature, Signature::Unsigned);
    }

    #[test]
    fn an_expired_file_is_said_to_be_expired() {
        let text = "Contact: mailto:security@acme.example\nExpires: 2020-01-01T00:00:00.000Z\n";
        let now = datetime!(2026-06-01 00:00 UTC);
        let proposal = from_security_txt(
            "https://acme.example/security.txt",
            &parse(text),
            &lint(text, now),
        );
        assert!(!proposal.valid);
        assert!(
            proposal.problems.iter().any(|p| p.contains("expired")),
            "{:?}",
            proposal.problems
        );
        assert_eq!(proposal.contacts.len(), 1);
    }

    #[test]
    fn without_a_file_the_mailbox_is_a_guess() {
        let proposal = guess("acme.example", vec!["the server did not answer".into()]);
        assert_eq!(proposal.source, Source::Guess);
        assert_eq!(proposal.contacts[0].value, "security@acme.example");
        assert!(proposal.problems.iter().any(|p| p.contains("only a guess")));
        assert!(proposal
            .problems
            .iter()
            .any(|p| p.contains("did not answer")));
    }
}
