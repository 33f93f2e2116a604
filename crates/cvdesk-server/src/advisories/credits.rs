//! Credits with the finder's consent (ETSI clause 5.5.3): staff propose how a finder is
//! named; the finder reads the proposal on their tracking page (and hears of it by mail),
//! accepts it as written, changes it, or declines, and can withdraw an agreement later.
//! Only agreed credits reach an advisory's next revision, its documents and `/thanks`,
//! which lists name, month and advisory, never an e-mail address.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::advisory::credit::{CreditText, CreditTextInput};
use cvdesk_domain::advisory::{Consent, Credit};
use cvdesk_store::FinderCredit;
use serde::Deserialize;

use crate::client_address::ClientAddress;
use crate::error::{PageError, WebError};
use crate::routes::track::tracked_report;
use crate::views::{render, Layout};
use crate::AppState;

/// Most names the hall of fame lists.
const THANKS_LISTED: u32 = 500;

/// A credit as the finder's tracking page shows it.
pub struct FinderCreditView {
    pub id: i64,
    pub advisory: String,
    pub advisory_title: String,
    pub advisory_published: bool,
    pub name: String,
    pub organization: String,
    pub url: String,
    pub role: &'static str,
    pub consent: &'static str,
    /// Whether the finder may still say yes, change it or say no.
    pub open: bool,
    /// Whether the finder agreed, and may withdraw.
    pub agreed: bool,
}

impl FinderCreditView {
    pub fn of(credit: &FinderCredit) -> Self {
        let text = &credit.credit.text;
        FinderCreditView {
            id: credit.id,
            advisory: credit.advisory.to_string(),
            advisory_title: credit.advisory_title.clone(),
            advisory_published: credit.advisory_published,
            name: text.name.clone(),
            organization: text.organization.clone().unwrap_or_default(),
            url: text.url.clone().unwrap_or_default(),
            role: credit.credit.role.label(),
            consent: credit.credit.consent.as_str(),
            open: credit.credit.consent == Consent::Proposed,
            agreed: credit.credit.consent.is_publishable(),
        }
    }
}

/// The credits proposed for a report, for its tracking page.
pub async fn for_tracking_page(
    state: &AppState,
    report_id: i64,
) -> Result<Vec<FinderCreditView>, WebError> {
    Ok(state
        .store
        .credits_of_report(report_id)
        .await?
        .iter()
        .map(FinderCreditView::of)
        .collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    answer: String,
    name: String,
    organization: String,
    url: String,
}

/// The finder's answer, from the tracking page; the tracking link is the credential.
pub async fn post_answer(
    State(state): State<AppState>,
    client: ClientAddress,
    Path((token, credit_id)): Path<(String, String)>,
    submitted: Result<Form<AnswerForm>, FormRejection>,
) -> Result<Response, PageError> {
    let report = tracked_report(&state, &client, &token).await?;
    let credit_id: i64 = credit_id.parse().map_err(|_| WebError::NotFound)?;
    let Form(form) = submitted
        .map_err(|rejection| WebError::bad_request("malformed_form", rejection.body_text()))?;
    let credits = state.store.credits_of_report(report.id).await?;
    let current = credits
        .iter()
        .find(|credit| credit.id == credit_id)
        .ok_or(WebError::NotFound)?;
    let now = state.clock.now();
    let answer: Result<Credit, String> = match form.answer.as_str() {
        "accept" => current.credit.accept(now).map_err(|e| e.to_string()),
        "decline" => current.credit.decline(now).map_err(|e| e.to_string()),
        "withdraw" => current.credit.withdraw(now).map_err(|e| e.to_string()),
        "change" => CreditText::parse(&CreditTextInput {
            name: form.name,
            organization: Some(form.organization),
            url: Some(form.url),
        })
        .map_err(|e| e.to_string())
        .and_then(|text| current.credit.change(text, now).map_err(|e| e.to_string())),
        _ => Err("choose accept, change, decline or withdraw".to_owned()),
    };
    let answer = match answer {
        Ok(answer) => answer,
        Err(problem) => {
            return Err(WebError::bad_request(
                "invalid_credit_answer",
                format!("Your answer was not recorded: {problem}. Go back and try again."),
            )
            .into())
        }
    };
    let entry = crate::auth::audit::event(
        &state,
        None,
        &format!("finder of {}", report.reference),
        "credit.answer",
        Some(&current.advisory.to_string()),
        format!("credit {credit_id}: {}", answer.consent.as_str()),
    );
    let recorded = state
        .store
        .answer_credit(credit_id, report.id, &current.credit, &answer, &entry)
        .await?;
    if !recorded {
        return Err(WebError::Conflict(
            "The credit changed while you were answering. Reload the page and answer again."
                .to_owned(),
        )
        .into());
    }
    Ok(Redirect::to(&format!("/track/{token}#credits")).into_response())
}

pub struct ThanksEntry {
    pub name: String,
    pub organization: Option<String>,
    pub url: Option<String>,
    pub month: String,
    pub advisory: String,
}

#[derive(Template)]
#[template(path = "thanks.html")]
struct ThanksPage {
    layout: Layout,
    finders: Vec<ThanksEntry>,
    /// Each credited finder's points, only when finder points are on.
    points: Option<Vec<super::finder_points::FinderTotal>>,
    scale: Vec<(&'static str, i64)>,
}

/// `/thanks`: the agreed credits of public advisories, once the policy offers thanks by
/// name (404 otherwise).
pub async fn get_thanks(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    let thanks_by_name = state
        .store
        .current_policy()
        .await?
        .is_some_and(|policy| policy.settings.acknowledgements);
    if !thanks_by_name {
        return Err(WebError::NotFound.into());
    }
    let finders = state
        .store
        .hall_of_fame(THANKS_LISTED)
        .await?
        .into_iter()
        .map(|thanked| ThanksEntry {
            name: thanked.text.name,
            organization: thanked.text.organization,
            url: thanked.text.url,
            month: format!(
                "{} {}",
                thanked.first_published_at.month(),
                thanked.first_published_at.year()
            ),
            advisory: thanked.advisory.to_string(),
        })
        .collect();
    let (scale, points) = match super::finder_points::totals(&state).await? {
        Some((table, totals)) => (super::finder_points::scale(&table), Some(totals)),
        None => (Vec::new(), None),
    };
    Ok(render(&ThanksPage {
        layout: Layout::of(&state.settings),
        finders,
        points,
        scale,
    })?)
}
