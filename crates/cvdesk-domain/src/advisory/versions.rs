//! The versions an advisory names: one version (`4.1.0`) or a range with an upper bound
//! (`< 4.2.1`, `<= 4.2.0`, `>= 4.0.0, < 4.2.1`, `>= 4.0.0, <= 4.1.9`). Every format the
//! desk writes can express exactly these: CSAF as `product_version` or a `vers:` range,
//! CVE as `version` with `lessThan`/`lessThanOrEqual`, OSV as `introduced` with `fixed` or
//! `last_affected`. Versions are compared by nothing here: they are the vendor's words.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest version string, well inside every format's limit.
pub const VERSION_MAX_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VersionSpec {
    Exact(String),
    Range {
        /// `>= from`; `None` means from the first version.
        from: Option<String>,
        upper: UpperBound,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UpperBound {
    /// `< version`: the version is not affected.
    Below(String),
    /// `<= version`: the version is the last affected one.
    UpTo(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("a version is empty")]
    Empty,
    #[error("'{0}' is not a version: versions are at most {VERSION_MAX_CHARS} characters without spaces, commas or < > =")]
    Malformed(String),
    #[error("'{0}' is not a version range (write e.g. '< 4.2.1' or '>= 4.0.0, < 4.2.1')")]
    MalformedRange(String),
}

/// A single version: no spaces, no range syntax, printable, not too long.
pub fn parse_version(text: &str) -> Result<String, VersionError> {
    if text.is_empty() {
        return Err(VersionError::Empty);
    }
    let valid = text.chars().count() <= VERSION_MAX_CHARS
        && !text.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '=' | ',' | '|' | '*')
        });
    if valid {
        Ok(text.to_owned())
    } else {
        Err(VersionError::Malformed(text.chars().take(40).collect()))
    }
}

impl FromStr for VersionSpec {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        if !text.starts_with(['<', '>']) {
            return parse_version(text).map(VersionSpec::Exact);
        }
        let malformed = || VersionError::MalformedRange(text.chars().take(40).collect());
        let (lower, upper) = match text.split_once(',') {
            Some((lower, upper)) => (Some(lower.trim()), upper.trim()),
            None => (None, text),
        };
        let from = match lower {
            Some(lower) => {
                let version = lower.strip_prefix(">=").ok_or_else(malformed)?;
                Some(parse_version(version.trim()).map_err(|_| malformed())?)
            }
            None => None,
        };
        let upper = if let Some(version) = upper.strip_prefix("<=") {
            UpperBound::UpTo(parse_version(version.trim()).map_err(|_| malformed())?)
        } else if let Some(version) = upper.strip_prefix('<') {
            UpperBound::Below(parse_version(version.trim()).map_err(|_| malformed())?)
        } else {
            return Err(malformed());
        };
        Ok(VersionSpec::Range { from, upper })
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::Exact(version) => f.write_str(version),
            VersionSpec::Range { from, upper } => {
                if let Some(from) = from {
                    write!(f, ">= {from}, ")?;
                }
                match upper {
                    UpperBound::Below(version) => write!(f, "< {version}"),
                    UpperBound::UpTo(version) => write!(f, "<= {version}"),
                }
            }
        }
    }
}

/// Stored as the text a person types, read back through the same rules.
impl Serialize for VersionSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VersionSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl VersionSpec {
    /// The range in the `vers` syntax CSAF wants for `product_version_range` (generic
    /// scheme, since the desk does not know each product's versioning rules).
    pub fn vers(&self) -> String {
        match self {
            VersionSpec::Exact(version) => format!("vers:generic/{version}"),
            VersionSpec::Range { from, upper } => {
                let upper = match upper {
                    UpperBound::Below(version) => format!("<{version}"),
                    UpperBound::UpTo(version) => format!("<={version}"),
                };
                match from {
                    Some(from) => format!("vers:generic/>={from}|{upper}"),
                    None => format!("vers:generic/{upper}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> VersionSpec {
        text.parse().expect("valid version spec")
    }

    #[test]
    fn parses_versions_and_ranges() {
        assert_eq!(spec("4.1.0"), VersionSpec::Exact("4.1.0".to_owned()));
        assert_eq!(
            spec("< 4.2.1"),
            VersionSpec::Range {
                from: None,
                upper: UpperBound::Below("4.2.1".to_owned())
            }
        );
        assert_eq!(
            spec(">=4.0.0,<=4.1.9"),
            VersionSpec::Range {
                from: Some("4.0.0".to_owned()),
                upper: UpperBound::UpTo("4.1.9".to_owned())
            }
        );
    }

    #[test]
    fn prints_a_canonical_form_that_parses_back() {
        for (input, canonical) in [
            ("4.1.0", "4.1.0"),
            ("<4.2.1", "< 4.2.1"),
            (" >= 4.0.0 ,  < 4.2.1 ", ">= 4.0.0, < 4.2.1"),
            ("<= 2026.1", "<= 2026.1"),
        ] {
            assert_eq!(spec(input).to_string(), canonical);
            assert_eq!(spec(canonical), spec(input));
        }
    }

    #[test]
    fn writes_vers_ranges() {
        assert_eq!(spec("< 4.2.1").vers(), "vers:generic/<4.2.1");
        assert_eq!(spec(">= 4.0, <= 4.1").vers(), "vers:generic/>=4.0|<=4.1");
    }

    #[test]
    fn refuses_what_no_format_could_carry() {
        for text in [
            "",
            "4.1 beta",
            "*",
            "> 4.0",
            ">= 4.0",
            "< ",
            ">= 4.0, > 5",
            "< 4.0, >= 3.0",
            "=4.0",
            "4.0,4.1",
            "a\u{7}b",
        ] {
            assert!(text.parse::<VersionSpec>().is_err(), "{text:?} accepted");
        }
        assert!(parse_version(&"1".repeat(101)).is_err());
    }
}
