//! The machine-readable forms of a published advisory: a CSAF 2.0 document, a CVE JSON 5.2
//! CNA container (and record) per CVE ID, an OSV entry, and an Atom feed entry. Each is
//! built from the revision history alone, with the time passed in, so the same history
//! always gives the same documents.

mod atom;
mod csaf;
mod cve;
mod osv;
mod vendors;

pub use atom::atom_entry;
pub use csaf::to_csaf;
pub use cve::{to_cve, to_cve_record};
pub use osv::to_osv;

use time::OffsetDateTime;

use cvdesk_formats::cve_id::CveId;
use cvdesk_formats::cve_record::CveOrgId;

use super::content::AffectedProduct;
use super::id::AdvisoryId;
use super::revision::{Revision, RevisionHistory};

/// The organization that publishes the advisories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherProfile {
    pub name: String,
    /// The organization's web address, e.g. `https://example.com` (CSAF's namespace).
    pub namespace: String,
    /// How to reach the security team, e.g. `security@example.com`.
    pub contact: Option<String>,
    /// Set when the organization is a CVE Numbering Authority.
    pub cna: Option<CnaIdentity>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CnaIdentity {
    pub org_id: CveOrgId,
    pub short_name: Option<String>,
}

/// Where the advisory is published; both absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryUrls {
    /// The public page.
    pub html: String,
    /// The CSAF document, ending in its §5.1 file name.
    pub csaf: String,
}

/// A published advisory, as every export reads it.
#[derive(Debug, Clone, Copy)]
pub struct Publication<'a> {
    pub id: &'a AdvisoryId,
    pub history: &'a RevisionHistory,
    pub publisher: &'a PublisherProfile,
    pub urls: &'a AdvisoryUrls,
    /// When the advisory was withdrawn, if it was.
    pub withdrawn_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the advisory has not been published")]
    NotPublished,
    #[error("the advisory does not name {0}")]
    UnknownCve(CveId),
    #[error(
        "CVE records are written only by a CVE Numbering Authority; no CNA organization id is set"
    )]
    NotACna,
}

impl<'a> Publication<'a> {
    fn first_and_latest(&self) -> Result<(&'a Revision, &'a Revision), ExportError> {
        match (self.history.first(), self.history.latest()) {
            (Some(first), Some(latest)) => Ok((first, latest)),
            _ => Err(ExportError::NotPublished),
        }
    }

    /// The vendor of a product: its own, or the publisher's for the desk's products.
    fn vendor_of(&self, product: &AffectedProduct) -> String {
        product
            .vendor
            .clone()
            .unwrap_or_else(|| self.publisher.name.clone())
    }
}
