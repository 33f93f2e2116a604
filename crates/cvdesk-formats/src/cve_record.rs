//! CVE JSON 5.2: the CNA container a CNA publishes for one CVE ID (the body of CVE
//! Services' `POST /cve/{id}/cna`, see [`CnaUpload`]) and the whole published record
//! ([`CveRecord`]) as the CVE List shows it.
//!
//! Lists that the schema wants non-empty when present are left out when empty.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::cve_id::CveId;
use crate::cvss::{Cvss, CvssVersion};
use crate::cvss_json::{CvssJson, CvssV2Json, CvssV3Json, CvssV4Json};
use crate::text::echo;
use crate::timestamp::Timestamp;

/// The record format version written in `dataVersion`, as CVE Services writes it.
pub const DATA_VERSION: &str = "5.2";

/// A CNA's organization id at the CVE Program: a version 4 UUID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CveOrgId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a CVE Program organization id (a version 4 UUID, e.g. b3476cb9-2e3d-41a6-98d0-0f47421a65b6)")]
pub struct CveOrgIdError(String);

impl FromStr for CveOrgId {
    type Err = CveOrgIdError;

    /// Accepts the schema's pattern: 8-4-4-4-12 hex digits, version nibble 4, variant
    /// 8, 9, a or b. Written back in lower case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let groups: Vec<&str> = s.split('-').collect();
        let lengths_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]);
        let hex_ok = groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
        let version_ok = lengths_ok && groups[2].starts_with('4');
        let variant_ok = lengths_ok
            && groups[3]
                .chars()
                .next()
                .is_some_and(|c| matches!(c, '8' | '9' | 'a' | 'b' | 'A' | 'B'));
        if lengths_ok && hex_ok && version_ok && variant_ok {
            Ok(CveOrgId(s.to_ascii_lowercase()))
        } else {
            Err(CveOrgIdError(echo(s)))
        }
    }
}

impl fmt::Display for CveOrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for CveOrgId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// The body CVE Services takes to publish or update a CNA container.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CnaUpload {
    pub cna_container: CnaContainer,
}

/// A whole published CVE record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CveRecord {
    /// Always `CVE_RECORD`.
    pub data_type: &'static str,
    /// Always [`DATA_VERSION`].
    pub data_version: &'static str,
    pub cve_metadata: CveMetadata,
    pub containers: Containers,
}

impl CveRecord {
    pub fn published(cve_metadata: CveMetadata, cna: CnaContainer) -> CveRecord {
        CveRecord {
            data_type: "CVE_RECORD",
            data_version: DATA_VERSION,
            cve_metadata,
            containers: Containers { cna },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CveMetadata {
    pub cve_id: CveId,
    pub assigner_org_id: CveOrgId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigner_short_name: Option<String>,
    /// Always `PUBLISHED`.
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_published: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_updated: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Containers {
    pub cna: CnaContainer,
}

/// What a CNA says about one CVE ID.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CnaContainer {
    pub provider_metadata: ProviderMetadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_public: Option<Timestamp>,
    /// At least one, and one of them in English.
    pub descriptions: Vec<Description>,
    /// At least one.
    pub affected: Vec<Affected>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problem_types: Vec<ProblemType>,
    /// At least one.
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metric>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub solutions: Vec<Description>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workarounds: Vec<Description>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credits: Vec<Credit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderMetadata {
    pub org_id: CveOrgId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_updated: Option<Timestamp>,
}

/// A text in a language; at most 4096 characters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Description {
    pub lang: String,
    pub value: String,
}

impl Description {
    pub fn english(value: impl Into<String>) -> Description {
        Description {
            lang: "en".to_owned(),
            value: value.into(),
        }
    }
}

/// A product and what its versions are.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Affected {
    pub vendor: String,
    pub product: String,
    /// A package URL without a version (CVE 5.2).
    #[serde(rename = "packageURL", skip_serializing_if = "Option::is_none")]
    pub package_url: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cpes: Vec<String>,
    /// The status of every version not listed.
    pub default_status: VersionStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<Version>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionStatus {
    Affected,
    Unaffected,
    Unknown,
}

/// One version, or a range from `version` up to `less_than` (exclusive) or
/// `less_than_or_equal`. A range needs a `version_type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub version: String,
    pub status: VersionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub less_than: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub less_than_or_equal: Option<String>,
}

impl Version {
    pub fn single(version: impl Into<String>, status: VersionStatus) -> Version {
        Version {
            version: version.into(),
            status,
            version_type: None,
            less_than: None,
            less_than_or_equal: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProblemType {
    pub descriptions: Vec<ProblemTypeDescription>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProblemTypeDescription {
    pub lang: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwe_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<ReferenceTag>,
}

/// The reference tags the desk uses, from the schema's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceTag {
    Mitigation,
    Patch,
    ReleaseNotes,
    TechnicalDescription,
    VendorAdvisory,
}

/// One CVSS score. Exactly one of the score objects is set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    #[serde(rename = "cvssV2_0", skip_serializing_if = "Option::is_none")]
    pub cvss_v2_0: Option<CvssV2Json>,
    #[serde(rename = "cvssV3_0", skip_serializing_if = "Option::is_none")]
    pub cvss_v3_0: Option<CvssV3Json>,
    #[serde(rename = "cvssV3_1", skip_serializing_if = "Option::is_none")]
    pub cvss_v3_1: Option<CvssV3Json>,
    #[serde(rename = "cvssV4_0", skip_serializing_if = "Option::is_none")]
    pub cvss_v4_0: Option<CvssV4Json>,
    /// Always `CVSS`.
    pub format: &'static str,
}

impl Metric {
    /// The metric for a vector, its scores computed by the desk's own CVSS calculator.
    pub fn from_cvss(cvss: &Cvss) -> Metric {
        let mut metric = Metric {
            cvss_v2_0: None,
            cvss_v3_0: None,
            cvss_v3_1: None,
            cvss_v4_0: None,
            format: "CVSS",
        };
        match CvssJson::from_cvss(cvss) {
            CvssJson::V2(object) => metric.cvss_v2_0 = Some(object),
            CvssJson::V3(object) if cvss.version() == CvssVersion::V3_0 => {
                metric.cvss_v3_0 = Some(object)
            }
            CvssJson::V3(object) => metric.cvss_v3_1 = Some(object),
            CvssJson::V4(object) => metric.cvss_v4_0 = Some(object),
        }
        metric
    }
}

/// A dated event in the vulnerability's handling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    pub time: Timestamp,
    pub lang: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Credit {
    pub lang: String,
    pub value: String,
    #[serde(rename = "type")]
    pub kind: CreditType,
}

/// The CVE credit types (written with spaces, e.g. `remediation developer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CreditType {
    #[serde(rename = "finder")]
    Finder,
    #[serde(rename = "reporter")]
    Reporter,
    #[serde(rename = "analyst")]
    Analyst,
    #[serde(rename = "coordinator")]
    Coordinator,
    #[serde(rename = "remediation developer")]
    RemediationDeveloper,
    #[serde(rename = "remediation reviewer")]
    RemediationReviewer,
    #[serde(rename = "remediation verifier")]
    RemediationVerifier,
    #[serde(rename = "tool")]
    Tool,
    #[serde(rename = "sponsor")]
    Sponsor,
    #[serde(rename = "other")]
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_ids_are_version_4_uuids() {
        let id: CveOrgId = "B3476CB9-2E3D-41A6-98D0-0F47421A65B6"
            .parse()
            .expect("valid");
        assert_eq!(id.to_string(), "b3476cb9-2e3d-41a6-98d0-0f47421a65b6");
        for bad in [
            "",
            "b3476cb9-2e3d-31a6-98d0-0f47421a65b6",
            "b3476cb9-2e3d-41a6-c8d0-0f47421a65b6",
            "b3476cb92e3d41a698d00f47421a65b6",
            "b3476cb9-2e3d-41a6-98d0-0f47421a65bg",
            "b3476cb9-2e3d-41a6-98d0-0f47421a65b6-",
        ] {
            assert!(bad.parse::<CveOrgId>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn metrics_pick_the_object_of_the_vectors_version() {
        let metric = |vector: &str| {
            let cvss = Cvss::parse(vector).expect("valid vector");
            serde_json::to_value(Metric::from_cvss(&cvss)).expect("serialises")
        };
        let v30 = metric("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        assert_eq!(v30["cvssV3_0"]["baseScore"], 9.8);
        assert!(v30.get("cvssV3_1").is_none());
        let v31 = metric("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        assert_eq!(v31["cvssV3_1"]["version"], "3.1");
        let v2 = metric("AV:N/AC:L/Au:N/C:P/I:P/A:P");
        assert_eq!(v2["cvssV2_0"]["baseScore"], 7.5);
        let v4 = metric("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N");
        assert_eq!(v4["cvssV4_0"]["baseSeverity"], "CRITICAL");
        assert_eq!(v4["format"], "CVSS");
    }

    #[test]
    fn credit_types_use_spaces() {
        let json = serde_json::to_string(&CreditType::RemediationDeveloper).expect("serialises");
        assert_eq!(json, "\"remediation developer\"");
    }
}
