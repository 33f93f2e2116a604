//! Outbound case ids: `{PREFIX}-OUT-{YEAR}-{SEQ}`, a sequence of at least four digits that
//! restarts every year and has no gaps, with the desk's reference prefix. The store
//! allocates the sequence; this module owns the shape.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::reference::ReferencePrefix;

/// A case's id, e.g. `CVD-OUT-2026-0001`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaseId {
    pub prefix: ReferencePrefix,
    pub year: i32,
    pub sequence: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a case id (expected e.g. CVD-OUT-2026-0001)")]
pub struct CaseIdError(String);

impl CaseId {
    pub fn new(prefix: ReferencePrefix, year: i32, sequence: u32) -> Self {
        CaseId {
            prefix,
            year,
            sequence,
        }
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-OUT-{}-{:04}", self.prefix, self.year, self.sequence)
    }
}

impl Serialize for CaseId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl FromStr for CaseId {
    type Err = CaseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || CaseIdError(s.chars().take(40).collect());
        let mut parts = s.split('-');
        let (Some(prefix), Some("OUT"), Some(year), Some(sequence), None) = (
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
            || (sequence.len() > 4 && sequence.starts_with('0'))
        {
            return Err(malformed());
        }
        let sequence: u32 = sequence.parse().map_err(|_| malformed())?;
        if sequence == 0 {
            return Err(malformed());
        }
        Ok(CaseId {
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
    fn prints_and_parses_with_at_least_four_digits() {
        let id = CaseId::new(ReferencePrefix::default(), 2026, 7);
        assert_eq!(id.to_string(), "CVD-OUT-2026-0007");
        for text in ["CVD-OUT-2026-0001", "IMP-OUT-2026-12345"] {
            let id: CaseId = text.parse().expect("valid case id");
            assert_eq!(id.to_string(), text);
        }
    }

    #[test]
    fn refuses_malformed_ids() {
        for text in [
            "",
            "CVD-2026-0001",
            "CVD-SA-2026-0001",
            "CVD-OUT-2026-001",
            "CVD-OUT-2026-0000",
            "CVD-OUT-2026-00001",
            "cvd-OUT-2026-0001",
            "CVD-out-2026-0001",
            "CVD-OUT-2026-0001-2",
        ] {
            assert!(text.parse::<CaseId>().is_err(), "{text} accepted");
        }
    }
}
