//! Inbound mail as received: where each message went, and the quarantine of what matched
//! nothing or could not be read.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::StoreError;

/// Where a received message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Case(i64),
    Report(i64),
    Quarantined,
}

/// A message as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    pub id: i64,
    pub received_at: OffsetDateTime,
    pub delivery: Delivery,
    pub reason: Option<String>,
    pub sender: Option<String>,
    pub subject: String,
    pub message_id: Option<String>,
    pub size_bytes: u64,
}

/// A message to keep.
pub struct NewReceivedMail<'a> {
    pub received_at: OffsetDateTime,
    pub reason: Option<&'a str>,
    pub sender: Option<&'a str>,
    pub subject: &'a str,
    pub message_id: Option<&'a str>,
    pub size_bytes: u64,
    /// The message as received (its first bytes when it is over the limit).
    pub raw: &'a [u8],
}

#[async_trait]
pub trait InboundMailStore: Send + Sync {
    /// Keeps a message in the quarantine first, so it is never lost whatever happens
    /// next; returns its id.
    async fn keep_received_mail(&self, mail: NewReceivedMail<'_>) -> Result<i64, StoreError>;

    /// Records where a kept message went (a case or a report), or why it stays in the
    /// quarantine.
    async fn deliver_received_mail(
        &self,
        id: i64,
        delivery: Delivery,
        reason: Option<&str>,
    ) -> Result<(), StoreError>;

    /// The quarantine, newest first.
    async fn quarantined_mail(&self, limit: u32) -> Result<Vec<ReceivedMail>, StoreError>;

    /// The e-mail address and OpenPGP key a report's finder gave, when the report exists.
    async fn finder_contact(
        &self,
        report_id: i64,
    ) -> Result<Option<(Option<String>, Option<String>)>, StoreError>;

    /// A kept message's raw bytes.
    async fn received_mail_raw(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError>;
}
