//! Reminder times from the report history, and the once-only record of reminders queued.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::outbox::insert_mail;
use super::{SqlStore, StoredTime};
use crate::outbox::NewMail;
use crate::reminders::{ReminderStore, UpdateTimes};
use crate::StoreError;

/// The latest change to `assigned` (a report may be assigned again after reopening) and
/// the latest message to the finder.
const UPDATE_TIMES: &str = "SELECT r.id, \
     (SELECT MAX(e.at) FROM report_events e WHERE e.report_id = r.id \
      AND e.kind = 'transition' AND e.to_state = 'assigned') AS assigned_at, \
     (SELECT MAX(e.at) FROM report_events e WHERE e.report_id = r.id \
      AND e.kind = 'message.sent') AS last_update_at \
     FROM reports r WHERE r.state = 'assigned' ORDER BY r.id LIMIT $1";

/// One statement decides: a second instance, or a second look, gets no row back.
const RECORD: &str = "INSERT INTO reminders_sent (report_id, reminder, due_at, queued_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING report_id";

/// Reminder instants are kept to the second, so a due instant computed again from the
/// same report finds its record whatever fraction the times it came from carried.
fn to_the_second(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0).unwrap_or(at)
}

#[derive(FromRow)]
pub struct UpdateTimesRow {
    id: i64,
    assigned_at: Option<OffsetDateTime>,
    last_update_at: Option<OffsetDateTime>,
}

#[async_trait]
impl<DB> ReminderStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> UpdateTimesRow: FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn update_times(&self, limit: u32) -> Result<Vec<UpdateTimes>, StoreError> {
        let rows: Vec<UpdateTimesRow> = sqlx::query_as(UPDATE_TIMES)
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| UpdateTimes {
                report_id: row.id,
                assigned_at: row.assigned_at,
                last_update_at: row.last_update_at,
            })
            .collect())
    }

    async fn queue_reminder(
        &self,
        report_id: i64,
        reminder: &str,
        due_at: OffsetDateTime,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let recorded: Option<i64> = sqlx::query_scalar(RECORD)
            .bind(report_id)
            .bind(reminder)
            .bind(StoredTime(to_the_second(due_at)))
            .bind(StoredTime(to_the_second(now)))
            .fetch_optional(&mut *tx)
            .await?;
        if recorded.is_none() {
            return Ok(false);
        }
        insert_mail::<DB>(&mut tx, mail, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
