//! Findings in the store: reports without a finder, entered by staff or imported from a
//! scanner's log or a table, each imported one at most once (by its fingerprint); and
//! every report's root cause analysis.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::finding::{Finding, Fingerprint};
use cvdesk_domain::root_cause_analysis::RootCauseAnalysis;
use cvdesk_domain::{Reference, ReferencePrefix, TrackingTokenHash};
use time::OffsetDateTime;

use crate::{AuditOf, StoreError};

/// Findings about to be stored. Each carries the hash of a tracking token nobody is
/// shown: a finding has no finder to follow it.
pub struct NewFindings<'a> {
    pub prefix: &'a ReferencePrefix,
    pub received_at: OffsetDateTime,
    pub findings: &'a [(Finding, TrackingTokenHash)],
}

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportOutcome {
    /// The new reports, in the file's order.
    pub created: Vec<Reference>,
    /// Findings whose fingerprint was stored already, left as they are.
    pub already_stored: usize,
}

#[async_trait]
pub trait FindingStore: Send + Sync {
    /// Which of `fingerprints` belong to a stored report (for an import's preview).
    async fn stored_fingerprints(
        &self,
        fingerprints: &[Fingerprint],
    ) -> Result<Vec<Fingerprint>, StoreError>;

    /// Stores every finding whose fingerprint is not stored yet, with reference numbers
    /// in the file's order, and the audit entry `audit` writes of the outcome, in one
    /// transaction: an import is stored whole or not at all.
    async fn store_findings(
        &self,
        new: NewFindings<'_>,
        audit: &AuditOf<'_, ImportOutcome>,
    ) -> Result<ImportOutcome, StoreError>;

    /// The report's root cause analysis (empty when none was written).
    async fn root_cause(&self, report_id: i64) -> Result<RootCauseAnalysis, StoreError>;

    /// Replaces the report's root cause analysis, with `audit` in the same transaction.
    /// `Missing` when there is no such report.
    async fn set_root_cause(
        &self,
        report_id: i64,
        analysis: &RootCauseAnalysis,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}
