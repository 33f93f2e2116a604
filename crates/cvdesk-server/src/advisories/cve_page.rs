//! An advisory's CVE Services page (`/staff/advisories/{advisory}/cve-services`): reserve
//! a CVE ID for one of its vulnerabilities (recorded on it at once), and publish or update
//! the CNA container of each CVE the published version names. Publishers and admins act,
//! within their products; each success is audited, and a refusal shows the service's own
//! message with nothing changed.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::advisory::export::{to_cve_record, ExportError};
use cvdesk_domain::advisory::AdvisoryState;
use cvdesk_formats::cve_id::CveId;
use cvdesk_store::Advisory;

use super::cve_services::{CveServicesAccount, CveServicesClient, ServiceError};
use super::service::{self, Published};
use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

/// One vulnerability as the page lists it: its number (from 1), name and CVE IDs.
pub struct VulnerabilityRow {
    pub number: usize,
    pub name: String,
    pub cves: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff/advisory_cve.html")]
struct CvePage {
    layout: StaffLayout,
    id: String,
    title: String,
    /// The account's CNA short name, when an account is configured.
    org: Option<String>,
    may_write: bool,
    published: bool,
    withdrawn: bool,
    vulnerabilities: Vec<VulnerabilityRow>,
    /// The CVE IDs of the published version, with the public record's address.
    records: Vec<(String, String)>,
    notice: Option<String>,
    problem: Option<String>,
}

type FormMap = Result<Form<BTreeMap<String, String>>, FormRejection>;

async fn show(
    state: &AppState,
    staff: &StaffUser,
    advisory: &Advisory,
    status: StatusCode,
    notice: Option<String>,
    problem: Option<String>,
) -> Result<Response, PageError> {
    let published = Published::of(state, advisory);
    let page = CvePage {
        layout: StaffLayout::of(state, staff),
        id: advisory.id.to_string(),
        title: advisory.content.title.clone(),
        org: account(state).map(|account| account.org.clone()),
        may_write: service::authorise(&staff.user.actor(), StaffAction::WriteAdvisory, advisory)
            .is_ok(),
        published: published.is_some(),
        withdrawn: advisory.state == AdvisoryState::Withdrawn,
        vulnerabilities: advisory
            .content
            .vulnerabilities
            .iter()
            .enumerate()
            .map(|(index, vulnerability)| VulnerabilityRow {
                number: index + 1,
                name: vulnerability
                    .title
                    .clone()
                    .unwrap_or_else(|| vulnerability.cwe.to_string()),
                cves: vulnerability.cves.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        records: published
            .map(|published| {
                published
                    .cve_urls(state)
                    .into_iter()
                    .map(|(cve, url)| (cve.to_string(), url))
                    .collect()
            })
            .unwrap_or_default(),
        notice,
        problem,
    };
    Ok((status, render(&page)?).into_response())
}

fn account(state: &AppState) -> Option<&CveServicesAccount> {
    state.settings.advisories.cve_services.as_ref()
}

pub async fn get_page(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let advisory =
        service::load(&state, &staff.user.actor(), &id, StaffAction::ViewAdvisory).await?;
    show(&state, &staff, &advisory, StatusCode::OK, None, None).await
}

/// The advisory, once the caller may change it and the form is this session's.
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

/// The outcome of an action as the page shows it.
enum Outcome {
    Done(String),
    /// Refused by the desk before anything was sent.
    Refused(StatusCode, String),
    /// Refused or not answered by CVE Services.
    Service(ServiceError),
}

async fn answer(
    state: &AppState,
    staff: &StaffUser,
    id: &str,
    outcome: Outcome,
) -> Result<Response, PageError> {
    // Read again: a reservation changed the advisory.
    let advisory = service::load(state, &staff.user.actor(), id, StaffAction::ViewAdvisory).await?;
    match outcome {
        Outcome::Done(notice) => {
            show(state, staff, &advisory, StatusCode::OK, Some(notice), None).await
        }
        Outcome::Refused(status, problem) => {
            show(state, staff, &advisory, status, None, Some(problem)).await
        }
        Outcome::Service(error) => {
            let status = match error {
                ServiceError::Unreachable(_) => StatusCode::GATEWAY_TIMEOUT,
                _ => StatusCode::BAD_GATEWAY,
            };
            show(
                state,
                staff,
                &advisory,
                status,
                None,
                Some(error.to_string()),
            )
            .await
        }
    }
}

fn not_configured() -> Outcome {
    Outcome::Refused(
        StatusCode::CONFLICT,
        "No CVE Services account is configured (advisories.cve_services_url, \
         cve_services_user, the API key and cna_short_name); download each record from \
         the advisory's public page and upload it by hand."
            .to_owned(),
    )
}

pub async fn post_reserve(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: FormMap,
) -> Result<Response, PageError> {
    let form = crate::routes::staff::form(submitted)?;
    let advisory = acting(&state, &staff, &id, &form).await?;
    let outcome = reserve(&state, &staff, &advisory, &form).await?;
    answer(&state, &staff, &id, outcome).await
}

async fn reserve(
    state: &AppState,
    staff: &StaffUser,
    advisory: &Advisory,
    form: &BTreeMap<String, String>,
) -> Result<Outcome, WebError> {
    let Some(account) = account(state) else {
        return Ok(not_configured());
    };
    if advisory.state == AdvisoryState::Withdrawn {
        return Ok(Outcome::Refused(
            StatusCode::CONFLICT,
            "A withdrawn advisory takes no new CVE ID.".to_owned(),
        ));
    }
    let typed = form.get("vulnerability").map_or("", String::as_str).trim();
    let count = advisory.content.vulnerabilities.len();
    let index = match typed.parse::<usize>() {
        Ok(number) if (1..=count).contains(&number) => number - 1,
        _ => {
            return Ok(Outcome::Refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Choose a vulnerability from 1 to {count}, not '{typed}'."),
            ))
        }
    };
    let now = state.clock.now();
    let client = match CveServicesClient::new(account) {
        Ok(client) => client,
        Err(error) => return Ok(Outcome::Service(error)),
    };
    let cve = match client
        .reserve(u16::try_from(now.year()).unwrap_or(u16::MAX))
        .await
    {
        Ok(cve) => cve,
        Err(error) => return Ok(Outcome::Service(error)),
    };
    let mut content = advisory.content.clone();
    if let Some(vulnerability) = content.vulnerabilities.get_mut(index) {
        vulnerability.cves.push(cve);
    }
    let entry = audit::event(
        state,
        Some(&staff.user),
        "",
        "cve.reserve",
        Some(&advisory.id.to_string()),
        format!("{cve} for vulnerability {}", index + 1),
    );
    state
        .store
        .update_advisory(&advisory.id, advisory.state, &content, &entry, now)
        .await?;
    Ok(Outcome::Done(format!(
        "{cve} is reserved at CVE Services and recorded on vulnerability {}.",
        index + 1
    )))
}

pub async fn post_publish(
    State(state): State<AppState>,
    staff: StaffUser,
    Path((id, cve)): Path<(String, String)>,
    submitted: FormMap,
) -> Result<Response, PageError> {
    send(state, staff, id, cve, submitted, Send::Publish).await
}

pub async fn post_update(
    State(state): State<AppState>,
    staff: StaffUser,
    Path((id, cve)): Path<(String, String)>,
    submitted: FormMap,
) -> Result<Response, PageError> {
    send(state, staff, id, cve, submitted, Send::Update).await
}

#[derive(Clone, Copy)]
enum Send {
    Publish,
    Update,
}

async fn send(
    state: AppState,
    staff: StaffUser,
    id: String,
    cve: String,
    submitted: FormMap,
    kind: Send,
) -> Result<Response, PageError> {
    let form = crate::routes::staff::form(submitted)?;
    let advisory = acting(&state, &staff, &id, &form).await?;
    let cve: CveId = cve.parse().map_err(|_| WebError::NotFound)?;
    let outcome = send_record(&state, &staff, &advisory, cve, kind).await?;
    answer(&state, &staff, &id, outcome).await
}

async fn send_record(
    state: &AppState,
    staff: &StaffUser,
    advisory: &Advisory,
    cve: CveId,
    kind: Send,
) -> Result<Outcome, WebError> {
    let Some(account) = account(state) else {
        return Ok(not_configured());
    };
    let Some(published) = Published::of(state, advisory) else {
        return Ok(Outcome::Refused(
            StatusCode::CONFLICT,
            "Publish the advisory first: the record is made from its published version.".to_owned(),
        ));
    };
    let record = match to_cve_record(&published.publication(), cve) {
        Ok(record) => record,
        Err(error) => {
            let problem = match error {
                ExportError::UnknownCve(_) => format!(
                    "The published version does not name {cve}: publish a revision that \
                     names it first."
                ),
                other => format!("No record can be made: {other}."),
            };
            return Ok(Outcome::Refused(StatusCode::CONFLICT, problem));
        }
    };
    let client = match CveServicesClient::new(account) {
        Ok(client) => client,
        Err(error) => return Ok(Outcome::Service(error)),
    };
    let container = &record.containers.cna;
    let (sent, action) = match kind {
        Send::Publish => (client.publish(cve, container).await, "cve.publish"),
        Send::Update => (client.update(cve, container).await, "cve.update"),
    };
    let message = match sent {
        Ok(message) => message,
        Err(error) => return Ok(Outcome::Service(error)),
    };
    let entry = audit::event(
        state,
        Some(&staff.user),
        "",
        action,
        Some(&advisory.id.to_string()),
        format!("{cve}: {message}"),
    );
    state.store.append_audit(entry).await?;
    Ok(Outcome::Done(format!("CVE Services: {message}")))
}
