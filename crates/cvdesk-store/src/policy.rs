//! The disclosure policy's versions: each edit is a new row, nothing is overwritten.

use async_trait::async_trait;
use cvdesk_domain::policy::PolicySettings;
use time::OffsetDateTime;

use crate::{AuditOf, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyVersion {
    /// 1 for the first version, then one more for each edit.
    pub version: i64,
    pub published_at: OffsetDateTime,
    /// Who published it: a staff e-mail, or "configuration" for the first start's.
    pub published_by: String,
    pub settings: PolicySettings,
}

#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// Stores `settings` as the next version and returns its number; the audit entry
    /// `audit` writes for that number is appended in the same transaction.
    async fn publish_policy(
        &self,
        settings: &PolicySettings,
        published_by: &str,
        audit: &AuditOf<'_, i64>,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError>;

    /// Stores `settings` as version 1 unless a version exists; returns whether it did.
    async fn publish_first_policy(
        &self,
        settings: &PolicySettings,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// The version in force, `None` before the first.
    async fn current_policy(&self) -> Result<Option<PolicyVersion>, StoreError>;

    async fn policy_version(&self, version: i64) -> Result<Option<PolicyVersion>, StoreError>;

    /// Every version's number and date, newest first.
    async fn policy_history(&self) -> Result<Vec<(i64, OffsetDateTime)>, StoreError>;
}
