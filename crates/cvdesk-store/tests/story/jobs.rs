//! The job queue: a due job is claimed by one worker at a time, its lease hands it on when
//! a worker dies, a stale claim cannot overwrite a newer one, and failed jobs wait for an
//! admin.

use std::collections::BTreeSet;
use std::sync::Arc;

use cvdesk_store::{JobOutcome, JobState, NewJob};
use time::macros::datetime;
use time::Duration;

use crate::backends::backends;
use crate::staff::triager;

fn job<'a>(kind: &'a str, subject: &'a str, run_at: time::OffsetDateTime) -> NewJob<'a> {
    NewJob {
        kind,
        subject,
        payload: "{}",
        run_at,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_due_job_is_claimed_once_however_many_workers_ask() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2027-01-10 12:00 UTC);
        let subjects: Vec<String> = (0..30).map(|n| format!("CVD-SA-2027-{n:04}")).collect();
        for subject in &subjects {
            assert!(store
                .ensure_job(job("advisory.publish", subject, now), now)
                .await
                .expect("queued"));
        }
        assert!(
            !store
                .ensure_job(job("advisory.publish", &subjects[0], now), now)
                .await
                .expect("ensure"),
            "a job is queued once per kind and subject"
        );
        let workers: Vec<_> = (0..6)
            .map(|n| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let claimed = store
                            .claim_jobs(&format!("worker-{n}"), now, Duration::minutes(5), 3)
                            .await
                            .expect("claim");
                        if claimed.is_empty() {
                            return mine;
                        }
                        mine.extend(claimed.into_iter().map(|job| job.subject));
                    }
                })
            })
            .collect();
        let mut claimed = Vec::new();
        for worker in workers {
            claimed.extend(worker.await.expect("worker"));
        }
        assert_eq!(claimed.len(), 30, "{}: every job once", backend.name);
        let distinct: BTreeSet<_> = claimed.iter().collect();
        assert_eq!(distinct.len(), 30, "{}: no job twice", backend.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_outcomes_and_retries() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let start = datetime!(2027-01-10 12:00 UTC);
        let lease = Duration::minutes(2);
        store
            .ensure_job(job("reminders", "", start), start)
            .await
            .expect("periodic");
        store
            .ensure_job(
                job("case.deadline", "OUT-1", start + Duration::hours(1)),
                start,
            )
            .await
            .expect("later");

        let first = store
            .claim_jobs("a", start, lease, 10)
            .await
            .expect("claim");
        assert_eq!(first.len(), 1, "{name}: only the due job");
        let first = &first[0];
        assert_eq!((first.kind.as_str(), first.attempt), ("reminders", 1));
        assert!(
            store
                .claim_jobs("b", start, lease, 10)
                .await
                .expect("claim")
                .is_empty(),
            "{name}: a held job is not claimed again"
        );
        assert!(store
            .renew_job_lease(first, start + Duration::minutes(3))
            .await
            .expect("renew"));

        // Worker a dies; once its lease has run out, b takes the job over.
        let later = start + Duration::minutes(4);
        let taken = store
            .claim_jobs("b", later, lease, 10)
            .await
            .expect("claim");
        assert_eq!(taken.len(), 1, "{name}: an expired lease hands the job on");
        let taken = &taken[0];
        assert_eq!(taken.attempt, 2);
        assert!(
            !store
                .finish_job(first, &JobOutcome::Done, later)
                .await
                .expect("finish"),
            "{name}: the stale claim cannot finish the job"
        );
        assert!(!store.renew_job_lease(first, later).await.expect("renew"));
        let next = later + Duration::minutes(1);
        assert!(store
            .finish_job(taken, &JobOutcome::RunAgainAt(next), later)
            .await
            .expect("finish"));
        assert!(store
            .claim_jobs("c", later, lease, 10)
            .await
            .expect("claim")
            .is_empty());
        let again = store.claim_jobs("c", next, lease, 10).await.expect("claim");
        assert_eq!(again.len(), 1, "{name}: the periodic job is due again");
        assert_eq!(
            again[0].attempt, 1,
            "{name}: a good run starts attempts afresh"
        );
        assert!(store.release_job(&again[0]).await.expect("release"));
        let released = store.claim_jobs("d", next, lease, 10).await.expect("claim");
        assert_eq!(
            released[0].attempt, 1,
            "{name}: a released claim does not count"
        );

        // The one-off job fails, is retried, then given up; an admin queues it again.
        let due = start + Duration::hours(1);
        let deadline = store.claim_jobs("a", due, lease, 10).await.expect("claim");
        let deadline = deadline
            .iter()
            .find(|job| job.kind == "case.deadline")
            .expect("the deadline job");
        let retry_at = due + Duration::seconds(30);
        assert!(store
            .finish_job(
                deadline,
                &JobOutcome::RetryAt {
                    at: retry_at,
                    error: "smtp down".into()
                },
                due
            )
            .await
            .expect("retry"));
        let deadline = store
            .claim_jobs("a", retry_at, lease, 10)
            .await
            .expect("claim");
        let deadline = deadline
            .iter()
            .find(|job| job.kind == "case.deadline")
            .expect("due again");
        assert_eq!(deadline.attempt, 2);
        assert!(store
            .finish_job(
                deadline,
                &JobOutcome::GivenUp {
                    error: "no such case".into()
                },
                retry_at
            )
            .await
            .expect("give up"));
        let listed = store.jobs(10).await.expect("jobs");
        let failed = listed
            .iter()
            .find(|entry| entry.kind == "case.deadline")
            .expect("listed");
        assert_eq!(failed.state, JobState::Failed, "{name}");
        assert_eq!(failed.last_error.as_deref(), Some("no such case"));
        let much_later = due + Duration::days(1);
        assert!(store
            .claim_jobs("a", much_later, lease, 10)
            .await
            .expect("claim")
            .iter()
            .all(|job| job.kind != "case.deadline"));
        let entries_before = store.audit_head().await.expect("head").count;
        assert!(store
            .retry_job(failed.id, &triager(), much_later)
            .await
            .expect("retry"));
        assert_eq!(
            store.audit_head().await.expect("head").count,
            entries_before + 1,
            "{name}: the retry is audited"
        );
        assert!(!store
            .retry_job(failed.id, &triager(), much_later)
            .await
            .expect("retry"));
        let claimed = store
            .claim_jobs("a", much_later, lease, 10)
            .await
            .expect("claim");
        assert!(claimed.iter().any(|job| job.kind == "case.deadline"));

        // Rescheduling moves a queued job; cancelling removes it.
        store
            .ensure_job(
                job("advisory.publish", "SA-1", much_later + Duration::days(5)),
                much_later,
            )
            .await
            .expect("queued");
        assert!(store
            .schedule_job(job("advisory.publish", "SA-1", much_later), much_later)
            .await
            .expect("moved"));
        assert!(store
            .cancel_job("advisory.publish", "SA-1")
            .await
            .expect("cancel"));
        assert!(!store
            .cancel_job("advisory.publish", "SA-1")
            .await
            .expect("cancel"));
    }
}
