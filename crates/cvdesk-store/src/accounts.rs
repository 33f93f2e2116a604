//! Staff accounts as the store keeps them: sign-in secrets (hashed), second factor, API
//! tokens and team membership.

use std::collections::BTreeSet;

use async_trait::async_trait;
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
    /// Creates an account without a password; `Conflict` when the e-mail is taken.
    async fn create_user(
        &self,
        email: &str,
        role: Role,
        now: OffsetDateTime,
    ) -> Result<UserId, StoreError>;

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;

    async fn user_count(&self) -> Result<i64, StoreError>;

    /// Records a one-time link that creates the first admin.
    async fn create_setup_link(
        &self,
        token_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Creates the first admin with a password, using up the link; `None` when the link is
    /// unknown, used or expired, or an account exists already.
    async fn create_first_admin(
        &self,
        token_hash: &str,
        email: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreError>;

    /// Makes the account a member of the team that owns `product`.
    async fn grant_product(&self, user: UserId, product: &str) -> Result<(), StoreError>;

    async fn create_password_link(
        &self,
        user: UserId,
        token_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Sets the password if the link is unused and unexpired, using it up; returns whose
    /// password was set.
    async fn set_password_with_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreError>;

    async fn set_password(&self, user: UserId, password_hash: &str) -> Result<(), StoreError>;

    /// Whether a password link (`setup = false`) or set-up link (`setup = true`) is still
    /// unused and unexpired, so the page can say so before anyone types.
    async fn link_usable(
        &self,
        token_hash: &str,
        setup: bool,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Stores (or, with `None`, removes) the second factor and its recovery codes.
    async fn set_totp(
        &self,
        user: UserId,
        secret: Option<&[u8]>,
        recovery_code_hashes: &[String],
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

    async fn create_api_token(
        &self,
        user: UserId,
        token_hash: &str,
        label: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The enabled account holding this API token, noting its use.
    async fn user_by_api_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError>;
}
