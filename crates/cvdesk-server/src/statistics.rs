//! Keeping the store's table statistics current without holding up the desk: a refresh
//! once the desk listens (after heavy growth it takes seconds, during which `/healthz` and
//! every page already answer) and then hourly as a periodic job.

use std::time::Instant;

use async_trait::async_trait;
use cvdesk_store::{ClaimedJob, Store};
use time::Duration;
use tokio::sync::Mutex;

use crate::jobs::JobKind;
use crate::AppState;

/// One refresh at a time: the one after start and the first hourly run may overlap, and
/// the second then finds the statistics current instead of analysing the same indexes.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Refreshes the statistics and logs what was analysed and how long it took.
pub async fn refresh(store: &dyn Store, occasion: &'static str) -> Result<(), String> {
    let _turn = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let refresh = store
        .refresh_statistics()
        .await
        .map_err(|error| format!("could not refresh the table statistics: {error}"))?;
    let Some(refresh) = refresh else {
        return Ok(());
    };
    let elapsed_ms = started.elapsed().as_millis();
    if refresh.tables.is_empty() {
        tracing::debug!(occasion, elapsed_ms, "table statistics are current");
    } else {
        tracing::info!(
            occasion,
            elapsed_ms,
            tables = %refresh.tables.join(", "),
            indexes = refresh.analysed.len(),
            "table statistics refreshed"
        );
    }
    Ok(())
}

/// The refresh once the desk listens; a failure is logged, and the hourly job tries again.
pub async fn refresh_after_start(store: std::sync::Arc<dyn Store>) {
    if let Err(error) = refresh(store.as_ref(), "start").await {
        tracing::warn!(%error, "table statistics");
    }
}

/// The hourly refresh: a no-op unless a table grew or shrank about 25-fold.
pub struct RefreshStatistics;

#[async_trait]
impl JobKind for RefreshStatistics {
    fn name(&self) -> &'static str {
        "statistics.refresh"
    }

    fn every(&self) -> Option<Duration> {
        Some(Duration::hours(1))
    }

    async fn run(&self, state: &AppState, _job: &ClaimedJob) -> Result<(), String> {
        refresh(state.store.as_ref(), "hourly").await
    }
}
