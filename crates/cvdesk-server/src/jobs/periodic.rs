//! The desk's periodic work, each run by one instance at a time.

use std::sync::Arc;

use async_trait::async_trait;
use cvdesk_store::ClaimedJob;
use time::Duration;

use super::JobKind;
use crate::{reminders, AppState};

/// Every periodic kind the desk runs.
pub fn standard_kinds() -> Vec<Arc<dyn JobKind>> {
    vec![Arc::new(Reminders), Arc::new(ForgetAbuseState)]
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
