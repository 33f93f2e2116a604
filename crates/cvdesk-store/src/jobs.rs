//! Background jobs as the store keeps them: queued, claimed with a lease by one instance,
//! finished, retried or given up. The store decides who runs what; what a job does is the
//! server's business.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use time::{Duration, OffsetDateTime};

use crate::StoreError;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub(crate) fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "queued" => Ok(JobState::Queued),
            "running" => Ok(JobState::Running),
            "done" => Ok(JobState::Done),
            "failed" => Ok(JobState::Failed),
            other => Err(StoreError::Corrupt(format!("unknown job state {other:?}"))),
        }
    }
}

/// A job to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob<'a> {
    /// What runs it, e.g. `reminders` or `advisory.publish`.
    pub kind: &'a str,
    /// What it is about within its kind; empty for a periodic job (one per kind).
    pub subject: &'a str,
    /// Particulars for the job, as the kind reads them (JSON text or plain text).
    pub payload: &'a str,
    pub run_at: OffsetDateTime,
}

/// A job this instance holds until `lease_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub payload: String,
    /// When it was due.
    pub run_at: OffsetDateTime,
    /// Claims so far, this one included; it also names this claim when the job is
    /// finished, so an instance whose lease ran out cannot overwrite a newer claim.
    pub attempt: i64,
    pub lease_until: OffsetDateTime,
}

/// How a claimed job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// A one-off job is done.
    Done,
    /// A periodic job runs again at this instant.
    RunAgainAt(OffsetDateTime),
    /// It failed and is tried again at this instant, keeping the error.
    RetryAt { at: OffsetDateTime, error: String },
    /// It failed for good: kept with the error until an admin queues it again.
    GivenUp { error: String },
}

/// A job as the admins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEntry {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub state: JobState,
    pub run_at: OffsetDateTime,
    pub lease_until: Option<OffsetDateTime>,
    pub claimed_by: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Queues `job` unless its kind already has one for its subject (whatever that one's
    /// state); returns whether it was queued. Periodic jobs are ensured this way at start.
    async fn ensure_job(&self, job: NewJob<'_>, now: OffsetDateTime) -> Result<bool, StoreError>;

    /// Queues `job`, or moves the queued, done or failed job of its kind and subject to the
    /// new instant and payload; a running job is left alone and the answer is `false`.
    async fn schedule_job(&self, job: NewJob<'_>, now: OffsetDateTime) -> Result<bool, StoreError>;

    /// Removes a job that is not running; returns whether one was removed.
    async fn cancel_job(&self, kind: &str, subject: &str) -> Result<bool, StoreError>;

    /// Claims up to `limit` jobs that are due (queued and past their time, or running with
    /// a lease that ran out) for `worker` until `now + lease`, the longest overdue first.
    async fn claim_jobs(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, StoreError>;

    /// Extends the lease of a job still held by this claim; `false` when the claim was
    /// lost (the lease ran out and another instance took the job).
    async fn renew_job_lease(
        &self,
        job: &ClaimedJob,
        until: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Records how the claim ended; `false` when the claim was lost meanwhile.
    async fn finish_job(
        &self,
        job: &ClaimedJob,
        outcome: &JobOutcome,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Gives a claimed job back unrun, due again at once, as if never claimed: a stopping
    /// instance hands on what it will not finish.
    async fn release_job(&self, job: &ClaimedJob) -> Result<bool, StoreError>;

    /// Jobs for the admins, the most recent first: every queued, running and failed job,
    /// and the latest `limit` done ones.
    async fn jobs(&self, limit: u32) -> Result<Vec<JobEntry>, StoreError>;

    /// Queues a failed job again, due at `now`, and appends `audit` in the same
    /// transaction; `false` (and no entry) when it is not failed.
    async fn retry_job(
        &self,
        id: i64,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// The longest a due job has been waiting, for the health of the runner.
    async fn oldest_due_job(&self, now: OffsetDateTime) -> Result<Option<Duration>, StoreError>;
}
