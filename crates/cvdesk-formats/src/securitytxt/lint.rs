//! The rules of RFC 9116 applied to a parsed security.txt: which fields must be there,
//! how often, and what their values must look like. Errors follow the RFC's MUSTs and
//! agree with the reference checker `sectxt` (tests/oracle/securitytxt_oracle.py);
//! warnings carry its SHOULDs and likely mistakes.
//!
//! Where we differ from `sectxt` on purpose (the oracle pins each case):
//! - a signed file needs the empty line after its `Hash:` header (RFC 4880 §7);
//! - signed lines starting with `-` must be dash-escaped (RFC 4880 §7.1);
//! - a missing armor checksum is only a warning (optional since RFC 9580 §6.1), a wrong
//!   one an error (the block is damaged);
//! - language tags are written with hyphens (`en-US`, not `en_US`);
//! - non-Latin-1 text in a signed file is fine (the file is UTF-8).

use time::OffsetDateTime;

use super::expires::{self, Parsed};
use super::finding::{Finding, Report};
use super::langtag::{self, TagCheck};
use super::parse::{parse_with_findings, Document, Field};

const CONTACT: &str = "Contact";
const EXPIRES: &str = "Expires";
const ENCRYPTION: &str = "Encryption";
const ACKNOWLEDGMENTS: &str = "Acknowledgments";
const PREFERRED_LANGUAGES: &str = "Preferred-Languages";
const CANONICAL: &str = "Canonical";
const POLICY: &str = "Policy";
const HIRING: &str = "Hiring";
const CSAF: &str = "CSAF";

/// Every field RFC 9116 defines (and CSAF, defined by CSAF 2.0 §7.1.8), as spelled there.
const KNOWN_FIELDS: [&str; 9] = [
    CONTACT,
    EXPIRES,
    ENCRYPTION,
    ACKNOWLEDGMENTS,
    PREFERRED_LANGUAGES,
    CANONICAL,
    POLICY,
    HIRING,
    CSAF,
];

/// Lints `text` as of `now`.
pub fn lint(text: &str, now: OffsetDateTime) -> Report {
    let mut findings = Vec::new();
    let text = match text.strip_prefix('\u{FEFF}') {
        Some(rest) => {
            findings.push(byte_order_mark());
            rest
        }
        None => text,
    };
    let (document, parse_findings) = parse_with_findings(text);
    findings.extend(parse_findings);
    findings.extend(check_document(&document, now));
    Report::from_findings(findings)
}

/// Lints raw bytes: RFC 9116 §2.2 wants UTF-8, so anything else is an error too.
pub fn lint_bytes(bytes: &[u8], now: OffsetDateTime) -> Report {
    match std::str::from_utf8(bytes) {
        Ok(text) => lint(text, now),
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            let mut report = lint(&text, now);
            report
                .findings
                .push(Finding::error("utf8", "the file is not UTF-8 encoded text"));
            Report::from_findings(report.findings)
        }
    }
}

fn byte_order_mark() -> Finding {
    Finding::error(
        "bom_in_file",
        "the file starts with a byte-order mark; security.txt must be plain UTF-8 without one",
    )
    .at(1)
}

fn check_document(document: &Document, now: OffsetDateTime) -> Vec<Finding> {
    let mut findings = Vec::new();
    for field in &document.fields {
        check_field(field, now, &mut findings);
    }
    check_counts(document, &mut findings);
    check_advice(document, &mut findings);
    findings
}

fn known_name(field: &Field) -> Option<&'static str> {
    KNOWN_FIELDS.into_iter().find(|known| field.is(known))
}

fn check_field(field: &Field, now: OffsetDateTime, findings: &mut Vec<Finding>) {
    let Some(name) = known_name(field) else {
        check_unknown_field(field, findings);
        return;
    };
    let mut report = |finding: Finding| findings.push(finding.at(field.line).on(name));
    match name {
        EXPIRES => check_expires(&field.value, now, &mut report),
        PREFERRED_LANGUAGES => {
            for tag in field.value.split(',').map(str::trim) {
                match langtag::check(tag) {
                    TagCheck::Valid => {}
                    TagCheck::Alias {
                        written,
                        registered,
                    } => report(Finding::warning(
                        "lang_alias",
                        format!("in '{tag}', write '{registered}' (the registered code) instead of '{written}'"),
                    )),
                    TagCheck::Invalid => report(Finding::error(
                        "invalid_lang",
                        format!(
                            "'{tag}' is not a registered language tag (RFC 5646, e.g. en, de-CH); \
                             separate several with commas"
                        ),
                    )),
                }
            }
        }
        _ => check_uri(name, &field.value, &mut report),
    }
}

fn check_expires(value: &str, now: OffsetDateTime, report: &mut impl FnMut(Finding)) {
    let moment = match expires::parse(value) {
        Some(Parsed::Strict(moment)) => moment,
        Some(Parsed::SpaceSeparated(moment)) => {
            report(Finding::warning(
                "expiry_format",
                "write the date and time with a 'T' between them, e.g. 2027-10-01T00:00:00Z",
            ));
            moment
        }
        None => {
            report(Finding::error(
                "invalid_expiry",
                format!("'{value}' is not an RFC 3339 date and time such as 2027-10-01T00:00:00Z"),
            ));
            return;
        }
    };
    if moment < now {
        report(Finding::error(
            "expired",
            "this date is in the past: the file has expired and must be renewed",
        ));
    } else if moment > expires::one_year_after(now) {
        report(Finding::warning(
            "long_expiry",
            "this date is more than a year ahead; RFC 9116 advises less, so the file gets reviewed",
        ));
    }
}

/// The scheme as Python's `urlsplit` finds it, which the reference checker uses:
/// a letter, then letters, digits, `+`, `-` or `.`, up to the first colon.
fn scheme(value: &str) -> Option<String> {
    let cleaned: String = value
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let (candidate, _) = cleaned.split_once(':')?;
    let mut chars = candidate.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| candidate.to_ascii_lowercase())
}

fn check_uri(name: &'static str, value: &str, report: &mut impl FnMut(Finding)) {
    let Some(scheme) = scheme(value) else {
        let example = if name == CONTACT {
            "mailto:security@example.com or https://example.com/report"
        } else {
            "https://example.com/…"
        };
        report(Finding::error(
            "no_uri",
            format!("the value must be a URI, e.g. {example}"),
        ));
        return;
    };
    match scheme.as_str() {
        "http" => report(Finding::error(
            "no_https",
            "web URIs must begin with https://, not http://",
        )),
        "https" => check_web_uri(value, report),
        "mailto" if !value.contains('@') => report(Finding::warning(
            "mailto",
            "this mailto: URI has no e-mail address (expected mailto:name@example.com)",
        )),
        "mailto" | "tel" if name == CONTACT => {}
        _ if name == CONTACT => report(Finding::warning(
            "contact_scheme",
            format!(
                "finders expect a mailto:, tel: or https: contact; '{scheme}:' may not be understood"
            ),
        )),
        // dns: and openpgp4fpr: are RFC 9116's own examples for Encryption.
        _ if name == ENCRYPTION => {}
        _ => report(Finding::warning(
            "not_web_uri",
            "the value should be an https:// web URI",
        )),
    }
    if name == CSAF && !value.ends_with("provider-metadata.json") {
        report(Finding::error(
            "no_csaf_file",
            "CSAF must point to a provider-metadata.json file",
        ));
    }
}

fn check_web_uri(value: &str, report: &mut impl FnMut(Finding)) {
    let after_scheme = value.get("https:".len()..).unwrap_or("");
    let host = after_scheme
        .strip_prefix("//")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    let has_host = host.is_some_and(|host| !host.is_empty());
    if !has_host || value.chars().any(char::is_whitespace) {
        report(Finding::warning(
            "web_uri",
            "this does not look like a web address (expected https://host/path, without spaces)",
        ));
    }
}

fn check_unknown_field(field: &Field, findings: &mut Vec<Finding>) {
    // RFC 5322 field names: printable ASCII except the colon.
    if !field.name.bytes().all(|b| (33..=126).contains(&b)) {
        findings.push(
            Finding::warning(
                "field_name",
                "a field name may only hold printable ASCII characters, without spaces",
            )
            .at(field.line)
            .on(field.name.clone()),
        );
        return;
    }
    let lower = field.name.to_ascii_lowercase();
    let near = KNOWN_FIELDS.into_iter().find(|known| {
        let known = known.to_ascii_lowercase();
        lower.len() >= 4 && edit_distance(&lower, &known) <= 2
    });
    if let Some(known) = near {
        findings.push(
            Finding::warning(
                "unknown_field",
                format!("unknown field; did you mean '{known}'?"),
            )
            .at(field.line)
            .on(field.name.clone()),
        );
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

fn occurrences<'a>(document: &'a Document, name: &'a str) -> Vec<&'a Field> {
    document
        .fields
        .iter()
        .filter(|field| field.is(name))
        .collect()
}

fn check_counts(document: &Document, findings: &mut Vec<Finding>) {
    if occurrences(document, CONTACT).is_empty() {
        findings.push(
            Finding::error(
                "no_contact",
                "a Contact field is required: say how to report a vulnerability",
            )
            .on(CONTACT),
        );
    }
    let expires = occurrences(document, EXPIRES);
    if expires.is_empty() {
        findings.push(
            Finding::error(
                "no_expire",
                "an Expires field is required, e.g. Expires: 2027-10-01T00:00:00Z",
            )
            .on(EXPIRES),
        );
    }
    for field in expires.iter().skip(1) {
        findings.push(
            Finding::error("multi_expire", "Expires must appear only once")
                .at(field.line)
                .on(EXPIRES),
        );
    }
    for field in occurrences(document, PREFERRED_LANGUAGES).iter().skip(1) {
        findings.push(
            Finding::error(
                "multi_lang",
                "Preferred-Languages must appear only once; list several languages in one field",
            )
            .at(field.line)
            .on(PREFERRED_LANGUAGES),
        );
    }
    for field in occurrences(document, CSAF).iter().skip(1) {
        findings.push(
            Finding::warning(
                "multiple_csaf_fields",
                "more than one CSAF field; keep a single provider-metadata.json if you can",
            )
            .at(field.line)
            .on(CSAF),
        );
    }
}

fn check_advice(document: &Document, findings: &mut Vec<Finding>) {
    let has_mail_contact = occurrences(document, CONTACT)
        .iter()
        .any(|field| scheme(&field.value).as_deref() == Some("mailto"));
    if has_mail_contact && occurrences(document, ENCRYPTION).is_empty() {
        findings.push(
            Finding::warning(
                "no_encryption",
                "a Contact is an e-mail address but no Encryption field says how to encrypt to it",
            )
            .on(ENCRYPTION),
        );
    }
    if !document.signed {
        findings.push(Finding::warning(
            "not_signed",
            "the file is not signed; an OpenPGP cleartext signature lets finders check it",
        ));
    } else if occurrences(document, CANONICAL).is_empty() {
        findings.push(
            Finding::warning(
                "no_canonical",
                "a signed file should name its own location in a Canonical field",
            )
            .on(CANONICAL),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

    fn codes(text: &str) -> Vec<&'static str> {
        lint(text, NOW).findings.iter().map(|f| f.code).collect()
    }

    const MINIMAL: &str = "Contact: https://example.com/report\nExpires: 2026-12-31T00:00:00Z\n";

    #[test]
    fn minimal_file_is_valid_with_only_the_signing_advice() {
        assert_eq!(codes(MINIMAL), ["not_signed"]);
        assert!(lint(MINIMAL, NOW).is_valid());
    }

    #[test]
    fn requires_contact_and_one_expires() {
        assert_eq!(
            codes("Expires: 2026-12-31T00:00:00Z\n"),
            ["no_contact", "not_signed"]
        );
        assert!(codes("Contact: tel:+1-201-555-0123\n").contains(&"no_expire"));
        let twice = format!("{MINIMAL}Expires: 2026-11-30T00:00:00Z\n");
        let report = lint(&twice, NOW);
        assert_eq!(
            report.errors().map(|f| f.line).collect::<Vec<_>>(),
            [Some(3)]
        );
    }

    #[test]
    fn checks_expiry_against_now() {
        let expired = "Contact: tel:+1\nExpires: 2026-05-31T23:59:59Z\n";
        assert!(codes(expired).contains(&"expired"));
        let far = "Contact: tel:+1\nExpires: 2027-06-01T12:00:01Z\n";
        assert!(codes(far).contains(&"long_expiry"));
        assert!(lint(far, NOW).is_valid());
        let garbled = "Contact: tel:+1\nExpires: next year\n";
        assert!(codes(garbled).contains(&"invalid_expiry"));
    }

    #[test]
    fn checks_uris() {
        let http = "Contact: http://example.com\nExpires: 2026-12-31T00:00:00Z\n";
        assert!(codes(http).contains(&"no_https"));
        let bare = "Contact: security@example.com\nExpires: 2026-12-31T00:00:00Z\n";
        assert!(codes(bare).contains(&"no_uri"));
        let policy = format!("{MINIMAL}Policy: http://example.com/policy\n");
        assert!(codes(&policy).contains(&"no_https"));
        let dns =
            format!("{MINIMAL}Encryption: dns:5d2d37ab._openpgpkey.example.com?type=OPENPGPKEY\n");
        assert_eq!(codes(&dns), ["not_signed"]);
        let csaf = format!("{MINIMAL}CSAF: https://example.com/csaf.json\n");
        assert!(codes(&csaf).contains(&"no_csaf_file"));
    }

    #[test]
    fn checks_languages() {
        let good = format!("{MINIMAL}Preferred-Languages: en, de-CH\n");
        assert!(lint(&good, NOW).is_valid());
        let alias = format!("{MINIMAL}Preferred-Languages: en-UK\n");
        assert_eq!(codes(&alias), ["lang_alias", "not_signed"]);
        let bad = format!("{MINIMAL}Preferred-Languages: en, jp\n");
        assert!(codes(&bad).contains(&"invalid_lang"));
        let twice = format!("{MINIMAL}Preferred-Languages: en\nPreferred-Languages: fr\n");
        assert!(codes(&twice).contains(&"multi_lang"));
    }

    #[test]
    fn hints_at_misspelt_fields() {
        let typo = format!("{MINIMAL}Acknowledgements: https://example.com/thanks\n");
        let report = lint(&typo, NOW);
        assert!(report.is_valid());
        assert!(report
            .warnings()
            .any(|f| f.message.contains("'Acknowledgments'")));
        let custom = format!("{MINIMAL}X-Bug-Bounty: yes\n");
        assert_eq!(codes(&custom), ["not_signed"]);
    }

    #[test]
    fn findings_read_as_lines() {
        let report = lint("Contact: http://example.com\n", NOW);
        let lines: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
        assert!(lines.contains(
            &"line 1: Contact: error: web URIs must begin with https://, not http://".to_owned()
        ));
        assert!(lines
            .iter()
            .any(|line| line.starts_with("Expires: error: an Expires field is required")));
    }

    #[test]
    fn rejects_bom_and_invalid_utf8() {
        assert!(codes(&format!("\u{FEFF}{MINIMAL}")).contains(&"bom_in_file"));
        let mut bytes = MINIMAL.as_bytes().to_vec();
        bytes.extend_from_slice(b"# \xff\n");
        assert!(!lint_bytes(&bytes, NOW).is_valid());
    }
}
