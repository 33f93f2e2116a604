//! OSV (Open Source Vulnerability format) 1.7.5 entries.
//!
//! An organization that is not one of the databases osv.dev aggregates names its entries
//! with the `x_` prefix the format reserves for local databases ([`local_id`]). A product
//! without a package ecosystem has no `package`; its versions are listed as they are and
//! its vendor and product go into `database_specific`.

use serde::Serialize;

use crate::timestamp::Timestamp;

/// The schema version written in every entry.
pub const SCHEMA_VERSION: &str = "1.7.5";

/// The OSV id of a local database's entry, e.g. `x_CVD-SA-2026-0001`.
pub fn local_id(id: &str) -> String {
    format!("x_{id}")
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OsvEntry {
    pub schema_version: &'static str,
    pub id: String,
    pub modified: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Timestamp>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Affected>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credits: Vec<Credit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<DatabaseSpecific>,
}

/// A CVSS vector as OSV carries it: the vector string, typed by major version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Severity {
    #[serde(rename = "type")]
    pub kind: SeverityType,
    pub score: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SeverityType {
    CvssV2,
    CvssV3,
    CvssV4,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Affected {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<AffectedDatabaseSpecific>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// One of OSV's ecosystem names, e.g. `crates.io`; see [`ecosystem_for_purl_type`].
    pub ecosystem: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeType,
    /// Starts with an `introduced` event; `fixed` and `last_affected` never mix.
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RangeType {
    Ecosystem,
    Semver,
}

/// One event of a range, written as a one-key object such as `{"fixed": "4.2.1"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// Where a product without an ecosystem is named, with its ranges in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AffectedDatabaseSpecific {
    pub vendor: String,
    pub product: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub affected_ranges: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixed_in: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: ReferenceType,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ReferenceType {
    Advisory,
    Article,
    Detection,
    Discussion,
    Report,
    Fix,
    Introduced,
    Git,
    Package,
    Evidence,
    Web,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Credit {
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contact: Vec<String>,
    #[serde(rename = "type")]
    pub kind: CreditType,
}

/// The OSV credit types, the CVE ones in upper snake case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CreditType {
    Finder,
    Reporter,
    Analyst,
    Coordinator,
    RemediationDeveloper,
    RemediationReviewer,
    RemediationVerifier,
    Tool,
    Sponsor,
    Other,
}

/// What the entry adds beyond OSV's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseSpecific {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cwe_ids: Vec<String>,
    /// The human-readable advisory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The OSV ecosystem of a package URL type, for the ecosystems whose package names
/// [`crate::purl::Purl::osv_name`] knows how to write.
pub fn ecosystem_for_purl_type(purl_type: &str) -> Option<&'static str> {
    Some(match purl_type {
        "cargo" => "crates.io",
        "composer" => "Packagist",
        "gem" => "RubyGems",
        "golang" => "Go",
        "hex" => "Hex",
        "maven" => "Maven",
        "npm" => "npm",
        "nuget" => "NuGet",
        "pub" => "Pub",
        "pypi" => "PyPI",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_one_key_objects() {
        let range = Range {
            kind: RangeType::Ecosystem,
            events: vec![
                Event::Introduced("0".to_owned()),
                Event::LastAffected("4.2.0".to_owned()),
            ],
        };
        assert_eq!(
            serde_json::to_string(&range).expect("serialises"),
            r#"{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"4.2.0"}]}"#
        );
    }

    #[test]
    fn credit_and_severity_types_are_upper_snake_case() {
        let credit = Credit {
            name: "Jane".to_owned(),
            contact: vec![],
            kind: CreditType::RemediationVerifier,
        };
        assert_eq!(
            serde_json::to_string(&credit).expect("serialises"),
            r#"{"name":"Jane","type":"REMEDIATION_VERIFIER"}"#
        );
        assert_eq!(
            serde_json::to_string(&SeverityType::CvssV4).expect("serialises"),
            r#""CVSS_V4""#
        );
    }

    #[test]
    fn local_ids_use_the_x_prefix() {
        assert_eq!(local_id("CVD-SA-2026-0001"), "x_CVD-SA-2026-0001");
    }

    #[test]
    fn ecosystems_of_known_purl_types() {
        assert_eq!(ecosystem_for_purl_type("cargo"), Some("crates.io"));
        assert_eq!(ecosystem_for_purl_type("pypi"), Some("PyPI"));
        assert_eq!(ecosystem_for_purl_type("generic"), None);
    }
}
