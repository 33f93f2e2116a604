//! Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`), parsed strictly
//! enough that a CSAF validator's PURL test (6.1.13) and OSV's package fields accept what
//! was let through: a lower-case type, a non-empty name, no whitespace.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::echo;

/// A checked package URL, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Purl {
    text: String,
    purl_type: String,
    namespace: Vec<String>,
    name: String,
    version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a package URL (expected e.g. pkg:cargo/cvdesk@1.0.0)")]
pub struct PurlError(String);

impl Purl {
    /// The package type, e.g. `cargo`.
    pub fn purl_type(&self) -> &str {
        &self.purl_type
    }

    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The package URL without its version, qualifiers and subpath, as CVE 5.2's
    /// `packageURL` wants it.
    pub fn without_version(&self) -> String {
        let mut text = format!("pkg:{}/", self.purl_type);
        for segment in &self.namespace {
            text.push_str(segment);
            text.push('/');
        }
        text.push_str(&self.name);
        text
    }

    /// The package name as OSV writes it for this type: `group:artifact` for Maven,
    /// `namespace/name` where the namespace is part of the name (npm scopes, Go module
    /// paths, Composer vendors), the bare name otherwise.
    pub fn osv_name(&self) -> String {
        let namespace: Vec<String> = self.namespace.iter().map(|s| percent_decode(s)).collect();
        let name = percent_decode(&self.name);
        if namespace.is_empty() {
            return name;
        }
        let separator = if self.purl_type == "maven" { ":" } else { "/" };
        format!("{}{separator}{name}", namespace.join("/"))
    }
}

impl FromStr for Purl {
    type Err = PurlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refuse = || PurlError(echo(s));
        if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(refuse());
        }
        let rest = s.strip_prefix("pkg:").ok_or_else(refuse)?;
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
        let (path, version) = match rest.rsplit_once('@') {
            Some((path, version)) if !version.is_empty() && !version.contains('/') => {
                (path, Some(version.to_owned()))
            }
            Some(_) => return Err(refuse()),
            None => (rest, None),
        };
        let mut segments: Vec<&str> = path.split('/').collect();
        if segments.len() < 2 || segments.iter().any(|segment| segment.is_empty()) {
            return Err(refuse());
        }
        let purl_type = segments.remove(0);
        let type_ok = purl_type
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())
            && purl_type
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".+-".contains(c));
        if !type_ok {
            return Err(refuse());
        }
        let name = segments.pop().ok_or_else(refuse)?;
        Ok(Purl {
            text: s.to_owned(),
            purl_type: purl_type.to_owned(),
            namespace: segments.into_iter().map(str::to_owned).collect(),
            name: name.to_owned(),
            version,
        })
    }
}

/// Written as its text; read back through the same checks.
impl Serialize for Purl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Purl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Decodes `%XX` escapes; anything that is not a valid escape is kept as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = bytes
            .get(index + 1..index + 3)
            .filter(|_| bytes[index] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_parts() {
        let purl: Purl = "pkg:npm/%40example/portal@4.2.1?arch=x64#lib"
            .parse()
            .expect("valid purl");
        assert_eq!(purl.purl_type(), "npm");
        assert_eq!(purl.version(), Some("4.2.1"));
        assert_eq!(purl.without_version(), "pkg:npm/%40example/portal");
        assert_eq!(purl.osv_name(), "@example/portal");
        assert_eq!(
            purl.to_string(),
            "pkg:npm/%40example/portal@4.2.1?arch=x64#lib"
        );
    }

    #[test]
    fn osv_names_per_type() {
        let name = |text: &str| text.parse::<Purl>().expect("valid purl").osv_name();
        assert_eq!(
            name("pkg:maven/org.example/portal@1.0"),
            "org.example:portal"
        );
        assert_eq!(
            name("pkg:golang/github.com/example/portal"),
            "github.com/example/portal"
        );
        assert_eq!(name("pkg:cargo/cvdesk"), "cvdesk");
    }

    #[test]
    fn refuses_malformed_purls() {
        for text in [
            "",
            "pkg:",
            "pkg:cargo",
            "pkg:cargo/",
            "pkg:/name",
            "pkg:Cargo/name",
            "pkg:1cargo/name",
            "pkg:cargo//name",
            "pkg:cargo/name@",
            "pkg:cargo/na me",
            "cargo/name",
            "https://example.com",
        ] {
            assert!(text.parse::<Purl>().is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn percent_decoding_keeps_broken_escapes() {
        assert_eq!(percent_decode("%40a%2"), "@a%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
