//! CVSS vectors of versions 2.0, 3.0, 3.1 and 4.0: a strict parser, the canonical vector,
//! and the scores and severity FIRST's own calculators give.
//!
//! Choices where the standards leave room:
//! - **Grammar.** Metric names and values are case-sensitive, every base metric is
//!   mandatory, no metric may appear twice, and nothing else (no whitespace, no empty
//!   component, no trailing `/`) is accepted. v3.x vectors may list metrics in any order,
//!   as the v3 specifications allow; v4.0 vectors must follow the specification's order.
//! - **CVSS v2.0** vectors are written bare, as in FIRST's v2 guide
//!   (`AV:N/AC:L/Au:N/C:P/I:P/A:P`), in the guide's metric order (base, then temporal,
//!   then environmental metrics, each group in the guide's order). The parenthesised
//!   form some databases display and a `CVSS:2.0/` prefix are refused with a message
//!   saying so.
//! - **Not Defined.** A metric given as `X` (v2: `ND`) means the same as leaving it out,
//!   so the two parse to equal values and the canonical vector drops it. The canonical
//!   vector is therefore unique: metrics in the specification's order, Not Defined ones
//!   left out, with the `CVSS:3.x/` or `CVSS:4.0/` prefix for those versions.
//! - **Scores.** A temporal (environmental) score is reported when the vector defines at
//!   least one temporal (environmental) metric; `score` is the most specific one. CVSS v4.0
//!   has a single score, named by its nomenclature (CVSS-B, -BT, -BE or -BTE).
//! - **Severity.** v3.x and v4.0 use the specifications' rating scale (None for 0.0).
//!   v2.0 has no scale of its own; NVD's is used: Low 0.0–3.9, Medium 4.0–6.9, High
//!   7.0–10.0.

mod error;
mod syntax;
mod v2;
mod v3;
mod v4;
mod v4_macrovector;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use error::{CvssError, CvssErrorKind};
use syntax::{Grammar, Order, Values};

/// One parsed CVSS vector of any supported version.
///
/// Two vectors are equal when they say the same thing: the order metrics were written in
/// and metrics given as Not Defined make no difference.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cvss {
    version: CvssVersion,
    values: Values,
}

/// A version of the CVSS standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CvssVersion {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "3.0")]
    V3_0,
    #[serde(rename = "3.1")]
    V3_1,
    #[serde(rename = "4.0")]
    V4_0,
}

/// The scores of a vector, each from 0.0 to 10.0 in steps of 0.1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    pub base: f64,
    /// Present when a v2 or v3 vector defines a temporal metric.
    pub temporal: Option<f64>,
    /// Present when a v2 or v3 vector defines an environmental metric.
    pub environmental: Option<f64>,
    /// The most specific score the vector allows; for v4.0 its single score.
    pub score: f64,
    /// The rating of `score`.
    pub severity: Severity,
}

/// A qualitative severity rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

/// Which metric groups a CVSS v4.0 score takes into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Nomenclature {
    #[serde(rename = "CVSS-B")]
    Base,
    #[serde(rename = "CVSS-BT")]
    BaseThreat,
    #[serde(rename = "CVSS-BE")]
    BaseEnvironmental,
    #[serde(rename = "CVSS-BTE")]
    BaseThreatEnvironmental,
}

impl Cvss {
    /// Parses a vector strictly; see the module documentation for what is accepted.
    pub fn parse(input: &str) -> Result<Cvss, CvssError> {
        parse(input).map_err(CvssError::from)
    }

    pub fn version(&self) -> CvssVersion {
        self.version
    }

    pub fn scores(&self) -> Scores {
        let grammar = grammar(self.version);
        let values = &self.values;
        match self.version {
            CvssVersion::V2 => v2::scores(
                values,
                grammar.any_defined(values, v2::TEMPORAL),
                grammar.any_defined(values, v2::ENVIRONMENTAL),
            ),
            CvssVersion::V3_0 | CvssVersion::V3_1 => {
                let minor = if self.version == CvssVersion::V3_0 {
                    v3::Minor::V3_0
                } else {
                    v3::Minor::V3_1
                };
                v3::scores(
                    values,
                    minor,
                    grammar.any_defined(values, v3::TEMPORAL),
                    grammar.any_defined(values, v3::ENVIRONMENTAL),
                )
            }
            CvssVersion::V4_0 => {
                let score = v4::score(values);
                Scores {
                    base: score,
                    temporal: None,
                    environmental: None,
                    score,
                    severity: Severity::of_score(score),
                }
            }
        }
    }

    /// The nomenclature of a CVSS v4.0 score; `None` for other versions.
    pub fn nomenclature(&self) -> Option<Nomenclature> {
        if self.version != CvssVersion::V4_0 {
            return None;
        }
        let grammar = grammar(self.version);
        let threat = grammar.any_defined(&self.values, v4::THREAT);
        let environmental = grammar.any_defined(&self.values, v4::ENVIRONMENTAL);
        Some(match (threat, environmental) {
            (false, false) => Nomenclature::Base,
            (true, false) => Nomenclature::BaseThreat,
            (false, true) => Nomenclature::BaseEnvironmental,
            (true, true) => Nomenclature::BaseThreatEnvironmental,
        })
    }

    /// The metrics the vector defines, in canonical order, as (metric, value) pairs such
    /// as `("AV", "N")`.
    pub fn metrics(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        grammar(self.version).defined(&self.values)
    }
}

fn parse(input: &str) -> Result<Cvss, CvssErrorKind> {
    if input.is_empty() {
        return Err(CvssErrorKind::Empty);
    }
    if input.chars().any(char::is_whitespace) {
        return Err(CvssErrorKind::Whitespace);
    }
    if input.starts_with('(') {
        return Err(CvssErrorKind::Parenthesized);
    }
    let (head, body) = match input.split_once('/') {
        Some((head, body)) => (head, Some(body)),
        None => (input, None),
    };
    let version = match head {
        "CVSS:3.0" => CvssVersion::V3_0,
        "CVSS:3.1" => CvssVersion::V3_1,
        "CVSS:4.0" => CvssVersion::V4_0,
        _ if head
            .split(':')
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case("cvss")) =>
        {
            return Err(CvssErrorKind::UnknownPrefix(error::echo(head)));
        }
        _ => return parse_v2(input),
    };
    let values = grammar(version).parse(body)?;
    Ok(Cvss { version, values })
}

fn parse_v2(input: &str) -> Result<Cvss, CvssErrorKind> {
    match grammar(CvssVersion::V2).parse(Some(input)) {
        Ok(values) => Ok(Cvss {
            version: CvssVersion::V2,
            values,
        }),
        // A v3 or v4 vector without its prefix: say what is missing.
        Err(CvssErrorKind::UnknownMetric { metric, .. })
            if v3::METRICS
                .iter()
                .chain(v4::METRICS)
                .any(|known| known.name == metric) =>
        {
            Err(CvssErrorKind::MissingPrefix(metric))
        }
        Err(other) => Err(other),
    }
}

fn grammar(version: CvssVersion) -> &'static Grammar {
    static V2: Grammar = Grammar {
        version: CvssVersion::V2,
        metrics: v2::METRICS,
        order: Order::Fixed,
    };
    static V3_0: Grammar = Grammar {
        version: CvssVersion::V3_0,
        metrics: v3::METRICS,
        order: Order::Any,
    };
    static V3_1: Grammar = Grammar {
        version: CvssVersion::V3_1,
        metrics: v3::METRICS,
        order: Order::Any,
    };
    static V4_0: Grammar = Grammar {
        version: CvssVersion::V4_0,
        metrics: v4::METRICS,
        order: Order::Fixed,
    };
    match version {
        CvssVersion::V2 => &V2,
        CvssVersion::V3_0 => &V3_0,
        CvssVersion::V3_1 => &V3_1,
        CvssVersion::V4_0 => &V4_0,
    }
}

impl CvssVersion {
    pub fn as_str(&self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }

    /// What a vector of this version starts with; v2 vectors have no prefix.
    fn prefix(&self) -> Option<&'static str> {
        match self {
            CvssVersion::V2 => None,
            CvssVersion::V3_0 => Some("CVSS:3.0"),
            CvssVersion::V3_1 => Some("CVSS:3.1"),
            CvssVersion::V4_0 => Some("CVSS:4.0"),
        }
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The v3.x and v4.0 qualitative rating scale.
    pub(crate) fn of_score(score: f64) -> Self {
        match tenths(score) {
            0 => Severity::None,
            1..=39 => Severity::Low,
            40..=69 => Severity::Medium,
            70..=89 => Severity::High,
            _ => Severity::Critical,
        }
    }

    /// NVD's rating scale for v2.0 scores, which has no None.
    fn of_v2_score(score: f64) -> Self {
        match tenths(score) {
            ..=39 => Severity::Low,
            40..=69 => Severity::Medium,
            _ => Severity::High,
        }
    }
}

/// A score in tenths; scores are multiples of 0.1, so rounding only removes binary noise.
fn tenths(score: f64) -> i64 {
    (score * 10.0).round() as i64
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Nomenclature {
    pub fn as_str(&self) -> &'static str {
        match self {
            Nomenclature::Base => "CVSS-B",
            Nomenclature::BaseThreat => "CVSS-BT",
            Nomenclature::BaseEnvironmental => "CVSS-BE",
            Nomenclature::BaseThreatEnvironmental => "CVSS-BTE",
        }
    }
}

impl fmt::Display for Nomenclature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The canonical vector.
impl fmt::Display for Cvss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut separator = match self.version.prefix() {
            Some(prefix) => {
                f.write_str(prefix)?;
                "/"
            }
            None => "",
        };
        for (metric, value) in self.metrics() {
            write!(f, "{separator}{metric}:{value}")?;
            separator = "/";
        }
        Ok(())
    }
}

impl fmt::Debug for Cvss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cvss({self})")
    }
}

impl FromStr for Cvss {
    type Err = CvssError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cvss::parse(s)
    }
}

impl Serialize for Cvss {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cvss {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Cvss::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
