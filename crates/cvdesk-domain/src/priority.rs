//! Remediation priority (clause 5.5.2: severity and impact found in triage set the
//! priority). P1 is the most urgent, P4 the least. The desk computes it from four factors
//! with a points scheme a person can redo by hand, shows the sum line by line, and lets a
//! triager override it with a reason.
//!
//! Points per factor:
//!
//! | factor             | points                                                              | unknown |
//! |--------------------|---------------------------------------------------------------------|---------|
//! | severity (CVSS score, rounded to one decimal) | none 0.0: 0, low 0.1–3.9: 1, medium 4.0–6.9: 2, high 7.0–8.9: 3, critical 9.0–10.0: 4 | 2 |
//! | asset criticality  | low 0, medium 1, high 3, critical 4                                 | 2       |
//! | exploitability     | unproven 0, proof of concept 1, functional 2, weaponized 3, exploited in the wild 4 | 2 |
//! | attack complexity  | high 0, low 2                                                       | 1       |
//!
//! An unknown factor counts as the middle of its range, so missing information neither
//! raises nor lowers the result by more than half the factor's weight. Attack complexity
//! weighs half as much as the others because the CVSS score already counts it once. The
//! severity bands are CVSS v3/v4's, applied to a score of any version.
//!
//! Total 0–14: P1 11–14, P2 8–10, P3 5–7, P4 0–4. A report about which nothing is known
//! scores 7, P3.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use cvdesk_formats::cvss::Cvss;
use serde::Serialize;

use crate::limits::MAX_REASON_CHARS;

/// How much the affected asset or product matters to the organization, judged in triage's
/// "understanding" stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    Low,
    Medium,
    High,
    Critical,
}

/// The triager's assessment of how far exploitation has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exploitability {
    Unproven,
    ProofOfConcept,
    Functional,
    Weaponized,
    ExploitedInTheWild,
}

/// Remediation priority. Sorts most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an asset criticality (expected low, medium, high or critical)")]
pub struct UnknownCriticality(pub String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an exploitability (expected unproven, proof_of_concept, functional, weaponized or exploited_in_the_wild)")]
pub struct UnknownExploitability(pub String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a priority (expected P1, P2, P3 or P4)")]
pub struct UnknownPriority(pub String);

impl Criticality {
    pub const ALL: [Criticality; 4] = [
        Criticality::Low,
        Criticality::Medium,
        Criticality::High,
        Criticality::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Low => "low",
            Criticality::Medium => "medium",
            Criticality::High => "high",
            Criticality::Critical => "critical",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Criticality::Low => "Low",
            Criticality::Medium => "Medium",
            Criticality::High => "High",
            Criticality::Critical => "Critical",
        }
    }

    fn points(self) -> u8 {
        match self {
            Criticality::Low => 0,
            Criticality::Medium => 1,
            Criticality::High => 3,
            Criticality::Critical => 4,
        }
    }
}

impl Exploitability {
    pub const ALL: [Exploitability; 5] = [
        Exploitability::Unproven,
        Exploitability::ProofOfConcept,
        Exploitability::Functional,
        Exploitability::Weaponized,
        Exploitability::ExploitedInTheWild,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Exploitability::Unproven => "unproven",
            Exploitability::ProofOfConcept => "proof_of_concept",
            Exploitability::Functional => "functional",
            Exploitability::Weaponized => "weaponized",
            Exploitability::ExploitedInTheWild => "exploited_in_the_wild",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Exploitability::Unproven => "Unproven",
            Exploitability::ProofOfConcept => "Proof of concept",
            Exploitability::Functional => "Functional exploit",
            Exploitability::Weaponized => "Weaponized",
            Exploitability::ExploitedInTheWild => "Exploited in the wild",
        }
    }

    fn points(self) -> u8 {
        match self {
            Exploitability::Unproven => 0,
            Exploitability::ProofOfConcept => 1,
            Exploitability::Functional => 2,
            Exploitability::Weaponized => 3,
            Exploitability::ExploitedInTheWild => 4,
        }
    }
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::P1 => "P1 – urgent",
            Priority::P2 => "P2 – high",
            Priority::P3 => "P3 – normal",
            Priority::P4 => "P4 – low",
        }
    }

    /// The totals that give this priority.
    pub fn points(self) -> RangeInclusive<u8> {
        match self {
            Priority::P1 => 11..=MAX_POINTS,
            Priority::P2 => 8..=10,
            Priority::P3 => 5..=7,
            Priority::P4 => 0..=4,
        }
    }

    fn of_points(points: u8) -> Priority {
        Priority::ALL
            .into_iter()
            .find(|priority| priority.points().contains(&points))
            // The bands cover 0 to the most any inputs can score; P1 is the top band.
            .unwrap_or(Priority::P1)
    }
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Criticality {
    type Err = UnknownCriticality;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Criticality::ALL
            .into_iter()
            .find(|value| value.as_str() == s)
            .ok_or_else(|| UnknownCriticality(s.to_owned()))
    }
}

impl fmt::Display for Exploitability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Exploitability {
    type Err = UnknownExploitability;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Exploitability::ALL
            .into_iter()
            .find(|value| value.as_str() == s)
            .ok_or_else(|| UnknownExploitability(s.to_owned()))
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = UnknownPriority;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::ALL
            .into_iter()
            .find(|value| value.as_str() == s)
            .ok_or_else(|| UnknownPriority(s.to_owned()))
    }
}

const MAX_POINTS: u8 = 14;

/// What triage knows; `None` is "not assessed yet".
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PriorityInputs {
    /// The CVSS score, 0.0–10.0.
    pub severity: Option<f64>,
    pub criticality: Option<Criticality>,
    pub exploitability: Option<Exploitability>,
    /// Whether exploiting needs conditions the attacker does not control; see
    /// [`attack_complexity_high`].
    pub attack_complexity_high: Option<bool>,
}

/// The computed priority with the sum that led to it, one line per factor and a total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriorityAssessment {
    pub computed: Priority,
    pub points: u8,
    pub explanation: Vec<String>,
}

impl PriorityAssessment {
    /// The priority that applies: the override when there is one, else the computed one.
    pub fn effective(&self, chosen: Option<&PriorityOverride>) -> Priority {
        chosen.map_or(self.computed, |chosen| chosen.priority)
    }
}

/// Computes the priority; see the module documentation for the scheme.
pub fn assess(inputs: &PriorityInputs) -> PriorityAssessment {
    let factors = [
        severity_factor(inputs.severity),
        known_or_middle(
            "asset criticality",
            inputs
                .criticality
                .map(|c| (c.as_str().to_owned(), c.points())),
            2,
        ),
        known_or_middle(
            "exploitability",
            inputs
                .exploitability
                .map(|e| (e.label().to_lowercase(), e.points())),
            2,
        ),
        known_or_middle(
            "attack complexity",
            inputs.attack_complexity_high.map(|high| {
                if high {
                    ("high".to_owned(), 0)
                } else {
                    ("low".to_owned(), 2)
                }
            }),
            1,
        ),
    ];
    let points: u8 = factors.iter().map(|(_, points)| points).sum();
    let computed = Priority::of_points(points);
    let band = computed.points();
    let mut explanation: Vec<String> = factors.into_iter().map(|(line, _)| line).collect();
    explanation.push(format!(
        "total {} → {} ({}–{})",
        points_words(points),
        computed,
        band.start(),
        band.end()
    ));
    PriorityAssessment {
        computed,
        points,
        explanation,
    }
}

/// The scheme in a few sentences, for the page that shows a priority.
pub fn formula() -> &'static str {
    "Priority adds up four factors. Severity, from the CVSS score: none 0, low 1, medium 2, \
     high 3, critical 4 points. Asset criticality: low 0, medium 1, high 3, critical 4. \
     Exploitability: unproven 0, proof of concept 1, functional 2, weaponized 3, exploited \
     in the wild 4. Attack complexity: high 0, low 2. A factor not yet known counts as the \
     middle of its range: 2 points, or 1 for attack complexity. Totals: 11–14 P1, 8–10 P2, \
     5–7 P3, 0–4 P4."
}

/// Whether exploiting needs conditions beyond the attacker's control, read from a CVSS
/// vector: attack complexity High (v2 also Medium), or v4 attack requirements Present.
/// Modified environmental values win over base values, since they describe this
/// deployment.
pub fn attack_complexity_high(cvss: &Cvss) -> bool {
    let metrics: Vec<(&str, &str)> = cvss.metrics().collect();
    let effective = |base: &str, modified: &str| {
        let value_of = |name: &str| {
            metrics
                .iter()
                .find(|(metric, _)| *metric == name)
                .map(|(_, value)| *value)
        };
        value_of(modified).or_else(|| value_of(base))
    };
    let complexity = effective("AC", "MAC");
    let requirements = effective("AT", "MAT");
    matches!(complexity, Some("H" | "M")) || requirements == Some("P")
}

/// A priority a person chose instead of the computed one, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriorityOverride {
    pub priority: Priority,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideRefused {
    #[error("give a reason for overriding the computed priority")]
    ReasonRequired,
    #[error("the reason is longer than 2,000 characters")]
    ReasonTooLong,
}

impl PriorityOverride {
    /// Accepts an override from a person; the reason is trimmed and must say something.
    pub fn new(priority: Priority, reason: &str) -> Result<Self, OverrideRefused> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(OverrideRefused::ReasonRequired);
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(OverrideRefused::ReasonTooLong);
        }
        Ok(PriorityOverride {
            priority,
            reason: reason.to_owned(),
        })
    }
}

fn severity_factor(score: Option<f64>) -> (String, u8) {
    let Some(score) = score.filter(|score| score.is_finite()) else {
        return unknown_line("severity", 2);
    };
    // Banded on tenths so 3.95 and 4.0 land where a person reading "4.0" expects.
    let tenths = (score.clamp(0.0, 10.0) * 10.0).round();
    let (rating, points) = match tenths {
        t if t >= 90.0 => ("critical", 4),
        t if t >= 70.0 => ("high", 3),
        t if t >= 40.0 => ("medium", 2),
        t if t >= 1.0 => ("low", 1),
        _ => ("none", 0),
    };
    (
        format!(
            "severity {:.1} ({rating}): {}",
            tenths / 10.0,
            points_words(points)
        ),
        points,
    )
}

fn known_or_middle(factor: &str, known: Option<(String, u8)>, middle: u8) -> (String, u8) {
    match known {
        Some((value, points)) => (
            format!("{factor} {value}: {}", points_words(points)),
            points,
        ),
        None => unknown_line(factor, middle),
    }
}

fn unknown_line(factor: &str, middle: u8) -> (String, u8) {
    (
        format!(
            "{factor} unknown: {} (the middle value)",
            points_words(middle)
        ),
        middle,
    )
}

fn points_words(points: u8) -> String {
    if points == 1 {
        "1 point".to_owned()
    } else {
        format!("{points} points")
    }
}

#[cfg(test)]
mod tests;
