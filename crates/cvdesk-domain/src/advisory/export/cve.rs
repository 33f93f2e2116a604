//! One CVE ID of the advisory as a CVE JSON 5.2 CNA container, and as a whole record. The
//! coordinated vendors' products follow the advisory's own in `affected`.

use cvdesk_formats::cve_id::CveId;
use cvdesk_formats::cve_record::{
    Affected, CnaContainer, Credit, CveMetadata, CveRecord, Description, Metric, ProblemType,
    ProblemTypeDescription, ProviderMetadata, Reference, ReferenceTag, TimelineEntry, Version,
    VersionStatus,
};
use cvdesk_formats::cwe;

use super::{vendors, CnaIdentity, ExportError, Publication};
use crate::advisory::content::{AffectedProduct, Vulnerability};
use crate::advisory::versions::{UpperBound, VersionSpec};

/// The CNA container for `cve`, from the vulnerability of the latest revision that names it.
pub fn to_cve(publication: &Publication, cve: CveId) -> Result<CnaContainer, ExportError> {
    let cna = cna_of(publication)?;
    let (first, latest) = publication.first_and_latest()?;
    let content = latest.content();
    let vulnerability = content
        .vulnerabilities
        .iter()
        .find(|vulnerability| vulnerability.cves.contains(&cve))
        .ok_or(ExportError::UnknownCve(cve))?;
    let description = match cwe::lookup(vulnerability.cwe) {
        Some(weakness) => format!("{} {}", weakness.id, weakness.name),
        None => vulnerability.cwe.to_string(),
    };
    Ok(CnaContainer {
        provider_metadata: ProviderMetadata {
            org_id: cna.org_id.clone(),
            short_name: cna.short_name.clone(),
            date_updated: Some(latest.date().into()),
        },
        title: Some(
            vulnerability
                .title
                .clone()
                .unwrap_or_else(|| content.title.clone()),
        ),
        date_public: Some(first.date().into()),
        descriptions: vec![Description::english(content.description.clone())],
        affected: vulnerability
            .products
            .iter()
            .map(|product| affected(&publication.vendor_of(product), product))
            .chain(vendors::cve_affected(&content.vendors, cve))
            .collect(),
        problem_types: vec![ProblemType {
            descriptions: vec![ProblemTypeDescription {
                lang: "en".to_owned(),
                description,
                cwe_id: Some(vulnerability.cwe.to_string()),
                kind: "CWE",
            }],
        }],
        references: vec![
            Reference {
                url: publication.urls.html.clone(),
                name: Some(publication.id.to_string()),
                tags: vec![ReferenceTag::VendorAdvisory],
            },
            Reference {
                url: publication.urls.csaf.clone(),
                name: Some(format!("{} (CSAF)", publication.id)),
                tags: vec![ReferenceTag::VendorAdvisory],
            },
        ],
        metrics: vulnerability.scores.iter().map(Metric::from_cvss).collect(),
        solutions: vec![Description::english(remediation(
            vulnerability,
            &content.remediation,
        ))],
        workarounds: vulnerability
            .workaround
            .iter()
            .map(|text| Description::english(text.clone()))
            .collect(),
        timeline: publication
            .history
            .revisions()
            .iter()
            .map(|revision| TimelineEntry {
                time: revision.date().into(),
                lang: "en".to_owned(),
                value: format!(
                    "Advisory {} revision {}: {}",
                    publication.id,
                    revision.number(),
                    revision.summary()
                ),
            })
            .collect(),
        credits: latest
            .credits()
            .iter()
            .map(|credit| Credit {
                lang: "en".to_owned(),
                value: credit.display(),
                kind: credit.role.cve(),
            })
            .collect(),
    })
}

/// The whole published record for `cve`, as the CVE List would show it.
pub fn to_cve_record(publication: &Publication, cve: CveId) -> Result<CveRecord, ExportError> {
    let container = to_cve(publication, cve)?;
    let cna = cna_of(publication)?;
    let (first, latest) = publication.first_and_latest()?;
    let metadata = CveMetadata {
        cve_id: cve,
        assigner_org_id: cna.org_id.clone(),
        assigner_short_name: cna.short_name.clone(),
        state: "PUBLISHED",
        date_published: Some(first.date().into()),
        date_updated: Some(latest.date().into()),
    };
    Ok(CveRecord::published(metadata, container))
}

fn cna_of<'a>(publication: &Publication<'a>) -> Result<&'a CnaIdentity, ExportError> {
    publication
        .publisher
        .cna
        .as_ref()
        .ok_or(ExportError::NotACna)
}

fn remediation(vulnerability: &Vulnerability, advisory_remediation: &str) -> String {
    vulnerability
        .remediation
        .clone()
        .unwrap_or_else(|| advisory_remediation.to_owned())
}

/// A product's versions: affected versions and ranges, and fixed versions as unaffected.
/// Versions not named are of unknown status.
fn affected(vendor: &str, product: &AffectedProduct) -> Affected {
    let mut versions: Vec<Version> = product
        .affected
        .iter()
        .map(|spec| match spec {
            VersionSpec::Exact(version) => {
                Version::single(version.clone(), VersionStatus::Affected)
            }
            VersionSpec::Range { from, upper } => {
                let (less_than, less_than_or_equal) = match upper {
                    UpperBound::Below(version) => (Some(version.clone()), None),
                    UpperBound::UpTo(version) => (None, Some(version.clone())),
                };
                Version {
                    version: from.clone().unwrap_or_else(|| "0".to_owned()),
                    status: VersionStatus::Affected,
                    version_type: Some("custom".to_owned()),
                    less_than,
                    less_than_or_equal,
                }
            }
        })
        .collect();
    versions.extend(
        product
            .fixed
            .iter()
            .map(|version| Version::single(version.clone(), VersionStatus::Unaffected)),
    );
    Affected {
        vendor: vendor.to_owned(),
        product: product.name.clone(),
        package_url: product.purl.as_ref().map(|purl| purl.without_version()),
        cpes: product.cpe.iter().map(ToString::to_string).collect(),
        default_status: VersionStatus::Unknown,
        versions,
    }
}
