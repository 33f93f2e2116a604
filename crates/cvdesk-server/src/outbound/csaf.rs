//! A published write-up as a CSAF 2.0 security advisory from the finder's side: publisher
//! category `discoverer`, one vendor, product and tested version per leaf of the product
//! tree (the fixed version beside them), the CVSS score from the desk's own calculator (a
//! v4.0 vector as CSAF 2.0 carries one: a reference and a note), and the vendor's fix or
//! the lack of one as the remediation.

use cvdesk_formats::cpe::Cpe;
use cvdesk_formats::csaf::{
    self, Branch, BranchCategory, CsafDocument, Document, Engine, FullProductName, Generator, Note,
    NoteCategory, ProductIdentificationHelper, ProductStatus, ProductTree, Publisher,
    PublisherCategory, Reference, ReferenceCategory, Remediation, RemediationCategory, Revision,
    Score, Tracking, TrackingStatus, Vulnerability,
};
use cvdesk_formats::cvss::Cvss;
use cvdesk_formats::cvss_json::CvssJson;
use cvdesk_formats::tlp::Tlp;
use time::OffsetDateTime;

use super::publish::Writeup;

/// Who publishes, and where the document and its page are.
pub struct Issuer<'a> {
    pub name: &'a str,
    /// The publisher's namespace: the desk's public URL.
    pub namespace: &'a str,
    pub contact: Option<&'a str>,
    pub html_url: &'a str,
    pub csaf_url: &'a str,
}

fn note(category: NoteCategory, title: &str, text: &str) -> Note {
    Note {
        category,
        text: text.to_owned(),
        title: Some(title.to_owned()),
    }
}

/// One version of the vendor's product. Its identification helper is a CPE name built from
/// the vendor, product and version as written: a case records no package URL, and CSAF
/// wants every product identifiable by more than its name.
fn leaf(writeup: &Writeup, version: &str, id: String) -> Branch {
    let cpe = Cpe::application(&writeup.vendor, &writeup.product, version);
    Branch {
        branches: Vec::new(),
        category: BranchCategory::ProductVersion,
        name: version.to_owned(),
        product: Some(FullProductName {
            name: format!("{} {} {version}", writeup.vendor, writeup.product),
            product_id: id,
            product_identification_helper: Some(ProductIdentificationHelper {
                cpe: Some(cpe.to_string()),
                purl: None,
                x_generic_uris: Vec::new(),
            }),
        }),
    }
}

/// The CSAF document of `writeup`, generated at `now` by this desk `version`.
pub fn document(
    writeup: &Writeup,
    issuer: &Issuer<'_>,
    now: OffsetDateTime,
    version: &str,
) -> CsafDocument {
    let mut leaves = Vec::new();
    let mut affected = Vec::new();
    for (index, tested) in writeup.affected_versions.iter().enumerate() {
        let id = format!("CSAFPID-{:04}", index + 1);
        leaves.push(leaf(writeup, tested, id.clone()));
        affected.push(id);
    }
    let fixed: Vec<String> = writeup
        .fixed_version
        .iter()
        .map(|fixed| {
            let id = format!("CSAFPID-{:04}", leaves.len() + 1);
            leaves.push(leaf(writeup, fixed, id.clone()));
            id
        })
        .collect();
    let mut notes = vec![note(
        NoteCategory::Description,
        "Description",
        &writeup.description,
    )];
    notes.push(note(
        NoteCategory::General,
        "Why published now",
        &writeup.reason,
    ));
    let timeline: Vec<String> = writeup
        .timeline
        .iter()
        .map(|row| format!("{}: {}", row.date, row.event))
        .collect();
    notes.push(note(
        NoteCategory::General,
        "Timeline",
        &timeline.join("\n"),
    ));
    let mut references = vec![Reference {
        category: ReferenceCategory::ItSelf,
        summary: "The write-up".to_owned(),
        url: issuer.html_url.to_owned(),
    }];
    let mut scores = Vec::new();
    if let Ok(cvss) = Cvss::parse(&writeup.cvss_vector) {
        match CvssJson::from_cvss(&cvss) {
            CvssJson::V2(object) => scores.push(Score {
                cvss_v2: Some(object),
                cvss_v3: None,
                products: affected.clone(),
            }),
            CvssJson::V3(object) => scores.push(Score {
                cvss_v2: None,
                cvss_v3: Some(object),
                products: affected.clone(),
            }),
            CvssJson::V4(_) => {
                let (reference, v4_note) = csaf::cvss_v4_carriers(&cvss);
                references.push(reference);
                notes.push(v4_note);
            }
        }
    }
    let remediations = vec![match &writeup.fixed_version {
        Some(fixed) => Remediation {
            category: RemediationCategory::VendorFix,
            details: format!("Update to version {fixed} or later."),
            product_ids: affected.clone(),
            url: None,
        },
        None => Remediation {
            category: RemediationCategory::NoneAvailable,
            details: "The vendor has released no fix.".to_owned(),
            product_ids: affected.clone(),
            url: None,
        },
    }];
    let vulnerability = Vulnerability {
        acknowledgments: Vec::new(),
        cve: writeup.cve.clone(),
        cwe: None,
        involvements: Vec::new(),
        notes: vec![note(
            NoteCategory::General,
            "Vulnerability type",
            &writeup.vulnerability_type,
        )],
        product_status: ProductStatus {
            fixed,
            known_affected: affected,
            ..ProductStatus::default()
        },
        references: Vec::new(),
        remediations,
        scores,
        threats: Vec::new(),
        title: Some(writeup.title.clone()),
    };
    let acknowledgments = writeup
        .credit
        .iter()
        .map(|name| csaf::Acknowledgment {
            names: vec![name.clone()],
            organization: None,
            summary: Some("found and reported the vulnerability".to_owned()),
            urls: Vec::new(),
        })
        .collect();
    CsafDocument {
        document: Document {
            acknowledgments,
            category: csaf::SECURITY_ADVISORY,
            csaf_version: csaf::CSAF_VERSION,
            distribution: csaf::distribution_for(Tlp::Clear),
            lang: "en".to_owned(),
            notes,
            publisher: Publisher {
                category: PublisherCategory::Discoverer,
                contact_details: issuer.contact.map(str::to_owned),
                issuing_authority: None,
                name: issuer.name.to_owned(),
                namespace: issuer.namespace.to_owned(),
            },
            references: {
                references.insert(
                    0,
                    Reference {
                        category: ReferenceCategory::ItSelf,
                        summary: "This document".to_owned(),
                        url: issuer.csaf_url.to_owned(),
                    },
                );
                references
            },
            title: writeup.title.clone(),
            tracking: Tracking {
                current_release_date: writeup.published_at.into(),
                generator: Generator {
                    date: now.into(),
                    engine: Engine {
                        name: "cvdesk".to_owned(),
                        version: version.to_owned(),
                    },
                },
                id: writeup.id.clone(),
                initial_release_date: writeup.published_at.into(),
                revision_history: vec![Revision {
                    date: writeup.published_at.into(),
                    number: "1".to_owned(),
                    summary: "Published.".to_owned(),
                }],
                status: TrackingStatus::Final,
                version: "1".to_owned(),
            },
        },
        product_tree: ProductTree {
            branches: vec![Branch {
                branches: vec![Branch {
                    branches: leaves,
                    category: BranchCategory::ProductName,
                    name: writeup.product.clone(),
                    product: None,
                }],
                category: BranchCategory::Vendor,
                name: writeup.vendor.clone(),
                product: None,
            }],
        },
        vulnerabilities: vec![vulnerability],
    }
}
