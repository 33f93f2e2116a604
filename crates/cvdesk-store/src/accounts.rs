//! Staff accounts as the store keeps them: sign-in secrets (hashed), second factor, team
//! membership, and whether the account may sign in at all. Each change on behalf of a
//! person appends its audit entry in the change's own transaction.

use std::collections::BTreeSet;

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::staff::{Actor, ProductId, Role, UserId};
use time::OffsetDateTime;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    /// argon2id PHC string; `None` until the account holder chose a password.
    pub password_hash: Option<String>,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub disabled: bool,
    /// Products owned by the teams this account belongs to.
    pub products: BTreeSet<ProductId>,
}

/// An account about to be made on the command line.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub role: Role,
    /// Products whose owning teams the account joins.
    pub products: &'a [String],
    pub password_link_hash: &'a str,
    pub password_link_expires_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
}

/// A second factor confirmed by its first code.
pub struct NewSecondFactor<'a> {
    pub secret: &'a [u8],
    pub recovery_code_hashes: &'a [String],
    /// The time step of the code that confirmed it, so that code cannot sign in again.
    pub confirmed_step: i64,
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            role: self.role,
            products: self.products.clone(),
        }
    }
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account without a password, a member of the teams owning `products`,
    /// with the one-time link that lets it choose a password: all or nothing.
    /// `Conflict` when the e-mail is taken, `Missing` for an unknown product or one
    /// without a team.
    async fn create_account(
        &self,
        account: &NewAccount<'_>,
        audit: &AuditEvent,
    ) -> Result<UserId, StoreError>;

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;

    async fn user_count(&self) -> Result<i64, StoreError>;

    /// Every account, by e-mail address.
    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// Disables (or enables) the account. Disabling ends its sessions and revokes its API
    /// tokens at once, and is refused (`Conflict`) for the only enabled admin; enabling
    /// also lifts any sign-in lock. `Missing` when there is no such account.
    async fn set_user_disabled(
        &self,
        user: UserId,
        disabled: bool,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Records a one-time link that creates the first admin.
    async fn create_setup_link(
        &self,
        token_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Creates the first admin with a password, using up the link, with `audit` in the
    /// same transaction; `None`, changing nothing, when the link is unknown, used or
    /// expired, or an account exists already.
    async fn create_first_admin(
        &self,
        token_hash: &str,
        email: &str,
        password_hash: &str,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<Option<UserId>, StoreError>;

    /// Whose password an unused, unexpired password link sets.
    async fn password_link_owner(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreError>;

    /// Sets the password if the link is unused and unexpired, using it up, ending the
    /// account's sessions and forgetting its sign-in failures, with `audit` in the same
    /// transaction; returns whose password was set.
    async fn set_password_with_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<Option<UserId>, StoreError>;

    /// Replaces the password and ends every other session of the account (`keep` is the
    /// session making the change).
    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Whether a password link (`setup = false`) or set-up link (`setup = true`) is still
    /// unused and unexpired, so the page can say so before anyone types.
    async fn link_usable(
        &self,
        token_hash: &str,
        setup: bool,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Turns the second factor on with its recovery codes, clears the secret the session
    /// `keep` was offered, and ends every other session of the account.
    async fn enable_second_factor(
        &self,
        user: UserId,
        factor: &NewSecondFactor<'_>,
        keep: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Turns the second factor off, with its recovery codes, and ends every other session
    /// of the account.
    async fn disable_second_factor(
        &self,
        user: UserId,
        keep: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Records the time step of an accepted code; false when that step (or a later one)
    /// was already used, so a code cannot be replayed even by two racing requests.
    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool, StoreError>;

    /// Uses up a recovery code; false when it is unknown or already used.
    async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}
