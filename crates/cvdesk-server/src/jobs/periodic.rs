//! The desk's periodic work, each run by one instance at a time.

use std::sync::Arc;

use async_trait::async_trait;
use cvdesk_store::ClaimedJob;
use time::Duration;

use super::JobKind;
use crate::{reminders, AppState};

/// Every periodic kind the desk runs.
pub fn standard_kinds() -> Vec<Arc<dyn JobKind>> {
    vec![
        Arc::new(Reminders),
        Arc::new(ForgetAbuseState),
        Arc::new(SweepAttachmentBytes),
        Arc::new(crate::retention::RetentionJob),
        Arc::new(crate::outbound::reminders::CaseDeadlines),
        Arc::new(crate::coordination::deadlines::ParticipantDeadlines),
        Arc::new(crate::statistics::RefreshStatistics),
        Arc::new(crate::insights::KeepDashboardParts),
    ]
}

/// Queues the staff reminders that deadlines and owed updates call for.
struct Reminders;

#[async_trait]
impl JobKind for Reminders {
    fn name(&self) -> &'static str {
        "reminders"
    }

    fn every(&self) -> Option<Duration> {
        Some(Duration::minutes(1))
    }

    async fn run(&self, state: &AppState, _job: &ClaimedJob) -> Result<(), String> {
        reminders::remind(state)
            .await
            .map(drop)
            .map_err(|error| format!("could not queue the deadline reminders: {error}"))
    }
}

/// Forgets rate-limit buckets that refilled and intake challenges that expired.
struct ForgetAbuseState;

#[async_trait]
impl JobKind for ForgetAbuseState {
    fn name(&self) -> &'static str {
        "abuse_state.purge"
    }

    fn every(&self) -> Option<Duration> {
        Some(Duration::minutes(1))
    }

    async fn run(&self, state: &AppState, _job: &ClaimedJob) -> Result<(), String> {
        state
            .store
            .purge_abuse_state(state.clock.now())
            .await
            .map_err(|error| {
                format!("could not forget expired rate-limit state and challenges: {error}")
            })
    }
}

/// Removes staged bytes of uploads that never became an attachment (refused, abandoned,
/// cut short by a crash) and stored bytes no attachment names any more.
struct SweepAttachmentBytes;

#[async_trait]
impl JobKind for SweepAttachmentBytes {
    fn name(&self) -> &'static str {
        "attachments.sweep"
    }

    fn every(&self) -> Option<Duration> {
        Some(Duration::hours(1))
    }

    async fn run(&self, state: &AppState, _job: &ClaimedJob) -> Result<(), String> {
        let swept = state
            .store
            .sweep_blobs(state.clock.now())
            .await
            .map_err(|error| format!("could not sweep attachment bytes: {error}"))?;
        if swept != cvdesk_store::BlobSweep::default() {
            tracing::info!(
                stale_staged = swept.stale_staged,
                unreferenced = swept.unreferenced,
                "removed attachment bytes nothing names"
            );
        }
        Ok(())
    }
}
