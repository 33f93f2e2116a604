//! The admins' view of the outbox in SQL. A row's state follows from its columns: sent
//! (`sent_at`), discarded (`discarded_at`, also given up so nothing claims it), given up
//! (`given_up_at`), retrying (an attempt failed: `last_error`), else queued.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::{SqlStore, StoredTime};
use crate::outbox::MailKind;
use crate::outbox_admin::{OutboxAdminStore, OutboxHealth, OutboxItem, OutboxState};
use crate::StoreError;

const COLUMNS: &str = "SELECT id, created_at, kind, report_id, recipient, subject, attempts, \
     next_attempt_at, sent_at, given_up_at, discarded_at, last_error FROM outbox";

/// The condition for each state, on the columns above.
fn condition(state: OutboxState) -> &'static str {
    match state {
        OutboxState::Sent => "sent_at IS NOT NULL",
        OutboxState::Discarded => "sent_at IS NULL AND discarded_at IS NOT NULL",
        OutboxState::GivenUp => {
            "sent_at IS NULL AND discarded_at IS NULL AND given_up_at IS NOT NULL"
        }
        OutboxState::Retrying => {
            "sent_at IS NULL AND given_up_at IS NULL AND last_error IS NOT NULL"
        }
        OutboxState::Queued => "sent_at IS NULL AND given_up_at IS NULL AND last_error IS NULL",
    }
}

#[derive(FromRow)]
pub struct ItemRow {
    id: i64,
    created_at: OffsetDateTime,
    kind: String,
    report_id: Option<i64>,
    recipient: String,
    subject: String,
    attempts: i64,
    next_attempt_at: OffsetDateTime,
    sent_at: Option<OffsetDateTime>,
    given_up_at: Option<OffsetDateTime>,
    discarded_at: Option<OffsetDateTime>,
    last_error: Option<String>,
}

impl ItemRow {
    fn into_item(self) -> Result<OutboxItem, StoreError> {
        let id = self.id;
        let (state, at) = match (self.sent_at, self.discarded_at, self.given_up_at) {
            (Some(at), _, _) => (OutboxState::Sent, at),
            (None, Some(at), _) => (OutboxState::Discarded, at),
            (None, None, Some(at)) => (OutboxState::GivenUp, at),
            (None, None, None) if self.last_error.is_some() => {
                (OutboxState::Retrying, self.next_attempt_at)
            }
            (None, None, None) => (OutboxState::Queued, self.next_attempt_at),
        };
        Ok(OutboxItem {
            id,
            created_at: self.created_at,
            kind: MailKind::parse(&self.kind).ok_or_else(|| {
                StoreError::Corrupt(format!("outbox mail {id} has unknown kind {:?}", self.kind))
            })?,
            report_id: self.report_id,
            recipient: self.recipient,
            subject: self.subject,
            attempts: u32::try_from(self.attempts).map_err(|_| {
                StoreError::Corrupt(format!("outbox mail {id} has {} attempts", self.attempts))
            })?,
            state,
            at,
            last_error: self.last_error,
        })
    }
}

#[async_trait]
impl<DB> OutboxAdminStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> OffsetDateTime: Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> ItemRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    for<'r> (i64, Option<OffsetDateTime>): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn outbox_items(
        &self,
        state: Option<OutboxState>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let filter = state.map_or("1 = 1", condition);
        let rows: Vec<ItemRow> = sqlx::query_as(&format!(
            "{COLUMNS} WHERE {filter} AND id < $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter().map(ItemRow::into_item).collect()
    }

    async fn outbox_item(&self, id: i64) -> Result<Option<OutboxItem>, StoreError> {
        let row: Option<ItemRow> = sqlx::query_as(&format!("{COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.readers)
            .await?;
        row.map(ItemRow::into_item).transpose()
    }

    async fn requeue_mail(
        &self,
        id: i64,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let queued: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE outbox SET given_up_at = NULL, next_attempt_at = $2, requeued_at = $2, \
             attempts = 0 WHERE id = $1 AND {} RETURNING id",
            condition(OutboxState::GivenUp)
        ))
        .bind(id)
        .bind(StoredTime(now))
        .fetch_optional(&mut *tx)
        .await?;
        if queued.is_none() {
            return Ok(false);
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn discard_mail(
        &self,
        id: i64,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let discarded: Option<i64> = sqlx::query_scalar(
            "UPDATE outbox SET discarded_at = $2, given_up_at = COALESCE(given_up_at, $2) \
             WHERE id = $1 AND sent_at IS NULL AND discarded_at IS NULL RETURNING id",
        )
        .bind(id)
        .bind(StoredTime(now))
        .fetch_optional(&mut *tx)
        .await?;
        if discarded.is_none() {
            return Ok(false);
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn undelivered_finder_mail(&self, report_id: i64) -> Result<Vec<OutboxItem>, StoreError> {
        let rows: Vec<ItemRow> = sqlx::query_as(&format!(
            "{COLUMNS} WHERE report_id = $1 AND sent_at IS NULL AND given_up_at IS NOT NULL \
             AND kind LIKE 'finder%' ORDER BY id DESC"
        ))
        .bind(report_id)
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter().map(ItemRow::into_item).collect()
    }

    async fn outbox_health(&self, now: OffsetDateTime) -> Result<OutboxHealth, StoreError> {
        let (waiting, oldest): (i64, Option<OffsetDateTime>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(created_at) FROM outbox \
             WHERE sent_at IS NULL AND given_up_at IS NULL",
        )
        .fetch_one(&self.readers)
        .await?;
        let given_up: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM outbox WHERE {}",
            condition(OutboxState::GivenUp)
        ))
        .fetch_one(&self.readers)
        .await?;
        Ok(OutboxHealth {
            waiting: u64::try_from(waiting).unwrap_or(0),
            oldest_waiting: oldest.map(|at| now - at),
            given_up: u64::try_from(given_up).unwrap_or(0),
        })
    }
}
