//! Sessions and the failed attempts that lock a credential. Each charge reads and writes
//! its count in one transaction that holds the row's lock, so racing attempts are all
//! counted.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::sign_in::{Charge, Failures, Lockout};
use cvdesk_domain::staff::UserId;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::{SqlStore, StoredTime};
use crate::sessions::{Session, SessionStore};
use crate::StoreError;

#[derive(FromRow)]
pub struct SessionRow {
    token_hash: String,
    user_id: i64,
    csrf_token: String,
    pending_totp: Option<Vec<u8>>,
    second_factor: bool,
    created_at: OffsetDateTime,
    last_seen_at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

#[derive(FromRow)]
pub struct FailuresRow {
    failures: i64,
    locked_until: Option<OffsetDateTime>,
    last_failure_at: Option<OffsetDateTime>,
}

impl From<FailuresRow> for Failures {
    fn from(row: FailuresRow) -> Self {
        Failures {
            count: row.failures,
            locked_until: row.locked_until,
            last_failure_at: row.last_failure_at,
        }
    }
}

const INSERT_SESSION: &str = "INSERT INTO sessions (token_hash, user_id, csrf_token, \
     second_factor, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

#[async_trait]
impl<DB> SessionStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> Option<StoredTime>: Encode<'q, DB> + Type<DB>,
    for<'r> SessionRow: FromRow<'r, DB::Row>,
    for<'r> FailuresRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn charge_password_attempt(
        &self,
        user: UserId,
        client: &str,
        lockout: &Lockout,
        now: OffsetDateTime,
    ) -> Result<Charge, StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO password_failures (user_id, client, failures, last_failure_at) \
             VALUES ($1, $2, 0, $3) ON CONFLICT (user_id, client) DO NOTHING",
        )
        .bind(user.0)
        .bind(client)
        .bind(StoredTime(now))
        .execute(&mut *tx)
        .await?;
        // A no-op update takes the row's lock: racing attempts queue here.
        let row: FailuresRow = sqlx::query_as(
            "UPDATE password_failures SET failures = failures WHERE user_id = $1 AND client = $2 \
             RETURNING failures, locked_until, last_failure_at",
        )
        .bind(user.0)
        .bind(client)
        .fetch_one(&mut *tx)
        .await?;
        let charge = lockout.charge(row.into(), now);
        if let Charge::Check { record, .. } = charge {
            sqlx::query(
                "UPDATE password_failures SET failures = $3, locked_until = $4, \
                 last_failure_at = $5 WHERE user_id = $1 AND client = $2",
            )
            .bind(user.0)
            .bind(client)
            .bind(record.count)
            .bind(record.locked_until.map(StoredTime))
            .bind(StoredTime(record.last_failure_at.unwrap_or(now)))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(charge)
    }

    async fn charge_second_factor_attempt(
        &self,
        user: UserId,
        lockout: &Lockout,
        now: OffsetDateTime,
    ) -> Result<Charge, StoreError> {
        let mut tx = self.writer.begin().await?;
        let row: Option<FailuresRow> = sqlx::query_as(
            "UPDATE users SET second_factor_failures = second_factor_failures WHERE id = $1 \
             RETURNING second_factor_failures AS failures, \
             second_factor_locked_until AS locked_until, \
             second_factor_last_failure_at AS last_failure_at",
        )
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await?;
        let row = row.ok_or_else(|| StoreError::Missing(format!("there is no user {}", user.0)))?;
        let charge = lockout.charge(row.into(), now);
        if let Charge::Check { record, .. } = charge {
            sqlx::query(
                "UPDATE users SET second_factor_failures = $2, second_factor_locked_until = $3, \
                 second_factor_last_failure_at = $4 WHERE id = $1",
            )
            .bind(user.0)
            .bind(record.count)
            .bind(record.locked_until.map(StoredTime))
            .bind(record.last_failure_at.map(StoredTime))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(charge)
    }

    async fn sign_in(
        &self,
        session: &Session,
        client: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM password_failures WHERE user_id = $1 AND client = $2")
            .bind(session.user_id.0)
            .bind(client)
            .execute(&mut *tx)
            .await?;
        if session.second_factor {
            clear_second_factor_failures(&mut tx, session.user_id).await?;
        } else {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND second_factor = FALSE")
                .bind(session.user_id.0)
                .execute(&mut *tx)
                .await?;
        }
        insert_session(&mut tx, session).await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT token_hash, user_id, csrf_token, pending_totp, second_factor, created_at, \
             last_seen_at, expires_at FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.readers)
        .await?;
        Ok(row.map(|row| Session {
            token_hash: row.token_hash,
            user_id: UserId(row.user_id),
            csrf_token: row.csrf_token,
            second_factor: row.second_factor,
            pending_totp: row.pending_totp,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
        }))
    }

    async fn touch_session(&self, token_hash: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(StoredTime(now))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn complete_second_factor(
        &self,
        pending: &str,
        session: &Session,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let ended: Option<i64> = sqlx::query_scalar(
            "DELETE FROM sessions WHERE token_hash = $1 AND user_id = $2 \
             AND second_factor = FALSE RETURNING user_id",
        )
        .bind(pending)
        .bind(session.user_id.0)
        .fetch_optional(&mut *tx)
        .await?;
        if ended.is_none() {
            return Ok(false);
        }
        clear_second_factor_failures(&mut tx, session.user_id).await?;
        insert_session(&mut tx, session).await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_pending_totp(
        &self,
        token_hash: &str,
        secret: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET pending_totp = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(secret)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn delete_sessions_of(&self, user: UserId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn delete_pending_sessions_of(&self, user: UserId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND second_factor = FALSE")
            .bind(user.0)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

pub(super) async fn clear_second_factor_failures<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user: UserId,
) -> Result<(), StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(
        "UPDATE users SET second_factor_failures = 0, second_factor_locked_until = NULL, \
         second_factor_last_failure_at = NULL WHERE id = $1",
    )
    .bind(user.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_session<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    session: &Session,
) -> Result<(), StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(INSERT_SESSION)
        .bind(session.token_hash.as_str())
        .bind(session.user_id.0)
        .bind(session.csrf_token.as_str())
        .bind(session.second_factor)
        .bind(StoredTime(session.created_at))
        .bind(StoredTime(session.last_seen_at))
        .bind(StoredTime(session.expires_at))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Signs the account out everywhere but the session `keep`.
pub(super) async fn delete_other_sessions<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user: UserId,
    keep: &str,
) -> Result<(), StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user.0)
        .bind(keep)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
