//! The editor pages: a new advisory (from scratch or from a report) and an existing one's
//! working copy. A refused form comes back with everything typed and each message beside
//! its field; a form asking for another slot comes back with it.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::advisory::AdvisoryInput;
use cvdesk_store::Product;
use serde::Deserialize;

use super::editor::{form_errors, Editor, RawForm};
use super::service::{self, ActionError};
use super::staff::read_form;
use crate::auth::StaffUser;
use crate::error::{PageError, WebError};
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

#[derive(Template)]
#[template(path = "staff/advisory_edit.html")]
struct EditPage {
    layout: StaffLayout,
    /// `None` for a new advisory.
    id: Option<String>,
    editor: Editor,
    errors: BTreeMap<String, String>,
    products: Vec<Product>,
}

/// A slot number as the template hands it over (by reference, at any depth).
trait Slot {
    fn slot(&self) -> usize;
}

impl Slot for usize {
    fn slot(&self) -> usize {
        *self
    }
}

impl<T: Slot + ?Sized> Slot for &T {
    fn slot(&self) -> usize {
        (**self).slot()
    }
}

impl EditPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn product_selected(&self, v: impl Slot, p: impl Slot, id: &i64) -> bool {
        self.product(v.slot(), p.slot())
            .and_then(|product| product.product_id)
            .is_some_and(|chosen| chosen == *id)
    }

    fn product(
        &self,
        v: usize,
        p: usize,
    ) -> Option<&cvdesk_domain::advisory::content::ProductInput> {
        self.editor.input.vulnerabilities.get(v)?.products.get(p)
    }

    fn vulnerability_text(&self, v: impl Slot, field: &str) -> String {
        let Some(vulnerability) = self.editor.input.vulnerabilities.get(v.slot()) else {
            return String::new();
        };
        match field {
            "title" => vulnerability.title.clone().unwrap_or_default(),
            "cwe" => vulnerability.cwe.clone(),
            "severity" => match &vulnerability.severity {
                cvdesk_domain::advisory::content::SeverityInput::One(one) => one.clone(),
                cvdesk_domain::advisory::content::SeverityInput::Many(many) => many.join("\n"),
            },
            "cves" => vulnerability.cves.join("\n"),
            "remediation" => vulnerability.remediation.clone().unwrap_or_default(),
            "workaround" => vulnerability.workaround.clone().unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn product_text(&self, v: impl Slot, p: impl Slot, field: &str) -> String {
        let Some(product) = self.product(v.slot(), p.slot()) else {
            return String::new();
        };
        match field {
            "name" => product.name.clone().unwrap_or_default(),
            "vendor" => product.vendor.clone().unwrap_or_default(),
            "purl" => product.purl.clone().unwrap_or_default(),
            "cpe" => product.cpe.clone().unwrap_or_default(),
            "affected" => product.affected.join("\n"),
            "fixed" => product.fixed.join("\n"),
            _ => String::new(),
        }
    }
}

async fn edit_page(
    state: &AppState,
    staff: &StaffUser,
    id: Option<String>,
    editor: Editor,
    errors: BTreeMap<String, String>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = EditPage {
        layout: StaffLayout::of(state, staff),
        id,
        editor,
        errors,
        products: state.store.products().await?,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    report: String,
}

/// A draft pre-filled from a report: its title, summary, impact, weakness, score and
/// product, and a credit proposal for its finder on the advisory's page once saved.
fn from_report(report: &cvdesk_domain::report::Report, products: &[Product]) -> AdvisoryInput {
    let content = &report.content;
    let product = report
        .triage
        .product
        .and_then(|id| products.iter().find(|p| p.id == id));
    let vulnerability = cvdesk_domain::advisory::content::VulnerabilityInput {
        title: Some(content.title.clone()),
        cwe: content.weakness.map(|w| w.to_string()).unwrap_or_default(),
        severity: cvdesk_domain::advisory::content::SeverityInput::Many(
            content.severity.iter().map(|s| s.vector.clone()).collect(),
        ),
        products: vec![cvdesk_domain::advisory::content::ProductInput {
            product_id: product.map(|p| p.id.0),
            name: match product {
                Some(_) => None,
                None => content.asset.clone(),
            },
            ..Default::default()
        }],
        ..Default::default()
    };
    AdvisoryInput {
        title: content.title.clone(),
        summary: content.summary.chars().take(1_000).collect(),
        description: content.summary.clone(),
        impact: content.impact.clone(),
        remediation: content.mitigation.clone().unwrap_or_default(),
        tlp: "TLP:CLEAR".to_owned(),
        reports: vec![report.reference.to_string()],
        vulnerabilities: vec![vulnerability],
        ..Default::default()
    }
}

pub async fn get_new(
    State(state): State<AppState>,
    staff: StaffUser,
    query: Result<Query<NewQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    service::may_write(&staff.user.actor())?;
    let reference = query
        .ok()
        .map(|Query(q)| q.report)
        .filter(|r| !r.is_empty());
    let input = match reference {
        Some(text) => {
            let report = crate::report_access::permitted_report(
                &state,
                &staff.user,
                &text,
                StaffAction::ViewReport,
            )
            .await?;
            from_report(&report, &state.store.products().await?)
        }
        None => AdvisoryInput {
            tlp: "TLP:CLEAR".to_owned(),
            ..Default::default()
        },
    };
    edit_page(&state, &staff, None, Editor::of(input), BTreeMap::new()).await
}

pub async fn post_new(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, PageError> {
    service::may_write(&staff.user.actor())?;
    let form: RawForm = read_form(submitted)?.into_iter().collect();
    staff.check_csrf(form.get("csrf_token").map_or("", String::as_str))?;
    let editor = Editor::read(&form);
    if Editor::wants_more(&form) {
        return edit_page(&state, &staff, None, editor, BTreeMap::new()).await;
    }
    match service::create(&state, &staff.user, &editor.input).await {
        Ok(id) => Ok(Redirect::to(&format!("/staff/advisories/{id}?saved=1")).into_response()),
        Err(ActionError::Invalid(fields)) => {
            edit_page(&state, &staff, None, editor, form_errors(&fields)).await
        }
        Err(other) => Err(WebError::from(other).into()),
    }
}

pub async fn get_edit(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let advisory =
        service::load(&state, &staff.user.actor(), &id, StaffAction::WriteAdvisory).await?;
    let editor = Editor::of(advisory.content.to_input());
    edit_page(&state, &staff, Some(id), editor, BTreeMap::new()).await
}

pub async fn post_edit(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, PageError> {
    let advisory =
        service::load(&state, &staff.user.actor(), &id, StaffAction::WriteAdvisory).await?;
    let form: RawForm = read_form(submitted)?.into_iter().collect();
    staff.check_csrf(form.get("csrf_token").map_or("", String::as_str))?;
    let editor = Editor::read(&form);
    if Editor::wants_more(&form) {
        return edit_page(&state, &staff, Some(id), editor, BTreeMap::new()).await;
    }
    match service::update(&state, &staff.user, &advisory, &editor.input).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/advisories/{id}?saved=1")).into_response()),
        Err(ActionError::Invalid(fields)) => {
            edit_page(&state, &staff, Some(id), editor, form_errors(&fields)).await
        }
        Err(other) => Err(WebError::from(other).into()),
    }
}
