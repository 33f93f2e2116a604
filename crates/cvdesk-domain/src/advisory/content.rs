//! What an advisory says (ETSI clause 5.5.4): title, summary, description, impact,
//! exploitability, remediation or mitigation, the TLP label, the reports it answers, and
//! per vulnerability its CWE, CVSS scores, CVE IDs, products with affected and fixed
//! versions, remediation and workaround. Credits live beside the content, with the
//! finder's consent (`credit`).
//!
//! `AdvisoryContent::parse` turns the form or API body into typed content, or into one
//! message per field, keyed by its path (`vulnerabilities[0].products[1].affected[0]`).
//! The limits keep every text inside every format the desk writes (CVE JSON allows 4096
//! characters per description, 256 per title).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use cvdesk_formats::cpe::Cpe;
use cvdesk_formats::cve_id::CveId;
use cvdesk_formats::cvss::{Cvss, CvssVersion};
use cvdesk_formats::cwe::{self, CweId};
use cvdesk_formats::purl::Purl;
use cvdesk_formats::tlp::Tlp;

use super::versions::{parse_version, VersionSpec};
use crate::coordination::VendorPosition;
use crate::reference::Reference;
use crate::staff::ProductId;

pub const TITLE_MAX_CHARS: usize = 200;
pub const SUMMARY_MAX_CHARS: usize = 1_000;
pub const LONG_TEXT_MAX_CHARS: usize = 4_000;
pub const PRODUCT_NAME_MAX_CHARS: usize = 100;
pub const MAX_VULNERABILITIES: usize = 50;
pub const MAX_PRODUCTS: usize = 50;
pub const MAX_VERSIONS: usize = 100;
pub const MAX_CVES: usize = 10;
pub const MAX_REPORTS: usize = 100;

/// The advisory as typed in; every field may be missing or wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdvisoryInput {
    pub title: String,
    pub summary: String,
    pub description: String,
    pub impact: String,
    pub exploitability: Option<String>,
    pub remediation: String,
    pub tlp: String,
    pub reports: Vec<String>,
    pub vulnerabilities: Vec<VulnerabilityInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VulnerabilityInput {
    pub title: Option<String>,
    pub cwe: String,
    pub severity: SeverityInput,
    pub cves: Vec<String>,
    pub products: Vec<ProductInput>,
    pub remediation: Option<String>,
    pub workaround: Option<String>,
}

/// One CVSS vector, or several of different versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SeverityInput {
    One(String),
    Many(Vec<String>),
}

impl Default for SeverityInput {
    fn default() -> Self {
        SeverityInput::Many(Vec::new())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductInput {
    /// A product of the desk's inventory…
    #[serde(default, deserialize_with = "cvdesk_formats::json_number::optional_id")]
    pub product_id: Option<i64>,
    /// …or any other product, by name.
    pub name: Option<String>,
    pub vendor: Option<String>,
    pub purl: Option<String>,
    pub cpe: Option<String>,
    pub affected: Vec<String>,
    pub fixed: Vec<String>,
}

/// An advisory's content that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisoryContent {
    pub title: String,
    pub summary: String,
    pub description: String,
    pub impact: String,
    pub exploitability: Option<String>,
    pub remediation: String,
    pub tlp: Tlp,
    pub reports: Vec<Reference>,
    pub vulnerabilities: Vec<Vulnerability>,
    /// What the vendors coordinated on the reports said, as the coordinator approved it:
    /// taken from the coordination when a revision is published, so each revision keeps
    /// what was known then. The working copy has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vendors: Vec<VendorPosition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vulnerability {
    pub title: Option<String>,
    pub cwe: CweId,
    /// At most one vector per CVSS version, in the order given.
    pub scores: Vec<Cvss>,
    pub cves: Vec<CveId>,
    pub products: Vec<AffectedProduct>,
    pub remediation: Option<String>,
    pub workaround: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedProduct {
    /// Set when the product is one of the desk's own inventory.
    pub product_id: Option<ProductId>,
    pub name: String,
    /// `None` means the publishing organization's own product.
    pub vendor: Option<String>,
    pub purl: Option<Purl>,
    pub cpe: Option<Cpe>,
    pub affected: Vec<VersionSpec>,
    pub fixed: Vec<String>,
}

/// One message per field that broke a rule, keyed by the field's path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdvisoryFieldErrors(BTreeMap<String, String>);

impl AdvisoryFieldErrors {
    /// Keeps the first message for a field.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(field, message)| (field.as_str(), message.as_str()))
    }
}

/// Checks a text field: trimmed, `\r\n` made `\n`, no other control characters than line
/// breaks and tabs (none at all when `single_line`), at most `max` characters.
fn text(
    errors: &mut AdvisoryFieldErrors,
    field: &str,
    value: &str,
    max: usize,
    single_line: bool,
) -> Option<String> {
    let value = value.replace("\r\n", "\n");
    let value = value.trim();
    let forbidden = |c: char| c.is_control() && (single_line || !matches!(c, '\n' | '\t'));
    if value.chars().any(forbidden) {
        let what = if single_line {
            "one line of text"
        } else {
            "text without control characters"
        };
        errors.add(field, format!("must be {what}"));
        return None;
    }
    if value.chars().count() > max {
        errors.add(field, format!("at most {max} characters"));
        return None;
    }
    Some(value.to_owned())
}

fn required(
    errors: &mut AdvisoryFieldErrors,
    field: &str,
    value: &str,
    max: usize,
    single_line: bool,
) -> String {
    let checked = text(errors, field, value, max, single_line).unwrap_or_default();
    if checked.is_empty() && errors.get(field).is_none() {
        errors.add(field, "required");
    }
    checked
}

fn optional(
    errors: &mut AdvisoryFieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    value
        .and_then(|value| text(errors, field, value, max, false))
        .filter(|value| !value.is_empty())
}

impl AdvisoryContent {
    /// Parses the input. `product_name` gives the name of a product of the desk's
    /// inventory, or `None` when there is no such product.
    pub fn parse(
        input: &AdvisoryInput,
        product_name: &dyn Fn(ProductId) -> Option<String>,
    ) -> Result<AdvisoryContent, AdvisoryFieldErrors> {
        let mut errors = AdvisoryFieldErrors::default();
        let e = &mut errors;
        let title = required(e, "title", &input.title, TITLE_MAX_CHARS, true);
        let summary = required(e, "summary", &input.summary, SUMMARY_MAX_CHARS, false);
        let description = required(
            e,
            "description",
            &input.description,
            LONG_TEXT_MAX_CHARS,
            false,
        );
        let impact = required(e, "impact", &input.impact, LONG_TEXT_MAX_CHARS, false);
        let exploitability = optional(
            e,
            "exploitability",
            input.exploitability.as_deref(),
            LONG_TEXT_MAX_CHARS,
        );
        let remediation = required(
            e,
            "remediation",
            &input.remediation,
            LONG_TEXT_MAX_CHARS,
            false,
        );
        let tlp = match input.tlp.trim().parse::<Tlp>() {
            Ok(tlp) => Some(tlp),
            Err(error) => {
                e.add("tlp", error.to_string());
                None
            }
        };
        let reports = parse_reports(e, &input.reports);
        if input.vulnerabilities.is_empty() {
            e.add(
                "vulnerabilities",
                "an advisory describes at least one vulnerability",
            );
        } else if input.vulnerabilities.len() > MAX_VULNERABILITIES {
            e.add(
                "vulnerabilities",
                format!("at most {MAX_VULNERABILITIES} vulnerabilities"),
            );
        }
        let mut seen_cves = BTreeSet::new();
        let vulnerabilities: Vec<Vulnerability> = input
            .vulnerabilities
            .iter()
            .take(MAX_VULNERABILITIES)
            .enumerate()
            .filter_map(|(index, vulnerability)| {
                parse_vulnerability(
                    e,
                    &format!("vulnerabilities[{index}]"),
                    vulnerability,
                    &mut seen_cves,
                    product_name,
                )
            })
            .collect();
        match tlp {
            Some(tlp) if errors.is_empty() => Ok(AdvisoryContent {
                title,
                summary,
                description,
                impact,
                exploitability,
                remediation,
                tlp,
                reports,
                vulnerabilities,
                vendors: Vec::new(),
            }),
            _ => Err(errors),
        }
    }

    /// Every CVE ID the advisory names, in order of appearance.
    pub fn cve_ids(&self) -> Vec<CveId> {
        self.vulnerabilities
            .iter()
            .flat_map(|vulnerability| vulnerability.cves.iter().copied())
            .collect()
    }

    /// The desk's own products the advisory names, which decide which teams may see it.
    pub fn inventory_products(&self) -> BTreeSet<ProductId> {
        self.vulnerabilities
            .iter()
            .flat_map(|vulnerability| &vulnerability.products)
            .filter_map(|product| product.product_id)
            .collect()
    }

    /// The content as a person would type it, for the editor and the API: parsing it
    /// again gives the same content (a product of the inventory by its id).
    pub fn to_input(&self) -> AdvisoryInput {
        AdvisoryInput {
            title: self.title.clone(),
            summary: self.summary.clone(),
            description: self.description.clone(),
            impact: self.impact.clone(),
            exploitability: self.exploitability.clone(),
            remediation: self.remediation.clone(),
            tlp: self.tlp.as_str().to_owned(),
            reports: self.reports.iter().map(ToString::to_string).collect(),
            vulnerabilities: self
                .vulnerabilities
                .iter()
                .map(|vulnerability| VulnerabilityInput {
                    title: vulnerability.title.clone(),
                    cwe: vulnerability.cwe.to_string(),
                    severity: SeverityInput::Many(
                        vulnerability
                            .scores
                            .iter()
                            .map(ToString::to_string)
                            .collect(),
                    ),
                    cves: vulnerability.cves.iter().map(ToString::to_string).collect(),
                    products: vulnerability
                        .products
                        .iter()
                        .map(|product| ProductInput {
                            product_id: product.product_id.map(|id| id.0),
                            name: product.product_id.is_none().then(|| product.name.clone()),
                            vendor: product.vendor.clone(),
                            purl: product.purl.as_ref().map(ToString::to_string),
                            cpe: product.cpe.as_ref().map(ToString::to_string),
                            affected: product.affected.iter().map(ToString::to_string).collect(),
                            fixed: product.fixed.clone(),
                        })
                        .collect(),
                    remediation: vulnerability.remediation.clone(),
                    workaround: vulnerability.workaround.clone(),
                })
                .collect(),
        }
    }
}

fn parse_reports(errors: &mut AdvisoryFieldErrors, reports: &[String]) -> Vec<Reference> {
    if reports.len() > MAX_REPORTS {
        errors.add("reports", format!("at most {MAX_REPORTS} reports"));
        return Vec::new();
    }
    let mut parsed: Vec<Reference> = Vec::new();
    for (index, report) in reports.iter().enumerate() {
        let field = format!("reports[{index}]");
        match report.trim().parse::<Reference>() {
            Ok(reference) if parsed.contains(&reference) => {
                errors.add(field, format!("{reference} is listed twice"))
            }
            Ok(reference) => parsed.push(reference),
            Err(error) => errors.add(field, error.to_string()),
        }
    }
    parsed
}

fn parse_vulnerability(
    errors: &mut AdvisoryFieldErrors,
    path: &str,
    input: &VulnerabilityInput,
    seen_cves: &mut BTreeSet<CveId>,
    product_name: &dyn Fn(ProductId) -> Option<String>,
) -> Option<Vulnerability> {
    let before = errors.0.len();
    let title = optional(
        errors,
        &format!("{path}.title"),
        input.title.as_deref(),
        TITLE_MAX_CHARS,
    )
    .filter(|title| {
        let single_line = !title.contains('\n') && !title.contains('\t');
        if !single_line {
            errors.add(format!("{path}.title"), "must be one line of text");
        }
        single_line
    });
    let cwe = match cwe::parse_known(input.cwe.trim()) {
        Ok(weakness) => Some(weakness.id),
        Err(_) if input.cwe.trim().is_empty() => {
            errors.add(
                format!("{path}.cwe"),
                "required (the weakness, e.g. CWE-79)",
            );
            None
        }
        Err(error) => {
            errors.add(format!("{path}.cwe"), error.to_string());
            None
        }
    };
    let scores = parse_scores(errors, &format!("{path}.severity"), &input.severity);
    let cves = parse_cves(errors, &format!("{path}.cves"), &input.cves, seen_cves);
    let products = parse_products(
        errors,
        &format!("{path}.products"),
        &input.products,
        product_name,
    );
    let remediation = optional(
        errors,
        &format!("{path}.remediation"),
        input.remediation.as_deref(),
        LONG_TEXT_MAX_CHARS,
    );
    let workaround = optional(
        errors,
        &format!("{path}.workaround"),
        input.workaround.as_deref(),
        LONG_TEXT_MAX_CHARS,
    );
    if errors.0.len() != before {
        return None;
    }
    Some(Vulnerability {
        title,
        cwe: cwe?,
        scores,
        cves,
        products,
        remediation,
        workaround,
    })
}

fn parse_scores(errors: &mut AdvisoryFieldErrors, field: &str, input: &SeverityInput) -> Vec<Cvss> {
    let vectors: Vec<&str> = match input {
        SeverityInput::One(vector) => vec![vector.as_str()],
        SeverityInput::Many(vectors) => vectors.iter().map(String::as_str).collect(),
    };
    let vectors: Vec<&str> = vectors
        .into_iter()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if vectors.is_empty() {
        errors.add(field, "required (a CVSS vector of any version)");
        return Vec::new();
    }
    let mut scores: Vec<Cvss> = Vec::new();
    let mut versions: BTreeSet<CvssVersion> = BTreeSet::new();
    for vector in vectors {
        match Cvss::parse(vector) {
            Ok(cvss) if !versions.insert(cvss.version()) => {
                errors.add(
                    field,
                    format!(
                        "one vector per CVSS version; v{} is given twice",
                        cvss.version()
                    ),
                );
            }
            Ok(cvss) => scores.push(cvss),
            Err(error) => errors.add(field, error.to_string()),
        }
    }
    scores
}

fn parse_cves(
    errors: &mut AdvisoryFieldErrors,
    path: &str,
    input: &[String],
    seen: &mut BTreeSet<CveId>,
) -> Vec<CveId> {
    if input.len() > MAX_CVES {
        errors.add(
            path,
            format!("at most {MAX_CVES} CVE IDs per vulnerability"),
        );
        return Vec::new();
    }
    let mut cves = Vec::new();
    for (index, text) in input.iter().enumerate() {
        let field = format!("{path}[{index}]");
        match text.trim().parse::<CveId>() {
            // CSAF allows each CVE ID in one vulnerability only, and a CVE record describes
            // exactly one.
            Ok(id) if !seen.insert(id) => {
                errors.add(field, format!("{id} is named twice in this advisory"))
            }
            Ok(id) => cves.push(id),
            Err(error) => errors.add(field, error.to_string()),
        }
    }
    cves
}

fn parse_products(
    errors: &mut AdvisoryFieldErrors,
    path: &str,
    input: &[ProductInput],
    product_name: &dyn Fn(ProductId) -> Option<String>,
) -> Vec<AffectedProduct> {
    if input.is_empty() {
        errors.add(path, "name at least one affected product");
    } else if input.len() > MAX_PRODUCTS {
        errors.add(
            path,
            format!("at most {MAX_PRODUCTS} products per vulnerability"),
        );
        return Vec::new();
    }
    let mut products: Vec<AffectedProduct> = Vec::new();
    for (index, product) in input.iter().enumerate() {
        let path = format!("{path}[{index}]");
        if let Some(parsed) = parse_product(errors, &path, product, product_name) {
            if products
                .iter()
                .any(|p| p.name == parsed.name && p.vendor == parsed.vendor)
            {
                errors.add(
                    format!("{path}.name"),
                    format!("{} is listed twice", parsed.name),
                );
            } else {
                products.push(parsed);
            }
        }
    }
    products
}

fn parse_product(
    errors: &mut AdvisoryFieldErrors,
    path: &str,
    input: &ProductInput,
    product_name: &dyn Fn(ProductId) -> Option<String>,
) -> Option<AffectedProduct> {
    let before = errors.0.len();
    let typed_name = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty());
    let (product_id, name) = match (input.product_id, typed_name) {
        (Some(_), Some(_)) => {
            errors.add(
                format!("{path}.name"),
                "give either a product of the inventory or a name, not both",
            );
            (None, None)
        }
        (Some(id), None) => match product_name(ProductId(id)) {
            Some(name) => (Some(ProductId(id)), Some(name)),
            None => {
                errors.add(
                    format!("{path}.product_id"),
                    format!("no product with id {id}"),
                );
                (None, None)
            }
        },
        (None, Some(name)) => (
            None,
            text(
                errors,
                &format!("{path}.name"),
                name,
                PRODUCT_NAME_MAX_CHARS,
                true,
            ),
        ),
        (None, None) => {
            errors.add(
                format!("{path}.name"),
                "required (a product of the inventory or a name)",
            );
            (None, None)
        }
    };
    let vendor = input
        .vendor
        .as_deref()
        .and_then(|vendor| {
            text(
                errors,
                &format!("{path}.vendor"),
                vendor,
                PRODUCT_NAME_MAX_CHARS,
                true,
            )
        })
        .filter(|vendor| !vendor.is_empty());
    let purl = parse_optional::<Purl>(errors, &format!("{path}.purl"), input.purl.as_deref());
    let cpe = parse_optional::<Cpe>(errors, &format!("{path}.cpe"), input.cpe.as_deref());
    let (affected, fixed) = parse_product_versions(errors, path, input);
    if errors.0.len() != before {
        return None;
    }
    Some(AffectedProduct {
        product_id,
        name: name?,
        vendor,
        purl,
        cpe,
        affected,
        fixed,
    })
}

fn parse_optional<T: std::str::FromStr>(
    errors: &mut AdvisoryFieldErrors,
    field: &str,
    value: Option<&str>,
) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    let value = value.map(str::trim).filter(|value| !value.is_empty())?;
    value
        .parse::<T>()
        .map_err(|error| errors.add(field, error.to_string()))
        .ok()
}

fn parse_product_versions(
    errors: &mut AdvisoryFieldErrors,
    path: &str,
    input: &ProductInput,
) -> (Vec<VersionSpec>, Vec<String>) {
    let mut affected: Vec<VersionSpec> = Vec::new();
    let mut fixed: Vec<String> = Vec::new();
    if input.affected.is_empty() {
        errors.add(
            format!("{path}.affected"),
            "name the affected versions (e.g. '< 4.2.1')",
        );
    }
    if input.affected.len() > MAX_VERSIONS || input.fixed.len() > MAX_VERSIONS {
        errors.add(
            format!("{path}.affected"),
            format!("at most {MAX_VERSIONS} versions each"),
        );
        return (affected, fixed);
    }
    for (index, text) in input.affected.iter().enumerate() {
        let field = format!("{path}.affected[{index}]");
        match text.parse::<VersionSpec>() {
            Ok(spec) if affected.contains(&spec) => {
                errors.add(field, format!("'{spec}' is listed twice"))
            }
            Ok(spec) => affected.push(spec),
            Err(error) => errors.add(field, error.to_string()),
        }
    }
    for (index, text) in input.fixed.iter().enumerate() {
        let field = format!("{path}.fixed[{index}]");
        match parse_version(text.trim()) {
            Ok(version) if fixed.contains(&version) => {
                errors.add(field, format!("'{version}' is listed twice"))
            }
            Ok(version) if affected.contains(&VersionSpec::Exact(version.clone())) => {
                errors.add(field, format!("'{version}' is also listed as affected"))
            }
            Ok(version) => fixed.push(version),
            Err(error) => errors.add(field, error.to_string()),
        }
    }
    (affected, fixed)
}
