//! Appeals in the store: filed once per report with the staff notices and the history
//! event, decided once, a reopening moving the report back to triaged in the same
//! transaction as the decision and its audit entry.

use async_trait::async_trait;
use cvdesk_domain::appeal::{Appeal, Decision};
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::staff::UserId;
use time::OffsetDateTime;

use crate::{NewMail, StoreError};

/// A finder's appeal about to be stored.
pub struct NewAppeal<'a> {
    pub report_id: i64,
    pub reason: &'a str,
    pub at: OffsetDateTime,
    /// The staff notices, queued with the appeal.
    pub staff_mail: &'a [NewMail],
}

#[async_trait]
pub trait AppealStore: Send + Sync {
    /// The report's appeal, open or decided.
    async fn appeal(&self, report_id: i64) -> Result<Option<Appeal>, StoreError>;

    /// Stores the appeal of a report closed as informative, duplicate or not applicable,
    /// noting who closed it (the last move's author), with a history event, the staff
    /// notices and `audit`, in one transaction. `Conflict` when the report is in another
    /// state or was appealed before.
    async fn file_appeal(&self, new: NewAppeal<'_>, audit: &AuditEvent) -> Result<(), StoreError>;

    /// Records the decision; a reopening moves the report back to triaged (with its
    /// history event). `Conflict` when the appeal was decided meanwhile or the report left
    /// the contested state.
    async fn decide_appeal(
        &self,
        report_id: i64,
        decision: &Decision,
        decided_by: UserId,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}
