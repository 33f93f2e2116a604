//! One-time links: the set-up link that creates the first admin, and the link that lets a
//! new account choose its password. The secret in the path is the credential. Posts are
//! throttled per client address like sign-ins, and a dead link is refused before any
//! password is hashed.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::secret::SecretToken;
use serde::Deserialize;

use crate::auth::{audit, password};
use crate::client_address::ClientAddress;
use crate::error::PageError;
use crate::routes::staff::form;
use crate::routes::staff::sign_in::{throttle, EMAIL_MAX_BYTES};
use crate::views::render;
use crate::AppState;

#[derive(Template)]
#[template(path = "staff/choose_password.html")]
struct ChoosePasswordPage<'a> {
    organization_name: &'a str,
    heading: &'a str,
    introduction: &'a str,
    action: String,
    ask_email: bool,
    email: &'a str,
    error: Option<&'a str>,
    usable: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChoosePasswordForm {
    email: String,
    password: String,
    confirmation: String,
}

const LINK_USED: &str = "This link has expired or was already used. Ask an admin for a new one \
     (cvdesk user add prints one).";

fn setup_page(
    state: &AppState,
    token: &str,
    email: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = render(&ChoosePasswordPage {
        organization_name: &state.settings.organization_name,
        heading: "Create the first admin account",
        introduction: "This desk has no staff account yet. The account you create here can \
             add everyone else.",
        action: format!("/staff/setup/{token}"),
        ask_email: true,
        email,
        error,
        usable: true,
    })?;
    Ok((status, page).into_response())
}

fn password_page(
    state: &AppState,
    token: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = render(&ChoosePasswordPage {
        organization_name: &state.settings.organization_name,
        heading: "Choose your password",
        introduction: "Choose the password for your staff account. This link works once.",
        action: format!("/staff/password/{token}"),
        ask_email: false,
        email: "",
        error,
        usable: true,
    })?;
    Ok((status, page).into_response())
}

async fn usable(state: &AppState, token: &str, setup: bool) -> Result<bool, PageError> {
    Ok(state
        .store
        .link_usable(&SecretToken::hash_of(token), setup, state.clock.now())
        .await?)
}

/// A dead link says so at once, before anyone types a password into it.
async fn link_gone(
    state: &AppState,
    token: &str,
    setup: bool,
) -> Result<Option<Response>, PageError> {
    if usable(state, token, setup).await? {
        return Ok(None);
    }
    let page = render(&ChoosePasswordPage {
        organization_name: &state.settings.organization_name,
        heading: "This link no longer works",
        introduction: LINK_USED,
        action: String::new(),
        ask_email: false,
        email: "",
        error: None,
        usable: false,
    })?;
    Ok(Some((StatusCode::GONE, page).into_response()))
}

pub async fn get_setup(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    if let Some(gone) = link_gone(&state, &token, true).await? {
        return Ok(gone);
    }
    setup_page(&state, &token, "", None)
}

pub async fn post_setup(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(token): Path<String>,
    submitted: Result<Form<ChoosePasswordForm>, FormRejection>,
) -> Result<Response, PageError> {
    throttle(&state, &client).await?;
    let submitted = form(submitted)?;
    let email = submitted.email.trim();
    if email.len() > EMAIL_MAX_BYTES {
        return setup_page(&state, &token, "", Some("Enter your e-mail address."));
    }
    if !usable(&state, &token, true).await? {
        return setup_page(&state, &token, email, Some(LINK_USED));
    }
    if !email.contains('@') {
        return setup_page(&state, &token, email, Some("Enter your e-mail address."));
    }
    if let Err(message) = password::check_new(&submitted.password, &submitted.confirmation) {
        return setup_page(&state, &token, email, Some(&message));
    }
    let hash = password::hash(submitted.password).await?;
    let now = state.clock.now();
    let label = email.to_lowercase();
    let entry = audit::event(
        &state,
        None,
        &label,
        "user.create_first_admin",
        Some(&label),
        "with the set-up link",
    );
    let created = state
        .store
        .create_first_admin(&SecretToken::hash_of(&token), email, &hash, now, &entry)
        .await?;
    if created.is_none() {
        return setup_page(&state, &token, email, Some(LINK_USED));
    }
    Ok(Redirect::to("/staff/login?done=password").into_response())
}

pub async fn get_password_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    if let Some(gone) = link_gone(&state, &token, false).await? {
        return Ok(gone);
    }
    password_page(&state, &token, None)
}

pub async fn post_password_link(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(token): Path<String>,
    submitted: Result<Form<ChoosePasswordForm>, FormRejection>,
) -> Result<Response, PageError> {
    throttle(&state, &client).await?;
    let submitted = form(submitted)?;
    let token_hash = SecretToken::hash_of(&token);
    let owner = match state
        .store
        .password_link_owner(&token_hash, state.clock.now())
        .await?
    {
        Some(owner) => state.store.user_by_id(owner).await?,
        None => None,
    };
    let Some(owner) = owner else {
        return password_page(&state, &token, Some(LINK_USED));
    };
    if let Err(message) = password::check_new(&submitted.password, &submitted.confirmation) {
        return password_page(&state, &token, Some(&message));
    }
    let hash = password::hash(submitted.password).await?;
    let entry = audit::event(
        &state,
        Some(&owner),
        "",
        "user.password_set",
        None,
        "with a one-time link",
    );
    let set = state
        .store
        .set_password_with_link(&token_hash, &hash, state.clock.now(), &entry)
        .await?;
    if set.is_none() {
        return password_page(&state, &token, Some(LINK_USED));
    }
    Ok(Redirect::to("/staff/login?done=password").into_response())
}
