//! API tokens: created and revoked with their audit entries, and found by hash only while
//! unexpired, unrevoked and held by an enabled account.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::staff::UserId;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::accounts::{Bound, UserRow};
use super::audit::{append_audit_in, AuditRow};
use super::{SqlStore, StoredTime};
use crate::api_tokens::{ApiToken, ApiTokenStore, NewApiToken};
use crate::{StoreError, User};

#[derive(FromRow)]
pub struct ApiTokenRow {
    id: i64,
    user_id: i64,
    email: String,
    label: String,
    created_at: OffsetDateTime,
    last_used_at: Option<OffsetDateTime>,
    expires_at: Option<OffsetDateTime>,
    revoked_at: Option<OffsetDateTime>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(row: ApiTokenRow) -> Self {
        ApiToken {
            id: row.id,
            user: UserId(row.user_id),
            email: row.email,
            label: row.label,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        }
    }
}

const TOKEN_COLUMNS: &str = "SELECT t.id, t.user_id, u.email, t.label, t.created_at, \
     t.last_used_at, t.expires_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id";

#[async_trait]
impl<DB> ApiTokenStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> Option<StoredTime>: Encode<'q, DB> + Type<DB>,
    for<'r> ApiTokenRow: FromRow<'r, DB::Row>,
    for<'r> UserRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_api_token(
        &self,
        token: &NewApiToken<'_>,
        audit: &AuditEvent,
    ) -> Result<i64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (token_hash, user_id, label, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(token.token_hash)
        .bind(token.user.0)
        .bind(token.label)
        .bind(StoredTime(token.created_at))
        .bind(token.expires_at.map(StoredTime))
        .fetch_one(&mut *tx)
        .await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn api_tokens(&self, user: Option<UserId>) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<ApiTokenRow> = sqlx::query_as(&format!(
            "{TOKEN_COLUMNS} WHERE $1 IS NULL OR t.user_id = $1 ORDER BY t.id DESC"
        ))
        .bind(user.map(|user| user.0))
        .fetch_all(&self.readers)
        .await?;
        Ok(rows.into_iter().map(ApiToken::from).collect())
    }

    async fn revoke_api_token(
        &self,
        id: i64,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let revoked: Option<i64> = sqlx::query_scalar(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL \
             RETURNING id",
        )
        .bind(id)
        .bind(StoredTime(now))
        .fetch_optional(&mut *tx)
        .await?;
        if revoked.is_none() {
            return Err(StoreError::Missing(format!(
                "there is no API token {id} that is not revoked"
            )));
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user_by_api_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let user: Option<i64> = sqlx::query_scalar(
            "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2) \
             RETURNING user_id",
        )
        .bind(token_hash)
        .bind(StoredTime(now))
        .fetch_optional(&self.writer)
        .await?;
        match user {
            Some(id) => Ok(self
                .user_where("id = $1", Bound::Id(id))
                .await?
                .filter(|user| !user.disabled)),
            None => Ok(None),
        }
    }
}
