//! Applying the retention rules (`cvdesk_domain::retention`): once an hour as a periodic
//! job, run by one instance at a time, and on demand with `cvdesk retention run`. Reports
//! closed as spam are purged one by one with their files, each with its own audit entry;
//! the rest goes in one transaction with one audit entry of counts. A run that finds
//! nothing due writes nothing.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::retention::{RetentionCounts, RetentionSettings};
use cvdesk_store::{ClaimedJob, PurgedReport, Store, StoreError};
use time::{Duration, OffsetDateTime};

use crate::jobs::JobKind;
use crate::AppState;

/// Who the audit log names for what retention removes.
const ACTOR: &str = "retention";

fn entry(now: OffsetDateTime, action: &str, detail: String) -> AuditEvent {
    AuditEvent {
        at: now,
        actor: None,
        actor_label: ACTOR.to_owned(),
        action: action.to_owned(),
        subject: None,
        detail,
    }
}

/// Removes what the rules find due at `now` (or, with `dry_run`, only counts it).
pub async fn apply(
    store: &dyn Store,
    settings: &RetentionSettings,
    now: OffsetDateTime,
    dry_run: bool,
) -> Result<RetentionCounts, StoreError> {
    let cutoffs = settings.cutoffs(now);
    let due = store.retention_due(&cutoffs).await?;
    if dry_run || due.is_empty() {
        return Ok(due);
    }
    let mut purged_reports = 0;
    for report_id in store.spam_reports_due(cutoffs.spam_before).await? {
        let audit = |purged: &PurgedReport| {
            let mut event = entry(
                now,
                "report.purged",
                format!(
                    "closed as spam more than {} days ago; deleted with {} file(s)",
                    settings.spam_days, purged.files
                ),
            );
            event.subject = Some(format!("report {report_id}"));
            event
        };
        match store.purge_spam_report(report_id, &audit).await {
            Ok(_) => purged_reports += 1,
            // Reopened, or purged by hand, since it was listed: nothing to do.
            Err(StoreError::Conflict(_) | StoreError::Missing(_)) => {}
            Err(other) => return Err(other),
        }
    }
    let mut counts = store
        .apply_retention(&cutoffs, &|counts| {
            entry(now, "retention.applied", counts.to_string())
        })
        .await?;
    counts.spam_reports = purged_reports;
    Ok(counts)
}

/// The hourly job.
pub struct RetentionJob;

#[async_trait]
impl JobKind for RetentionJob {
    fn name(&self) -> &'static str {
        "retention"
    }

    fn every(&self) -> Option<Duration> {
        Some(Duration::hours(1))
    }

    async fn run(&self, state: &AppState, _job: &ClaimedJob) -> Result<(), String> {
        let counts = apply(
            state.store.as_ref(),
            &state.settings.retention,
            state.clock.now(),
            false,
        )
        .await
        .map_err(|error| format!("could not apply the retention rules: {error}"))?;
        if !counts.is_empty() {
            tracing::info!(%counts, "retention applied");
        }
        Ok(())
    }
}
