//! The job queue's rows: ensuring, scheduling, leased claims and outcomes.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::{Duration, OffsetDateTime};

use super::audit::{append_audit_in, AuditRow};
use super::{SqlStore, StoredTime};
use crate::jobs::{ClaimedJob, JobEntry, JobOutcome, JobState, JobStore, NewJob};
use crate::StoreError;

const ENSURE: &str = "INSERT INTO jobs (kind, subject, payload, state, run_at, created_at) \
     VALUES ($1, $2, $3, 'queued', $4, $5) ON CONFLICT (kind, subject) DO NOTHING RETURNING id";

pub(super) const SCHEDULE: &str =
    "INSERT INTO jobs (kind, subject, payload, state, run_at, created_at) \
     VALUES ($1, $2, $3, 'queued', $4, $5) ON CONFLICT (kind, subject) DO UPDATE SET \
     payload = excluded.payload, state = 'queued', run_at = excluded.run_at, \
     lease_until = NULL, claimed_by = NULL, attempts = 0, last_error = NULL, \
     finished_at = NULL WHERE jobs.state <> 'running' RETURNING id";

pub(super) const CANCEL: &str =
    "DELETE FROM jobs WHERE kind = $1 AND subject = $2 AND state <> 'running' RETURNING id";

/// The due test is repeated outside the subquery because PostgreSQL re-checks it on the
/// newest row version when a concurrent claim took the row first, and then skips it;
/// SQLite has one writer.
const CLAIM: &str = "UPDATE jobs SET state = 'running', lease_until = $1, claimed_by = $2, \
     attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM jobs \
         WHERE (state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_until <= $3) \
         ORDER BY run_at, id LIMIT $4) \
     AND ((state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_until <= $3)) \
     RETURNING id, kind, subject, payload, run_at, attempts, lease_until";

/// Only the claim that holds the job may change it.
const HELD: &str = "id = $1 AND state = 'running' AND attempts = $2";

const COLUMNS: &str = "SELECT id, kind, subject, state, run_at, lease_until, claimed_by, \
     attempts, last_error, created_at, finished_at FROM jobs";

#[derive(FromRow)]
pub struct ClaimedRow {
    id: i64,
    kind: String,
    subject: String,
    payload: String,
    run_at: OffsetDateTime,
    attempts: i64,
    lease_until: Option<OffsetDateTime>,
}

#[derive(FromRow)]
pub struct JobRow {
    id: i64,
    kind: String,
    subject: String,
    state: String,
    run_at: OffsetDateTime,
    lease_until: Option<OffsetDateTime>,
    claimed_by: Option<String>,
    attempts: i64,
    last_error: Option<String>,
    created_at: OffsetDateTime,
    finished_at: Option<OffsetDateTime>,
}

impl JobRow {
    fn into_entry(self) -> Result<JobEntry, StoreError> {
        Ok(JobEntry {
            id: self.id,
            state: JobState::parse(&self.state)?,
            kind: self.kind,
            subject: self.subject,
            run_at: self.run_at,
            lease_until: self.lease_until,
            claimed_by: self.claimed_by,
            attempts: self.attempts,
            last_error: self.last_error,
            created_at: self.created_at,
            finished_at: self.finished_at,
        })
    }
}

#[async_trait]
impl<DB> JobStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> OffsetDateTime: Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> Option<OffsetDateTime>: Decode<'q, DB> + Type<DB>,
    for<'q> Option<StoredTime>: Encode<'q, DB> + Type<DB>,
    for<'r> ClaimedRow: FromRow<'r, DB::Row>,
    for<'r> JobRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn ensure_job(&self, job: NewJob<'_>, now: OffsetDateTime) -> Result<bool, StoreError> {
        let queued: Option<i64> = sqlx::query_scalar(ENSURE)
            .bind(job.kind)
            .bind(job.subject)
            .bind(job.payload)
            .bind(StoredTime(job.run_at))
            .bind(StoredTime(now))
            .fetch_optional(&self.writer)
            .await?;
        Ok(queued.is_some())
    }

    async fn schedule_job(&self, job: NewJob<'_>, now: OffsetDateTime) -> Result<bool, StoreError> {
        let queued: Option<i64> = sqlx::query_scalar(SCHEDULE)
            .bind(job.kind)
            .bind(job.subject)
            .bind(job.payload)
            .bind(StoredTime(job.run_at))
            .bind(StoredTime(now))
            .fetch_optional(&self.writer)
            .await?;
        Ok(queued.is_some())
    }

    async fn cancel_job(&self, kind: &str, subject: &str) -> Result<bool, StoreError> {
        let removed: Option<i64> = sqlx::query_scalar(CANCEL)
            .bind(kind)
            .bind(subject)
            .fetch_optional(&self.writer)
            .await?;
        Ok(removed.is_some())
    }

    async fn claim_jobs(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let lease_until = now + lease;
        let rows: Vec<ClaimedRow> = sqlx::query_as(CLAIM)
            .bind(StoredTime(lease_until))
            .bind(worker)
            .bind(StoredTime(now))
            .bind(i64::from(limit))
            .fetch_all(&self.writer)
            .await?;
        let mut claimed: Vec<ClaimedJob> = rows
            .into_iter()
            .map(|row| ClaimedJob {
                id: row.id,
                kind: row.kind,
                subject: row.subject,
                payload: row.payload,
                run_at: row.run_at,
                attempt: row.attempts,
                lease_until: row.lease_until.unwrap_or(lease_until),
            })
            .collect();
        // RETURNING gives no order; the longest overdue first.
        claimed.sort_by_key(|job| (job.run_at, job.id));
        Ok(claimed)
    }

    async fn renew_job_lease(
        &self,
        job: &ClaimedJob,
        until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let renewed: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE jobs SET lease_until = $3 WHERE {HELD} RETURNING id"
        ))
        .bind(job.id)
        .bind(job.attempt)
        .bind(StoredTime(until))
        .fetch_optional(&self.writer)
        .await?;
        Ok(renewed.is_some())
    }

    async fn finish_job(
        &self,
        job: &ClaimedJob,
        outcome: &JobOutcome,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (state, run_at, error, finished_at) = match outcome {
            JobOutcome::Done => ("done", job.run_at, None, Some(now)),
            JobOutcome::RunAgainAt(at) => ("queued", *at, None, None),
            JobOutcome::RetryAt { at, error } => ("queued", *at, Some(error.as_str()), None),
            JobOutcome::GivenUp { error } => {
                ("failed", job.run_at, Some(error.as_str()), Some(now))
            }
        };
        // A periodic job that ran well starts its attempts afresh.
        let attempts = match outcome {
            JobOutcome::RunAgainAt(_) => "0",
            _ => "attempts",
        };
        let finished: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE jobs SET state = $3, run_at = $4, last_error = $5, finished_at = $6, \
             lease_until = NULL, claimed_by = NULL, attempts = {attempts} \
             WHERE {HELD} RETURNING id"
        ))
        .bind(job.id)
        .bind(job.attempt)
        .bind(state)
        .bind(StoredTime(run_at))
        .bind(error)
        .bind(finished_at.map(StoredTime))
        .fetch_optional(&self.writer)
        .await?;
        Ok(finished.is_some())
    }

    async fn release_job(&self, job: &ClaimedJob) -> Result<bool, StoreError> {
        let released: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE jobs SET state = 'queued', lease_until = NULL, claimed_by = NULL, \
             attempts = attempts - 1 WHERE {HELD} RETURNING id"
        ))
        .bind(job.id)
        .bind(job.attempt)
        .fetch_optional(&self.writer)
        .await?;
        Ok(released.is_some())
    }

    async fn jobs(&self, limit: u32) -> Result<Vec<JobEntry>, StoreError> {
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "{COLUMNS} WHERE state <> 'done' UNION ALL \
             SELECT * FROM ({COLUMNS} WHERE state = 'done' ORDER BY finished_at DESC, id DESC \
             LIMIT $1) AS recent ORDER BY id DESC"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter().map(JobRow::into_entry).collect()
    }

    async fn retry_job(
        &self,
        id: i64,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let queued: Option<i64> = sqlx::query_scalar(
            "UPDATE jobs SET state = 'queued', run_at = $2, attempts = 0, finished_at = NULL \
             WHERE id = $1 AND state = 'failed' RETURNING id",
        )
        .bind(id)
        .bind(StoredTime(now))
        .fetch_optional(&mut *tx)
        .await?;
        if queued.is_none() {
            return Ok(false);
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn oldest_due_job(&self, now: OffsetDateTime) -> Result<Option<Duration>, StoreError> {
        let oldest: Option<OffsetDateTime> = sqlx::query_scalar(
            "SELECT MIN(run_at) FROM jobs WHERE state = 'queued' AND run_at <= $1",
        )
        .bind(StoredTime(now))
        .fetch_one(&self.readers)
        .await?;
        Ok(oldest.map(|at| now - at))
    }
}
