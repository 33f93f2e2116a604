//! The product inventory for admins: name, owning team, business context and criticality
//! (triage stage one, "understanding"), and the host names, URL prefixes and aliases that
//! route incoming reports. A new team name creates the team with the product, in the
//! product's transaction, once the whole form is right.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::priority::Criticality;
use cvdesk_domain::product::{parse_product, ProductInput};
use cvdesk_domain::staff::ProductId;
use cvdesk_store::{Product, StoreError, Team};
use serde::Deserialize;

use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

const REFUSAL: &str = "Only admins manage the product inventory.";

#[derive(Template)]
#[template(path = "staff/products.html")]
struct ProductsPage {
    layout: StaffLayout,
    products: Vec<Product>,
    teams: Vec<Team>,
    notice: Option<&'static str>,
    form_heading: String,
    form_action: String,
    input: ProductForm,
    team_name: String,
    errors: Vec<(&'static str, String)>,
    criticality_options: Vec<&'static str>,
}

impl ProductsPage {
    fn is_same(&self, option: &str, chosen: &str) -> bool {
        option == chosen
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ProductForm {
    csrf_token: String,
    name: String,
    team: String,
    criticality: String,
    business_context: String,
    hostnames: String,
    url_prefixes: String,
    aliases: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProductsQuery {
    done: String,
}

async fn show(
    state: &AppState,
    staff: &StaffUser,
    editing: Option<ProductId>,
    input: ProductForm,
    errors: Vec<(&'static str, String)>,
    notice: Option<&'static str>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (form_heading, form_action) = match editing {
        Some(id) => (
            format!("Edit {}", input.name),
            format!("/staff/products/{}", id.0),
        ),
        None => ("Add a product".to_owned(), "/staff/products".to_owned()),
    };
    let page = ProductsPage {
        layout: StaffLayout::of(state, staff),
        products: state.store.products().await?,
        teams: state.store.teams().await?,
        notice,
        form_heading,
        form_action,
        team_name: input.team.clone(),
        input,
        errors,
        criticality_options: Criticality::ALL.iter().map(|c| c.as_str()).collect(),
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn get_products(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(query): Query<ProductsQuery>,
) -> Result<Response, PageError> {
    staff.require(StaffAction::ManageProducts, REFUSAL)?;
    let notice = (query.done == "saved").then_some("Saved.");
    let input = ProductForm {
        criticality: "medium".into(),
        ..ProductForm::default()
    };
    show(&state, &staff, None, input, Vec::new(), notice).await
}

pub async fn get_product(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    staff.require(StaffAction::ManageProducts, REFUSAL)?;
    let id = ProductId(id.parse().map_err(|_| WebError::NotFound)?);
    let product = state.store.product(id).await?.ok_or(WebError::NotFound)?;
    let input = ProductForm {
        csrf_token: String::new(),
        team: product.team.map(|t| t.name).unwrap_or_default(),
        criticality: product.criticality.as_str().to_owned(),
        business_context: product.business_context,
        hostnames: product.hostnames.join("\n"),
        url_prefixes: product.url_prefixes.join("\n"),
        aliases: product.aliases.join("\n"),
        name: product.name,
    };
    show(&state, &staff, Some(id), input, Vec::new(), None).await
}

pub async fn post_products(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<ProductForm>, FormRejection>,
) -> Result<Response, PageError> {
    save(state, staff, None, form(submitted)?).await
}

pub async fn post_product(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<ProductForm>, FormRejection>,
) -> Result<Response, PageError> {
    let id = ProductId(id.parse().map_err(|_| WebError::NotFound)?);
    save(state, staff, Some(id), form(submitted)?).await
}

async fn save(
    state: AppState,
    staff: StaffUser,
    editing: Option<ProductId>,
    submitted: ProductForm,
) -> Result<Response, PageError> {
    staff.check_csrf(&submitted.csrf_token)?;
    staff.require(StaffAction::ManageProducts, REFUSAL)?;
    let input = ProductInput {
        name: submitted.name.clone(),
        team: submitted.team.clone(),
        business_context: submitted.business_context.clone(),
        criticality: submitted.criticality.clone(),
        hostnames: submitted.hostnames.clone(),
        url_prefixes: submitted.url_prefixes.clone(),
        aliases: submitted.aliases.clone(),
    };
    let spec = match parse_product(&input) {
        Ok(spec) => spec,
        Err(errors) => {
            let errors = errors
                .iter()
                .map(|(field, message)| (field.form_name(), message.to_owned()))
                .collect();
            return show(&state, &staff, editing, submitted, errors, None).await;
        }
    };
    let now = state.clock.now();
    let (action, detail) = match editing {
        Some(id) => ("product.update", format!("{{\"id\":{}}}", id.0)),
        None => ("product.create", String::new()),
    };
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        action,
        Some(&spec.name),
        detail,
    );
    // The product, the team it names and the audit entry are saved together or not at all.
    let saved = match editing {
        Some(id) => state.store.update_product(id, &spec, now, &entry).await,
        None => state
            .store
            .create_product(&spec, None, now, &entry)
            .await
            .map(drop),
    };
    match saved {
        Ok(()) => {}
        Err(StoreError::Conflict(message)) => {
            return show(
                &state,
                &staff,
                editing,
                submitted,
                vec![("name", message)],
                None,
            )
            .await;
        }
        Err(StoreError::Missing(_)) => return Err(WebError::NotFound.into()),
        Err(other) => return Err(other.into()),
    }
    Ok(Redirect::to("/staff/products?done=saved").into_response())
}
