//! The staff form that opens an outbound case (`/staff/cases/new`, posted to
//! `/staff/cases`): items d–k of the policy's initial inquiry against a vendor chosen from
//! the directory, read into the API's `CaseInput` and created by the same service as
//! `POST /api/v1/cases`. A refused form comes back with a message beside each wrong field
//! and everything typed kept.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::OutboundAction;
use cvdesk_domain::outbound::{CaseForm, CaseId, CaseInput, Preset};
use serde::Deserialize;

use super::api::context;
use super::cases::{self, CaseError};
use super::staff::allow;
use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

/// The case form as typed. `cve` says who requests the ID; `cve_id`, when given, is the
/// ID already assigned and takes its place.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CaseFields {
    csrf_token: String,
    vendor_id: String,
    title: String,
    product: String,
    versions_tested: String,
    vulnerability_type: String,
    severity: String,
    scoring_method: String,
    attack_vector: String,
    prerequisites: String,
    ease_of_exploitation: String,
    cve: String,
    cve_id: String,
    credit: String,
    technical_details: String,
    preset: String,
}

fn given(text: &str) -> Option<String> {
    Some(text.to_owned()).filter(|text| !text.trim().is_empty())
}

impl CaseFields {
    /// What the template shows in the text field `name`.
    pub fn value(&self, name: &str) -> &str {
        match name {
            "title" => &self.title,
            "product" => &self.product,
            "versions_tested" => &self.versions_tested,
            "vulnerability_type" => &self.vulnerability_type,
            "severity" => &self.severity,
            "scoring_method" => &self.scoring_method,
            "attack_vector" => &self.attack_vector,
            "prerequisites" => &self.prerequisites,
            "ease_of_exploitation" => &self.ease_of_exploitation,
            "cve_id" => &self.cve_id,
            "technical_details" => &self.technical_details,
            _ => "",
        }
    }

    /// The API's input, and the messages for what cannot even become one.
    fn input(&self) -> (CaseInput, BTreeMap<String, String>) {
        let mut errors = BTreeMap::new();
        let vendor_id = match self.vendor_id.trim() {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.insert(
                        "vendor_id".to_owned(),
                        "choose a vendor from the directory".to_owned(),
                    );
                    None
                }
            },
        };
        let credit = match self.credit.as_str() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.insert(
                    "credit".to_owned(),
                    "choose whether to be credited: as the settings say, yes or no".to_owned(),
                );
                None
            }
        };
        let input = CaseInput {
            vendor_id,
            title: given(&self.title),
            product: given(&self.product),
            versions_tested: self
                .versions_tested
                .lines()
                .map(str::trim)
                .filter(|version| !version.is_empty())
                .map(str::to_owned)
                .collect(),
            vulnerability_type: given(&self.vulnerability_type),
            severity: given(&self.severity),
            scoring_method: given(&self.scoring_method),
            attack_vector: given(&self.attack_vector),
            prerequisites: given(&self.prerequisites),
            ease_of_exploitation: given(&self.ease_of_exploitation),
            cve: given(&self.cve_id).or_else(|| given(&self.cve)),
            credit,
            technical_details: given(&self.technical_details),
            preset: given(&self.preset),
        };
        (input, errors)
    }
}

struct VendorChoice {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "staff/case_new.html")]
struct NewCasePage {
    layout: StaffLayout,
    vendors: Vec<VendorChoice>,
    presets: Vec<(&'static str, &'static str)>,
    default_preset: &'static str,
    form: CaseFields,
    errors: BTreeMap<String, String>,
}

impl NewCasePage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

async fn new_case_page(
    state: &AppState,
    staff: &StaffUser,
    form: CaseFields,
    errors: BTreeMap<String, String>,
) -> Result<NewCasePage, PageError> {
    let vendors = state
        .store
        .vendors()
        .await?
        .into_iter()
        .map(|vendor| VendorChoice {
            id: vendor.id.0.to_string(),
            name: vendor.details.name,
        })
        .collect();
    Ok(NewCasePage {
        layout: StaffLayout::of(state, staff),
        vendors,
        presets: Preset::ALL
            .iter()
            .map(|preset| (preset.as_str(), preset.label()))
            .collect(),
        default_preset: state.outbound.preset.label(),
        form,
        errors,
    })
}

/// The vendor to choose first, as a link from a vendor's page names it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Chosen {
    vendor_id: String,
}

pub async fn get_new_case(
    State(state): State<AppState>,
    staff: StaffUser,
    chosen: Result<Query<Chosen>, QueryRejection>,
) -> Result<Response, PageError> {
    allow(&staff, OutboundAction::Change)?;
    let form = CaseFields {
        // A link that cannot be read chooses nothing: the person chooses on the form.
        vendor_id: chosen
            .map(|Query(chosen)| chosen.vendor_id)
            .unwrap_or_default(),
        ..CaseFields::default()
    };
    let page = new_case_page(&state, &staff, form, BTreeMap::new()).await?;
    audit::record(&state, Some(&staff.user), "", "case.new", None, "page").await?;
    Ok(render(&page)?.into_response())
}

pub async fn post_case(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<CaseFields>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    allow(&staff, OutboundAction::Change)?;
    let (input, mut errors) = submitted.input();
    if errors.is_empty() {
        let event = |id: &CaseId| {
            audit::event(
                &state,
                Some(&staff.user),
                "",
                "case.create",
                Some(&id.to_string()),
                "page",
            )
        };
        match cases::create(&context(&state), &input, &staff.user.email, &event).await {
            Ok(view) => {
                return Ok(Redirect::to(&format!("/staff/cases/{}", view.case.id)).into_response())
            }
            Err(CaseError::Invalid(refused)) => errors = refused.0,
            Err(other) => return Err(WebError::from(other).into()),
        }
    } else if let Err(more) = CaseForm::parse(&input) {
        // Say everything that is wrong at once, as the service would.
        for (field, message) in more.0 {
            errors.entry(field).or_insert(message);
        }
    }
    // The API asks for an id; the form has the person choose a vendor.
    if submitted.vendor_id.trim().is_empty() && errors.contains_key("vendor_id") {
        errors.insert(
            "vendor_id".to_owned(),
            "required: choose a vendor from the directory".to_owned(),
        );
    }
    // An assigned ID is typed into its own field: its message belongs there.
    if given(&submitted.cve_id).is_some() {
        if let Some(message) = errors.remove("cve") {
            errors.insert("cve_id".to_owned(), message);
        }
    }
    let page = new_case_page(&state, &staff, submitted, errors).await?;
    let mut response = render(&page)?.into_response();
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_apis_input() {
        let fields = CaseFields {
            vendor_id: " 7 ".to_owned(),
            title: "RCE".to_owned(),
            versions_tested: "4.2.1\n\n 4.2.0 \n".to_owned(),
            cve: "vendor".to_owned(),
            credit: "no".to_owned(),
            prerequisites: "  ".to_owned(),
            ..CaseFields::default()
        };
        let (input, errors) = fields.input();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(input.vendor_id, Some(7));
        assert_eq!(input.versions_tested, ["4.2.1", "4.2.0"]);
        assert_eq!(input.cve.as_deref(), Some("vendor"));
        assert_eq!(input.credit, Some(false));
        assert_eq!(input.prerequisites, None);
        assert_eq!(input.preset, None);
    }

    #[test]
    fn an_assigned_id_takes_the_place_of_who_requests_it() {
        let fields = CaseFields {
            cve: "researcher".to_owned(),
            cve_id: "CVE-2026-12345".to_owned(),
            ..CaseFields::default()
        };
        assert_eq!(fields.input().0.cve.as_deref(), Some("CVE-2026-12345"));
    }

    #[test]
    fn values_a_select_never_sends_are_refused_by_name() {
        let fields = CaseFields {
            vendor_id: "Acme".to_owned(),
            credit: "maybe".to_owned(),
            ..CaseFields::default()
        };
        let errors = fields.input().1;
        assert_eq!(
            errors.keys().map(String::as_str).collect::<Vec<_>>(),
            ["credit", "vendor_id"]
        );
    }
}
