//! Purging a report closed as spam: the report and everything that hangs off it go in one
//! transaction with its audit entry; its files' bytes go after the commit, unless another
//! report's attachment names the same content (a failure there leaves them to the
//! hourly sweep, which removes bytes no attachment names).

use cvdesk_domain::report::ReportState;
use cvdesk_domain::spam::closed_as_spam;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};

use super::audit::{append_audit_in, AuditRow};
use super::{SqlStore, StoredTime};
use crate::{AuditOf, PurgedReport, StoreError};

/// A no-op update that takes the report's row lock, so it cannot move while it is judged.
const LOCK_REPORT: &str = "UPDATE reports SET state = state WHERE id = $1 RETURNING state";
const LAST_MOVE_REASON: &str = "SELECT detail FROM report_events \
     WHERE report_id = $1 AND kind = 'transition' ORDER BY id DESC LIMIT 1";
const FILES_OF_REPORT: &str = "SELECT sha256, size_bytes FROM attachments WHERE report_id = $1";
/// Messages, notes, history, queued mail, reminders and attachments go with it
/// (`ON DELETE CASCADE`).
const DELETE_REPORT: &str = "DELETE FROM reports WHERE id = $1";

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'q> Option<Vec<u8>>: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    for<'r> (String, i64): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    pub(super) async fn purge_spam(
        &self,
        report_id: i64,
        audit: &AuditOf<'_, PurgedReport>,
    ) -> Result<PurgedReport, StoreError> {
        let mut tx = self.writer.begin().await?;
        let state: Option<String> = sqlx::query_scalar(LOCK_REPORT)
            .bind(report_id)
            .fetch_optional(&mut *tx)
            .await?;
        let state: ReportState = state
            .ok_or_else(|| StoreError::Missing(format!("report {report_id} does not exist")))?
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("report {report_id} has an unknown state")))?;
        let reason: Option<String> = sqlx::query_scalar(LAST_MOVE_REASON)
            .bind(report_id)
            .fetch_optional(&mut *tx)
            .await?;
        if !closed_as_spam(state, reason.as_deref()) {
            return Err(StoreError::Conflict(
                "only a report closed as spam can be purged; mark it as spam first".to_owned(),
            ));
        }
        let files: Vec<(String, i64)> = sqlx::query_as(FILES_OF_REPORT)
            .bind(report_id)
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query(DELETE_REPORT)
            .bind(report_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| match &error {
                sqlx::Error::Database(database) if database.is_foreign_key_violation() => {
                    StoreError::Conflict(
                        "the report is named elsewhere (an advisory, a coordination) and \
                         cannot be purged"
                            .to_owned(),
                    )
                }
                _ => StoreError::Database(error),
            })?;
        let purged = PurgedReport {
            files: files.len() as u64,
            bytes: files
                .iter()
                .map(|(_, size)| u64::try_from(*size).unwrap_or(0))
                .sum(),
        };
        append_audit_in::<DB>(&mut tx, &audit(&purged)).await?;
        tx.commit().await?;
        let mut hashes: Vec<String> = files.into_iter().map(|(sha256, _)| sha256).collect();
        hashes.sort_unstable();
        hashes.dedup();
        if let Err(error) = self.remove_unnamed(hashes).await {
            tracing::warn!(%error, "a purged report's files are left to the next sweep");
        }
        Ok(purged)
    }
}
