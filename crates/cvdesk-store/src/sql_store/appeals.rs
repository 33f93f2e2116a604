//! Appeals for both backends.

use async_trait::async_trait;
use cvdesk_domain::appeal::{Appeal, AppealOutcome, Decision, APPEALABLE};
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::report::ReportState;
use cvdesk_domain::staff::UserId;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::outbox::insert_mail;
use super::{SqlStore, StoredTime};
use crate::appeals::{AppealStore, NewAppeal};
use crate::StoreError;

#[derive(FromRow)]
pub struct AppealRow {
    filed_at: OffsetDateTime,
    reason: String,
    contested_state: String,
    closed_by: Option<i64>,
    decided_at: Option<OffsetDateTime>,
    decided_by: Option<i64>,
    outcome: Option<String>,
    decision_reason: Option<String>,
}

impl AppealRow {
    fn into_appeal(self, report_id: i64) -> Result<Appeal, StoreError> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("appeal of report {report_id}: {what}"));
        let contested_state: ReportState = self
            .contested_state
            .parse()
            .map_err(|_| corrupt("unknown contested state"))?;
        let decision = match self.outcome {
            None => None,
            Some(text) => Some(Decision {
                outcome: AppealOutcome::parse(&text).ok_or_else(|| corrupt("unknown outcome"))?,
                reason: self.decision_reason,
            }),
        };
        Ok(Appeal {
            filed_at: self.filed_at,
            reason: self.reason,
            contested_state,
            closed_by: self.closed_by.map(UserId),
            decided_at: self.decided_at,
            decided_by: self.decided_by.map(UserId),
            decision,
        })
    }
}

const INSERT_EVENT: &str = "INSERT INTO report_events (report_id, at, actor_id, actor_label, \
     kind, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

#[async_trait]
impl<DB> AppealStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> AppealRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn appeal(&self, report_id: i64) -> Result<Option<Appeal>, StoreError> {
        let row: Option<AppealRow> = sqlx::query_as(
            "SELECT filed_at, reason, contested_state, closed_by, decided_at, decided_by, \
             outcome, decision_reason FROM appeals WHERE report_id = $1",
        )
        .bind(report_id)
        .fetch_optional(&self.readers)
        .await?;
        row.map(|row| row.into_appeal(report_id)).transpose()
    }

    async fn file_appeal(&self, new: NewAppeal<'_>, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        // Locks the report's row: a move and an appeal arriving at once are ordered.
        let state: Option<String> =
            sqlx::query_scalar("UPDATE reports SET state = state WHERE id = $1 RETURNING state")
                .bind(new.report_id)
                .fetch_optional(&mut *tx)
                .await?;
        let state: ReportState = state
            .ok_or_else(|| StoreError::Missing(format!("no report {}", new.report_id)))?
            .parse()
            .map_err(|_| {
                StoreError::Corrupt(format!("report {} has an unknown state", new.report_id))
            })?;
        if !APPEALABLE.contains(&state) {
            return Err(StoreError::Conflict(format!(
                "a report that is {} cannot be appealed",
                state.as_str()
            )));
        }
        let closer: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT actor_id FROM report_events WHERE report_id = $1 AND kind = 'transition' \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(new.report_id)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO appeals (report_id, filed_at, reason, contested_state, closed_by) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new.report_id)
        .bind(StoredTime(new.at))
        .bind(new.reason)
        .bind(state.as_str())
        .bind(closer.flatten())
        .execute(&mut *tx)
        .await
        .map_err(|error| {
            StoreError::conflict_on_unique(error, "this report was appealed before")
        })?;
        sqlx::query(INSERT_EVENT)
            .bind(new.report_id)
            .bind(StoredTime(new.at))
            .bind(None::<i64>)
            .bind("finder")
            .bind("appeal.filed")
            .bind(None::<&str>)
            .bind(None::<&str>)
            .bind(new.reason)
            .execute(&mut *tx)
            .await?;
        insert_mail::<DB>(&mut tx, new.staff_mail, new.at).await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn decide_appeal(
        &self,
        report_id: i64,
        decision: &Decision,
        decided_by: UserId,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let contested: Option<String> = sqlx::query_scalar(
            "UPDATE appeals SET decided_at = $2, decided_by = $3, outcome = $4, \
             decision_reason = $5 WHERE report_id = $1 AND outcome IS NULL \
             RETURNING contested_state",
        )
        .bind(report_id)
        .bind(StoredTime(at))
        .bind(decided_by.0)
        .bind(decision.outcome.as_str())
        .bind(decision.reason.as_deref())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(contested) = contested else {
            return Err(StoreError::Conflict(
                "no appeal of this report is waiting for a decision".to_owned(),
            ));
        };
        let detail = match decision.outcome {
            AppealOutcome::Reopened => "appeal upheld",
            AppealOutcome::Confirmed => "appeal decided: outcome confirmed",
        };
        if decision.outcome == AppealOutcome::Reopened {
            let moved: Option<i64> = sqlx::query_scalar(
                "UPDATE reports SET state = 'triaged', duplicate_of = NULL \
                 WHERE id = $1 AND state = $2 RETURNING id",
            )
            .bind(report_id)
            .bind(contested.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if moved.is_none() {
                return Err(StoreError::Conflict(
                    "the report was moved since it was appealed".to_owned(),
                ));
            }
            sqlx::query(INSERT_EVENT)
                .bind(report_id)
                .bind(StoredTime(at))
                .bind(Some(decided_by.0))
                .bind(audit.actor_label.as_str())
                .bind("transition")
                .bind(Some(contested.as_str()))
                .bind(Some(ReportState::Triaged.as_str()))
                .bind(detail)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(INSERT_EVENT)
                .bind(report_id)
                .bind(StoredTime(at))
                .bind(Some(decided_by.0))
                .bind(audit.actor_label.as_str())
                .bind("appeal.decided")
                .bind(None::<&str>)
                .bind(None::<&str>)
                .bind(decision.reason.as_deref().unwrap_or(detail))
                .execute(&mut *tx)
                .await?;
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
