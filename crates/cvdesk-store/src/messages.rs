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

    /// Records the finder's request for a status update unless they made one after
    /// `previous_before` (one atomic statement, so two clicks cannot both count).
    /// `Ok(None)`: recorded. `Ok(Some(at))`: refused, the last request was at `at`.
    async fn request_update(
        &self,
        report_id: i64,
        now: OffsetDateTime,
        previous_before: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StoreError>;

    /// When the finder last asked for an update.
    async fn last_update_request(
        &self,
        report_id: i64,
    ) -> Result<Option<OffsetDateTime>, StoreError>;
}
