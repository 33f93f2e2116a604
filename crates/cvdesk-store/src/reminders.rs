//! Reminders to staff about deadlines and owed updates: the times they are worked out from,
//! and the record that makes each one go out once, however many instances look and however
//! often they restart.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::outbox::NewMail;
use crate::StoreError;

/// An assigned report's times for the fortnightly update to the finder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateTimes {
    pub report_id: i64,
    /// When the report last became assigned; `None` only if its history lacks the change.
    pub assigned_at: Option<OffsetDateTime>,
    /// The last message the desk sent the finder.
    pub last_update_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait ReminderStore: Send + Sync {
    /// Every assigned report with its update times, oldest report first, at most `limit`.
    async fn update_times(&self, limit: u32) -> Result<Vec<UpdateTimes>, StoreError>;

    /// Records the reminder `reminder` (e.g. `triage`) of the report due at `due_at` and
    /// queues `mail` in the same transaction, unless that reminder was recorded before:
    /// then nothing is queued and the answer is `false`. Instants are kept to the second.
    async fn queue_reminder(
        &self,
        report_id: i64,
        reminder: &str,
        due_at: OffsetDateTime,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}
