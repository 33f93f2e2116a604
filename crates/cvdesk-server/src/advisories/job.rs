//! Scheduled publication as a job of the one runner: queued with the schedule (in the
//! same transaction), claimed with a lease by one instance, and publishing only an
//! advisory that is still scheduled, so it happens exactly once however many instances
//! run and whatever a publisher did meanwhile.

use async_trait::async_trait;
use cvdesk_domain::advisory::{AdvisoryId, AdvisoryState};
use cvdesk_store::{ClaimedJob, PUBLISH_JOB};
use time::Duration;

use super::service::{self, ActionError};
use crate::jobs::JobKind;
use crate::AppState;

pub struct PublishScheduled;

#[async_trait]
impl JobKind for PublishScheduled {
    fn name(&self) -> &'static str {
        PUBLISH_JOB
    }

    fn every(&self) -> Option<Duration> {
        None
    }

    async fn run(&self, state: &AppState, job: &ClaimedJob) -> Result<(), String> {
        let id: AdvisoryId = job
            .subject
            .parse()
            .map_err(|error| format!("the job names no advisory: {error}"))?;
        let advisory = state
            .store
            .advisory(&id)
            .await
            .map_err(|error| format!("could not read advisory {id}: {error}"))?;
        let Some(advisory) = advisory else {
            return Ok(());
        };
        // Called off, moved to a later time, or published by hand meanwhile.
        let due = advisory
            .schedule
            .as_ref()
            .is_some_and(|schedule| schedule.at <= state.clock.now());
        if advisory.state != AdvisoryState::Scheduled || !due {
            return Ok(());
        }
        // An embargo set or moved after the schedule holds the publication back, unless the
        // publisher gave a reason to go ahead of one when scheduling.
        let overridden = advisory
            .schedule
            .as_ref()
            .is_some_and(|schedule| schedule.embargo_override.is_some());
        if !overridden {
            let held = service::coordinated::held_at(state, &advisory.content, state.clock.now())
                .await
                .map_err(|error| format!("could not read the embargoes of {id}: {error}"))?;
            if !held.is_empty() {
                return match service::hold_back(state, &advisory, &held).await {
                    Ok(()) => {
                        tracing::warn!(advisory = %id, "scheduled publication held back by an embargo; the advisory is a draft again");
                        Ok(())
                    }
                    // Published, called off or moved by hand meanwhile.
                    Err(ActionError::Refused(_)) => Ok(()),
                    Err(error) => Err(format!("advisory {id} could not be held back: {error:?}")),
                };
            }
        }
        match service::publish(
            state,
            None,
            &advisory,
            "Initial version.",
            service::EmbargoRule::Scheduled,
        )
        .await
        {
            Ok(revision) => {
                state.public_cache.changed();
                tracing::info!(advisory = %id, version = revision.number(), "published as scheduled");
                Ok(())
            }
            // Another claim published it first: nothing is left to do.
            Err(ActionError::Refused(_)) => Ok(()),
            Err(ActionError::Invalid(fields)) => {
                Err(format!("advisory {id} could not be published: {fields:?}"))
            }
            Err(ActionError::Web(error)) => {
                Err(format!("advisory {id} could not be published: {error}"))
            }
        }
    }
}
