//! Appeals end to end: the finder contests a closing outcome once from the tracking page
//! (the staff are told by mail through the outbox), and a staff member other than the one
//! who closed the report decides on the report page: reopen (back to triaged) or confirm
//! with a reason the finder reads on the tracking page. The rules are cvdesk-domain's
//! `appeal`; every step is in the audit log with the change.

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::appeal::{self, Appeal, AppealOutcome, AppealRefusal};
use cvdesk_domain::report::Report;
use cvdesk_store::{NewAppeal, StoreError, User};
use serde::Deserialize;

use crate::auth::audit;
use crate::client_address::ClientAddress;
use crate::error::{PageError, WebError};
use crate::mail::{staff_recipients, NewsMail, StaffNews};
use crate::routes::track::tracked_report;
use crate::triage::ActionError;
use crate::views::utc_minute;
use crate::AppState;

/// What the tracking page shows of an appeal.
#[derive(Debug, Clone, Default)]
pub struct AppealView {
    /// The outcome may be contested now.
    pub offered: bool,
    /// The appeal filed: when, and the finder's reason.
    pub filed: Option<(String, String)>,
    /// The decision: "reopened" or "confirmed", and the reason given.
    pub decision: Option<(&'static str, Option<String>)>,
}

pub async fn for_tracking_page(state: &AppState, report: &Report) -> Result<AppealView, WebError> {
    let filed = state.store.appeal(report.id).await?;
    Ok(view(report, filed.as_ref()))
}

fn view(report: &Report, filed: Option<&Appeal>) -> AppealView {
    AppealView {
        offered: appeal::may_appeal(report.state, filed).is_ok(),
        filed: filed.map(|appeal| (utc_minute(appeal.filed_at), appeal.reason.clone())),
        decision: filed.and_then(|appeal| {
            appeal
                .decision
                .as_ref()
                .map(|decision| (decision.outcome.as_str(), decision.reason.clone()))
        }),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AppealForm {
    reason: String,
}

/// `POST /track/{token}/appeal`: the tracking link is the credential.
pub async fn post_appeal(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(token): Path<String>,
    submitted: Result<Form<AppealForm>, FormRejection>,
) -> Result<Response, PageError> {
    let report = tracked_report(&state, &client, &token).await?;
    let form = crate::routes::staff::form(submitted)?;
    let existing = state.store.appeal(report.id).await?;
    appeal::may_appeal(report.state, existing.as_ref())
        .map_err(|refusal| WebError::Conflict(refusal.to_string()))?;
    let reason = appeal::parse_reason(&form.reason).map_err(|refusal| WebError::Invalid {
        code: "invalid_appeal",
        message: refusal.to_string(),
        fields: [("reason".to_owned(), refusal.to_string())].into(),
    })?;
    let staff = staff_recipients(&state, report.triage.product).await?;
    let mail = NewsMail::of(&state).to_staff(&report, StaffNews::AppealFiled, &staff);
    let reference = report.reference.to_string();
    let entry = audit::event(
        &state,
        None,
        "finder",
        "report.appealed",
        Some(&reference),
        format!("contests the outcome {}", report.state.as_str()),
    );
    let filed = state
        .store
        .file_appeal(
            NewAppeal {
                report_id: report.id,
                reason: &reason,
                at: state.clock.now(),
                staff_mail: &mail,
            },
            &entry,
        )
        .await;
    match filed {
        Ok(()) => {}
        Err(StoreError::Conflict(message)) => {
            return Err(WebError::Conflict(crate::triage::sentence(&message)).into())
        }
        Err(other) => return Err(WebError::from(other).into()),
    }
    state.mailer.wake();
    Ok(Redirect::to(&format!("/track/{token}#appeal")).into_response())
}

/// Decides the appeal of `report` (checked: `user` may change it).
pub async fn decide(
    state: &AppState,
    user: &User,
    report: &Report,
    outcome: &str,
    reason: &str,
) -> Result<(), ActionError> {
    let existing = state.store.appeal(report.id).await?;
    appeal::may_decide(user.id, existing.as_ref()).map_err(|refusal| match refusal {
        AppealRefusal::DecidedByCloser => ActionError::Forbidden(refusal.to_string()),
        other => ActionError::Refused(other.to_string()),
    })?;
    let decision = appeal::parse_decision(outcome, reason)
        .map_err(|refusal| ActionError::Invalid(refusal.to_string()))?;
    let reference = report.reference.to_string();
    let entry = audit::event(
        state,
        Some(user),
        "",
        "report.appeal_decided",
        Some(&reference),
        match decision.outcome {
            AppealOutcome::Reopened => "reopened: back to triaged",
            AppealOutcome::Confirmed => "outcome confirmed",
        },
    );
    match state
        .store
        .decide_appeal(report.id, &decision, user.id, state.clock.now(), &entry)
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(message)) => {
            Err(ActionError::Refused(crate::triage::sentence(&message)))
        }
        Err(other) => Err(other.into()),
    }
}

/// What the staff report page shows of an appeal.
pub struct AppealPanel {
    pub contested: &'static str,
    pub filed_at: String,
    pub reason: String,
    pub decision: Option<(&'static str, Option<String>)>,
    /// The person looking closed the report, so may not decide.
    pub closed_by_viewer: bool,
}

pub async fn for_report_page(
    state: &AppState,
    user: &User,
    report: &Report,
) -> Result<Option<AppealPanel>, WebError> {
    Ok(state
        .store
        .appeal(report.id)
        .await?
        .map(|appeal| AppealPanel {
            contested: appeal.contested_state.as_str(),
            filed_at: utc_minute(appeal.filed_at),
            closed_by_viewer: appeal.closed_by == Some(user.id),
            decision: appeal
                .decision
                .as_ref()
                .map(|decision| (decision.outcome.as_str(), decision.reason.clone())),
            reason: appeal.reason,
        }))
}
