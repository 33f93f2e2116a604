//! Organisation-wide settings that admins change at run time, stored by key as text.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use time::OffsetDateTime;

use crate::StoreError;

/// Whether every staff account must use a second factor ("true" or absent).
pub const REQUIRE_SECOND_FACTOR: &str = "require_second_factor";

/// The organization's OpenPGP secret key, armored, exactly as generated or imported.
pub const ORGANIZATION_PGP_KEY: &str = "organization_pgp_key";

/// Finder points (JSON of the domain's `FinderPoints`); absent means off.
pub const FINDER_POINTS: &str = "finder_points";

/// "s3" while the store's attachment bytes are objects in a bucket; absent while they are
/// kept with the store (files beside SQLite, rows in PostgreSQL).
pub const ATTACHMENT_STORAGE: &str = "attachment_storage";
/// `ATTACHMENT_STORAGE`'s value while the bytes are in a bucket.
pub(crate) const IN_BUCKET: &str = "s3";

#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// The setting's value, storing `value` first when it has none. Concurrent callers all
    /// get the value the first of them stored.
    async fn setting_or_insert(
        &self,
        key: &str,
        value: &str,
        now: OffsetDateTime,
    ) -> Result<String, StoreError>;

    async fn put_setting(
        &self,
        key: &str,
        value: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// `put_setting` on behalf of a person: the audit entry is appended in the same
    /// transaction, so a change that cannot be recorded does not happen.
    async fn change_setting(
        &self,
        key: &str,
        value: &str,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}
