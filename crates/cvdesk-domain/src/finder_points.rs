//! Finder points (ETSI clause 5.5.3): an optional way to acknowledge finders by the outcome
//! of triage. Off by default; when an admin turns it on, each outcome earns the points of
//! the table they set, valid reports weighted by their severity rating, and the hall of
//! fame shows each credited finder's total.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ReportState;

/// The most points (and, negated, the fewest) one outcome may earn.
pub const POINTS_LIMIT: i64 = 1000;

/// Points per triage outcome. A report still waiting for triage earns nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointsTable {
    /// Valid (triaged, assigned or remediated), by the report's CVSS rating.
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    /// Valid without a severity, or rated none.
    pub unrated: i64,
    pub informative: i64,
    pub duplicate: i64,
    pub not_applicable: i64,
}

impl Default for PointsTable {
    fn default() -> Self {
        PointsTable {
            critical: 50,
            high: 30,
            medium: 15,
            low: 5,
            unrated: 5,
            informative: 2,
            duplicate: 1,
            not_applicable: 0,
        }
    }
}

/// The outcomes of the table: field name and what it means, in the order shown.
pub const OUTCOMES: [(&str, &str); 8] = [
    ("critical", "Valid, rated critical"),
    ("high", "Valid, rated high"),
    ("medium", "Valid, rated medium"),
    ("low", "Valid, rated low"),
    ("unrated", "Valid, without a severity or rated none"),
    ("informative", "Closed as informative"),
    ("duplicate", "Closed as a duplicate"),
    ("not_applicable", "Closed as not applicable"),
];

impl PointsTable {
    /// The points of one outcome, by its field name in `OUTCOMES`.
    pub fn get(&self, outcome: &str) -> Option<i64> {
        Some(match outcome {
            "critical" => self.critical,
            "high" => self.high,
            "medium" => self.medium,
            "low" => self.low,
            "unrated" => self.unrated,
            "informative" => self.informative,
            "duplicate" => self.duplicate,
            "not_applicable" => self.not_applicable,
            _ => return None,
        })
    }

    fn slot(&mut self, outcome: &str) -> Option<&mut i64> {
        Some(match outcome {
            "critical" => &mut self.critical,
            "high" => &mut self.high,
            "medium" => &mut self.medium,
            "low" => &mut self.low,
            "unrated" => &mut self.unrated,
            "informative" => &mut self.informative,
            "duplicate" => &mut self.duplicate,
            "not_applicable" => &mut self.not_applicable,
            _ => return None,
        })
    }

    /// What one report earns: `rating` is its CVSS rating as stored (`critical`, `high`, …).
    pub fn points(&self, state: ReportState, rating: Option<&str>) -> i64 {
        match state {
            ReportState::New => 0,
            ReportState::Triaged | ReportState::Assigned | ReportState::Remediated => {
                match rating {
                    Some("critical") => self.critical,
                    Some("high") => self.high,
                    Some("medium") => self.medium,
                    Some("low") => self.low,
                    _ => self.unrated,
                }
            }
            ReportState::Informative => self.informative,
            ReportState::Duplicate => self.duplicate,
            ReportState::NotApplicable => self.not_applicable,
        }
    }

    /// A finder's total over the outcomes of their reports.
    pub fn total<'a>(
        &self,
        outcomes: impl IntoIterator<Item = (ReportState, Option<&'a str>)>,
    ) -> i64 {
        outcomes
            .into_iter()
            .map(|(state, rating)| self.points(state, rating))
            .sum()
    }
}

/// The admin's setting: whether points are given, and how many per outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinderPoints {
    pub enabled: bool,
    pub table: PointsTable,
}

impl FinderPoints {
    /// The table when points are on.
    pub fn active(&self) -> Option<&PointsTable> {
        self.enabled.then_some(&self.table)
    }

    /// The setting from what an admin typed: `enabled` and one text per outcome of
    /// `OUTCOMES`. Refused with a message per field (keyed by outcome) otherwise; an
    /// outcome left out keeps its default.
    pub fn parse(
        enabled: bool,
        typed: &BTreeMap<String, String>,
    ) -> Result<FinderPoints, BTreeMap<String, String>> {
        let mut table = PointsTable::default();
        let mut errors = BTreeMap::new();
        for (name, value) in typed {
            let Some(slot) = table.slot(name) else {
                errors.insert(
                    name.clone(),
                    format!(
                        "'{name}' is not an outcome; the outcomes are {}",
                        OUTCOMES.map(|(n, _)| n).join(", ")
                    ),
                );
                continue;
            };
            match parse_points(name, value) {
                Ok(points) => *slot = points,
                Err(message) => {
                    errors.insert(name.clone(), message);
                }
            }
        }
        if errors.is_empty() {
            Ok(FinderPoints { enabled, table })
        } else {
            Err(errors)
        }
    }
}

fn parse_points(outcome: &str, value: &str) -> Result<i64, String> {
    let label = OUTCOMES
        .iter()
        .find(|(name, _)| *name == outcome)
        .map_or(outcome, |(_, label)| label);
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("give the points for '{label}' (0 for none)"));
    }
    match value.parse::<i64>() {
        Ok(points) if points.abs() <= POINTS_LIMIT => Ok(points),
        Ok(_) => Err(format!(
            "the points for '{label}' must be from -{POINTS_LIMIT} to {POINTS_LIMIT}"
        )),
        Err(_) => Err(format!(
            "the points for '{label}' must be a whole number, not '{value}'"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn off_by_default() {
        assert!(FinderPoints::default().active().is_none());
    }

    #[test]
    fn each_outcome_earns_its_points() {
        let table = PointsTable::default();
        assert_eq!(table.points(ReportState::New, Some("critical")), 0);
        assert_eq!(table.points(ReportState::Remediated, Some("critical")), 50);
        assert_eq!(table.points(ReportState::Triaged, Some("high")), 30);
        assert_eq!(table.points(ReportState::Assigned, Some("medium")), 15);
        assert_eq!(table.points(ReportState::Remediated, Some("low")), 5);
        assert_eq!(table.points(ReportState::Remediated, Some("none")), 5);
        assert_eq!(table.points(ReportState::Remediated, None), 5);
        assert_eq!(table.points(ReportState::Informative, Some("high")), 2);
        assert_eq!(table.points(ReportState::Duplicate, Some("critical")), 1);
        assert_eq!(table.points(ReportState::NotApplicable, None), 0);
        let total = table.total([
            (ReportState::Remediated, Some("critical")),
            (ReportState::Duplicate, None),
            (ReportState::New, Some("high")),
        ]);
        assert_eq!(total, 51);
    }

    #[test]
    fn typed_values_become_the_table() {
        let points = FinderPoints::parse(
            true,
            &typed(&[("critical", " 100 "), ("not_applicable", "-5")]),
        )
        .expect("valid");
        assert_eq!(points.table.critical, 100);
        assert_eq!(points.table.not_applicable, -5);
        assert_eq!(points.table.high, 30);
        assert_eq!(points.active().map(|t| t.critical), Some(100));
    }

    #[test]
    fn malformed_values_are_named() {
        let errors = FinderPoints::parse(
            true,
            &typed(&[
                ("critical", "lots"),
                ("high", "1001"),
                ("low", ""),
                ("bogus", "1"),
            ]),
        )
        .expect_err("invalid");
        assert_eq!(
            errors["critical"],
            "the points for 'Valid, rated critical' must be a whole number, not 'lots'"
        );
        assert_eq!(
            errors["high"],
            "the points for 'Valid, rated high' must be from -1000 to 1000"
        );
        assert_eq!(
            errors["low"],
            "give the points for 'Valid, rated low' (0 for none)"
        );
        assert!(errors["bogus"].starts_with("'bogus' is not an outcome"));
    }

    #[test]
    fn the_stored_form_reads_back() {
        let points = FinderPoints {
            enabled: true,
            table: PointsTable {
                critical: 7,
                ..PointsTable::default()
            },
        };
        let json = serde_json::to_string(&points).expect("serialises");
        let back: FinderPoints = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, points);
    }
}
