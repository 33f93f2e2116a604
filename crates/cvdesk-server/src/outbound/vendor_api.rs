//! The staff API for the vendor directory: `POST /api/v1/vendors`, `GET /api/v1/vendors`,
//! `GET` and `PATCH /api/v1/vendors/{id}`, and `POST /api/v1/vendors/{id}/discover`, which
//! proposes contacts from the vendor's security.txt without changing anything.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use cvdesk_domain::access::OutboundAction;
use cvdesk_domain::outbound::FormErrors;
use cvdesk_domain::vendor::discovery::Proposal;
use cvdesk_domain::vendor::{VendorContact, VendorDetails, VendorId, VendorInput};
use cvdesk_store::Vendor;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::api::{allow, json_or_default};
use super::discovery::discover;
use super::send::check_vendor_key;
use crate::auth::{audit, ApiStaff};
use crate::error::{ApiError, WebError};
use crate::routes::api::reports::parse_json;
use crate::AppState;

#[derive(Serialize)]
pub struct VendorJson {
    id: i64,
    name: String,
    domains: Vec<String>,
    contacts: Vec<VendorContact>,
    pgp_key: Option<String>,
    policy_url: Option<String>,
    languages: Vec<String>,
    notes: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

pub fn vendor_json(vendor: Vendor) -> VendorJson {
    let details = vendor.details;
    VendorJson {
        id: vendor.id.0,
        name: details.name,
        domains: details.domains,
        contacts: details.contacts,
        pgp_key: details.pgp_key,
        policy_url: details.policy_url,
        languages: details.languages,
        notes: details.notes,
        created_at: vendor.created_at,
        updated_at: vendor.updated_at,
    }
}

fn invalid(errors: FormErrors) -> WebError {
    WebError::Invalid {
        code: "invalid_vendor",
        message: "The vendor has errors; each field says what to change.".to_owned(),
        fields: errors.0,
    }
}

/// Refuses a key the desk could not encrypt to, in the words the finder's form uses.
pub fn check_key(details: &VendorDetails, now: OffsetDateTime) -> Result<(), WebError> {
    if let Some(key) = &details.pgp_key {
        if let Err(message) = check_vendor_key(key, now) {
            let mut errors = FormErrors::default();
            errors.add("pgp_key", message);
            return Err(invalid(errors));
        }
    }
    Ok(())
}

pub async fn post_vendor(
    State(state): State<AppState>,
    staff: ApiStaff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<VendorJson>), ApiError> {
    allow(&staff.user, OutboundAction::Change)?;
    let input: VendorInput = parse_json(&headers, body)?;
    let details = VendorDetails::create(&input).map_err(invalid)?;
    let now = state.clock.now();
    check_key(&details, now)?;
    let event = |id: &VendorId| {
        audit::event(
            &state,
            Some(&staff.user),
            "",
            "vendor.create",
            Some(&id.0.to_string()),
            details.name.clone(),
        )
    };
    let vendor = state.store.create_vendor(&details, &event, now).await?;
    Ok((StatusCode::CREATED, Json(vendor_json(vendor))))
}

#[derive(Serialize)]
pub struct VendorList {
    items: Vec<VendorJson>,
}

pub async fn list_vendors(
    State(state): State<AppState>,
    staff: ApiStaff,
) -> Result<Json<VendorList>, ApiError> {
    allow(&staff.user, OutboundAction::View)?;
    let vendors = state.store.vendors().await?;
    audit::record(&state, Some(&staff.user), "", "vendor.list", None, "").await?;
    Ok(Json(VendorList {
        items: vendors.into_iter().map(vendor_json).collect(),
    }))
}

/// The vendor named by a path segment; anything but a known positive number is not found.
pub async fn vendor(state: &AppState, id: &str) -> Result<Vendor, WebError> {
    let id: i64 = id
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)?;
    state
        .store
        .vendor(VendorId(id))
        .await?
        .ok_or(WebError::NotFound)
}

pub async fn get_vendor(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
) -> Result<Json<VendorJson>, ApiError> {
    allow(&staff.user, OutboundAction::View)?;
    let vendor = vendor(&state, &id).await?;
    audit::record(&state, Some(&staff.user), "", "vendor.view", Some(&id), "").await?;
    Ok(Json(vendor_json(vendor)))
}

pub async fn patch_vendor(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<VendorJson>, ApiError> {
    allow(&staff.user, OutboundAction::Change)?;
    let current = vendor(&state, &id).await?;
    let input: VendorInput = parse_json(&headers, body)?;
    let details = current.details.changed(&input).map_err(invalid)?;
    let now = state.clock.now();
    check_key(&details, now)?;
    let event = audit::event(
        &state,
        Some(&staff.user),
        "",
        "vendor.update",
        Some(&id),
        "",
    );
    let vendor = state
        .store
        .update_vendor(current.id, &details, &event, now)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(Json(vendor_json(vendor)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DiscoverBody {
    /// The domain to look at; the vendor's first domain when absent.
    domain: Option<String>,
}

/// The domain discovery looks at: the one given, else the vendor's first, lower-case and
/// without a trailing dot. A port may follow the name, for a vendor (or a test) serving on
/// another one.
pub fn discovery_domain(vendor: &Vendor, given: Option<String>) -> Result<String, FormErrors> {
    let mut errors = FormErrors::default();
    let Some(domain) = given.or_else(|| vendor.details.domains.first().cloned()) else {
        errors.add("domain", "the vendor has no domain: name one to look at");
        return Err(errors);
    };
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = match domain.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        _ => domain.as_str(),
    };
    if !cvdesk_domain::vendor::is_domain(host) {
        errors.add(
            "domain",
            format!("'{domain}' is not a domain name (vendor.example)"),
        );
        return Err(errors);
    }
    Ok(domain)
}

#[derive(Serialize)]
pub struct DiscoveryJson {
    domain: String,
    proposal: Proposal,
}

pub async fn post_discover(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DiscoveryJson>, ApiError> {
    allow(&staff.user, OutboundAction::Change)?;
    let vendor = vendor(&state, &id).await?;
    let body: DiscoverBody = json_or_default(&headers, body)?;
    let domain = discovery_domain(&vendor, body.domain).map_err(invalid)?;
    let proposal = audited_discovery(&state, &staff.user, &vendor, &domain).await?;
    Ok(Json(DiscoveryJson { domain, proposal }))
}

/// Discovery for `vendor` at `domain`, recorded in the audit log as `vendor.discover`.
pub async fn audited_discovery(
    state: &AppState,
    user: &cvdesk_store::User,
    vendor: &Vendor,
    domain: &str,
) -> Result<Proposal, WebError> {
    audit::record(
        state,
        Some(user),
        "",
        "vendor.discover",
        Some(&vendor.id.0.to_string()),
        domain,
    )
    .await?;
    Ok(discover(
        domain,
        vendor.details.pgp_key.as_deref(),
        state.outbound.allow_private,
        state.clock.now(),
    )
    .await)
}
