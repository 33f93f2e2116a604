//! Imports of findings, for the staff pages, the API and `cvdesk import`: read the file,
//! check every finding against the inventory and what the importer may file, preview what
//! would be stored (and what is stored already), then store the new ones in one
//! transaction with one audit entry. Nothing is stored while any problem remains.

use std::collections::{BTreeMap, BTreeSet};

use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::finding::{self, Finding, ImportProblem, ImportProblems};
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::{ReferencePrefix, TextLimits};
use cvdesk_store::{ImportOutcome, NewFindings, Store};
use time::OffsetDateTime;

use crate::error::WebError;
use crate::random;

/// The largest file one import reads.
pub const MAX_IMPORT_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Sarif,
    Csv,
}

impl ImportFormat {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "sarif" => Some(ImportFormat::Sarif),
            "csv" => Some(ImportFormat::Csv),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Sarif => "sarif",
            ImportFormat::Csv => "csv",
        }
    }
}

/// A file to import. `product` is the product of every SARIF result, and of every CSV
/// row that names none.
pub struct ImportRequest<'a> {
    pub format: ImportFormat,
    pub text: &'a str,
    pub product: Option<ProductId>,
}

/// One finding as the preview lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub origin: String,
    pub title: String,
    pub source: &'static str,
    pub product: Option<String>,
    /// Imported before: it would be left as it is.
    pub already_stored: bool,
}

/// What an import would do.
#[derive(Debug, Clone)]
pub struct Plan {
    pub findings: Vec<Finding>,
    pub rows: Vec<PreviewRow>,
    /// Results of a SARIF log that are not failures, suppressed, or repeated.
    pub left_out: usize,
}

impl Plan {
    pub fn new_count(&self) -> usize {
        self.rows.iter().filter(|row| !row.already_stored).count()
    }

    pub fn stored_count(&self) -> usize {
        self.rows.len() - self.new_count()
    }
}

/// Reads and checks the file. `may_file` says whether the importer may file findings
/// about a product (or about none).
pub async fn plan(
    store: &dyn Store,
    request: &ImportRequest<'_>,
    limits: TextLimits,
    may_file: &(dyn Fn(Option<ProductId>) -> bool + Send + Sync),
) -> Result<Plan, PlanError> {
    if request.text.len() > MAX_IMPORT_BYTES {
        return Err(PlanError::Problems(vec![ImportProblem {
            place: String::new(),
            message: format!(
                "the file has {} bytes; one import reads at most {MAX_IMPORT_BYTES}",
                request.text.len()
            ),
        }]));
    }
    let (mut findings, left_out) = match request.format {
        ImportFormat::Sarif => {
            let read = finding::from_sarif(request.text, request.product, limits)
                .map_err(PlanError::Problems)?;
            (read.findings, read.left_out)
        }
        ImportFormat::Csv => (
            finding::from_csv(request.text, limits).map_err(PlanError::Problems)?,
            0,
        ),
    };
    for finding in &mut findings {
        if finding.product.is_none() {
            finding.product = request.product;
        }
    }
    let products: BTreeMap<ProductId, String> = store
        .products()
        .await
        .map_err(PlanError::Store)?
        .into_iter()
        .map(|product| (product.id, product.name))
        .collect();
    let mut problems = Vec::new();
    for finding in &findings {
        let refusal = match finding.product {
            Some(id) if !products.contains_key(&id) => {
                Some(format!("product: there is no product {}", id.0))
            }
            product if !may_file(product) => Some(match product {
                Some(id) => format!("product: you may not file findings about product {}", id.0),
                None => "product: name one of your teams' products".to_owned(),
            }),
            _ => None,
        };
        if let Some(message) = refusal {
            problems.push(ImportProblem {
                place: finding.origin.clone(),
                message,
            });
        }
    }
    if !problems.is_empty() {
        return Err(PlanError::Problems(problems));
    }
    let fingerprints: Vec<_> = findings
        .iter()
        .filter_map(|finding| finding.fingerprint.clone())
        .collect();
    let stored: BTreeSet<_> = store
        .stored_fingerprints(&fingerprints)
        .await
        .map_err(PlanError::Store)?
        .into_iter()
        .collect();
    let rows = findings
        .iter()
        .map(|finding| PreviewRow {
            origin: finding.origin.clone(),
            title: finding.draft.title.clone(),
            source: finding.source.label(),
            product: finding.product.and_then(|id| products.get(&id).cloned()),
            already_stored: finding
                .fingerprint
                .as_ref()
                .is_some_and(|fingerprint| stored.contains(fingerprint)),
        })
        .collect();
    Ok(Plan {
        findings,
        rows,
        left_out,
    })
}

/// Why a plan was not made.
#[derive(Debug)]
pub enum PlanError {
    /// The file has these problems; nothing is stored.
    Problems(ImportProblems),
    Store(cvdesk_store::StoreError),
}

/// Stores the plan's findings that are not stored yet, each with a tracking token nobody
/// is shown, and the audit entry `audit` writes of the outcome.
pub async fn apply(
    store: &dyn Store,
    plan: Plan,
    prefix: &ReferencePrefix,
    now: OffsetDateTime,
    audit: &(dyn Fn(&ImportOutcome) -> AuditEvent + Send + Sync),
) -> Result<ImportOutcome, WebError> {
    let mut findings = Vec::with_capacity(plan.findings.len());
    for finding in plan.findings {
        findings.push((finding, random::tracking_token()?.hash()));
    }
    Ok(store
        .store_findings(
            NewFindings {
                prefix,
                received_at: now,
                findings: &findings,
            },
            audit,
        )
        .await?)
}

/// The audit entry's words for an import: counts and the new reference numbers.
pub fn audit_detail(format: ImportFormat, outcome: &ImportOutcome) -> String {
    // The first references name where the import starts; all of them could be thousands.
    const NAMED: usize = 10;
    let mut named: Vec<String> = outcome
        .created
        .iter()
        .take(NAMED)
        .map(ToString::to_string)
        .collect();
    if outcome.created.len() > NAMED {
        named.push("…".to_owned());
    }
    format!(
        "{} import: {} stored ({}), {} already stored",
        format.as_str(),
        outcome.created.len(),
        if named.is_empty() {
            "none".to_owned()
        } else {
            named.join(", ")
        },
        outcome.already_stored
    )
}
