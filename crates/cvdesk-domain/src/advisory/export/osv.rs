//! The advisory as one OSV entry: its CVE IDs as aliases, the highest score of each CVSS
//! major version as severity, and each product once, with its package when the package
//! URL names an ecosystem OSV knows.

use cvdesk_formats::cvss::{Cvss, CvssVersion};
use cvdesk_formats::osv::{
    self, Affected, AffectedDatabaseSpecific, Credit, DatabaseSpecific, Event, OsvEntry, Package,
    Range, RangeType, Reference, ReferenceType, Severity, SeverityType,
};

use super::{ExportError, Publication};
use crate::advisory::content::{AdvisoryContent, AffectedProduct};
use crate::advisory::versions::{UpperBound, VersionSpec};

pub fn to_osv(publication: &Publication) -> Result<OsvEntry, ExportError> {
    let (first, latest) = publication.first_and_latest()?;
    let content = latest.content();
    let modified = match publication.withdrawn_at {
        Some(withdrawn_at) => latest.date().max(withdrawn_at),
        None => latest.date(),
    };
    let mut cwe_ids: Vec<String> = Vec::new();
    for vulnerability in &content.vulnerabilities {
        let id = vulnerability.cwe.to_string();
        if !cwe_ids.contains(&id) {
            cwe_ids.push(id);
        }
    }
    Ok(OsvEntry {
        schema_version: osv::SCHEMA_VERSION,
        id: osv::local_id(&publication.id.to_string()),
        modified: modified.into(),
        published: Some(first.date().into()),
        withdrawn: publication.withdrawn_at.map(Into::into),
        aliases: content.cve_ids().iter().map(ToString::to_string).collect(),
        summary: Some(content.title.clone()),
        details: Some(details(content)),
        severity: severity(content),
        affected: affected(publication, content),
        references: vec![
            Reference {
                kind: ReferenceType::Advisory,
                url: publication.urls.html.clone(),
            },
            Reference {
                kind: ReferenceType::Advisory,
                url: publication.urls.csaf.clone(),
            },
        ],
        credits: latest
            .credits()
            .iter()
            .map(|credit| Credit {
                name: credit.text.name.clone(),
                contact: credit.text.url.iter().cloned().collect(),
                kind: credit.role.osv(),
            })
            .collect(),
        database_specific: Some(DatabaseSpecific {
            cwe_ids,
            url: Some(publication.urls.html.clone()),
        }),
    })
}

/// OSV's `details` is Markdown: the description, then the impact, exploitability and
/// remediation under headings.
fn details(content: &AdvisoryContent) -> String {
    let mut text = content.description.clone();
    text.push_str("\n\n## Impact\n\n");
    text.push_str(&content.impact);
    if let Some(exploitability) = &content.exploitability {
        text.push_str("\n\n## Exploitability\n\n");
        text.push_str(exploitability);
    }
    text.push_str("\n\n## Remediation\n\n");
    text.push_str(&content.remediation);
    text
}

fn severity(content: &AdvisoryContent) -> Vec<Severity> {
    let kind_of = |cvss: &Cvss| match cvss.version() {
        CvssVersion::V2 => SeverityType::CvssV2,
        CvssVersion::V3_0 | CvssVersion::V3_1 => SeverityType::CvssV3,
        CvssVersion::V4_0 => SeverityType::CvssV4,
    };
    let mut highest: Vec<(SeverityType, &Cvss)> = Vec::new();
    for cvss in content.vulnerabilities.iter().flat_map(|v| &v.scores) {
        let kind = kind_of(cvss);
        match highest.iter_mut().find(|(k, _)| *k == kind) {
            Some(entry) if cvss.scores().score > entry.1.scores().score => entry.1 = cvss,
            Some(_) => {}
            None => highest.push((kind, cvss)),
        }
    }
    highest
        .into_iter()
        .map(|(kind, cvss)| Severity {
            kind,
            score: cvss.to_string(),
        })
        .collect()
}

/// Each product once (by vendor and name), with the versions every vulnerability names.
fn affected(publication: &Publication, content: &AdvisoryContent) -> Vec<Affected> {
    let mut merged: Vec<(String, AffectedProduct)> = Vec::new();
    for product in content.vulnerabilities.iter().flat_map(|v| &v.products) {
        let vendor = publication.vendor_of(product);
        match merged
            .iter_mut()
            .find(|(v, p)| *v == vendor && p.name == product.name)
        {
            Some((_, known)) => {
                for spec in &product.affected {
                    if !known.affected.contains(spec) {
                        known.affected.push(spec.clone());
                    }
                }
                for version in &product.fixed {
                    if !known.fixed.contains(version) {
                        known.fixed.push(version.clone());
                    }
                }
            }
            None => merged.push((vendor, product.clone())),
        }
    }
    merged
        .into_iter()
        .map(|(vendor, product)| affected_product(vendor, &product))
        .collect()
}

fn affected_product(vendor: String, product: &AffectedProduct) -> Affected {
    let exact: Vec<String> = product
        .affected
        .iter()
        .filter_map(|spec| match spec {
            VersionSpec::Exact(version) => Some(version.clone()),
            VersionSpec::Range { .. } => None,
        })
        .collect();
    let package = product.purl.as_ref().and_then(|purl| {
        osv::ecosystem_for_purl_type(purl.purl_type()).map(|ecosystem| Package {
            ecosystem,
            name: purl.osv_name(),
            purl: Some(purl.without_version()),
        })
    });
    match package {
        Some(package) => Affected {
            package: Some(package),
            ranges: product
                .affected
                .iter()
                .filter_map(|spec| match spec {
                    VersionSpec::Range { from, upper } => Some(Range {
                        kind: RangeType::Ecosystem,
                        events: vec![
                            Event::Introduced(from.clone().unwrap_or_else(|| "0".to_owned())),
                            match upper {
                                UpperBound::Below(version) => Event::Fixed(version.clone()),
                                UpperBound::UpTo(version) => Event::LastAffected(version.clone()),
                            },
                        ],
                    }),
                    VersionSpec::Exact(_) => None,
                })
                .collect(),
            versions: exact,
            database_specific: None,
        },
        // Without an ecosystem OSV cannot read ranges; they are kept in words.
        None => Affected {
            package: None,
            ranges: Vec::new(),
            versions: exact,
            database_specific: Some(AffectedDatabaseSpecific {
                vendor,
                product: product.name.clone(),
                affected_ranges: product
                    .affected
                    .iter()
                    .filter(|spec| matches!(spec, VersionSpec::Range { .. }))
                    .map(ToString::to_string)
                    .collect(),
                fixed_in: product.fixed.clone(),
            }),
        },
    }
}
