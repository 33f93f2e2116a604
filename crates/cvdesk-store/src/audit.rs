//! The audit log as the store keeps it: entries appended under a lock on the head row,
//! so concurrent actions (from any number of instances) form one unbroken chain.

use async_trait::async_trait;
use cvdesk_domain::audit::{AuditEvent, ChainBreak, ChainVerifier, ChainedEntry, VerifiedChain};

use crate::StoreError;

/// The recorded end of the chain: how many entries there are and the last one's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub count: i64,
    pub last_hash: String,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Chains `event` after the last entry and stores it with the new head, atomically.
    async fn append_audit(&self, event: AuditEvent) -> Result<ChainedEntry, StoreError>;

    /// Entries with a sequence above `after`, oldest first, at most `limit`.
    async fn audit_entries_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ChainedEntry>, StoreError>;

    /// Entries with a sequence below `before` (or the newest), newest first, at most
    /// `limit`: for browsing.
    async fn audit_entries_before(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ChainedEntry>, StoreError>;

    async fn audit_head(&self) -> Result<AuditHead, StoreError>;

    /// Verifies the whole chain against the head, reading `batch` entries at a time so
    /// memory stays that of one batch however long the log is. The outer error is the
    /// store's; the inner one says where the chain breaks.
    async fn verify_audit_chain(
        &self,
        batch: i64,
    ) -> Result<Result<VerifiedChain, ChainBreak>, StoreError> {
        let head = self.audit_head().await?;
        let mut verifier = ChainVerifier::default();
        loop {
            let entries = self
                .audit_entries_after(verifier.last_sequence(), batch)
                .await?;
            if entries.is_empty() {
                break;
            }
            if let Err(broken) = verifier.push(entries) {
                return Ok(Err(broken));
            }
        }
        Ok(verifier.finish(Some((head.count, &head.last_hash))))
    }
}
