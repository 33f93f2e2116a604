//! The staff pages: the list, the editor (new, from a report, or an existing advisory),
//! the preview exactly as it will read, and each advisory's page with its schedule,
//! publication, revision, withdrawal and credits. Publishers and admins write; others read
//! what their role and teams allow. Every form carries the session's CSRF token and every
//! change its audit entry.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use cvdesk_domain::access::{self, ProductScope, StaffAction};
use cvdesk_domain::advisory::credit::CreditTextInput;
use cvdesk_domain::advisory::{AdvisoryState, Credit, CreditRole, CreditText, ScheduleZone};
use cvdesk_domain::Reference;
use cvdesk_store::Advisory;
use serde::Deserialize;

use super::service::{self, ActionError, Published};
use super::views::{AdvisoryPage, AdvisoryView};
use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::mail::{FinderNews, NewsMail};
use crate::routes::staff::layout::StaffLayout;
use crate::views::{render, utc_minute, Layout};
use crate::AppState;

const LIST_LIMIT: u32 = 500;

pub(super) fn read_form<T>(submitted: Result<Form<T>, FormRejection>) -> Result<T, PageError> {
    crate::routes::staff::form(submitted)
}

#[derive(Template)]
#[template(path = "staff/advisories.html")]
struct ListPage {
    layout: StaffLayout,
    advisories: Vec<(String, String, &'static str, String)>,
    may_write: bool,
}

pub async fn get_list(
    State(state): State<AppState>,
    staff: StaffUser,
) -> Result<Response, PageError> {
    let actor = staff.user.actor();
    let scope = match access::visible_products(&actor) {
        ProductScope::All => None,
        ProductScope::Only(products) => Some(products.into_iter().collect::<Vec<_>>()),
    };
    let listed = state.store.advisories(scope.as_deref(), LIST_LIMIT).await?;
    let page = ListPage {
        layout: StaffLayout::of(&state, &staff),
        advisories: listed
            .into_iter()
            .map(|a| {
                (
                    a.id.to_string(),
                    a.title,
                    a.state.as_str(),
                    utc_minute(a.updated_at),
                )
            })
            .collect(),
        may_write: service::may_write(&actor).is_ok(),
    };
    Ok(render(&page)?.into_response())
}

/// The public page as the next publication would make it.
pub async fn get_preview(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let advisory =
        service::load(&state, &staff.user.actor(), &id, StaffAction::ViewAdvisory).await?;
    let summary = if advisory.history.revisions().is_empty() {
        "Initial version."
    } else {
        "(the summary of change given when publishing)"
    };
    let now = state.clock.now();
    let vendors = service::coordinated::vendor_positions(&state, &advisory.content, now).await?;
    let history =
        service::next_history(&advisory, vendors, summary, now).map_err(WebError::from)?;
    let published =
        Published::with_history(&state, &advisory, history).ok_or(WebError::NotFound)?;
    let view = AdvisoryView::of(&published, Vec::new()).ok_or(WebError::NotFound)?;
    Ok(render(&AdvisoryPage {
        layout: Layout::of(&state.settings),
        advisory: view,
        preview: true,
        public_files: false,
    })?)
}

pub struct StaffCreditView {
    pub id: i64,
    pub report: String,
    pub name: String,
    pub organization: String,
    pub role: &'static str,
    pub consent: &'static str,
    pub removable: bool,
}

#[derive(Template)]
#[template(path = "staff/advisory.html")]
struct AdvisoryStaffPage {
    layout: StaffLayout,
    id: String,
    title: String,
    state: &'static str,
    may_write: bool,
    is_public: bool,
    schedule: Option<(String, String)>,
    revisions: Vec<(u32, String, String)>,
    credits: Vec<StaffCreditView>,
    reports: Vec<String>,
    /// The embargoes of its reports that still hold: "CVD-2027-0001 ends 2027-02-10 16:00 UTC …".
    embargoes: Vec<String>,
    roles: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    problem: Option<String>,
    errors: BTreeMap<String, String>,
    /// What was typed into the action forms, kept when refused.
    typed: BTreeMap<String, String>,
    can_schedule: bool,
    can_unschedule: bool,
    can_publish: bool,
    can_revise: bool,
    can_withdraw: bool,
}

impl AdvisoryStaffPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    saved: String,
}

async fn advisory_page(
    state: &AppState,
    staff: &StaffUser,
    advisory: &Advisory,
    notice: Option<String>,
    refusal: Option<ActionError>,
    mut typed: BTreeMap<String, String>,
) -> Result<Response, PageError> {
    if typed.is_empty() {
        typed = credit_proposal(state, advisory).await?;
    }
    let (status, problem, errors) = match refusal {
        None => (StatusCode::OK, None, BTreeMap::new()),
        Some(ActionError::Invalid(fields)) => (StatusCode::UNPROCESSABLE_ENTITY, None, fields),
        Some(ActionError::Refused(message)) => {
            (StatusCode::CONFLICT, Some(message), BTreeMap::new())
        }
        Some(ActionError::Web(error)) => return Err(error.into()),
    };
    let may_write =
        service::authorise(&staff.user.actor(), StaffAction::WriteAdvisory, advisory).is_ok();
    let embargoes = service::coordinated::held_at(state, &advisory.content, state.clock.now())
        .await?
        .iter()
        .map(|held| format!("{} ends {}", held.reference, held.embargo.display()))
        .collect();
    let use_state = |action| advisory.state.apply(action).is_ok();
    use cvdesk_domain::advisory::AdvisoryAction as A;
    let page = AdvisoryStaffPage {
        layout: StaffLayout::of(state, staff),
        id: advisory.id.to_string(),
        title: advisory.content.title.clone(),
        state: advisory.state.as_str(),
        may_write,
        is_public: advisory.state.is_public()
            && advisory.content.tlp == cvdesk_formats::tlp::Tlp::Clear,
        schedule: advisory.schedule.as_ref().map(|schedule| {
            let local = schedule
                .zone
                .parse::<ScheduleZone>()
                .map(|zone| zone.local_display(schedule.at))
                .unwrap_or_else(|_| schedule.zone.clone());
            (utc_minute(schedule.at), local)
        }),
        revisions: advisory
            .history
            .revisions()
            .iter()
            .rev()
            .map(|r| (r.number(), utc_minute(r.date()), r.summary().to_owned()))
            .collect(),
        credits: advisory
            .credits
            .iter()
            .map(|stored| StaffCreditView {
                id: stored.id,
                report: stored.report.to_string(),
                name: stored.credit.text.name.clone(),
                organization: stored.credit.text.organization.clone().unwrap_or_default(),
                role: stored.credit.role.label(),
                consent: stored.credit.consent.as_str(),
                removable: !stored.credit.consent.is_publishable(),
            })
            .collect(),
        reports: advisory
            .content
            .reports
            .iter()
            .map(ToString::to_string)
            .collect(),
        embargoes,
        roles: CreditRole::ALL
            .iter()
            .map(|r| (r.as_str(), r.label()))
            .collect(),
        notice,
        problem,
        errors,
        typed,
        can_schedule: use_state(A::Schedule) || advisory.state == AdvisoryState::Scheduled,
        can_unschedule: use_state(A::Unschedule),
        can_publish: use_state(A::Publish),
        can_revise: use_state(A::Revise),
        can_withdraw: use_state(A::Withdraw),
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn get_advisory(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    query: Result<Query<SavedQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let advisory =
        service::load(&state, &staff.user.actor(), &id, StaffAction::ViewAdvisory).await?;
    let notice = query
        .ok()
        .filter(|Query(q)| !q.saved.is_empty())
        .map(|_| "Saved.".to_owned());
    advisory_page(&state, &staff, &advisory, notice, None, BTreeMap::new()).await
}

/// Runs an action from the advisory's page and shows the page again with its outcome.
async fn act(
    state: &AppState,
    staff: &StaffUser,
    advisory: &Advisory,
    outcome: Result<String, ActionError>,
    typed: BTreeMap<String, String>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(done) => {
            let advisory = state
                .store
                .advisory(&advisory.id)
                .await?
                .ok_or(WebError::NotFound)?;
            advisory_page(state, staff, &advisory, Some(done), None, BTreeMap::new()).await
        }
        Err(refusal) => advisory_page(state, staff, advisory, None, Some(refusal), typed).await,
    }
}

async fn acting(
    state: &AppState,
    staff: &StaffUser,
    id: &str,
    form: &BTreeMap<String, String>,
) -> Result<Advisory, PageError> {
    let advisory =
        service::load(state, &staff.user.actor(), id, StaffAction::WriteAdvisory).await?;
    staff.check_csrf(form.get("csrf_token").map_or("", String::as_str))?;
    Ok(advisory)
}

type FormMap = Result<Form<BTreeMap<String, String>>, FormRejection>;

pub async fn post_schedule(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: FormMap,
) -> Result<Response, PageError> {
    let form = read_form(submitted)?;
    let advisory = acting(&state, &staff, &id, &form).await?;
    let at = form.get("at").cloned().unwrap_or_default();
    let zone = form.get("time_zone").cloned().unwrap_or_default();
    let outcome = service::schedule(
        &state,
        &staff.user,
        &advisory,
        &at,
        &zone,
        override_reason(&form),
    )
    .await
    .map(|()| "Publication is scheduled.".to_owned());
    act(&state, &staff, &advisory, outcome, form).await
}

pub async fn post_unschedule(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: FormMap,
) -> Result<Response, PageError> {
    let form = read_form(submitted)?;
    let advisory = acting(&state, &staff, &id, &form).await?;
    let outcome = service::unschedule(&state, &staff.user, &advisory)
        .await
        .map(|()| "The schedule is called off: the advisory is a draft again.".to_owned());
    act(&state, &staff, &advisory, outcome, form).await
}

pub async fn post_publish(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: FormMap,
) -> Result<Response, PageError> {
    let form = read_form(submitted)?;
    let advisory = acting(&state, &staff, &id, &form).await?;
    let summary = form.get("summary").cloned().unwrap_or_default();
    let summary = if summary.trim().is_empty() && advisory.history.revisions().is_empty() {
        "Initial version.".to_owned()
    } else {
        summary
    };
    let outcome = service::publish(
        &state,
        Some(&staff.user),
        &advisory,
        &summary,
        service::EmbargoRule::Check(override_reason(&form)),
    )
    .await
    .map(|revision| format!("Version {} is published.", revision.number()));
    act(&state, &staff, &advisory, outcome, form).await
}

/// The reason to go ahead of an embargo, when the publisher gave one.
fn override_reason(form: &BTreeMap<String, String>) -> Option<&str> {
    form.get(service::OVERRIDE_FIELD)
        .map(String::as_str)
        .filter(|reason| !reason.trim().is_empty())
}

pub async fn post_withdraw(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: FormMap,
) -> Result<Response, PageError> {
    let form = read_form(submitted)?;
    let advisory = acting(&state, &staff, &id, &form).await?;
    let reason = form.get("reason").cloned().unwrap_or_default();
    let outcome = service::withdraw(&state, &staff.user, &advisory, &reason)
        .await
        .map(|_| "The advisory is withdrawn.".to_owned());
    act(&state, &staff, &advisory, outcome, form).await
}

/// Proposes a credit to the finder of one of the reports the advisory answers, and tells
/// them by mail (encrypted with the proposed text when they gave a key).
pub async fn post_credit(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: FormMap,
) -> Result<Response, PageError> {
    let form = read_form(submitted)?;
    let advisory = acting(&state, &staff, &id, &form).await?;
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let mut errors = BTreeMap::new();
    let role = CreditRole::parse(&field("role"));
    if role.is_none() {
        errors.insert("credit_role".to_owned(), "choose a role".to_owned());
    }
    let text = CreditText::parse(&CreditTextInput {
        name: field("name"),
        organization: Some(field("organization")),
        url: Some(field("url")),
    });
    if let Err(error) = &text {
        let message = error.to_string();
        let (name, rest) = message.split_once(": ").unwrap_or(("name", &message));
        errors.insert(format!("credit_{name}"), rest.to_owned());
    }
    let reference: Option<Reference> = field("report").parse().ok();
    let report = match reference {
        Some(reference) if advisory.content.reports.contains(&reference) => {
            state.store.report_by_reference(&reference).await?
        }
        _ => None,
    };
    if report.is_none() {
        errors.insert(
            "credit_report".to_owned(),
            "choose one of the reports this advisory answers".to_owned(),
        );
    }
    let (Some(role), Ok(text), Some(report)) = (role, text, report) else {
        return act(
            &state,
            &staff,
            &advisory,
            Err(ActionError::Invalid(errors)),
            form,
        )
        .await;
    };
    let credit = Credit::propose(text, role);
    let now = state.clock.now();
    let signer = state
        .organization_signer
        .for_mail(&*state.store, state.settings.pgp_passphrase.as_ref(), now)
        .await;
    let proposal = format!("{} — {}", credit_line(&credit), advisory.id);
    let mail = NewsMail::of(&state).to_finder(
        &report,
        FinderNews::CreditProposed(&proposal),
        signer.as_deref(),
        now,
    );
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "credit.propose",
        Some(&advisory.id.to_string()),
        format!("{} for {}", credit_line(&credit), report.reference),
    );
    let outcome = state
        .store
        .propose_credit(
            &advisory.id,
            cvdesk_store::NewCredit {
                report_id: report.id,
                credit: &credit,
                proposed_by: &staff.user.email,
                mail: &mail,
                now,
            },
            &entry,
        )
        .await
        .map(|_| {
            state.mailer.wake();
            "The credit is proposed to the finder.".to_owned()
        })
        .map_err(ActionError::from);
    act(&state, &staff, &advisory, outcome, form).await
}

/// The credit form pre-filled for the first finder who asked to be credited and has no
/// credit on this advisory yet: the name they gave with their report.
async fn credit_proposal(
    state: &AppState,
    advisory: &Advisory,
) -> Result<BTreeMap<String, String>, WebError> {
    for reference in &advisory.content.reports {
        let Some(report) = state.store.report_by_reference(reference).await? else {
            continue;
        };
        let credited = advisory.credits.iter().any(|c| c.report_id == report.id);
        if let (true, false, Some(name)) = (
            report.content.credit,
            credited,
            report.content.contact.name.as_ref(),
        ) {
            return Ok(BTreeMap::from([
                ("report".to_owned(), reference.to_string()),
                ("name".to_owned(), name.clone()),
            ]));
        }
    }
    Ok(BTreeMap::new())
}

fn credit_line(credit: &Credit) -> String {
    match &credit.text.organization {
        Some(organization) => format!(
            "{} ({organization}), {}",
            credit.text.name,
            credit.role.label()
        ),
        None => format!("{}, {}", credit.text.name, credit.role.label()),
    }
}

pub async fn post_remove_credit(
    State(state): State<AppState>,
    staff: StaffUser,
    Path((id, credit)): Path<(String, String)>,
    submitted: FormMap,
) -> Result<Response, PageError> {
    let form = read_form(submitted)?;
    let advisory = acting(&state, &staff, &id, &form).await?;
    let credit: i64 = credit.parse().map_err(|_| WebError::NotFound)?;
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "credit.remove",
        Some(&advisory.id.to_string()),
        format!("credit {credit}"),
    );
    let outcome = match state
        .store
        .remove_credit(&advisory.id, credit, &entry)
        .await
    {
        Ok(true) => Ok("The credit is removed.".to_owned()),
        Ok(false) => Err(ActionError::Refused(
            "only a credit the finder has not agreed to can be removed".to_owned(),
        )),
        Err(error) => Err(ActionError::from(error)),
    };
    act(&state, &staff, &advisory, outcome, form).await
}
