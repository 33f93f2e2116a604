//! The admins' view of background work: what is queued, running and given up (with the
//! error), and a button that queues a given-up job again.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_store::JobEntry;
use serde::Deserialize;

use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

/// Finished one-off jobs shown beside the ones still in the queue.
const RECENT_DONE: u32 = 50;

const REFUSAL: &str = "Only admins see and retry background jobs.";

#[derive(Template)]
#[template(path = "staff/jobs.html")]
struct JobsPage {
    layout: StaffLayout,
    jobs: Vec<JobEntry>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetryForm {
    csrf_token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct JobsQuery {
    retried: Option<String>,
}

pub async fn get_jobs(
    State(state): State<AppState>,
    staff: StaffUser,
    axum::extract::Query(query): axum::extract::Query<JobsQuery>,
) -> Result<Response, PageError> {
    staff.require(StaffAction::ManageSettings, REFUSAL)?;
    let page = JobsPage {
        layout: StaffLayout::of(&state, &staff),
        jobs: state.store.jobs(RECENT_DONE).await?,
        notice: query
            .retried
            .is_some()
            .then_some("The job is queued again and runs within seconds."),
    };
    Ok(render(&page)?.into_response())
}

pub async fn post_retry_job(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<RetryForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    staff.require(StaffAction::ManageSettings, REFUSAL)?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let subject = format!("job {id}");
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "job.retry",
        Some(&subject),
        "",
    );
    if !state.store.retry_job(id, &entry, state.clock.now()).await? {
        return Err(WebError::Conflict(
            "Only a job that was given up can be queued again; this one is not (any more).".into(),
        )
        .into());
    }
    state.jobs.wake();
    Ok(Redirect::to("/staff/jobs?retried=1").into_response())
}
