//! The hash-chained audit log.

use async_trait::async_trait;
use cvdesk_domain::audit::{self, AuditEvent, ChainedEntry};
use cvdesk_domain::staff::UserId;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::{SqlStore, StoredTime};
use crate::audit::{AuditHead, AuditStore};
use crate::StoreError;

const ENTRY_COLUMNS: &str = "SELECT sequence, at, actor_id, actor_label, action, subject, \
     detail, previous_hash, hash FROM audit_log";

#[derive(FromRow)]
pub struct AuditRow {
    sequence: i64,
    at: OffsetDateTime,
    actor_id: Option<i64>,
    actor_label: String,
    action: String,
    subject: Option<String>,
    detail: String,
    previous_hash: String,
    hash: String,
}

impl From<AuditRow> for ChainedEntry {
    fn from(row: AuditRow) -> Self {
        ChainedEntry {
            sequence: row.sequence,
            event: AuditEvent {
                at: row.at,
                actor: row.actor_id.map(UserId),
                actor_label: row.actor_label,
                action: row.action,
                subject: row.subject,
                detail: row.detail,
            },
            previous_hash: row.previous_hash,
            hash: row.hash,
        }
    }
}

/// Chains `event` after the last entry inside the caller's transaction, so a change and
/// its audit entry commit together or not at all: an action that cannot be recorded does
/// not happen.
pub(crate) async fn append_audit_in<DB>(
    connection: &mut DB::Connection,
    event: &AuditEvent,
) -> Result<ChainedEntry, StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
{
    // A no-op update takes the head's row lock: appends from every instance queue here.
    let (count, _): (i64, String) = sqlx::query_as(
        "UPDATE audit_head SET sequence = sequence WHERE id = 1 RETURNING sequence, hash",
    )
    .fetch_one(&mut *connection)
    .await?;
    let last: Option<AuditRow> = sqlx::query_as(&format!("{ENTRY_COLUMNS} WHERE sequence = $1"))
        .bind(count)
        .fetch_optional(&mut *connection)
        .await?;
    let last = last.map(ChainedEntry::from);
    if count > 0 && last.is_none() {
        return Err(StoreError::Corrupt(format!(
            "the audit head records {count} entries but entry {count} is missing"
        )));
    }
    let entry = audit::chain(last.as_ref(), event.clone());
    sqlx::query(
        "INSERT INTO audit_log (sequence, at, actor_id, actor_label, action, subject, \
         detail, previous_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(entry.sequence)
    .bind(StoredTime(entry.event.at))
    .bind(entry.event.actor.map(|user| user.0))
    .bind(entry.event.actor_label.as_str())
    .bind(entry.event.action.as_str())
    .bind(entry.event.subject.as_deref())
    .bind(entry.event.detail.as_str())
    .bind(entry.previous_hash.as_str())
    .bind(entry.hash.as_str())
    .execute(&mut *connection)
    .await?;
    sqlx::query("UPDATE audit_head SET sequence = $1, hash = $2 WHERE id = 1")
        .bind(entry.sequence)
        .bind(entry.hash.as_str())
        .execute(&mut *connection)
        .await?;
    Ok(entry)
}

#[async_trait]
impl<DB> AuditStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn append_audit(&self, event: AuditEvent) -> Result<ChainedEntry, StoreError> {
        let mut tx = self.writer.begin().await?;
        let entry = append_audit_in::<DB>(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn audit_entries_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ChainedEntry>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as(&format!(
            "{ENTRY_COLUMNS} WHERE sequence > $1 ORDER BY sequence LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.readers)
        .await?;
        Ok(rows.into_iter().map(ChainedEntry::from).collect())
    }

    async fn audit_entries_before(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ChainedEntry>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as(&format!(
            "{ENTRY_COLUMNS} WHERE sequence < $1 ORDER BY sequence DESC LIMIT $2"
        ))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.readers)
        .await?;
        Ok(rows.into_iter().map(ChainedEntry::from).collect())
    }

    async fn audit_head(&self) -> Result<AuditHead, StoreError> {
        let (count, last_hash): (i64, String) =
            sqlx::query_as("SELECT sequence, hash FROM audit_head WHERE id = 1")
                .fetch_one(&self.readers)
                .await?;
        Ok(AuditHead { count, last_hash })
    }
}
