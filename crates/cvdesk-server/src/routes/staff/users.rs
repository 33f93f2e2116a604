//! Staff accounts and API tokens for admins: who may sign in, with which role and second
//! factor, and which tokens still work. Disabling an account ends its sessions and revokes
//! its tokens at once; a token can be revoked on its own. Each change is audited in its own
//! transaction. Accounts and tokens are made on the command line, which prints their secret
//! links and tokens to the operator only.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::staff::UserId;
use cvdesk_store::StoreError;
use serde::Deserialize;

use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::views::{render, utc_minute};
use crate::AppState;

const REFUSAL: &str = "Only admins manage staff accounts and API tokens.";

#[derive(Template)]
#[template(path = "staff/users.html")]
struct UsersPage {
    layout: StaffLayout,
    notice: Option<&'static str>,
    problem: Option<String>,
    accounts: Vec<AccountRow>,
    tokens: Vec<TokenRow>,
}

struct AccountRow {
    id: i64,
    email: String,
    role: &'static str,
    second_factor: bool,
    disabled: bool,
    products: String,
    is_self: bool,
}

struct TokenRow {
    id: i64,
    email: String,
    label: String,
    created: String,
    last_used: String,
    expires: String,
    state: &'static str,
    active: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UsersQuery {
    done: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    csrf_token: String,
}

async fn show(
    state: &AppState,
    staff: &StaffUser,
    notice: Option<&'static str>,
    problem: Option<String>,
) -> Result<Response, PageError> {
    let status = if problem.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let products = state.store.products().await?;
    let accounts = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|user| AccountRow {
            id: user.id.0,
            role: user.role.as_str(),
            second_factor: user.totp_secret.is_some(),
            disabled: user.disabled,
            products: products
                .iter()
                .filter(|product| user.products.contains(&product.id))
                .map(|product| product.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            is_self: user.id == staff.user.id,
            email: user.email,
        })
        .collect();
    let now = state.clock.now();
    let tokens = state
        .store
        .api_tokens(None)
        .await?
        .into_iter()
        .map(|token| {
            let token_state = token.state(now);
            TokenRow {
                id: token.id,
                created: utc_minute(token.created_at),
                last_used: token
                    .last_used_at
                    .map_or_else(|| "never".to_owned(), utc_minute),
                expires: token
                    .expires_at
                    .map_or_else(|| "never".to_owned(), utc_minute),
                state: token_state.as_str(),
                active: token_state == cvdesk_store::TokenState::Active,
                email: token.email,
                label: token.label,
            }
        })
        .collect();
    let page = UsersPage {
        layout: StaffLayout::of(state, staff),
        notice,
        problem,
        accounts,
        tokens,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn get_users(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(query): Query<UsersQuery>,
) -> Result<Response, PageError> {
    staff.require(StaffAction::ManageUsers, REFUSAL)?;
    let notice = match query.done.as_str() {
        "disabled" => {
            Some("The account is disabled: its sessions ended and its tokens are revoked.")
        }
        "enabled" => Some("The account may sign in again."),
        "revoked" => Some("The token is revoked."),
        _ => None,
    };
    show(&state, &staff, notice, None).await
}

pub async fn post_disable(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, PageError> {
    set_disabled(state, staff, id, submitted, true).await
}

pub async fn post_enable(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, PageError> {
    set_disabled(state, staff, id, submitted, false).await
}

async fn set_disabled(
    state: AppState,
    staff: StaffUser,
    id: String,
    submitted: Result<Form<CsrfForm>, FormRejection>,
    disabled: bool,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    staff.require(StaffAction::ManageUsers, REFUSAL)?;
    let id = UserId(id.parse().map_err(|_| WebError::NotFound)?);
    if disabled && id == staff.user.id {
        let problem = "You cannot disable your own account; another admin can.".to_owned();
        return show(&state, &staff, None, Some(problem)).await;
    }
    let account = state
        .store
        .user_by_id(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let (action, done) = if disabled {
        ("user.disable", "disabled")
    } else {
        ("user.enable", "enabled")
    };
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        action,
        Some(&account.email),
        "",
    );
    match state
        .store
        .set_user_disabled(id, disabled, state.clock.now(), &entry)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/staff/users?done={done}")).into_response()),
        Err(StoreError::Conflict(message)) => {
            show(
                &state,
                &staff,
                None,
                Some(format!("{}: {message}.", account.email)),
            )
            .await
        }
        Err(StoreError::Missing(_)) => Err(WebError::NotFound.into()),
        Err(other) => Err(other.into()),
    }
}

pub async fn post_revoke_token(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    submitted: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    staff.require(StaffAction::ManageUsers, REFUSAL)?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "token.revoke",
        Some(&format!("API token {id}")),
        "",
    );
    match state
        .store
        .revoke_api_token(id, state.clock.now(), &entry)
        .await
    {
        Ok(()) => Ok(Redirect::to("/staff/users?done=revoked").into_response()),
        Err(StoreError::Missing(_)) => {
            let problem = "That token does not exist or is revoked already.".to_owned();
            show(&state, &staff, None, Some(problem)).await
        }
        Err(other) => Err(other.into()),
    }
}
