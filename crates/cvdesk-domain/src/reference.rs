//! Report reference numbers: `{PREFIX}-{YEAR}-{SEQ}`, a sequence of at least four digits
//! that restarts every year. The store allocates the sequence; this module owns the shape.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The configurable prefix of every reference number, such as `CVD`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReferencePrefix(String);

impl ReferencePrefix {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ReferencePrefix {
    fn default() -> Self {
        ReferencePrefix("CVD".to_owned())
    }
}

impl FromStr for ReferencePrefix {
    type Err = ReferenceError;

    /// A prefix is 1–16 ASCII capital letters or digits and starts with a letter, so a
    /// reference number can always be split back into its parts at the dashes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid_chars = s
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let starts_with_letter = s.chars().next().is_some_and(|c| c.is_ascii_uppercase());
        if s.is_empty() || s.len() > 16 || !valid_chars || !starts_with_letter {
            return Err(ReferenceError::Prefix(s.to_owned()));
        }
        Ok(ReferencePrefix(s.to_owned()))
    }
}

impl fmt::Display for ReferencePrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A report's reference number, e.g. `CVD-2026-0042`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub prefix: ReferencePrefix,
    pub year: i32,
    pub sequence: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("'{0}' is not a valid reference prefix (1 to 16 capital letters or digits, starting with a letter)")]
    Prefix(String),
    #[error("'{0}' is not a reference number (expected e.g. CVD-2026-0042)")]
    Malformed(String),
}

impl Reference {
    pub fn new(prefix: ReferencePrefix, year: i32, sequence: u32) -> Self {
        Reference {
            prefix,
            year,
            sequence,
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:04}", self.prefix, self.year, self.sequence)
    }
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || ReferenceError::Malformed(s.to_owned());
        let mut parts = s.split('-');
        let (Some(prefix), Some(year), Some(sequence), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        let digits = |p: &str, min: usize| p.len() >= min && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || year.len() != 4 || !digits(sequence, 4) || sequence.len() > 9 {
            return Err(malformed());
        }
        let sequence: u32 = sequence.parse().map_err(|_| malformed())?;
        if sequence == 0 {
            return Err(malformed());
        }
        Ok(Reference {
            prefix: prefix.parse().map_err(|_| malformed())?,
            year: year.parse().map_err(|_| malformed())?,
            sequence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_at_least_four_digits() {
        let prefix = ReferencePrefix::default();
        assert_eq!(
            Reference::new(prefix.clone(), 2026, 7).to_string(),
            "CVD-2026-0007"
        );
        assert_eq!(
            Reference::new(prefix, 2026, 12345).to_string(),
            "CVD-2026-12345"
        );
    }

    #[test]
    fn parses_what_it_prints() {
        for text in ["CVD-2026-0001", "ACME2-1999-99999"] {
            let reference: Reference = text.parse().expect("valid reference");
            assert_eq!(reference.to_string(), text);
        }
    }

    #[test]
    fn refuses_malformed_references() {
        for text in [
            "",
            "CVD",
            "CVD-2026",
            "CVD-2026-01",
            "CVD-26-0001",
            "cvd-2026-0001",
            "CVD-2026-0000",
            "CVD-2026-0001-1",
            "CVD-2026-00x1",
        ] {
            assert!(text.parse::<Reference>().is_err(), "{text} accepted");
        }
    }

    #[test]
    fn prefix_rules() {
        assert!("CVD".parse::<ReferencePrefix>().is_ok());
        assert!("PSIRT2".parse::<ReferencePrefix>().is_ok());
        for bad in ["", "cvd", "2CVD", "C-D", "ABCDEFGHIJKLMNOPQ"] {
            assert!(bad.parse::<ReferencePrefix>().is_err(), "{bad} accepted");
        }
    }
}
