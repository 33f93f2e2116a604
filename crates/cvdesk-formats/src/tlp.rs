//! Traffic Light Protocol 2.0 labels, spelled exactly as FIRST writes them
//! (`TLP:CLEAR`, `TLP:GREEN`, `TLP:AMBER`, `TLP:AMBER+STRICT`, `TLP:RED`).
//!
//! Parsing is strict: FIRST says the labels are written without spaces and never
//! translated, and a label that means "who may see this" must not be guessed from a near
//! miss, so lower case, TLP 1.0's `WHITE` and surrounding whitespace are all refused.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::echo;

/// A TLP 2.0 label, ordered from the widest audience to the narrowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tlp {
    /// No limit on disclosure.
    Clear,
    /// The community, but not public channels.
    Green,
    /// The recipient's organisation and its clients, on a need-to-know basis.
    Amber,
    /// The recipient's organisation only.
    AmberStrict,
    /// Named recipients only.
    Red,
}

/// Why a string is not a TLP 2.0 label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlpError {
    #[error("'{0}' is TLP 1.0; TLP 2.0 replaced TLP:WHITE with TLP:CLEAR")]
    Version1(String),
    #[error("'{0}' is not a TLP 2.0 label (expected TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED)")]
    Unknown(String),
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// Only TLP:CLEAR information may be published to everyone.
    pub fn is_public(&self) -> bool {
        *self == Tlp::Clear
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tlp {
    type Err = TlpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(tlp) = Tlp::ALL.into_iter().find(|tlp| tlp.as_str() == s) {
            return Ok(tlp);
        }
        if s == "TLP:WHITE" {
            return Err(TlpError::Version1(s.to_owned()));
        }
        Err(TlpError::Unknown(echo(s)))
    }
}

impl Serialize for Tlp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Tlp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_firsts_spelling() {
        for tlp in Tlp::ALL {
            assert_eq!(tlp.as_str().parse::<Tlp>(), Ok(tlp));
        }
        assert_eq!("TLP:AMBER+STRICT".parse::<Tlp>(), Ok(Tlp::AmberStrict));
    }

    #[test]
    fn refuses_near_misses() {
        for text in [
            "",
            "CLEAR",
            "tlp:clear",
            "TLP:Clear",
            "TLP: CLEAR",
            " TLP:CLEAR",
            "TLP:CLEAR ",
            "TLP:AMBER-STRICT",
            "TLP:AMBER+ STRICT",
            "TLP:AMBER STRICT",
            "TLP:AMBER+STRICT+",
            "TLP:REDD",
        ] {
            assert!(
                matches!(text.parse::<Tlp>(), Err(TlpError::Unknown(_))),
                "{text:?} accepted"
            );
        }
    }

    #[test]
    fn names_tlp_1_white() {
        let error = "TLP:WHITE".parse::<Tlp>().expect_err("refused");
        assert_eq!(
            error.to_string(),
            "'TLP:WHITE' is TLP 1.0; TLP 2.0 replaced TLP:WHITE with TLP:CLEAR"
        );
    }

    #[test]
    fn serde_uses_the_label() {
        let json = serde_json::to_string(&Tlp::AmberStrict).expect("serialises");
        assert_eq!(json, "\"TLP:AMBER+STRICT\"");
        assert_eq!(
            serde_json::from_str::<Tlp>(&json).expect("parses"),
            Tlp::AmberStrict
        );
        assert!(serde_json::from_str::<Tlp>("\"TLP:WHITE\"").is_err());
    }

    #[test]
    fn only_clear_is_public() {
        let public: Vec<Tlp> = Tlp::ALL.into_iter().filter(Tlp::is_public).collect();
        assert_eq!(public, [Tlp::Clear]);
    }
}
