//! Accounts, one-time links, the second factor and API tokens.

use std::collections::BTreeSet;

use async_trait::async_trait;
use cvdesk_domain::staff::{ProductId, Role, UserId};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::{SqlStore, StoredTime};
use crate::{AccountStore, StoreError, User};

const USER_COLUMNS: &str = "SELECT id, email, role, password_hash, totp_secret, totp_last_step, \
     disabled FROM users";

#[derive(FromRow)]
pub struct UserRow {
    id: i64,
    email: String,
    role: String,
    password_hash: Option<String>,
    totp_secret: Option<Vec<u8>>,
    totp_last_step: Option<i64>,
    disabled: bool,
}

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'r> UserRow: FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn user_where(
        &self,
        condition: &str,
        value: Bound<'_>,
    ) -> Result<Option<User>, StoreError> {
        let sql = format!("{USER_COLUMNS} WHERE {condition}");
        let query = sqlx::query_as::<_, UserRow>(&sql);
        let row = match value {
            Bound::Text(text) => query.bind(text),
            Bound::Id(id) => query.bind(id),
        }
        .fetch_optional(&self.readers)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let products: Vec<i64> = sqlx::query_scalar(
            "SELECT p.id FROM products p JOIN team_members m ON m.team_id = p.team_id \
             WHERE m.user_id = $1",
        )
        .bind(row.id)
        .fetch_all(&self.readers)
        .await?;
        let role: Role = row
            .role
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("user {}: {e}", row.id)))?;
        Ok(Some(User {
            id: UserId(row.id),
            email: row.email,
            role,
            password_hash: row.password_hash,
            totp_secret: row.totp_secret,
            totp_last_step: row.totp_last_step,
            disabled: row.disabled,
            products: products.into_iter().map(ProductId).collect::<BTreeSet<_>>(),
        }))
    }
}

enum Bound<'a> {
    Text(&'a str),
    Id(i64),
}

/// E-mail addresses compare without case, as mail systems treat them in practice.
fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[async_trait]
impl<DB> AccountStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'r> UserRow: FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_user(
        &self,
        email: &str,
        role: Role,
        now: OffsetDateTime,
    ) -> Result<UserId, StoreError> {
        let email = normalise_email(email);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, role, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(email.as_str())
        .bind(role.as_str())
        .bind(StoredTime(now))
        .fetch_one(&self.writer)
        .await
        .map_err(|e| {
            StoreError::conflict_on_unique(e, format!("an account for {email} exists already"))
        })?;
        Ok(UserId(id))
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let email = normalise_email(email);
        self.user_where("email = $1", Bound::Text(&email)).await
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.user_where("id = $1", Bound::Id(id.0)).await
    }

    async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.readers)
            .await?)
    }

    async fn create_setup_link(
        &self,
        token_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO setup_links (token_hash, expires_at) VALUES ($1, $2)")
            .bind(token_hash)
            .bind(StoredTime(expires_at))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn create_first_admin(
        &self,
        token_hash: &str,
        email: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreError> {
        let email = normalise_email(email);
        let mut tx = self.writer.begin().await?;
        let link: Option<String> = sqlx::query_scalar(
            "UPDATE setup_links SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING token_hash",
        )
        .bind(token_hash)
        .bind(StoredTime(now))
        .fetch_optional(&mut *tx)
        .await?;
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *tx)
            .await?;
        if link.is_none() || users > 0 {
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, role, password_hash, created_at) \
             VALUES ($1, 'admin', $2, $3) RETURNING id",
        )
        .bind(email.as_str())
        .bind(password_hash)
        .bind(StoredTime(now))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(UserId(id)))
    }

    async fn grant_product(&self, user: UserId, product: &str) -> Result<(), StoreError> {
        let team: Option<Option<i64>> =
            sqlx::query_scalar("SELECT team_id FROM products WHERE name = $1")
                .bind(product)
                .fetch_optional(&self.writer)
                .await?;
        let team = match team {
            None => {
                return Err(StoreError::Missing(format!(
                    "there is no product named {product:?}"
                )))
            }
            Some(None) => {
                return Err(StoreError::Missing(format!(
                    "product {product:?} has no owning team yet"
                )))
            }
            Some(Some(team)) => team,
        };
        sqlx::query(
            "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) \
             ON CONFLICT (team_id, user_id) DO NOTHING",
        )
        .bind(team)
        .bind(user.0)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn create_password_link(
        &self,
        user: UserId,
        token_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO password_links (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(user.0)
        .bind(StoredTime(expires_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn set_password_with_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let user: Option<i64> = sqlx::query_scalar(
            "UPDATE password_links SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
        )
        .bind(token_hash)
        .bind(StoredTime(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(user) = user else {
            return Ok(None);
        };
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
        // A new password starts with a clean slate at every address.
        sqlx::query("DELETE FROM password_failures WHERE user_id = $1")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(UserId(user)))
    }

    async fn link_usable(
        &self,
        token_hash: &str,
        setup: bool,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let table = if setup {
            "setup_links"
        } else {
            "password_links"
        };
        let found: Option<String> = sqlx::query_scalar(&format!(
            "SELECT token_hash FROM {table} \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
        ))
        .bind(token_hash)
        .bind(StoredTime(now))
        .fetch_optional(&self.readers)
        .await?;
        if setup && found.is_some() {
            let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(&self.readers)
                .await?;
            return Ok(users == 0);
        }
        Ok(found.is_some())
    }

    async fn set_password(&self, user: UserId, password_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user.0)
            .bind(password_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn set_totp(
        &self,
        user: UserId,
        secret: Option<&[u8]>,
        recovery_code_hashes: &[String],
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET totp_secret = $2, totp_last_step = NULL WHERE id = $1")
            .bind(user.0)
            .bind(secret)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        for hash in recovery_code_hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user.0)
                .bind(hash.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool, StoreError> {
        let updated: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET totp_last_step = $2 \
             WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id",
        )
        .bind(user.0)
        .bind(step)
        .fetch_optional(&self.writer)
        .await?;
        Ok(updated.is_some())
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let updated: Option<i64> = sqlx::query_scalar(
            "UPDATE recovery_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING user_id",
        )
        .bind(user.0)
        .bind(code_hash)
        .bind(StoredTime(now))
        .fetch_optional(&self.writer)
        .await?;
        Ok(updated.is_some())
    }

    async fn create_api_token(
        &self,
        user: UserId,
        token_hash: &str,
        label: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, user_id, label, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user.0)
        .bind(label)
        .bind(StoredTime(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn user_by_api_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let user: Option<i64> = sqlx::query_scalar(
            "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 RETURNING user_id",
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
