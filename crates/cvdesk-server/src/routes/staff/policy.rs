//! Editing the disclosure policy (admins): every save publishes a new dated version; the
//! page warns when the security.txt the desk serves would be invalid.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::policy::{PolicyErrors, PolicyInput, PolicySettings};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::auth::{audit, StaffUser};
use crate::error::PageError;
use crate::routes::policy::has_encryption_key;
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::security_txt;
use crate::views::render;
use crate::AppState;

const REFUSAL: &str = "Only admins edit the disclosure policy.";

#[derive(Template)]
#[template(path = "staff/policy.html")]
struct PolicyEditPage {
    layout: StaffLayout,
    input: PolicyInput,
    errors: PolicyErrors,
    notice: Option<String>,
    /// Why the served security.txt would be invalid.
    problems: Vec<String>,
    history: Vec<(i64, OffsetDateTime)>,
}

impl PolicyEditPage {
    /// The typed text of a text field, by its form name.
    fn text(&self, name: &str) -> &str {
        match name {
            "introduction" => &self.input.introduction,
            "contact_channels" => &self.input.contact_channels,
            "in_scope" => &self.input.in_scope,
            "out_of_scope" => &self.input.out_of_scope,
            "out_of_scope_classes" => &self.input.out_of_scope_classes,
            "do_not" => &self.input.do_not,
            "response_days" => &self.input.response_days,
            "triage_days" => &self.input.triage_days,
            "remediation_days" => &self.input.remediation_days,
            "remediation_days_by_severity" => &self.input.remediation_days_by_severity,
            _ => "",
        }
    }

    fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, message)| message.as_str())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PolicyForm {
    csrf_token: String,
    introduction: String,
    contact_channels: String,
    in_scope: String,
    out_of_scope: String,
    out_of_scope_classes: String,
    do_not: String,
    response_days: String,
    triage_days: String,
    remediation_days: String,
    remediation_days_by_severity: String,
    rewards: Option<String>,
    acknowledgements: Option<String>,
    languages: String,
    hiring_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Published {
    version: String,
}

pub async fn get_policy(
    State(state): State<AppState>,
    staff: StaffUser,
    published: Result<Query<Published>, QueryRejection>,
) -> Result<Response, PageError> {
    staff.require(StaffAction::ManageSettings, REFUSAL)?;
    let current = state
        .store
        .current_policy()
        .await?
        .map(|p| p.settings)
        .unwrap_or_default();
    let notice = published
        .ok()
        .map(|Query(p)| p.version)
        .filter(|v| !v.is_empty())
        .map(|v| format!("Version {v} is published."));
    show(
        &state,
        &staff,
        PolicyInput::of(&current),
        Vec::new(),
        notice,
    )
    .await
}

pub async fn post_policy(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<PolicyForm>, FormRejection>,
) -> Result<Response, PageError> {
    staff.require(StaffAction::ManageSettings, REFUSAL)?;
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    let input = PolicyInput {
        introduction: submitted.introduction,
        contact_channels: submitted.contact_channels,
        in_scope: submitted.in_scope,
        out_of_scope: submitted.out_of_scope,
        out_of_scope_classes: submitted.out_of_scope_classes,
        do_not: submitted.do_not,
        response_days: submitted.response_days,
        triage_days: submitted.triage_days,
        remediation_days: submitted.remediation_days,
        remediation_days_by_severity: submitted.remediation_days_by_severity,
        rewards: submitted.rewards.is_some(),
        acknowledgements: submitted.acknowledgements.is_some(),
        languages: submitted.languages,
        hiring_url: submitted.hiring_url,
    };
    let settings = match PolicySettings::parse(&input) {
        Ok(settings) => settings,
        Err(errors) => return show(&state, &staff, input, errors, None).await,
    };
    let audit_entry = |version: &i64| {
        audit::event(
            &state,
            Some(&staff.user),
            "",
            "policy.publish",
            None,
            format!("version {version}"),
        )
    };
    let version = state
        .store
        .publish_policy(
            &settings,
            &staff.user.email,
            &audit_entry,
            state.clock.now(),
        )
        .await?;
    Ok(Redirect::to(&format!("/staff/policy?version={version}")).into_response())
}

async fn show(
    state: &AppState,
    staff: &StaffUser,
    input: PolicyInput,
    errors: PolicyErrors,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let current = state
        .store
        .current_policy()
        .await?
        .map(|p| p.settings)
        .unwrap_or_default();
    let has_key = has_encryption_key(state).await?;
    let public_host = state.settings.public_host();
    let served = security_txt::served(state, &current, public_host.as_deref(), has_key).await;
    let mut problems = security_txt::problems(&served.text, state.clock.now());
    if let Some(error) = served.unsigned_because {
        problems.push(format!(
            "It is served unsigned because the organization key cannot be used: {error}."
        ));
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PolicyEditPage {
        layout: StaffLayout::of(state, staff),
        input,
        errors,
        notice,
        problems,
        history: state.store.policy_history().await?,
    };
    Ok((status, render(&page)?).into_response())
}
