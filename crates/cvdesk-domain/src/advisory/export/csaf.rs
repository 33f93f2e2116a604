//! The advisory as a CSAF 2.0 security advisory.
//!
//! The product tree holds one leaf per vendor, product and version (or version range),
//! numbered `CSAFPID-0001`, … in order of first mention and shared by every vulnerability
//! that names it. Each CVE ID becomes its own CSAF vulnerability (CSAF allows one CVE per
//! vulnerability). Scores go only to affected products, remediations to every affected
//! product, as CSAF's recommended tests ask. The coordinated vendors' products join the
//! tree under their vendor, in the product status their approved statements give, with an
//! involvement and a note per vendor (see `vendors`).

use time::OffsetDateTime;

use cvdesk_formats::cpe::Cpe;
use cvdesk_formats::csaf::{
    self, Acknowledgment, Branch, BranchCategory, CsafDocument, Cwe, Document, Engine,
    FullProductName, Generator, Note, NoteCategory, ProductIdentificationHelper, ProductStatus,
    ProductTree, Publisher, PublisherCategory, Reference, ReferenceCategory, Remediation,
    RemediationCategory, Revision as CsafRevision, Score, Threat, ThreatCategory, Tracking,
    TrackingStatus, Vulnerability as CsafVulnerability,
};
use cvdesk_formats::cve_id::CveId;
use cvdesk_formats::cvss::CvssVersion;
use cvdesk_formats::cvss_json::CvssJson;
use cvdesk_formats::cwe;
use cvdesk_formats::timestamp::Timestamp;

use super::{vendors, ExportError, Publication};
use crate::advisory::content::{AdvisoryContent, AffectedProduct, Vulnerability};
use crate::advisory::credit::PublishedCredit;
use crate::advisory::versions::VersionSpec;
use crate::coordination::{Affectedness, VendorPosition};

/// The range of a vendor's product stated without a version: every version (`vers`).
const ALL_VERSIONS: &str = "vers:all/*";

/// The CSAF document of the advisory's latest revision. `generated_at` dates the
/// generator entry; `engine_version` names the desk's version.
pub fn to_csaf(
    publication: &Publication,
    generated_at: OffsetDateTime,
    engine_version: &str,
) -> Result<CsafDocument, ExportError> {
    let (first, latest) = publication.first_and_latest()?;
    let content = latest.content();
    let mut tree = TreeBuilder::default();
    let mut vulnerabilities = Vec::new();
    for vulnerability in &content.vulnerabilities {
        let statuses = vulnerability
            .products
            .iter()
            .map(|product| tree.add(&publication.vendor_of(product), product))
            .collect::<Vec<_>>();
        let cves: Vec<Option<CveId>> = if vulnerability.cves.is_empty() {
            vec![None]
        } else {
            vulnerability.cves.iter().copied().map(Some).collect()
        };
        for cve in cves {
            let vendor_ids = tree.add_vendors(&content.vendors, cve);
            vulnerabilities.push(vulnerability_of(
                content,
                vulnerability,
                &statuses,
                vendor_ids,
                cve,
            ));
        }
    }
    let mut notes = vec![
        note(NoteCategory::Summary, "Summary", &content.summary),
        note(
            NoteCategory::Description,
            "Description",
            &content.description,
        ),
        note(NoteCategory::General, "Impact", &content.impact),
    ];
    if let Some(exploitability) = &content.exploitability {
        notes.push(note(
            NoteCategory::General,
            "Exploitability",
            exploitability,
        ));
    }
    notes.push(note(
        NoteCategory::General,
        "Remediation",
        &content.remediation,
    ));
    if let Some(withdrawn_at) = publication.withdrawn_at {
        let text = format!(
            "This advisory was withdrawn on {}. Do not rely on it.",
            Timestamp::from(withdrawn_at)
        );
        notes.push(note(NoteCategory::General, "Withdrawn", &text));
    }
    let document = Document {
        acknowledgments: latest.credits().iter().map(acknowledgment).collect(),
        category: csaf::SECURITY_ADVISORY,
        csaf_version: csaf::CSAF_VERSION,
        distribution: csaf::distribution_for(content.tlp),
        lang: "en".to_owned(),
        notes,
        publisher: Publisher {
            category: PublisherCategory::Vendor,
            contact_details: publication.publisher.contact.clone(),
            issuing_authority: None,
            name: publication.publisher.name.clone(),
            namespace: publication.publisher.namespace.clone(),
        },
        references: vec![
            Reference {
                category: ReferenceCategory::ItSelf,
                summary: "This document".to_owned(),
                url: publication.urls.csaf.clone(),
            },
            Reference {
                category: ReferenceCategory::ItSelf,
                summary: "The advisory's web page".to_owned(),
                url: publication.urls.html.clone(),
            },
        ],
        title: content.title.clone(),
        tracking: Tracking {
            current_release_date: latest.date().into(),
            generator: Generator {
                date: generated_at.into(),
                engine: Engine {
                    name: "cvdesk".to_owned(),
                    version: engine_version.to_owned(),
                },
            },
            id: publication.id.to_string(),
            initial_release_date: first.date().into(),
            revision_history: publication
                .history
                .revisions()
                .iter()
                .map(|revision| CsafRevision {
                    date: revision.date().into(),
                    number: revision.number().to_string(),
                    summary: revision.summary().to_owned(),
                })
                .collect(),
            status: TrackingStatus::Final,
            version: latest.number().to_string(),
        },
    };
    Ok(CsafDocument {
        document,
        product_tree: tree.finish(),
        vulnerabilities,
    })
}

fn note(category: NoteCategory, title: &str, text: &str) -> Note {
    Note {
        category,
        text: text.to_owned(),
        title: Some(title.to_owned()),
    }
}

fn acknowledgment(credit: &PublishedCredit) -> Acknowledgment {
    Acknowledgment {
        names: vec![credit.text.name.clone()],
        organization: credit.text.organization.clone(),
        summary: Some(credit.role.label().to_owned()),
        urls: credit.text.url.iter().cloned().collect(),
    }
}

/// The product ids one product contributes to a vulnerability.
struct ProductIds {
    affected: Vec<String>,
    fixed: Vec<String>,
}

/// The product ids the vendors' statuses give one vulnerability.
#[derive(Default)]
struct VendorProductIds {
    /// Each vendor with its affected products, for the remediation that names it.
    affected: Vec<(String, Vec<String>)>,
    not_affected: Vec<String>,
    fixed: Vec<String>,
    /// Each vendor with the products it is still looking into, likewise.
    under_investigation: Vec<(String, Vec<String>)>,
}

type StatusList = fn(&mut ProductStatus) -> &mut Vec<String>;

/// Adds `ids` to the list `pick` chooses, leaving out those some list has already: a
/// product stands in one state only (test 6.1.6), once. Answers the ids added.
fn join(status: &mut ProductStatus, pick: StatusList, ids: Vec<String>) -> Vec<String> {
    let mut joined = Vec::new();
    for id in ids {
        let known = [
            &status.fixed,
            &status.known_affected,
            &status.known_not_affected,
            &status.under_investigation,
        ]
        .iter()
        .any(|list| list.contains(&id));
        if !known {
            pick(status).push(id.clone());
            joined.push(id);
        }
    }
    joined
}

fn vulnerability_of(
    content: &AdvisoryContent,
    vulnerability: &Vulnerability,
    statuses: &[ProductIds],
    vendor_ids: VendorProductIds,
    cve: Option<CveId>,
) -> CsafVulnerability {
    let mut product_status = ProductStatus {
        fixed: statuses.iter().flat_map(|s| s.fixed.clone()).collect(),
        known_affected: statuses.iter().flat_map(|s| s.affected.clone()).collect(),
        ..ProductStatus::default()
    };
    let affected = product_status.known_affected.clone();
    // Affected and investigated products each need a remediation (test 6.2.2).
    let mut vendor_remediations = Vec::new();
    for (vendor, ids) in vendor_ids.affected {
        let joined = join(&mut product_status, |s| &mut s.known_affected, ids);
        if !joined.is_empty() {
            vendor_remediations.push(vendors::no_fix_remediation(&vendor, joined, false));
        }
    }
    for (vendor, ids) in vendor_ids.under_investigation {
        let joined = join(&mut product_status, |s| &mut s.under_investigation, ids);
        if !joined.is_empty() {
            vendor_remediations.push(vendors::no_fix_remediation(&vendor, joined, true));
        }
    }
    join(
        &mut product_status,
        |s| &mut s.known_not_affected,
        vendor_ids.not_affected,
    );
    join(&mut product_status, |s| &mut s.fixed, vendor_ids.fixed);
    let weakness = cwe::lookup(vulnerability.cwe);
    let mut notes = vec![note(
        NoteCategory::Description,
        "Vulnerability",
        &match (&vulnerability.title, weakness) {
            (Some(title), _) => title.clone(),
            (None, Some(weakness)) => format!("{}: {}", vulnerability.cwe, weakness.name),
            (None, None) => vulnerability.cwe.to_string(),
        },
    )];
    let mut references = Vec::new();
    let mut cvss_v2 = None;
    let mut cvss_v3 = None;
    for cvss in &vulnerability.scores {
        match CvssJson::from_cvss(cvss) {
            CvssJson::V2(object) => cvss_v2 = Some(object),
            // One v3 object per product (test 6.1.7): v3.1 wins over v3.0.
            CvssJson::V3(object) if cvss.version() == CvssVersion::V3_1 || cvss_v3.is_none() => {
                cvss_v3 = Some(object)
            }
            CvssJson::V3(_) => {}
            CvssJson::V4(_) => {
                let (reference, v4_note) = csaf::cvss_v4_carriers(cvss);
                references.push(reference);
                notes.push(v4_note);
            }
        }
    }
    let scores = if cvss_v2.is_some() || cvss_v3.is_some() {
        vec![Score {
            cvss_v2,
            cvss_v3,
            products: product_status.known_affected.clone(),
        }]
    } else {
        Vec::new()
    };
    let remediation_text = vulnerability
        .remediation
        .as_ref()
        .unwrap_or(&content.remediation);
    let with_fix: Vec<String> = vulnerability
        .products
        .iter()
        .zip(statuses)
        .filter(|(product, _)| !product.fixed.is_empty())
        .flat_map(|(_, ids)| ids.affected.clone())
        .collect();
    let without_fix: Vec<String> = vulnerability
        .products
        .iter()
        .zip(statuses)
        .filter(|(product, _)| product.fixed.is_empty())
        .flat_map(|(_, ids)| ids.affected.clone())
        .collect();
    let mut remediations = Vec::new();
    for (category, product_ids) in [
        (RemediationCategory::VendorFix, with_fix),
        (RemediationCategory::Mitigation, without_fix),
    ] {
        if !product_ids.is_empty() {
            remediations.push(Remediation {
                category,
                details: remediation_text.clone(),
                product_ids,
                url: None,
            });
        }
    }
    remediations.extend(vendor_remediations);
    if let Some(workaround) = &vulnerability.workaround {
        remediations.push(Remediation {
            category: RemediationCategory::Workaround,
            details: workaround.clone(),
            product_ids: affected.clone(),
            url: None,
        });
    }
    let mut threats = vec![Threat {
        category: ThreatCategory::Impact,
        details: content.impact.clone(),
        product_ids: affected.clone(),
    }];
    if let Some(exploitability) = &content.exploitability {
        threats.push(Threat {
            category: ThreatCategory::ExploitStatus,
            details: exploitability.clone(),
            product_ids: affected.clone(),
        });
    }
    CsafVulnerability {
        acknowledgments: Vec::new(),
        cve: cve.map(|id| id.to_string()),
        cwe: weakness.map(|weakness| Cwe {
            id: weakness.id.to_string(),
            name: weakness.name.to_owned(),
        }),
        involvements: vendors::involvements(&content.vendors, cve),
        notes: {
            notes.extend(vendors::statement_notes(&content.vendors, cve));
            notes
        },
        product_status,
        references,
        remediations,
        scores,
        threats,
        title: vulnerability.title.clone(),
    }
}

/// One leaf of the tree: a version or a range of one product.
struct Leaf {
    category: BranchCategory,
    name: String,
    product: FullProductName,
}

/// A product's name and its leaves.
type ProductLeaves = (String, Vec<Leaf>);

/// vendor → product → leaves, in order of first mention.
#[derive(Default)]
struct TreeBuilder {
    vendors: Vec<(String, Vec<ProductLeaves>)>,
    next_id: u32,
}

impl TreeBuilder {
    fn add(&mut self, vendor: &str, product: &AffectedProduct) -> ProductIds {
        let affected = product
            .affected
            .iter()
            .map(|spec| match spec {
                VersionSpec::Exact(version) => {
                    self.leaf(vendor, product, BranchCategory::ProductVersion, version)
                }
                range => self.leaf(
                    vendor,
                    product,
                    BranchCategory::ProductVersionRange,
                    &range.vers(),
                ),
            })
            .collect();
        let fixed = product
            .fixed
            .iter()
            .map(|version| self.leaf(vendor, product, BranchCategory::ProductVersion, version))
            .collect();
        ProductIds { affected, fixed }
    }

    /// The leaves of each product the vendors stated about `cve`, by the state stated.
    fn add_vendors(&mut self, vendors: &[VendorPosition], cve: Option<CveId>) -> VendorProductIds {
        let mut ids = VendorProductIds::default();
        for position in vendors {
            let mut affected = Vec::new();
            let mut investigated = Vec::new();
            for status in position.statuses_for(cve) {
                let version = match status.status {
                    Affectedness::NotChecked => continue,
                    Affectedness::Fixed => status.fixed_version.as_deref(),
                    _ => None,
                };
                let id = self.vendor_leaf(&position.vendor, &status.product, version);
                match status.status {
                    Affectedness::Affected => affected.push(id),
                    Affectedness::NotAffected => ids.not_affected.push(id),
                    Affectedness::Fixed => ids.fixed.push(id),
                    Affectedness::UnderInvestigation => investigated.push(id),
                    Affectedness::NotChecked => {}
                }
            }
            if !affected.is_empty() {
                ids.affected.push((position.vendor.clone(), affected));
            }
            if !investigated.is_empty() {
                ids.under_investigation
                    .push((position.vendor.clone(), investigated));
            }
        }
        ids
    }

    /// A vendor's product at `version`, or in every version when none is named; its CPE
    /// is built from the names (any version when none is named).
    fn vendor_leaf(&mut self, vendor: &str, product: &str, version: Option<&str>) -> String {
        let (category, name, shown) = match version {
            Some(version) => (
                BranchCategory::ProductVersion,
                version,
                format!("{vendor} {product} {version}"),
            ),
            None => (
                BranchCategory::ProductVersionRange,
                ALL_VERSIONS,
                format!("{vendor} {product} (all versions)"),
            ),
        };
        let cpe = Cpe::application(vendor, product, version.unwrap_or_default());
        self.find_or_add(vendor, product, category, name, |product_id| {
            FullProductName {
                name: shown,
                product_id,
                product_identification_helper: Some(ProductIdentificationHelper {
                    cpe: Some(cpe.to_string()),
                    purl: None,
                    x_generic_uris: Vec::new(),
                }),
            }
        })
    }

    /// The id of a leaf, made the first time it is asked for.
    fn leaf(
        &mut self,
        vendor: &str,
        product: &AffectedProduct,
        category: BranchCategory,
        name: &str,
    ) -> String {
        let version = (category == BranchCategory::ProductVersion).then_some(name);
        let shown = match category {
            BranchCategory::ProductVersionRange => product
                .affected
                .iter()
                .find(|spec| spec.vers() == name)
                .map_or_else(|| name.to_owned(), ToString::to_string),
            _ => name.to_owned(),
        };
        self.find_or_add(vendor, &product.name, category, name, |product_id| {
            FullProductName {
                name: format!("{vendor} {} {shown}", product.name),
                product_id,
                product_identification_helper: helper(product, version),
            }
        })
    }

    /// The id of the leaf `name` of `vendor`'s `product`; `make` names a new one.
    fn find_or_add(
        &mut self,
        vendor: &str,
        product: &str,
        category: BranchCategory,
        name: &str,
        make: impl FnOnce(String) -> FullProductName,
    ) -> String {
        let vendor_index = match self.vendors.iter().position(|(v, _)| v == vendor) {
            Some(index) => index,
            None => {
                self.vendors.push((vendor.to_owned(), Vec::new()));
                self.vendors.len() - 1
            }
        };
        let products = &mut self.vendors[vendor_index].1;
        let product_index = match products.iter().position(|(p, _)| p == product) {
            Some(index) => index,
            None => {
                products.push((product.to_owned(), Vec::new()));
                products.len() - 1
            }
        };
        let leaves = &mut products[product_index].1;
        if let Some(leaf) = leaves
            .iter()
            .find(|leaf| leaf.category == category && leaf.name == name)
        {
            return leaf.product.product_id.clone();
        }
        self.next_id += 1;
        let product_id = format!("CSAFPID-{:04}", self.next_id);
        leaves.push(Leaf {
            category,
            name: name.to_owned(),
            product: make(product_id.clone()),
        });
        product_id
    }

    fn finish(self) -> ProductTree {
        let branches = self
            .vendors
            .into_iter()
            .map(|(vendor, products)| Branch {
                branches: products
                    .into_iter()
                    .map(|(name, leaves)| Branch {
                        branches: leaves
                            .into_iter()
                            .map(|leaf| Branch {
                                branches: Vec::new(),
                                category: leaf.category,
                                name: leaf.name,
                                product: Some(leaf.product),
                            })
                            .collect(),
                        category: BranchCategory::ProductName,
                        name,
                        product: None,
                    })
                    .collect(),
                category: BranchCategory::Vendor,
                name: vendor,
                product: None,
            })
            .collect();
        ProductTree { branches }
    }
}

/// The product's package URL (with the leaf's version when it has none and the version
/// needs no escaping) and CPE, when known.
fn helper(product: &AffectedProduct, version: Option<&str>) -> Option<ProductIdentificationHelper> {
    let purl = product.purl.as_ref().map(|purl| match version {
        Some(version)
            if purl.version().is_none()
                && version
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_~".contains(c)) =>
        {
            format!("{}@{version}", purl.without_version())
        }
        _ if purl.version().is_some() && version.is_none() => purl.without_version(),
        _ => purl.to_string(),
    });
    let cpe = product.cpe.as_ref().map(ToString::to_string);
    (purl.is_some() || cpe.is_some()).then(|| ProductIdentificationHelper {
        cpe,
        purl,
        x_generic_uris: Vec::new(),
    })
}
