//! The root cause form of the staff report page: category, analysis and lessons learned,
//! saved whole by whoever may change the report.

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::root_cause_analysis::RootCauseInput;
use serde::Deserialize;

use super::for_change;
use super::page::{after, MoveDraft};
use crate::auth::StaffUser;
use crate::error::{PageError, WebError};
use crate::routes::staff::form;
use crate::triage::ActionError;
use crate::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RootCauseForm {
    csrf_token: String,
    root_cause: String,
    root_cause_detail: String,
    lessons_learned: String,
}

pub async fn post_root_cause(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<RootCauseForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::ChangeReport,
    )
    .await?;
    let input = RootCauseInput {
        category: Some(submitted.root_cause),
        detail: Some(submitted.root_cause_detail),
        lessons_learned: Some(submitted.lessons_learned),
    };
    let outcome = crate::root_cause::set_root_cause(&state, &staff.user, &report, &input)
        .await
        .map(drop)
        .map_err(|error| match error {
            WebError::Invalid { fields, .. } => ActionError::Invalid(
                fields
                    .into_iter()
                    .map(|(field, message)| format!("{}: {message}", label(&field)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            other => ActionError::Failed(other),
        });
    after(
        &state,
        &staff,
        report,
        outcome,
        "saved",
        MoveDraft::default(),
    )
    .await
}

fn label(field: &str) -> &'static str {
    match field {
        "category" => "Root cause",
        "detail" => "Analysis",
        _ => "Lessons learned",
    }
}
