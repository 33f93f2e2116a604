//! Keeping the dashboards' parts current: each minute, the fortnights of reports that
//! ended and are missing or changed are packed again, so a dashboard over years reads a
//! few texts per fortnight instead of every report. A part not yet built again is read
//! from the reports, so the figures never wait for this job; only their speed does.

use std::time::Instant;

use async_trait::async_trait;
use cvdesk_store::ClaimedJob;
use time::Duration;

use crate::jobs::JobKind;
use crate::AppState;

/// The periodic job that builds the parts.
pub struct KeepDashboardParts;

#[async_trait]
impl JobKind for KeepDashboardParts {
    fn name(&self) -> &'static str {
        "dashboards.keep_parts"
    }

    fn every(&self) -> Option<Duration> {
        Some(Duration::minutes(1))
    }

    async fn run(&self, state: &AppState, _job: &ClaimedJob) -> Result<(), String> {
        let started = Instant::now();
        let built = state
            .store
            .keep_dashboard_parts(state.clock.now())
            .await
            .map_err(|error| format!("could not keep the dashboards' parts: {error}"))?;
        if built > 0 {
            tracing::info!(
                built,
                elapsed_ms = started.elapsed().as_millis(),
                "dashboards' kept parts built"
            );
        }
        Ok(())
    }
}
