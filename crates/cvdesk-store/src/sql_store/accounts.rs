//! Accounts, one-time links and the second factor.

use std::collections::BTreeSet;

use std::collections::BTreeMap;

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::staff::{ProductId, Role, UserId};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::sessions::{clear_second_factor_failures, delete_other_sessions};
use super::{SqlStore, StoredTime};
use crate::accounts::{NewAccount, NewSecondFactor};
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
    pub(super) async fn user_where(
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
        user_from(row, products.into_iter().map(ProductId).collect()).map(Some)
    }
}

fn user_from(row: UserRow, products: BTreeSet<ProductId>) -> Result<User, StoreError> {
    let role: Role = row
        .role
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("user {}: {e}", row.id)))?;
    Ok(User {
        id: UserId(row.id),
        email: row.email,
        role,
        password_hash: row.password_hash,
        totp_secret: row.totp_secret,
        totp_last_step: row.totp_last_step,
        disabled: row.disabled,
        products,
    })
}

pub(super) enum Bound<'a> {
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
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'r> UserRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    for<'r> (i64, i64): FromRow<'r, DB::Row>,
    for<'r> (String, bool): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_account(
        &self,
        account: &NewAccount<'_>,
        audit: &AuditEvent,
    ) -> Result<UserId, StoreError> {
        let email = normalise_email(account.email);
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, role, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(email.as_str())
        .bind(account.role.as_str())
        .bind(StoredTime(account.created_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on_unique(e, format!("an account for {email} exists already"))
        })?;
        for product in account.products {
            let team: Option<Option<i64>> =
                sqlx::query_scalar("SELECT team_id FROM products WHERE name = $1")
                    .bind(product.as_str())
                    .fetch_optional(&mut *tx)
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
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO password_links (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(account.password_link_hash)
        .bind(id)
        .bind(StoredTime(account.password_link_expires_at))
        .execute(&mut *tx)
        .await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
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

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!("{USER_COLUMNS} ORDER BY email"))
            .fetch_all(&self.readers)
            .await?;
        let memberships: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT m.user_id, p.id FROM products p JOIN team_members m ON m.team_id = p.team_id",
        )
        .fetch_all(&self.readers)
        .await?;
        let mut products: BTreeMap<i64, BTreeSet<ProductId>> = BTreeMap::new();
        for (user, product) in memberships {
            products.entry(user).or_default().insert(ProductId(product));
        }
        rows.into_iter()
            .map(|row| {
                let own = products.remove(&row.id).unwrap_or_default();
                user_from(row, own)
            })
            .collect()
    }

    async fn set_user_disabled(
        &self,
        user: UserId,
        disabled: bool,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        // The entry first: it takes the audit head's lock, so two admins disabled at once
        // are decided one after the other and the last enabled admin is never disabled.
        append_audit_in::<DB>(&mut tx, audit).await?;
        let found: Option<(String, bool)> =
            sqlx::query_as("SELECT role, disabled FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((role, was_disabled)) = found else {
            return Err(StoreError::Missing(format!(
                "there is no account {}",
                user.0
            )));
        };
        if disabled && !was_disabled && role == Role::Admin.as_str() {
            let other_admins: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = FALSE AND id <> $1",
            )
            .bind(user.0)
            .fetch_one(&mut *tx)
            .await?;
            if other_admins == 0 {
                return Err(StoreError::Conflict(
                    "this is the only enabled admin; enable or add another admin first".into(),
                ));
            }
        }
        sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1")
            .bind(user.0)
            .bind(disabled)
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(user.0)
            .bind(StoredTime(now))
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query("DELETE FROM password_failures WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            clear_second_factor_failures(&mut tx, user).await?;
        }
        tx.commit().await?;
        Ok(())
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
        audit: &AuditEvent,
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
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Some(UserId(id)))
    }

    async fn set_password_with_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
        audit: &AuditEvent,
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
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Some(UserId(user)))
    }

    async fn password_link_owner(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreError> {
        let user: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM password_links \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(StoredTime(now))
        .fetch_optional(&self.readers)
        .await?;
        Ok(user.map(UserId))
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

    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user.0)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM password_failures WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        delete_other_sessions(&mut tx, user, keep).await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn enable_second_factor(
        &self,
        user: UserId,
        factor: &NewSecondFactor<'_>,
        keep: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET totp_secret = $2, totp_last_step = $3 WHERE id = $1")
            .bind(user.0)
            .bind(factor.secret)
            .bind(factor.confirmed_step)
            .execute(&mut *tx)
            .await?;
        replace_recovery_codes(&mut tx, user, factor.recovery_code_hashes).await?;
        clear_second_factor_failures(&mut tx, user).await?;
        sqlx::query("UPDATE sessions SET pending_totp = NULL WHERE token_hash = $1")
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        delete_other_sessions(&mut tx, user, keep).await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn disable_second_factor(
        &self,
        user: UserId,
        keep: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        replace_recovery_codes(&mut tx, user, &[]).await?;
        delete_other_sessions(&mut tx, user, keep).await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
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
}

async fn replace_recovery_codes<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user: UserId,
    hashes: &[String],
) -> Result<(), StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user.0)
        .execute(&mut **tx)
        .await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user.0)
            .bind(hash.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
