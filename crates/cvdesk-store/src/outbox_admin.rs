//! The admins' view of the outbox: every mail with where it stands (queued, retrying,
//! given up, discarded, sent) and its last error; a given-up mail queued again, a mail not
//! sent discarded, each with its audit entry in the same transaction; the mail to a
//! report's finder that could not be delivered; and the outbox's health for the metrics.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use time::{Duration, OffsetDateTime};

use crate::outbox::MailKind;
use crate::StoreError;

/// Where a mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxState {
    /// Not tried yet.
    Queued,
    /// Tried and failed; tried again at its next attempt.
    Retrying,
    /// Given up after a permanent refusal or three days of failures.
    GivenUp,
    /// An admin decided it is not to be sent.
    Discarded,
    Sent,
}

impl OutboxState {
    pub const ALL: [OutboxState; 5] = [
        OutboxState::Queued,
        OutboxState::Retrying,
        OutboxState::GivenUp,
        OutboxState::Discarded,
        OutboxState::Sent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Retrying => "retrying",
            OutboxState::GivenUp => "given_up",
            OutboxState::Discarded => "discarded",
            OutboxState::Sent => "sent",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        OutboxState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// One mail as admins see it: who it is for and what it is about, not its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub created_at: OffsetDateTime,
    pub kind: MailKind,
    pub report_id: Option<i64>,
    pub recipient: String,
    pub subject: String,
    pub attempts: u32,
    pub state: OutboxState,
    /// When it is tried next (queued, retrying), or when it was sent, given up or
    /// discarded.
    pub at: OffsetDateTime,
    pub last_error: Option<String>,
}

/// How the outbox stands, for the operator's metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxHealth {
    /// Mail not sent yet and not given up (queued or retrying).
    pub waiting: u64,
    /// How long the oldest waiting mail has waited.
    pub oldest_waiting: Option<Duration>,
    /// Mail given up on and not discarded.
    pub given_up: u64,
}

#[async_trait]
pub trait OutboxAdminStore: Send + Sync {
    /// Mail in `state` (every mail without one), newest first, up to `limit`, older than
    /// `before` (an id) when given.
    async fn outbox_items(
        &self,
        state: Option<OutboxState>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, StoreError>;

    async fn outbox_item(&self, id: i64) -> Result<Option<OutboxItem>, StoreError>;

    /// Queues a given-up mail again, due at `now`, with a fresh three days before it is
    /// given up again, and appends `audit` in the same transaction; `false` (and no entry)
    /// when the mail is not given up (or was discarded).
    async fn requeue_mail(
        &self,
        id: i64,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Marks a mail not sent yet (queued, retrying or given up) as discarded, so it is never
    /// sent, and appends `audit` in the same transaction; `false` (and no entry) when it
    /// was sent or discarded already.
    async fn discard_mail(
        &self,
        id: i64,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// The mail to a report's finder that was given up (discarded or not), newest first.
    async fn undelivered_finder_mail(&self, report_id: i64) -> Result<Vec<OutboxItem>, StoreError>;

    async fn outbox_health(&self, now: OffsetDateTime) -> Result<OutboxHealth, StoreError>;
}
