//! The outbox's rows: queueing (also inside a report's transaction), leased claims,
//! delivery outcomes.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::{Duration, OffsetDateTime};

use super::{SqlStore, StoredTime};
use crate::outbox::{
    retry_after, Failure, MailBody, MailKind, MailStatus, NewMail, OutboxEntry, OutboxMail,
    OutboxStore, Retry,
};
use crate::rows::Binding;
use crate::StoreError;

pub(super) const INSERT_MAIL: &str = "INSERT INTO outbox \
     (created_at, kind, report_id, recipient, subject, format, body, next_attempt_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $1)";

/// One statement for both dialects. The subquery picks the due rows; the outer conditions
/// repeat the due test because PostgreSQL re-checks them on the newest row version when a
/// concurrent claim took the row first, and then skips it. SQLite has one writer.
const CLAIM: &str = "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM outbox \
         WHERE sent_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= $2 \
         ORDER BY next_attempt_at, id LIMIT $3) \
     AND sent_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= $2 \
     RETURNING id, created_at, kind, report_id, case_id, recipient, subject, format, body, \
     attempts";

/// Only the claim that counted attempt `$3` with the lease ending at `$4` is given back.
const RELEASED: &str = "UPDATE outbox SET next_attempt_at = $2, attempts = attempts - 1 \
     WHERE id = $1 AND attempts = $3 AND next_attempt_at = $4 \
     AND sent_at IS NULL AND given_up_at IS NULL RETURNING id";

const SENT: &str = "UPDATE outbox SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL";

const FAILED: &str = "UPDATE outbox SET next_attempt_at = $2, given_up_at = $3, last_error = $4 \
     WHERE id = $1 AND sent_at IS NULL";

const RECENT: &str = "SELECT id, created_at, kind, report_id, recipient, attempts, \
     next_attempt_at, sent_at, given_up_at, last_error FROM outbox ORDER BY id DESC LIMIT $1";

#[derive(FromRow)]
pub struct ClaimedRow {
    id: i64,
    created_at: OffsetDateTime,
    kind: String,
    report_id: Option<i64>,
    case_id: Option<i64>,
    recipient: String,
    subject: String,
    format: String,
    body: String,
    attempts: i64,
}

#[derive(FromRow)]
pub struct EntryRow {
    id: i64,
    created_at: OffsetDateTime,
    kind: String,
    report_id: Option<i64>,
    recipient: String,
    attempts: i64,
    next_attempt_at: OffsetDateTime,
    sent_at: Option<OffsetDateTime>,
    given_up_at: Option<OffsetDateTime>,
    last_error: Option<String>,
}

fn kind_of(id: i64, kind: &str) -> Result<MailKind, StoreError> {
    MailKind::parse(kind)
        .ok_or_else(|| StoreError::Corrupt(format!("outbox mail {id} has unknown kind {kind:?}")))
}

fn attempts_of(id: i64, attempts: i64) -> Result<u32, StoreError> {
    u32::try_from(attempts)
        .map_err(|_| StoreError::Corrupt(format!("outbox mail {id} has {attempts} attempts")))
}

impl ClaimedRow {
    fn into_mail(self) -> Result<OutboxMail, StoreError> {
        let id = self.id;
        let format = self.format;
        Ok(OutboxMail {
            id,
            created_at: self.created_at,
            kind: kind_of(id, &self.kind)?,
            report_id: self.report_id,
            case_id: self.case_id,
            recipient: self.recipient,
            subject: self.subject,
            body: MailBody::from_columns(&format, self.body).ok_or_else(|| {
                StoreError::Corrupt(format!("outbox mail {id} has unknown format {format:?}"))
            })?,
            attempts: attempts_of(id, self.attempts)?,
        })
    }
}

impl EntryRow {
    fn into_entry(self) -> Result<OutboxEntry, StoreError> {
        let status = match (self.sent_at, self.given_up_at) {
            (Some(at), _) => MailStatus::Sent { at },
            (None, Some(at)) => MailStatus::GivenUp { at },
            (None, None) => MailStatus::Pending {
                next_attempt_at: self.next_attempt_at,
            },
        };
        Ok(OutboxEntry {
            id: self.id,
            created_at: self.created_at,
            kind: kind_of(self.id, &self.kind)?,
            report_id: self.report_id,
            recipient: self.recipient,
            attempts: attempts_of(self.id, self.attempts)?,
            status,
            last_error: self.last_error,
        })
    }
}

/// Queues `mail` on `connection`, which may be inside a caller's transaction.
pub async fn insert_mail<DB>(
    connection: &mut DB::Connection,
    mail: &[NewMail],
    now: OffsetDateTime,
) -> Result<(), StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
{
    for one in mail {
        bind_mail(sqlx::query(INSERT_MAIL), one, now)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// Binds the values of `INSERT_MAIL`, in order.
pub(super) fn bind_mail<'q, DB, Q>(query: Q, one: &'q NewMail, now: OffsetDateTime) -> Q
where
    DB: Database,
    Q: Binding<'q, DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    StoredTime: Encode<'q, DB> + Type<DB>,
{
    query
        .value(StoredTime(now))
        .value(one.kind.as_str())
        .value(one.report_id)
        .value(one.recipient.as_str())
        .value(one.subject.as_str())
        .value(one.body.format())
        .value(one.body.text())
}

#[async_trait]
impl<DB> OutboxStore for SqlStore<DB>
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
    for<'q> Option<StoredTime>: Encode<'q, DB> + Type<DB>,
    for<'r> ClaimedRow: FromRow<'r, DB::Row>,
    for<'r> EntryRow: FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn enqueue_mail(&self, mail: &[NewMail], now: OffsetDateTime) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        insert_mail::<DB>(&mut tx, mail, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMail>, StoreError> {
        let rows: Vec<ClaimedRow> = sqlx::query_as(CLAIM)
            .bind(StoredTime(now + lease))
            .bind(StoredTime(now))
            .bind(i64::from(limit))
            .fetch_all(&self.writer)
            .await?;
        let mut claimed = rows
            .into_iter()
            .map(ClaimedRow::into_mail)
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING gives no order; send the oldest first.
        claimed.sort_by_key(|mail| mail.id);
        Ok(claimed)
    }

    async fn release_mail(
        &self,
        mail: &OutboxMail,
        lease_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let released: Option<i64> = sqlx::query_scalar(RELEASED)
            .bind(mail.id)
            .bind(StoredTime(now))
            .bind(i64::from(mail.attempts))
            .bind(StoredTime(lease_until))
            .fetch_optional(&self.writer)
            .await?;
        Ok(released.is_some())
    }

    async fn mark_mail_sent(&self, id: i64, now: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query(SENT)
            .bind(id)
            .bind(StoredTime(now))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn mark_mail_failed(
        &self,
        mail: &OutboxMail,
        failure: Failure,
        error: &str,
        now: OffsetDateTime,
    ) -> Result<Retry, StoreError> {
        // An admin who queued the mail again gave it a fresh three days.
        let requeued_at: Option<OffsetDateTime> =
            sqlx::query_scalar("SELECT requeued_at FROM outbox WHERE id = $1")
                .bind(mail.id)
                .fetch_optional(&self.writer)
                .await?
                .flatten();
        let window_from = requeued_at.map_or(mail.created_at, |at| at.max(mail.created_at));
        let retry = retry_after(mail.attempts, window_from, now, failure);
        let (next_attempt_at, given_up_at) = match retry {
            Retry::At(at) => (at, None),
            Retry::GivenUp => (now, Some(now)),
        };
        sqlx::query(FAILED)
            .bind(mail.id)
            .bind(StoredTime(next_attempt_at))
            .bind(given_up_at.map(StoredTime))
            .bind(error)
            .execute(&self.writer)
            .await?;
        Ok(retry)
    }

    async fn recent_mail(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows: Vec<EntryRow> = sqlx::query_as(RECENT)
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await?;
        rows.into_iter().map(EntryRow::into_entry).collect()
    }
}
