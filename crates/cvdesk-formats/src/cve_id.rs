//! CVE identifiers: `CVE-YYYY-NNNN…`, as the CVE Program's ID syntax and the CVE JSON
//! schema (`^CVE-[0-9]{4}-[0-9]{4,19}$`) define them.
//!
//! Parsing is strict so every accepted spelling is the canonical one: upper-case `CVE`,
//! a year from 1999 (the first CVE year), and a sequence of four to nineteen digits that
//! has leading zeros only to fill four places (`CVE-2014-0001`, never `CVE-2014-00001`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::echo;

/// The first year the CVE list has identifiers for.
const FIRST_YEAR: u16 = 1999;
/// The schema allows nineteen sequence digits, which always fit in a `u64`.
const MAX_SEQUENCE_DIGITS: usize = 19;

/// A checked CVE identifier such as `CVE-2026-12345`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CveId {
    year: u16,
    sequence: u64,
}

/// Why a string is not a CVE identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CveIdError {
    #[error("'{0}' is not a CVE ID (expected e.g. CVE-2026-12345)")]
    Malformed(String),
    #[error("'{0}': CVE IDs start in {FIRST_YEAR}")]
    Year(String),
    #[error("'{0}': a CVE sequence number has leading zeros only to fill four digits")]
    LeadingZeros(String),
}

impl CveId {
    /// The identifier for `year` and `sequence`, or `None` when no CVE ID can have them.
    pub fn new(year: u16, sequence: u64) -> Option<CveId> {
        let digits = sequence.checked_ilog10().map_or(1, |log| log as usize + 1);
        let valid =
            (FIRST_YEAR..=9999).contains(&year) && sequence > 0 && digits <= MAX_SEQUENCE_DIGITS;
        valid.then_some(CveId { year, sequence })
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    pub fn sequence(&self) -> u64 {
        self.sequence
    }
}

impl fmt::Display for CveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CVE-{}-{:04}", self.year, self.sequence)
    }
}

impl FromStr for CveId {
    type Err = CveIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || CveIdError::Malformed(echo(s));
        let rest = s.strip_prefix("CVE-").ok_or_else(malformed)?;
        let (year, sequence) = rest.split_once('-').ok_or_else(malformed)?;
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4
            || !all_digits(year)
            || !(4..=MAX_SEQUENCE_DIGITS).contains(&sequence.len())
            || !all_digits(sequence)
        {
            return Err(malformed());
        }
        if sequence.len() > 4 && sequence.starts_with('0') {
            return Err(CveIdError::LeadingZeros(echo(s)));
        }
        let year: u16 = year.parse().map_err(|_| malformed())?;
        if year < FIRST_YEAR {
            return Err(CveIdError::Year(echo(s)));
        }
        let sequence: u64 = sequence.parse().map_err(|_| malformed())?;
        CveId::new(year, sequence).ok_or_else(malformed)
    }
}

impl Serialize for CveId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CveId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_prints() {
        for text in [
            "CVE-1999-0001",
            "CVE-2014-0160",
            "CVE-2026-12345",
            "CVE-2021-44228",
            "CVE-2026-1000000",
            "CVE-9999-9999999999999999999",
        ] {
            let id: CveId = text.parse().expect("valid CVE ID");
            assert_eq!(id.to_string(), text);
        }
    }

    #[test]
    fn pads_short_sequences_to_four_digits() {
        let id = CveId::new(2014, 1).expect("valid");
        assert_eq!(id.to_string(), "CVE-2014-0001");
        assert_eq!((id.year(), id.sequence()), (2014, 1));
    }

    #[test]
    fn refuses_malformed_ids() {
        for text in [
            "",
            "CVE",
            "CVE-2026",
            "CVE-2026-",
            "CVE-2026-123",
            "cve-2026-1234",
            "CVE-26-1234",
            "CVE-02026-1234",
            "CVE-2026-1234 ",
            " CVE-2026-1234",
            "CVE-2026-12a4",
            "CVE-2026-+1234",
            "CVE-2026-0000",
            "CVE-2026-1234-5",
            "CVE-2026-12345678901234567890",
            "GHSA-2026-1234",
        ] {
            assert!(
                matches!(text.parse::<CveId>(), Err(CveIdError::Malformed(_))),
                "{text:?} accepted"
            );
        }
    }

    #[test]
    fn explains_the_year_and_leading_zeros() {
        assert!(matches!(
            "CVE-1998-1234".parse::<CveId>(),
            Err(CveIdError::Year(_))
        ));
        assert!(matches!(
            "CVE-2026-01234".parse::<CveId>(),
            Err(CveIdError::LeadingZeros(_))
        ));
    }

    #[test]
    fn new_checks_its_parts() {
        assert!(CveId::new(1998, 1).is_none());
        assert!(CveId::new(2026, 0).is_none());
        assert!(CveId::new(2026, 10_000_000_000_000_000_000).is_none());
        assert!(CveId::new(2026, 9_999_999_999_999_999_999).is_some());
    }

    #[test]
    fn serde_uses_the_text() {
        let id: CveId = "CVE-2026-12345".parse().expect("valid");
        let json = serde_json::to_string(&id).expect("serialises");
        assert_eq!(json, "\"CVE-2026-12345\"");
        assert_eq!(serde_json::from_str::<CveId>(&json).expect("parses"), id);
        assert!(serde_json::from_str::<CveId>("\"CVE-2026-1\"").is_err());
    }
}
