//! The conversation on a report between the desk and the finder.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::triage::Author;
use crate::StoreError;

/// One message; both sides see every one.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: i64,
    pub created_at: OffsetDateTime,
    pub from_finder: bool,
    /// The staff member's e-mail, or "finder".
    pub author_label: String,
    pub body: String,
}

#[async_trait]
pub trait MessageStore: Send + Sync {
    /// A message from the desk to the finder.
    async fn add_staff_message(
        &self,
        report_id: i64,
        body: &str,
        author: Author<'_>,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError>;

    /// The finder's reply. It answers any request for information, so the report's
    /// needs-info flag is cleared in the same transaction (and the history says so).
    async fn add_finder_message(
        &self,
        report_id: i64,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError>;

    /// The whole conversation, oldest first.
    async fn messages(&self, report_id: i64) -> Result<Vec<Message>, StoreError>;
}
