//! API tokens as the store keeps them: the token's hash, whose it is, what it is for, and
//! until when it works. A token is refused once it expires or is revoked, and all of an
//! account's tokens are revoked when the account is disabled.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::staff::UserId;
use time::OffsetDateTime;

use crate::{StoreError, User};

/// A token about to be stored; the token itself is shown once and never kept.
pub struct NewApiToken<'a> {
    pub user: UserId,
    pub token_hash: &'a str,
    pub label: &'a str,
    pub created_at: OffsetDateTime,
    /// `None` only for tokens made before tokens expired.
    pub expires_at: Option<OffsetDateTime>,
}

/// A stored token, without its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub user: UserId,
    pub email: String,
    pub label: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// Whether a token still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

impl TokenState {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Active => "active",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }
}

impl ApiToken {
    pub fn state(&self, now: OffsetDateTime) -> TokenState {
        if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if self.expires_at.is_some_and(|expires| expires <= now) {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }
}

#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    /// Stores a token with its audit entry; returns its id.
    async fn create_api_token(
        &self,
        token: &NewApiToken<'_>,
        audit: &AuditEvent,
    ) -> Result<i64, StoreError>;

    /// The tokens of one account, or of every account, newest first.
    async fn api_tokens(&self, user: Option<UserId>) -> Result<Vec<ApiToken>, StoreError>;

    /// Revokes a token that still works, with its audit entry; `Missing` when there is no
    /// such token or it was already revoked.
    async fn revoke_api_token(
        &self,
        id: i64,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// The enabled account holding this unexpired, unrevoked token, noting its use.
    async fn user_by_api_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError>;
}
