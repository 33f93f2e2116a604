//! Closing many reports at once from the queue, for a wave of spam: each selected report
//! goes through the same authorisation, rules, history and audit entry as a single move,
//! and the page says what happened to each.

use std::collections::HashSet;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::report::ReportState;
use cvdesk_domain::workflow::TransitionRequest;

use crate::auth::StaffUser;
use crate::error::{PageError, WebError};
use crate::report_access::permitted_report;
use crate::routes::staff::layout::StaffLayout;
use crate::triage::{self, ActionError};
use crate::views::render;
use crate::AppState;

/// Most reports one request may close.
const MAX_REPORTS: usize = 200;

#[derive(Template)]
#[template(path = "staff/bulk_close.html")]
struct BulkClosePage {
    layout: StaffLayout,
    to: &'static str,
    reason: String,
    outcomes: Vec<Outcome>,
}

struct Outcome {
    reference: String,
    closed: bool,
    message: String,
}

pub async fn post_bulk_close(
    State(state): State<AppState>,
    staff: StaffUser,
    body: Bytes,
) -> Result<Response, PageError> {
    let mut csrf_token = String::new();
    let mut references = Vec::new();
    let mut to = String::new();
    let mut reason = String::new();
    for (name, value) in form_urlencoded::parse(&body) {
        match name.as_ref() {
            "csrf_token" => csrf_token = value.into_owned(),
            "reference" => references.push(value.trim().to_uppercase()),
            "to" => to = value.into_owned(),
            "reason" => reason = value.trim().to_owned(),
            _ => {}
        }
    }
    staff.check_csrf(&csrf_token)?;
    // Each report is checked below; a role that may change none is refused outright.
    if !access::check_role(&staff.user.actor(), StaffAction::ChangeReport).is_allowed() {
        return Err(PageError(WebError::Forbidden(format!(
            "Your role ({}) may not close reports.",
            staff.user.role
        ))));
    }
    // A report named twice is closed once, wherever the second mention is.
    let mut named = HashSet::new();
    references.retain(|reference| named.insert(reference.clone()));
    let to = match to.as_str() {
        "not_applicable" => ReportState::NotApplicable,
        "informative" => ReportState::Informative,
        other => {
            return Err(refuse(format!(
                "Reports can be closed together as not_applicable or informative, not '{other}'."
            )))
        }
    };
    if reason.is_empty() {
        return Err(refuse(
            "Give a reason for closing them, such as spam.".to_owned(),
        ));
    }
    if references.is_empty() {
        return Err(refuse(
            "Select at least one report in the queue.".to_owned(),
        ));
    }
    if references.len() > MAX_REPORTS {
        return Err(refuse(format!(
            "Close at most {MAX_REPORTS} reports at a time; {} were selected.",
            references.len()
        )));
    }
    let mut outcomes = Vec::with_capacity(references.len());
    for reference in references {
        let outcome = close(&state, &staff, &reference, to, &reason).await?;
        outcomes.push(outcome);
    }
    let status = if outcomes.iter().all(|o| o.closed) {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    let page = BulkClosePage {
        layout: StaffLayout::of(&state, &staff),
        to: to.as_str(),
        reason,
        outcomes,
    };
    Ok((status, render(&page)?).into_response())
}

/// One report: closed, or why not. Only an unexpected failure stops the whole request.
async fn close(
    state: &AppState,
    staff: &StaffUser,
    reference: &str,
    to: ReportState,
    reason: &str,
) -> Result<Outcome, WebError> {
    let outcome = |closed, message: String| Outcome {
        reference: reference.to_owned(),
        closed,
        message,
    };
    let report =
        match permitted_report(state, &staff.user, reference, StaffAction::ChangeReport).await {
            Ok(report) => report,
            Err(WebError::NotFound) => {
                return Ok(outcome(
                    false,
                    "No such report that you may see.".to_owned(),
                ))
            }
            Err(WebError::Forbidden(message)) => return Ok(outcome(false, message)),
            Err(other) => return Err(other),
        };
    let request = TransitionRequest {
        to,
        reason: Some(reason.to_owned()),
        duplicate_of: None,
    };
    match triage::transition(state, &staff.user, &report, request).await {
        Ok(planned) => Ok(outcome(
            true,
            format!("Closed ({} → {}).", planned.from, planned.to),
        )),
        Err(
            ActionError::Refused(message)
            | ActionError::Invalid(message)
            | ActionError::Forbidden(message),
        ) => Ok(outcome(false, message)),
        Err(ActionError::Failed(error)) => Err(error),
    }
}

fn refuse(message: String) -> PageError {
    PageError(WebError::Invalid {
        code: "invalid_bulk_close",
        message,
        fields: Default::default(),
    })
}
