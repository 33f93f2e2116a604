//! Policy versions, stored as the settings' JSON.

use async_trait::async_trait;
use cvdesk_domain::policy::PolicySettings;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::{SqlStore, StoredTime};
use crate::policy::{PolicyStore, PolicyVersion};
use crate::{AuditOf, StoreError};

/// The next number is taken inside the insert; the primary key refuses a race's loser,
/// which then retries.
const PUBLISH: &str =
    "INSERT INTO policy_versions (version, published_at, published_by, settings) \
     SELECT COALESCE(MAX(version), 0) + 1, $1, $2, $3 FROM policy_versions RETURNING version";

const PUBLISH_FIRST: &str =
    "INSERT INTO policy_versions (version, published_at, published_by, settings) \
     VALUES (1, $1, 'configuration', $2) ON CONFLICT (version) DO NOTHING RETURNING version";

const COLUMNS: &str = "SELECT version, published_at, published_by, settings FROM policy_versions";

#[derive(FromRow)]
pub struct PolicyRow {
    version: i64,
    published_at: OffsetDateTime,
    published_by: String,
    settings: String,
}

impl PolicyRow {
    fn into_version(self) -> Result<PolicyVersion, StoreError> {
        let settings = serde_json::from_str(&self.settings)
            .map_err(|e| StoreError::Corrupt(format!("policy version {}: {e}", self.version)))?;
        Ok(PolicyVersion {
            version: self.version,
            published_at: self.published_at,
            published_by: self.published_by,
            settings,
        })
    }
}

fn to_json(settings: &PolicySettings) -> Result<String, StoreError> {
    serde_json::to_string(settings)
        .map_err(|e| StoreError::Corrupt(format!("policy settings: {e}")))
}

#[async_trait]
impl<DB> PolicyStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> OffsetDateTime: Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> PolicyRow: FromRow<'r, DB::Row>,
    for<'r> (i64, OffsetDateTime): FromRow<'r, DB::Row>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn publish_policy(
        &self,
        settings: &PolicySettings,
        published_by: &str,
        audit: &AuditOf<'_, i64>,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let json = to_json(settings)?;
        let mut attempts = 0;
        loop {
            let mut tx = self.writer.begin().await?;
            let published = sqlx::query_scalar(PUBLISH)
                .bind(StoredTime(now))
                .bind(published_by)
                .bind(json.as_str())
                .fetch_one(&mut *tx)
                .await;
            match published {
                Ok(version) => {
                    append_audit_in::<DB>(&mut tx, &audit(&version)).await?;
                    tx.commit().await?;
                    return Ok(version);
                }
                Err(sqlx::Error::Database(error))
                    if error.is_unique_violation() && attempts < 5 =>
                {
                    attempts += 1;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    async fn publish_first_policy(
        &self,
        settings: &PolicySettings,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let inserted: Option<i64> = sqlx::query_scalar(PUBLISH_FIRST)
            .bind(StoredTime(now))
            .bind(to_json(settings)?)
            .fetch_optional(&self.writer)
            .await?;
        Ok(inserted.is_some())
    }

    async fn current_policy(&self) -> Result<Option<PolicyVersion>, StoreError> {
        let row: Option<PolicyRow> =
            sqlx::query_as(&format!("{COLUMNS} ORDER BY version DESC LIMIT 1"))
                .fetch_optional(&self.readers)
                .await?;
        row.map(PolicyRow::into_version).transpose()
    }

    async fn policy_version(&self, version: i64) -> Result<Option<PolicyVersion>, StoreError> {
        let row: Option<PolicyRow> = sqlx::query_as(&format!("{COLUMNS} WHERE version = $1"))
            .bind(version)
            .fetch_optional(&self.readers)
            .await?;
        row.map(PolicyRow::into_version).transpose()
    }

    async fn policy_history(&self) -> Result<Vec<(i64, OffsetDateTime)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT version, published_at FROM policy_versions ORDER BY version DESC",
        )
        .fetch_all(&self.readers)
        .await?)
    }
}
