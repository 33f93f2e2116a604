//! Advisory ids: `{PREFIX}-SA-{YEAR}-{SEQ}`, a sequence of at least four digits that
//! restarts every year, with the same prefix as the desk's report references. The store
//! allocates the sequence; this module owns the shape.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::reference::ReferencePrefix;

/// An advisory's id, e.g. `CVD-SA-2026-0001`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AdvisoryId {
    pub prefix: ReferencePrefix,
    pub year: i32,
    pub sequence: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an advisory id (expected e.g. CVD-SA-2026-0001)")]
pub struct AdvisoryIdError(String);

impl AdvisoryId {
    pub fn new(prefix: ReferencePrefix, year: i32, sequence: u32) -> Self {
        AdvisoryId {
            prefix,
            year,
            sequence,
        }
    }
}

impl fmt::Display for AdvisoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-SA-{}-{:04}", self.prefix, self.year, self.sequence)
    }
}

impl Serialize for AdvisoryId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl FromStr for AdvisoryId {
    type Err = AdvisoryIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || AdvisoryIdError(s.chars().take(40).collect());
        let mut parts = s.split('-');
        let (Some(prefix), Some("SA"), Some(year), Some(sequence), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(malformed());
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4
            || !digits(year)
            || !(4..=9).contains(&sequence.len())
            || !digits(sequence)
        {
            return Err(malformed());
        }
        // Sequences of more than four digits are written without leading zeros.
        if sequence.len() > 4 && sequence.starts_with('0') {
            return Err(malformed());
        }
        let sequence: u32 = sequence.parse().map_err(|_| malformed())?;
        if sequence == 0 {
            return Err(malformed());
        }
        Ok(AdvisoryId {
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
            AdvisoryId::new(prefix.clone(), 2026, 7).to_string(),
            "CVD-SA-2026-0007"
        );
        assert_eq!(
            AdvisoryId::new(prefix, 2026, 12345).to_string(),
            "CVD-SA-2026-12345"
        );
    }

    #[test]
    fn parses_what_it_prints() {
        for text in [
            "CVD-SA-2026-0001",
            "ACME2-SA-1999-99999",
            "PSIRT-SA-2026-123456789",
        ] {
            let id: AdvisoryId = text.parse().expect("valid advisory id");
            assert_eq!(id.to_string(), text);
        }
    }

    #[test]
    fn refuses_malformed_ids() {
        for text in [
            "",
            "CVD-2026-0001",
            "CVD-SA-2026",
            "CVD-SA-2026-001",
            "CVD-SA-26-0001",
            "cvd-SA-2026-0001",
            "CVD-sa-2026-0001",
            "CVD-SA-2026-0000",
            "CVD-SA-2026-00001",
            "CVD-SA-2026-0001-1",
            "CVD-SA-2026-00x1",
            "CVD-SA-2026-1234567890",
        ] {
            assert!(text.parse::<AdvisoryId>().is_err(), "{text} accepted");
        }
    }
}
