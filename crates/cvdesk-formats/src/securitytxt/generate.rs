//! Writing a security.txt from settings: the fields RFC 9116 defines, in its order, one
//! value a line.

use std::fmt::Write;

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// The content of a security.txt file. Empty lists leave their field out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityTxt {
    /// `mailto:`, `tel:` or `https:` URIs; at least one is needed for a valid file.
    pub contacts: Vec<String>,
    /// Rendered in UTC to the second; should be less than a year ahead.
    pub expires: OffsetDateTime,
    pub encryption: Vec<String>,
    pub acknowledgments: Vec<String>,
    /// Language tags such as `en` or `de-CH`, rendered as one comma-separated field.
    pub preferred_languages: Vec<String>,
    pub canonical: Vec<String>,
    pub policy: Vec<String>,
    pub hiring: Vec<String>,
    pub csaf: Vec<String>,
}

impl SecurityTxt {
    /// The file, LF line ends, ready to serve or to sign. Line breaks and other control
    /// characters inside a value become spaces, so a value can never add a field.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut field = |name: &str, values: &[String]| {
            for value in values {
                // Writing to a String cannot fail.
                let _ = writeln!(out, "{name}: {}", one_line(value));
            }
        };
        field("Contact", &self.contacts);
        field("Expires", &[format_expires(self.expires)]);
        field("Encryption", &self.encryption);
        field("Acknowledgments", &self.acknowledgments);
        if !self.preferred_languages.is_empty() {
            let languages: Vec<String> = self
                .preferred_languages
                .iter()
                .map(|tag| one_line(tag))
                .collect();
            field("Preferred-Languages", &[languages.join(", ")]);
        }
        field("Canonical", &self.canonical);
        field("Policy", &self.policy);
        field("Hiring", &self.hiring);
        field("CSAF", &self.csaf);
        out
    }
}

fn one_line(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn format_expires(moment: OffsetDateTime) -> String {
    let utc = moment.to_offset(UtcOffset::UTC);
    utc.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_else(|_| utc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn example() -> SecurityTxt {
        SecurityTxt {
            contacts: vec![
                "mailto:security@example.com".to_owned(),
                "https://example.com/report".to_owned(),
            ],
            expires: datetime!(2027-10-01 02:00:00.5 +02:00),
            encryption: vec!["https://example.com/pgp-key.txt".to_owned()],
            acknowledgments: vec!["https://example.com/thanks".to_owned()],
            preferred_languages: vec!["en".to_owned(), "de".to_owned()],
            canonical: vec!["https://example.com/.well-known/security.txt".to_owned()],
            policy: vec!["https://example.com/policy".to_owned()],
            hiring: Vec::new(),
            csaf: Vec::new(),
        }
    }

    #[test]
    fn renders_fields_in_order() {
        assert_eq!(
            example().render(),
            "Contact: mailto:security@example.com\n\
             Contact: https://example.com/report\n\
             Expires: 2027-10-01T00:00:00Z\n\
             Encryption: https://example.com/pgp-key.txt\n\
             Acknowledgments: https://example.com/thanks\n\
             Preferred-Languages: en, de\n\
             Canonical: https://example.com/.well-known/security.txt\n\
             Policy: https://example.com/policy\n"
        );
    }

    #[test]
    fn values_cannot_inject_fields() {
        let mut settings = example();
        settings.contacts =
            vec!["mailto:a@example.com\nContact: mailto:evil@example.net".to_owned()];
        let rendered = settings.render();
        assert_eq!(rendered.matches("Contact:").count(), 2);
        assert_eq!(
            rendered
                .lines()
                .filter(|l| l.starts_with("Contact:"))
                .count(),
            1
        );
    }
}
