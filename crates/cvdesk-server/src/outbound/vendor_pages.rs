//! The staff pages of the vendor directory: the directory with a form to add a vendor
//! (`/staff/vendors`), one vendor with its edit form (`/staff/vendors/{vendor_id}`), and
//! contact discovery (`POST /staff/vendors/{vendor_id}/discover`), which shows what the
//! vendor's security.txt proposes in a form the person submits to accept it. The rules are
//! the API's: `VendorDetails::create`/`changed` and the key check; a refused form comes
//! back with a message beside each wrong field and everything typed kept.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::OutboundAction;
use cvdesk_domain::outbound::FormErrors;
use cvdesk_domain::vendor::discovery::{Proposal, Signature, Source};
use cvdesk_domain::vendor::{ContactInput, ContactKind, VendorContact, VendorDetails, VendorInput};
use cvdesk_store::Vendor;
use serde::Deserialize;

use super::staff::{allow, may_change};
use super::vendor_api::{audited_discovery, check_key, discovery_domain, vendor};
use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::mail::FinderKey;
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::views::{render, utc_minute};
use crate::AppState;

/// The vendor form as typed: lists one item a line (domains and languages may also be
/// separated by commas), contacts as `email: …`, `url: …` or `phone: …`.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct VendorForm {
    csrf_token: String,
    name: String,
    domains: String,
    contacts: String,
    pgp_key: String,
    policy_url: String,
    languages: String,
    notes: String,
}

impl VendorForm {
    fn of(details: &VendorDetails) -> VendorForm {
        VendorForm {
            csrf_token: String::new(),
            name: details.name.clone(),
            domains: details.domains.join("\n"),
            contacts: contact_lines(&details.contacts),
            pgp_key: details.pgp_key.clone().unwrap_or_default(),
            policy_url: details.policy_url.clone().unwrap_or_default(),
            languages: details.languages.join(", "),
            notes: details.notes.clone().unwrap_or_default(),
        }
    }

    /// The vendor's details with what discovery found in place of theirs.
    fn proposed(details: &VendorDetails, proposal: &Proposal) -> VendorForm {
        let mut form = VendorForm::of(details);
        if !proposal.contacts.is_empty() {
            form.contacts = contact_lines(&proposal.contacts);
        }
        if let Some(key) = &proposal.pgp_key {
            form.pgp_key = key.clone();
        }
        if let Some(policy) = &proposal.policy_url {
            form.policy_url = policy.clone();
        }
        if !proposal.languages.is_empty() {
            form.languages = proposal.languages.join(", ");
        }
        form
    }

    /// What the template shows in the field `name`.
    pub fn value(&self, name: &str) -> &str {
        match name {
            "name" => &self.name,
            "domains" => &self.domains,
            "contacts" => &self.contacts,
            "pgp_key" => &self.pgp_key,
            "policy_url" => &self.policy_url,
            "languages" => &self.languages,
            "notes" => &self.notes,
            _ => "",
        }
    }

    /// The API's input: every field given, so a blank one clears it on a change. Contact
    /// lines are numbered from 1 for the messages.
    fn input(&self) -> (VendorInput, Vec<usize>) {
        let mut lines = Vec::new();
        let mut contacts = Vec::new();
        for (number, line) in self.contacts.lines().enumerate() {
            if let Some(contact) = contact_input(line) {
                contacts.push(contact);
                lines.push(number + 1);
            }
        }
        let input = VendorInput {
            name: Some(self.name.clone()),
            domains: Some(items(&self.domains)),
            contacts: Some(contacts),
            pgp_key: Some(self.pgp_key.clone()),
            policy_url: Some(self.policy_url.clone()),
            languages: Some(items(&self.languages)),
            notes: Some(self.notes.clone()),
        };
        (input, lines)
    }
}

fn contact_lines(contacts: &[VendorContact]) -> String {
    contacts
        .iter()
        .map(|contact| format!("{}: {}", contact.kind, contact.value))
        .collect::<Vec<_>>()
        .join("\n")
}

fn items(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One contact line: `kind: value`, or a bare value whose kind is plain from its form
/// (a web address, an e-mail address, else a phone number). Blank lines are skipped.
fn contact_input(line: &str) -> Option<ContactInput> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    let labelled = line.split_once(':').and_then(|(label, value)| {
        let kind = match label.trim().to_ascii_lowercase().as_str() {
            "email" | "e-mail" | "mailto" => ContactKind::Email,
            "url" | "web" | "form" => ContactKind::Url,
            "phone" | "tel" => ContactKind::Phone,
            _ => return None,
        };
        Some((kind, value.trim()))
    });
    let (kind, value) = labelled.unwrap_or_else(|| {
        let kind = if line.starts_with("https://") || line.starts_with("http://") {
            ContactKind::Url
        } else if line.contains('@') {
            ContactKind::Email
        } else {
            ContactKind::Phone
        };
        (kind, line)
    });
    Some(ContactInput {
        kind: kind.as_str().to_owned(),
        value: value.to_owned(),
    })
}

/// The form's messages by field: a contact's message names its line.
fn field_messages(errors: FormErrors, lines: &[usize]) -> BTreeMap<String, String> {
    let mut messages: BTreeMap<String, String> = BTreeMap::new();
    for (field, message) in errors.0 {
        let index = field
            .strip_prefix("contacts[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|index| index.parse::<usize>().ok());
        match index {
            Some(index) => {
                let line = lines.get(index).copied().unwrap_or(index + 1);
                let text = messages.entry("contacts".to_owned()).or_default();
                if !text.is_empty() {
                    text.push_str("; ");
                }
                text.push_str(&format!("line {line}: {message}"));
            }
            None => {
                messages.entry(field).or_insert(message);
            }
        }
    }
    messages
}

/// Checks the form as the API does: the details, then the key.
fn checked(
    state: &AppState,
    form: &VendorForm,
    current: Option<&VendorDetails>,
) -> Result<Result<VendorDetails, BTreeMap<String, String>>, PageError> {
    let (input, lines) = form.input();
    let details = match current {
        None => VendorDetails::create(&input),
        Some(current) => current.changed(&input),
    };
    let details = match details {
        Ok(details) => details,
        Err(errors) => return Ok(Err(field_messages(errors, &lines))),
    };
    match check_key(&details, state.clock.now()) {
        Ok(()) => Ok(Ok(details)),
        Err(WebError::Invalid { fields, .. }) => Ok(Err(fields)),
        Err(other) => Err(other.into()),
    }
}

fn refused(page: &impl Template) -> Result<Response, PageError> {
    let mut response = render(page)?.into_response();
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

struct VendorRow {
    id: i64,
    name: String,
    domains: String,
    first_contact: String,
    has_key: bool,
}

#[derive(Template)]
#[template(path = "staff/vendors.html")]
struct VendorsPage {
    layout: StaffLayout,
    vendors: Vec<VendorRow>,
    form: VendorForm,
    errors: BTreeMap<String, String>,
    may_change: bool,
}

impl VendorsPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

async fn vendors_page(
    state: &AppState,
    staff: &StaffUser,
    form: VendorForm,
    errors: BTreeMap<String, String>,
) -> Result<VendorsPage, PageError> {
    let vendors = state
        .store
        .vendors()
        .await?
        .into_iter()
        .map(|vendor| VendorRow {
            id: vendor.id.0,
            first_contact: vendor
                .details
                .contacts
                .first()
                .map_or_else(String::new, |contact| contact.value.clone()),
            has_key: vendor.details.pgp_key.is_some(),
            domains: vendor.details.domains.join(", "),
            name: vendor.details.name,
        })
        .collect();
    Ok(VendorsPage {
        layout: StaffLayout::of(state, staff),
        vendors,
        form,
        errors,
        may_change: may_change(staff),
    })
}

pub async fn get_vendors(
    State(state): State<AppState>,
    staff: StaffUser,
) -> Result<Response, PageError> {
    allow(&staff, OutboundAction::View)?;
    let page = vendors_page(&state, &staff, VendorForm::default(), BTreeMap::new()).await?;
    audit::record(&state, Some(&staff.user), "", "vendor.list", None, "page").await?;
    Ok(render(&page)?.into_response())
}

pub async fn post_vendors(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<VendorForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    allow(&staff, OutboundAction::Change)?;
    let details = match checked(&state, &submitted, None)? {
        Ok(details) => details,
        Err(errors) => return refused(&vendors_page(&state, &staff, submitted, errors).await?),
    };
    let event = |id: &cvdesk_domain::vendor::VendorId| {
        audit::event(
            &state,
            Some(&staff.user),
            "",
            "vendor.create",
            Some(&id.0.to_string()),
            details.name.clone(),
        )
    };
    let vendor = state
        .store
        .create_vendor(&details, &event, state.clock.now())
        .await?;
    Ok(Redirect::to(&format!("/staff/vendors/{}", vendor.id.0)).into_response())
}

/// What discovery found, in words.
struct Found {
    domain: String,
    /// The security.txt read, or `None` when the contacts are the RFC 2142 guess.
    source: Option<String>,
    contacts: Vec<String>,
    key_fingerprint: Option<String>,
    policy_url: Option<String>,
    languages: String,
    signature: String,
    valid: bool,
    problems: Vec<String>,
    warnings: Vec<String>,
}

impl Found {
    fn of(domain: String, proposal: &Proposal, now: time::OffsetDateTime) -> Found {
        Found {
            domain,
            source: match &proposal.source {
                Source::SecurityTxt { url } => Some(url.clone()),
                Source::Guess => None,
            },
            contacts: proposal
                .contacts
                .iter()
                .map(|contact| format!("{}: {}", contact.kind, contact.value))
                .collect(),
            key_fingerprint: proposal.pgp_key.as_deref().and_then(|key| {
                FinderKey::prepare(key, now)
                    .ok()
                    .map(|key| key.fingerprint())
            }),
            policy_url: proposal.policy_url.clone(),
            languages: proposal.languages.join(", "),
            signature: match &proposal.signature {
                Signature::Unsigned => "not signed".to_owned(),
                Signature::Verified { fingerprint } => {
                    format!("signed, and the signature verifies with the key {fingerprint}")
                }
                Signature::KeyUnknown => {
                    "signed, but no key is known to check the signature with".to_owned()
                }
                Signature::Invalid { reason } => {
                    format!("signed, but the signature does not verify: {reason}")
                }
            },
            valid: proposal.valid,
            problems: proposal.problems.clone(),
            warnings: proposal.warnings.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff/vendor.html")]
struct VendorPage {
    layout: StaffLayout,
    id: i64,
    name: String,
    domains: String,
    contacts: Vec<String>,
    key_fingerprint: Option<String>,
    policy_url: Option<String>,
    languages: String,
    notes: Option<String>,
    created: String,
    updated: String,
    /// The domain typed into the discovery form, kept when refused.
    domain: String,
    domain_error: Option<String>,
    found: Option<Found>,
    form: VendorForm,
    errors: BTreeMap<String, String>,
    may_change: bool,
}

impl VendorPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn of(state: &AppState, staff: &StaffUser, vendor: &Vendor, form: VendorForm) -> VendorPage {
        let details = &vendor.details;
        VendorPage {
            layout: StaffLayout::of(state, staff),
            id: vendor.id.0,
            name: details.name.clone(),
            domains: details.domains.join(", "),
            contacts: details
                .contacts
                .iter()
                .map(|contact| format!("{}: {}", contact.kind, contact.value))
                .collect(),
            key_fingerprint: details.pgp_key.as_deref().map(|key| {
                FinderKey::prepare(key, state.clock.now()).map_or_else(
                    |error| format!("a key that cannot be used now: {error}"),
                    |key| key.fingerprint(),
                )
            }),
            policy_url: details.policy_url.clone(),
            languages: details.languages.join(", "),
            notes: details.notes.clone(),
            created: utc_minute(vendor.created_at),
            updated: utc_minute(vendor.updated_at),
            domain: details.domains.first().cloned().unwrap_or_default(),
            domain_error: None,
            found: None,
            form,
            errors: BTreeMap::new(),
            may_change: may_change(staff),
        }
    }
}

pub async fn get_vendor(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    allow(&staff, OutboundAction::View)?;
    let vendor = vendor(&state, &id).await?;
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "vendor.view",
        Some(&id),
        "page",
    )
    .await?;
    let form = VendorForm::of(&vendor.details);
    Ok(render(&VendorPage::of(&state, &staff, &vendor, form))?.into_response())
}

pub async fn post_vendor(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<VendorForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    allow(&staff, OutboundAction::Change)?;
    let current = vendor(&state, &id).await?;
    let details = match checked(&state, &submitted, Some(&current.details))? {
        Ok(details) => details,
        Err(errors) => {
            let mut page = VendorPage::of(&state, &staff, &current, submitted);
            page.errors = errors;
            return refused(&page);
        }
    };
    let event = audit::event(
        &state,
        Some(&staff.user),
        "",
        "vendor.update",
        Some(&id),
        "page",
    );
    state
        .store
        .update_vendor(current.id, &details, &event, state.clock.now())
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(Redirect::to(&format!("/staff/vendors/{id}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DiscoverForm {
    csrf_token: String,
    domain: String,
}

pub async fn post_discover(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<DiscoverForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    allow(&staff, OutboundAction::Change)?;
    let vendor = vendor(&state, &id).await?;
    let given = Some(submitted.domain.trim().to_owned()).filter(|domain| !domain.is_empty());
    let domain = match discovery_domain(&vendor, given) {
        Ok(domain) => domain,
        Err(errors) => {
            let mut page = VendorPage::of(&state, &staff, &vendor, VendorForm::of(&vendor.details));
            page.domain = submitted.domain;
            page.domain_error = errors.get("domain").map(str::to_owned);
            return refused(&page);
        }
    };
    let proposal = audited_discovery(&state, &staff.user, &vendor, &domain).await?;
    let form = VendorForm::proposed(&vendor.details, &proposal);
    let mut page = VendorPage::of(&state, &staff, &vendor, form);
    page.found = Some(Found::of(domain.clone(), &proposal, state.clock.now()));
    page.domain = domain;
    Ok(render(&page)?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_lines_take_a_label_or_their_form() {
        let kinds: Vec<(String, String)> = [
            "email: psirt@vendor.example",
            "URL: https://vendor.example/report",
            "phone: +45 12 34 56 78",
            "https://vendor.example/security",
            "security@vendor.example",
            "+1 555 0100",
            "   ",
        ]
        .iter()
        .filter_map(|line| contact_input(line))
        .map(|contact| (contact.kind, contact.value))
        .collect();
        let expected = [
            ("email", "psirt@vendor.example"),
            ("url", "https://vendor.example/report"),
            ("phone", "+45 12 34 56 78"),
            ("url", "https://vendor.example/security"),
            ("email", "security@vendor.example"),
            ("phone", "+1 555 0100"),
        ];
        assert_eq!(
            kinds,
            expected
                .iter()
                .map(|(kind, value)| (kind.to_string(), value.to_string()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_wrong_contact_is_named_by_its_line() {
        let form = VendorForm {
            name: "Acme".to_owned(),
            contacts: "email: psirt@acme.example\n\nemail: not-an-address".to_owned(),
            ..VendorForm::default()
        };
        let (input, lines) = form.input();
        let errors = VendorDetails::create(&input).expect_err("refused");
        let messages = field_messages(errors, &lines);
        let message = messages.get("contacts").expect("a contacts message");
        assert!(message.starts_with("line 3: "), "{message}");
    }

    #[test]
    fn lists_split_on_lines_and_commas() {
        assert_eq!(
            items("acme.example, acme.test\nacme.org"),
            ["acme.example", "acme.test", "acme.org"]
        );
    }
}
