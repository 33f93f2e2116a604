//! The CSAF 2.0 document, profile `csaf_security_advisory`, as typed values.
//!
//! Only what the profile needs is modelled, and every optional list is left out of the
//! JSON when empty, since the schema wants at least one item wherever a list appears.
//! Fields are declared in alphabetical order: CSAF recommends sorted keys (test 6.2.13)
//! and serde writes fields in declaration order.

use serde::Serialize;

use crate::cvss_json::{CvssV2Json, CvssV3Json};
use crate::timestamp::Timestamp;

/// The only CSAF version this writer produces.
pub const CSAF_VERSION: &str = "2.0";
/// The document category of a security advisory.
pub const SECURITY_ADVISORY: &str = "csaf_security_advisory";

/// A whole CSAF security advisory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsafDocument {
    pub document: Document,
    pub product_tree: ProductTree,
    pub vulnerabilities: Vec<Vulnerability>,
}

/// `/document`: what the advisory is, who wrote it and its history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acknowledgments: Vec<Acknowledgment>,
    /// Always [`SECURITY_ADVISORY`].
    pub category: &'static str,
    /// Always [`CSAF_VERSION`].
    pub csaf_version: &'static str,
    pub distribution: Distribution,
    pub lang: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    pub publisher: Publisher,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    pub title: String,
    pub tracking: Tracking,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Publisher {
    pub category: PublisherCategory,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_details: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuing_authority: Option<String>,
    pub name: String,
    /// The publisher's web address, e.g. `https://example.com`.
    pub namespace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublisherCategory {
    Coordinator,
    Discoverer,
    Other,
    Translator,
    User,
    Vendor,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tracking {
    pub current_release_date: Timestamp,
    pub generator: Generator,
    pub id: String,
    pub initial_release_date: Timestamp,
    pub revision_history: Vec<Revision>,
    pub status: TrackingStatus,
    /// The number of the newest revision (integer versioning: "1", "2", …).
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generator {
    pub date: Timestamp,
    pub engine: Engine,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Engine {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub date: Timestamp,
    pub number: String,
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingStatus {
    Draft,
    Final,
    Interim,
}

/// `/document/distribution`. CSAF 2.0 knows only TLP 1.0 labels; see
/// [`crate::csaf::distribution_for`] for how TLP 2.0 labels are carried.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub tlp: TlpMarking,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TlpMarking {
    pub label: TlpV1Label,
    pub url: String,
}

/// The TLP 1.0 labels of the CSAF 2.0 schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TlpV1Label {
    Amber,
    Green,
    Red,
    White,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub category: NoteCategory,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteCategory {
    Description,
    Details,
    Faq,
    General,
    LegalDisclaimer,
    Other,
    Summary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    pub category: ReferenceCategory,
    pub summary: String,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceCategory {
    External,
    #[serde(rename = "self")]
    ItSelf,
}

/// A thank-you; CSAF has no role field, so a credit's role goes into `summary`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acknowledgment {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
}

/// `/product_tree`: vendor → product name → product version branches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductTree {
    pub branches: Vec<Branch>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Branch {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<Branch>,
    pub category: BranchCategory,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<FullProductName>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchCategory {
    ProductName,
    ProductVersion,
    ProductVersionRange,
    Vendor,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FullProductName {
    pub name: String,
    pub product_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_identification_helper: Option<ProductIdentificationHelper>,
}

/// How a consumer can match the product against its inventory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductIdentificationHelper {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub x_generic_uris: Vec<GenericUri>,
}

/// A product identifier in a namespace CSAF has no dedicated field for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenericUri {
    pub namespace: String,
    pub uri: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vulnerability {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acknowledgments: Vec<Acknowledgment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cve: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwe: Option<Cwe>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub involvements: Vec<Involvement>,
    pub notes: Vec<Note>,
    pub product_status: ProductStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remediations: Vec<Remediation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<Score>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub threats: Vec<Threat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cwe {
    pub id: String,
    pub name: String,
}

/// Which products are in which state; each list holds product ids from the tree.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProductStatus {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub known_affected: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub known_not_affected: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub under_investigation: Vec<String>,
}

impl ProductStatus {
    pub fn is_empty(&self) -> bool {
        self.fixed.is_empty()
            && self.known_affected.is_empty()
            && self.known_not_affected.is_empty()
            && self.under_investigation.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remediation {
    pub category: RemediationCategory,
    pub details: String,
    pub product_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationCategory {
    Mitigation,
    NoFixPlanned,
    NoneAvailable,
    VendorFix,
    Workaround,
}

/// CVSS scores for products; CSAF 2.0 has no place for CVSS v4.0 here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_v2: Option<CvssV2Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_v3: Option<CvssV3Json>,
    pub products: Vec<String>,
}

/// A party's part in handling the vulnerability (e.g. the vendor's coordination state).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Involvement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Timestamp>,
    pub party: InvolvementParty,
    pub status: InvolvementStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvolvementParty {
    Coordinator,
    Discoverer,
    Other,
    User,
    Vendor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvolvementStatus {
    Completed,
    ContactAttempted,
    Disputed,
    InProgress,
    NotContacted,
    Open,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threat {
    pub category: ThreatCategory,
    pub details: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub product_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreatCategory {
    ExploitStatus,
    Impact,
    TargetSet,
}
