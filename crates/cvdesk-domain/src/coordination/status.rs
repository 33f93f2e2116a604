//! The affectedness axis: per vulnerability and per product, what a participant says of
//! itself. `not_checked` is where everyone starts and stays until they answer; it is never
//! read as "not affected".

use std::fmt;
use std::str::FromStr;

use cvdesk_formats::cve_id::CveId;
use serde::{Deserialize, Serialize};

use crate::outbound::form::{text, FormErrors};

/// Longest product name a participant may give.
pub const PRODUCT_MAX_CHARS: usize = 100;
/// Longest statement; it becomes a note in the advisory's documents.
pub const STATEMENT_MAX_CHARS: usize = 4_000;
/// Longest version text.
pub const VERSION_MAX_CHARS: usize = 100;
/// Most references one status carries.
pub const MAX_REFERENCES: usize = 10;
/// Longest reference URL.
const REFERENCE_MAX_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Affectedness {
    NotChecked,
    UnderInvestigation,
    Affected,
    NotAffected,
    /// Fixed, in the version the status names.
    Fixed,
}

impl Affectedness {
    pub const ALL: [Affectedness; 5] = [
        Affectedness::NotChecked,
        Affectedness::UnderInvestigation,
        Affectedness::Affected,
        Affectedness::NotAffected,
        Affectedness::Fixed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Affectedness::NotChecked => "not_checked",
            Affectedness::UnderInvestigation => "under_investigation",
            Affectedness::Affected => "affected",
            Affectedness::NotAffected => "not_affected",
            Affectedness::Fixed => "fixed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Affectedness::NotChecked => "Not checked",
            Affectedness::UnderInvestigation => "Under investigation",
            Affectedness::Affected => "Affected",
            Affectedness::NotAffected => "Not affected",
            Affectedness::Fixed => "Fixed",
        }
    }
}

impl FromStr for Affectedness {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Affectedness::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "'{}' is not a status (not_checked, under_investigation, affected, \
                     not_affected, fixed)",
                    text.chars().take(40).collect::<String>()
                )
            })
    }
}

impl fmt::Display for Affectedness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status as a participant sends it; every field may be missing or wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusInput {
    pub product: Option<String>,
    pub status: Option<String>,
    pub statement: Option<String>,
    /// The version that fixes it; required with `fixed`, refused otherwise.
    pub fixed_version: Option<String>,
    pub references: Vec<String>,
    /// The CVE ID the status is about; none means the report's vulnerability as a whole.
    pub vulnerability: Option<String>,
}

/// One checked status of one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductStatus {
    pub vulnerability: Option<CveId>,
    pub product: String,
    pub status: Affectedness,
    pub fixed_version: Option<String>,
    pub statement: Option<String>,
    pub references: Vec<String>,
}

impl ProductStatus {
    /// Checks `input`, naming every refused field.
    pub fn parse(input: &StatusInput) -> Result<ProductStatus, FormErrors> {
        let mut errors = FormErrors::default();
        let product = text(
            &mut errors,
            "product",
            input.product.as_deref(),
            PRODUCT_MAX_CHARS,
            false,
        );
        if product.is_none() && errors.get("product").is_none() {
            errors.add("product", "name the product the status is about");
        }
        let status = match input.status.as_deref().map(str::trim) {
            None | Some("") => {
                errors.add("status", "required");
                None
            }
            Some(status) => match status.parse::<Affectedness>() {
                Ok(status) => Some(status),
                Err(message) => {
                    errors.add("status", message);
                    None
                }
            },
        };
        let statement = text(
            &mut errors,
            "statement",
            input.statement.as_deref(),
            STATEMENT_MAX_CHARS,
            true,
        );
        let fixed_version = text(
            &mut errors,
            "fixed_version",
            input.fixed_version.as_deref(),
            VERSION_MAX_CHARS,
            false,
        );
        match (status, &fixed_version) {
            (Some(Affectedness::Fixed), None) if errors.get("fixed_version").is_none() => {
                errors.add("fixed_version", "say which version fixes it")
            }
            (Some(status), Some(_)) if status != Affectedness::Fixed => errors.add(
                "fixed_version",
                "a fixed version goes only with the status fixed",
            ),
            _ => {}
        }
        let references = references(&mut errors, &input.references);
        let vulnerability = match input.vulnerability.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => match text.parse::<CveId>() {
                Ok(cve) => Some(cve),
                Err(error) => {
                    errors.add("vulnerability", error.to_string());
                    None
                }
            },
        };
        match (product, status) {
            (Some(product), Some(status)) if errors.is_empty() => Ok(ProductStatus {
                vulnerability,
                product,
                status,
                fixed_version,
                statement,
                references,
            }),
            _ => Err(errors),
        }
    }

    /// What the status is about: the same product for the same vulnerability replaces it.
    pub fn key(&self) -> (Option<CveId>, &str) {
        (self.vulnerability, &self.product)
    }

    /// "Fixed in 2.4.1", "Affected", for pages and mail.
    pub fn summary(&self) -> String {
        match (&self.status, &self.fixed_version) {
            (Affectedness::Fixed, Some(version)) => format!("Fixed in {version}"),
            (status, _) => status.label().to_owned(),
        }
    }
}

fn references(errors: &mut FormErrors, given: &[String]) -> Vec<String> {
    if given.len() > MAX_REFERENCES {
        errors.add("references", format!("at most {MAX_REFERENCES} references"));
        return Vec::new();
    }
    let mut checked = Vec::new();
    for reference in given.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        let is_web_address = reference.starts_with("https://")
            && reference.chars().count() <= REFERENCE_MAX_CHARS
            && url::Url::parse(reference).is_ok_and(|url| url.host().is_some());
        if !is_web_address {
            errors.add(
                "references",
                format!(
                    "'{}' is not an https address of at most {REFERENCE_MAX_CHARS} characters",
                    reference.chars().take(60).collect::<String>()
                ),
            );
            return Vec::new();
        }
        if !checked.iter().any(|known: &String| known == reference) {
            checked.push(reference.to_owned());
        }
    }
    checked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(product: &str, status: &str) -> StatusInput {
        StatusInput {
            product: Some(product.into()),
            status: Some(status.into()),
            ..StatusInput::default()
        }
    }

    #[test]
    fn every_status_with_what_it_needs() {
        for status in Affectedness::ALL {
            let mut given = input("Router X", status.as_str());
            if status == Affectedness::Fixed {
                given.fixed_version = Some("2.4.1".into());
            }
            let parsed = ProductStatus::parse(&given).expect("valid");
            assert_eq!(parsed.status, status);
            assert_eq!(parsed.key(), (None, "Router X"));
        }
        let fixed = ProductStatus::parse(&StatusInput {
            fixed_version: Some("2.4.1".into()),
            statement: Some("Upgrade.\nThen restart.".into()),
            references: vec!["https://vendor.example/psirt/1".into()],
            vulnerability: Some("CVE-2027-1234".into()),
            ..input("Router X", "fixed")
        })
        .expect("valid");
        assert_eq!(fixed.summary(), "Fixed in 2.4.1");
        assert_eq!(
            fixed.vulnerability.map(|c| c.to_string()).as_deref(),
            Some("CVE-2027-1234")
        );
    }

    #[test]
    fn each_refusal_names_its_field() {
        let table: [(StatusInput, &str, &str); 9] = [
            (StatusInput::default(), "product", "name the product"),
            (StatusInput::default(), "status", "required"),
            (input("R", "unknown"), "status", "is not a status"),
            (input("R", "Affected"), "status", "is not a status"),
            (input("R", "fixed"), "fixed_version", "which version"),
            (
                StatusInput {
                    fixed_version: Some("2.0".into()),
                    ..input("R", "affected")
                },
                "fixed_version",
                "only with the status fixed",
            ),
            (
                StatusInput {
                    references: vec!["http://vendor.example/x".into()],
                    ..input("R", "affected")
                },
                "references",
                "not an https address",
            ),
            (
                StatusInput {
                    vulnerability: Some("CVE-27-1".into()),
                    ..input("R", "affected")
                },
                "vulnerability",
                "not a CVE ID",
            ),
            (
                input(&"p".repeat(101), "affected"),
                "product",
                "at most 100",
            ),
        ];
        for (given, field, message) in table {
            let errors = ProductStatus::parse(&given).expect_err("refused");
            assert!(
                errors.get(field).is_some_and(|m| m.contains(message)),
                "{given:?}: {errors:?}"
            );
        }
    }

    #[test]
    fn a_statement_may_span_lines_but_a_product_may_not() {
        let errors = ProductStatus::parse(&input("Router\nX", "affected")).expect_err("refused");
        assert!(errors.get("product").is_some());
        let errors = ProductStatus::parse(&StatusInput {
            statement: Some("nul\0".into()),
            ..input("R", "affected")
        })
        .expect_err("refused");
        assert!(errors.get("statement").is_some());
    }
}
