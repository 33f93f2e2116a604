//! The one runner of background work. Every instance runs it; the store's leased claims
//! make each job run on one instance at a time, so periodic work (deadline reminders,
//! forgetting spent abuse state) and one-off work scheduled for an instant run once
//! however many instances share the store. A job whose instance dies is due again when
//! its lease ends; a stopping instance gives back what it has not finished.

mod page;
mod periodic;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use cvdesk_store::{ClaimedJob, JobOutcome, NewJob};
use time::{Duration, OffsetDateTime};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use crate::AppState;

pub use page::{get_jobs, post_retry_job};
pub use periodic::standard_kinds;

/// How long a claim holds a job; renewed while it runs, so this only bounds how long a
/// dead instance's job waits.
const LEASE: Duration = Duration::seconds(60);
/// How often a running job's lease is renewed.
const RENEW_EVERY: StdDuration = StdDuration::from_secs(20);
/// How often the queue is looked at when nothing wakes the runner.
const POLL: StdDuration = StdDuration::from_secs(2);
/// Jobs run at once by one instance.
const CONCURRENT: u32 = 4;
/// Attempts of a one-off job before it is given up and left for an admin.
const MAX_ATTEMPTS: i64 = 8;

/// What a kind of job does.
#[async_trait]
pub trait JobKind: Send + Sync {
    /// The kind's name in the store, e.g. `reminders`.
    fn name(&self) -> &'static str;

    /// For periodic work, how often it runs; `None` for jobs queued for an instant.
    fn every(&self) -> Option<Duration>;

    /// Does the work. An error is kept with the job and the job is tried again later.
    async fn run(&self, state: &AppState, job: &ClaimedJob) -> Result<(), String>;
}

/// Wakes the runner early when work was queued for now.
#[derive(Default)]
pub struct JobSignal {
    notify: Notify,
}

impl JobSignal {
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

/// The kinds this desk runs, by name.
#[derive(Clone)]
pub struct JobKinds(Arc<HashMap<&'static str, Arc<dyn JobKind>>>);

impl JobKinds {
    pub fn new(kinds: Vec<Arc<dyn JobKind>>) -> Self {
        JobKinds(Arc::new(
            kinds.into_iter().map(|kind| (kind.name(), kind)).collect(),
        ))
    }

    fn get(&self, name: &str) -> Option<&Arc<dyn JobKind>> {
        self.0.get(name)
    }

    fn periodic(&self) -> impl Iterator<Item = &Arc<dyn JobKind>> {
        self.0.values().filter(|kind| kind.every().is_some())
    }
}

/// Runs jobs until `stop` changes; then waits up to `grace` for the jobs in hand and
/// gives back the ones that did not finish.
pub async fn run(
    state: AppState,
    kinds: JobKinds,
    mut stop: watch::Receiver<bool>,
    grace: StdDuration,
) {
    let worker = worker_name();
    ensure_periodic(&state, &kinds).await;
    let mut running: JoinSet<i64> = JoinSet::new();
    let mut held: HashMap<i64, ClaimedJob> = HashMap::new();
    // Whether jobs have run since the database's caches were last given back.
    let mut worked = false;
    while !*stop.borrow() {
        let busy = u32::try_from(running.len()).unwrap_or(CONCURRENT);
        if busy < CONCURRENT {
            match state
                .store
                .claim_jobs(&worker, state.clock.now(), LEASE, CONCURRENT - busy)
                .await
            {
                Ok(claimed) => {
                    worked |= !claimed.is_empty();
                    for job in claimed {
                        held.insert(job.id, job.clone());
                        running.spawn(run_one(state.clone(), kinds.clone(), job));
                    }
                }
                Err(error) => tracing::warn!(%error, "could not claim background jobs"),
            }
        }
        if worked && running.is_empty() {
            worked = false;
            release_caches(&state).await;
        }
        tokio::select! {
            Some(done) = running.join_next(), if !running.is_empty() => forget(&mut held, done),
            () = state.jobs.notify.notified() => {}
            () = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => {}
        }
    }
    let deadline = tokio::time::sleep(grace);
    tokio::pin!(deadline);
    while !running.is_empty() {
        tokio::select! {
            Some(done) = running.join_next() => forget(&mut held, done),
            () = &mut deadline => {
                tracing::warn!(jobs = running.len(), "stopping with background jobs unfinished; giving them back");
                running.abort_all();
                break;
            }
        }
    }
    for job in held.values() {
        if let Err(error) = state.store.release_job(job).await {
            tracing::warn!(%error, job = job.id, "could not give back a background job; its lease will hand it on");
        }
    }
}

/// The round of jobs is over and none is due: the pages the jobs read (every open report,
/// for reminders and the dashboards' kept fortnights) need not stay in the desk's memory
/// until the next round.
async fn release_caches(state: &AppState) {
    if let Err(error) = state.store.release_caches().await {
        tracing::warn!(%error, "could not give back the database's caches");
    }
}

/// A finished job is no longer held; a panicked one stays held and is given back on stop
/// (or handed on when its lease ends).
fn forget(held: &mut HashMap<i64, ClaimedJob>, done: Result<i64, tokio::task::JoinError>) {
    match done {
        Ok(id) => {
            held.remove(&id);
        }
        Err(error) => tracing::error!(%error, "a background job panicked"),
    }
}

/// Queues each periodic kind's job once; an existing one keeps its time.
async fn ensure_periodic(state: &AppState, kinds: &JobKinds) {
    let now = state.clock.now();
    for kind in kinds.periodic() {
        let job = NewJob {
            kind: kind.name(),
            subject: "",
            payload: "",
            run_at: now,
        };
        if let Err(error) = state.store.ensure_job(job, now).await {
            tracing::warn!(%error, kind = kind.name(), "could not queue a periodic job");
        }
    }
}

/// Runs one claimed job, renewing its lease meanwhile, and records how it ended.
async fn run_one(state: AppState, kinds: JobKinds, job: ClaimedJob) -> i64 {
    let ran = match kinds.get(&job.kind) {
        // Another instance may be a newer version that knows the kind.
        None => Err(format!(
            "this instance does not know jobs of kind {:?}",
            job.kind
        )),
        Some(kind) => {
            let work = kind.run(&state, &job);
            tokio::pin!(work);
            let mut renewals = tokio::time::interval(RENEW_EVERY);
            renewals.tick().await;
            loop {
                tokio::select! {
                    ran = &mut work => break ran,
                    _ = renewals.tick() => renew(&state, &job).await,
                }
            }
        }
    };
    let now = state.clock.now();
    let every = kinds.get(&job.kind).and_then(|kind| kind.every());
    let outcome = outcome(&job, every, ran, now);
    state.metrics.observe_job(
        &job.kind,
        matches!(
            outcome,
            JobOutcome::RetryAt { .. } | JobOutcome::GivenUp { .. }
        ),
    );
    match &outcome {
        JobOutcome::RetryAt { error, at } => {
            tracing::warn!(job = job.id, kind = job.kind, %error, next_attempt = %at, "background job failed; will retry");
        }
        JobOutcome::GivenUp { error } => {
            tracing::error!(job = job.id, kind = job.kind, %error, attempts = job.attempt, "background job given up; an admin can queue it again");
        }
        JobOutcome::Done | JobOutcome::RunAgainAt(_) => {}
    }
    match state.store.finish_job(&job, &outcome, now).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(
                job = job.id,
                kind = job.kind,
                "a background job outlived its lease; another instance took it over"
            );
        }
        Err(error) => {
            tracing::warn!(%error, job = job.id, "could not record a background job's outcome; its lease will hand it on");
        }
    }
    job.id
}

async fn renew(state: &AppState, job: &ClaimedJob) {
    match state
        .store
        .renew_job_lease(job, state.clock.now() + LEASE)
        .await
    {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            job = job.id,
            kind = job.kind,
            "lost the lease of a running background job"
        ),
        Err(error) => {
            tracing::warn!(%error, job = job.id, "could not renew a background job's lease")
        }
    }
}

/// How a run ends the claim: periodic work runs again after its interval (keeping an error
/// to show); one-off work is done, or tried again later with a growing pause until it is
/// given up.
fn outcome(
    job: &ClaimedJob,
    every: Option<Duration>,
    ran: Result<(), String>,
    now: OffsetDateTime,
) -> JobOutcome {
    match (every, ran) {
        (Some(every), Ok(())) => JobOutcome::RunAgainAt(now + every),
        (Some(every), Err(error)) => JobOutcome::RetryAt {
            at: now + every,
            error,
        },
        (None, Ok(())) => JobOutcome::Done,
        (None, Err(error)) if job.attempt >= MAX_ATTEMPTS => JobOutcome::GivenUp { error },
        (None, Err(error)) => JobOutcome::RetryAt {
            at: now + retry_pause(job.attempt),
            error,
        },
    }
}

/// 30 s after the first failure, doubling, at most an hour.
fn retry_pause(attempt: i64) -> Duration {
    let doublings = u32::try_from(attempt.clamp(1, 8) - 1).unwrap_or(7);
    (Duration::seconds(30) * 2_i32.pow(doublings)).min(Duration::hours(1))
}

/// Names this instance in the claims it holds, for the admins' view.
fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "cvdesk".to_owned());
    format!("{host}:{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn claimed(attempt: i64) -> ClaimedJob {
        ClaimedJob {
            id: 1,
            kind: "advisory.publish".into(),
            subject: "CVD-SA-2027-0001".into(),
            payload: String::new(),
            run_at: datetime!(2027-01-01 00:00 UTC),
            attempt,
            lease_until: datetime!(2027-01-01 00:01 UTC),
        }
    }

    #[test]
    fn outcomes_follow_the_kind_and_the_attempts() {
        let now = datetime!(2027-01-01 00:00:10 UTC);
        let minute = Some(Duration::minutes(1));
        assert_eq!(
            outcome(&claimed(1), minute, Ok(()), now),
            JobOutcome::RunAgainAt(now + Duration::minutes(1))
        );
        assert_eq!(
            outcome(&claimed(9), minute, Err("down".into()), now),
            JobOutcome::RetryAt {
                at: now + Duration::minutes(1),
                error: "down".into()
            },
            "periodic work is never given up"
        );
        assert_eq!(outcome(&claimed(1), None, Ok(()), now), JobOutcome::Done);
        assert_eq!(
            outcome(&claimed(1), None, Err("down".into()), now),
            JobOutcome::RetryAt {
                at: now + Duration::seconds(30),
                error: "down".into()
            }
        );
        assert_eq!(
            outcome(&claimed(MAX_ATTEMPTS), None, Err("gone".into()), now),
            JobOutcome::GivenUp {
                error: "gone".into()
            }
        );
    }

    #[test]
    fn retry_pauses_double_up_to_an_hour() {
        let pauses: Vec<i64> = (1..=9).map(|a| retry_pause(a).whole_seconds()).collect();
        assert_eq!(pauses, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
