//! Retention in the store: what the rules find due, removing it with one audit entry of
//! counts, and a finder's request to have their contact details removed from a closed
//! report, which staff confirm.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::retention::{RetentionCounts, RetentionCutoffs};
use time::OffsetDateTime;

use crate::{AuditOf, StoreError};

#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// What `apply_retention` and purging `spam_reports_due` would remove now.
    async fn retention_due(
        &self,
        cutoffs: &RetentionCutoffs,
    ) -> Result<RetentionCounts, StoreError>;

    /// Reports closed as spam before `before`, to be purged one by one with their files
    /// (`ReportStore::purge_spam_report`).
    async fn spam_reports_due(&self, before: OffsetDateTime) -> Result<Vec<i64>, StoreError>;

    /// Forgets the client addresses and deletes the sessions, one-time links, intake
    /// challenges and sent mail that are due, with the entry `audit` writes of the counts,
    /// in one transaction. Spam reports are not among them (`spam_reports` is 0).
    async fn apply_retention(
        &self,
        cutoffs: &RetentionCutoffs,
        audit: &AuditOf<'_, RetentionCounts>,
    ) -> Result<RetentionCounts, StoreError>;

    /// Records the finder's request to remove their contact details. `Conflict` when the
    /// report is open or has no contact details; asking again keeps the first time.
    async fn request_contact_removal(
        &self,
        report_id: i64,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// When the finder asked to have their contact details removed, if they did and staff
    /// have not yet removed them.
    async fn contact_removal_requested(
        &self,
        report_id: i64,
    ) -> Result<Option<OffsetDateTime>, StoreError>;

    /// Removes the contact details (name, address, key) and the client address of a
    /// report whose finder asked, with `audit` in the same transaction. `Conflict` when
    /// no request is waiting.
    async fn remove_contact(&self, report_id: i64, audit: &AuditEvent) -> Result<(), StoreError>;
}
