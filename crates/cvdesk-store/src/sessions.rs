//! Signing in as the store keeps it: sessions (the token's hash, the CSRF token, whether
//! the second factor is done) and the failed attempts that lock a credential.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::sign_in::{Charge, Lockout};
use cvdesk_domain::staff::UserId;
use time::OffsetDateTime;

use crate::StoreError;

/// A signed-in browser. The token itself lives only in the cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: UserId,
    pub csrf_token: String,
    /// False between the password and the one-time code of an account with two factors.
    pub second_factor: bool,
    /// A second-factor secret offered for enrolment and not confirmed yet.
    pub pending_totp: Option<Vec<u8>>,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Charges one password attempt for `user` from `client` (a client address as rate
    /// limits key it) under `lockout`, storing the charge before the password is checked.
    async fn charge_password_attempt(
        &self,
        user: UserId,
        client: &str,
        lockout: &Lockout,
        now: OffsetDateTime,
    ) -> Result<Charge, StoreError>;

    /// Charges one one-time code attempt for `user` under `lockout`, storing the charge
    /// before the code is checked.
    async fn charge_second_factor_attempt(
        &self,
        user: UserId,
        lockout: &Lockout,
        now: OffsetDateTime,
    ) -> Result<Charge, StoreError>;

    /// Starts `session` after a correct password from `client`, forgetting that client's
    /// password failures. A session that waits for the second factor replaces any other
    /// such session of the account (only one can be used); a complete one also clears the
    /// second-factor failures. `audit` is appended in the same transaction.
    async fn sign_in(
        &self,
        session: &Session,
        client: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError>;

    async fn touch_session(&self, token_hash: &str, now: OffsetDateTime) -> Result<(), StoreError>;

    /// Replaces the session `pending`, which waits for the second factor, with the complete
    /// `session` (a new token) and clears the second-factor failures, with `audit` in the
    /// same transaction; false, changing nothing, when `pending` no longer waits (ended by
    /// a lock or by signing out).
    async fn complete_second_factor(
        &self,
        pending: &str,
        session: &Session,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;

    /// Keeps (or clears) a second-factor secret between showing it and its confirmation.
    async fn set_pending_totp(
        &self,
        token_hash: &str,
        secret: Option<&[u8]>,
    ) -> Result<(), StoreError>;

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Signs the account out everywhere (after a password change, for instance).
    async fn delete_sessions_of(&self, user: UserId) -> Result<(), StoreError>;

    /// Ends the account's sessions that wait for the second factor: after a lock, the
    /// password must be given again.
    async fn delete_pending_sessions_of(&self, user: UserId) -> Result<(), StoreError>;
}
