//! Findings: vulnerabilities the organization finds itself or receives from others than a
//! finder (a penetration test, a scanner, a supplier, a bug bounty platform). They enter
//! the same triage pipeline as reports, without a finder: no tracking link, no mail to
//! anyone outside. Imports turn a scanner's SARIF log or a CSV table into findings, each
//! checked by the report rules, and refuse the whole file with every problem named.

mod csv;
mod sarif;
mod table;

use std::fmt;

use sha2::{Digest, Sha256};

use crate::report_source::ReportSource;
use crate::staff::ProductId;
use crate::{FieldErrors, ReportDraft};

pub use self::csv::{from_csv, CSV_COLUMNS};
pub use self::sarif::{from_sarif, SarifFindings};

/// Sources a finding may name; the others are how finders' reports arrive.
pub const FINDING_SOURCES: [ReportSource; 6] = [
    ReportSource::Internal,
    ReportSource::Pentest,
    ReportSource::Scanner,
    ReportSource::Supplier,
    ReportSource::BugBounty,
    ReportSource::Other,
];

/// Reads a finding's source by its stored name (`pentest`, `bug_bounty`).
pub fn finding_source(text: &str) -> Result<ReportSource, String> {
    FINDING_SOURCES
        .into_iter()
        .find(|source| source.as_str() == text.trim())
        .ok_or_else(|| {
            let names: Vec<&str> = FINDING_SOURCES.iter().map(|s| s.as_str()).collect();
            format!(
                "'{}' is not a finding source; use one of {}",
                text.trim(),
                names.join(", ")
            )
        })
}

/// What makes an imported finding the same as one already stored: SHA-256 of its
/// identity (for SARIF the scanner, rule and place; for CSV the source and the row's own
/// id), in hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(identity: &str) -> Self {
        Fingerprint(hex::encode(Sha256::digest(identity.as_bytes())))
    }

    /// A stored fingerprint, as read back.
    pub fn from_stored(hex: String) -> Self {
        Fingerprint(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A finding that passed the report rules, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub source: ReportSource,
    pub draft: ReportDraft,
    pub product: Option<ProductId>,
    /// Set for imported findings, so importing the same file again adds nothing.
    pub fingerprint: Option<Fingerprint>,
    /// Where it came from in the file (`/runs/0/results/3`, `row 4`), for the preview.
    pub origin: String,
}

/// One thing wrong with an imported file, at its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// `/runs/0/results/3`, `row 4`, or empty for the file as a whole.
    pub place: String,
    pub message: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.place.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.place, self.message)
        }
    }
}

/// Problems found in an imported file; nothing of it is stored.
pub type ImportProblems = Vec<ImportProblem>;

/// The problems of one row's report fields, one per field.
fn field_problems(place: &str, errors: &FieldErrors) -> ImportProblems {
    errors
        .iter()
        .map(|(field, message)| ImportProblem {
            place: place.to_owned(),
            message: format!("{}: {message}", field.form_name()),
        })
        .collect()
}

/// Keeps the first of findings that share a fingerprint: a file that names the same
/// result twice imports it once.
fn first_of_each(findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen = std::collections::HashSet::new();
    findings
        .into_iter()
        .filter(|finding| match &finding.fingerprint {
            Some(fingerprint) => seen.insert(fingerprint.clone()),
            None => true,
        })
        .collect()
}

#[cfg(test)]
mod tests;
