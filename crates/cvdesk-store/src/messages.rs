//! The conversation on a report between the desk and the finder.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::report::AttachmentMeta;
use time::OffsetDateTime;

use crate::outbox::NewMail;
use crate::{NewAttachment, StoreError};

/// One message; both sides see every one.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: i64,
    pub created_at: OffsetDateTime,
    pub from_finder: bool,
    /// The staff member's e-mail, or "finder".
    pub author_label: String,
    pub body: String,
    /// The files sent with it, oldest first; their bytes come from `ReportStore::attachment`.
    pub attachments: Vec<AttachmentMeta>,
}

#[async_trait]
pub trait MessageStore: Send + Sync {
    /// A message from the desk to the finder, by the person `audit` names; `mail` (telling
    /// the finder) is queued and `audit` appended in the same transaction.
    async fn add_staff_message(
        &self,
        report_id: i64,
        body: &str,
        audit: &AuditEvent,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<i64, StoreError>;

    /// The finder's reply. It answers any request for information, so the report's
    /// needs-info flag is cleared in the same transaction (and the history says so);
    /// `mail` (telling the staff) is queued in it too. `files` become the report's
    /// attachments, sent with this message; their bytes are stored before the message
    /// commits. Files are refused (`FilesRefused`, nothing stored) when the report is
    /// closed or they would take it past `max_report_bytes` over its life.
    async fn add_finder_message(
        &self,
        report_id: i64,
        body: &str,
        files: &[NewAttachment],
        max_report_bytes: u64,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<i64, StoreError>;

    /// The whole conversation, oldest first.
    async fn messages(&self, report_id: i64) -> Result<Vec<Message>, StoreError>;

    /// Records the finder's request for a status update unless they made one after
    /// `previous_before` (one atomic statement, so two clicks cannot both count).
    /// `Ok(None)`: recorded, and `mail` queued in the same transaction. `Ok(Some(at))`:
    /// refused, the last request was at `at`, and no mail is queued.
    async fn request_update(
        &self,
        report_id: i64,
        mail: &[NewMail],
        now: OffsetDateTime,
        previous_before: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StoreError>;

    /// When the finder last asked for an update.
    async fn last_update_request(
        &self,
        report_id: i64,
    ) -> Result<Option<OffsetDateTime>, StoreError>;
}
