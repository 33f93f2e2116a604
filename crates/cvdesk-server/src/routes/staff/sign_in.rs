//! Signing in and out: e-mail and password, then the one-time code when the account has a
//! second factor. Failures say the same thing whether or not the account exists, and
//! repeated failures lock the account for a while.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::totp::{self, TotpSecret};
use serde::Deserialize;
use time::Duration;

use crate::auth::session::{self, current_session, read_cookie, set_cookie_header, start_session};
use crate::auth::{audit, password};
use crate::error::{PageError, WebError};
use crate::random;
use crate::routes::staff::form;
use crate::views::render;
use crate::AppState;

/// Failed sign-ins before the account is locked, and for how long.
const LOCK_AFTER_FAILURES: i64 = 5;
const LOCK_DURATION: Duration = Duration::minutes(15);
const LOGIN_CSRF_COOKIE: &str = "cvdesk_login";
const SIGN_IN_FAILED: &str = "The e-mail or password is wrong, or the account is locked for \
     a few minutes after repeated failures.";

#[derive(Template)]
#[template(path = "staff/login.html")]
struct LoginPage<'a> {
    organization_name: &'a str,
    csrf_token: &'a str,
    email: &'a str,
    error: Option<&'a str>,
    notice: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "staff/code.html")]
struct CodePage<'a> {
    organization_name: &'a str,
    csrf_token: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    csrf_token: String,
    email: String,
    password: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    csrf_token: String,
    code: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    done: Option<String>,
}

/// The sign-in form carries a token that must match a cookie set with it, so another site
/// cannot sign a browser in to an account of its choosing.
fn login_page(
    state: &AppState,
    email: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<Response, PageError> {
    let csrf_token = random::secret_token()?;
    let secure = if state.settings.uses_tls() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{LOGIN_CSRF_COOKIE}={}; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=3600{secure}",
        csrf_token.as_str()
    );
    let page = render(&LoginPage {
        organization_name: &state.settings.organization_name,
        csrf_token: csrf_token.as_str(),
        email,
        error,
        notice,
    })?;
    let status = if error.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, set_cookie_header(cookie), page).into_response())
}

pub async fn get_login(
    State(state): State<AppState>,
    query: axum::extract::Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let notice = match query.done.as_deref() {
        Some("password") => Some("Your password is saved. Sign in with it."),
        Some("signed-out") => Some("You are signed out."),
        _ => None,
    };
    login_page(&state, "", None, notice)
}

pub async fn post_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    submitted: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let expected = read_cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty()
        || !session::constant_time_eq(expected.as_bytes(), submitted.csrf_token.as_bytes())
    {
        return login_page(
            &state,
            &submitted.email,
            Some("The sign-in form expired. Please try again."),
            None,
        );
    }
    let now = state.clock.now();
    let user = state.store.user_by_email(&submitted.email).await?;
    let locked = user
        .as_ref()
        .is_some_and(|u| u.locked_until.is_some_and(|until| until > now) || u.disabled);
    let password_matches = password::verify(
        submitted.password,
        user.as_ref().and_then(|u| u.password_hash.clone()),
    )
    .await?;
    let user = match user {
        Some(user) if password_matches && !locked => user,
        other => {
            if let Some(user) = &other {
                if !locked {
                    state
                        .store
                        .record_failed_login(user.id, LOCK_AFTER_FAILURES, now + LOCK_DURATION)
                        .await?;
                }
            }
            let label = submitted.email.trim().to_lowercase();
            audit::record(
                &state,
                other.as_ref(),
                &label,
                "user.login_failed",
                None,
                "",
            )
            .await?;
            return login_page(&state, &submitted.email, Some(SIGN_IN_FAILED), None);
        }
    };
    state.store.clear_failed_logins(user.id).await?;
    if let Some(token) = read_cookie(&headers, session::cookie_name(&state)) {
        // A new session at every sign-in: an old cookie never becomes a signed-in one.
        state
            .store
            .delete_session(&cvdesk_domain::secret::SecretToken::hash_of(token))
            .await?;
    }
    let (new_session, cookie) = start_session(&state, &user).await?;
    let next = if new_session.second_factor {
        audit::record(&state, Some(&user), "", "user.login", None, "").await?;
        "/staff"
    } else {
        "/staff/login/code"
    };
    Ok((set_cookie_header(cookie), Redirect::to(next)).into_response())
}

async fn pending_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(cvdesk_store::Session, cvdesk_store::User)>, PageError> {
    Ok(current_session(state, headers)
        .await?
        .filter(|(session, _)| !session.second_factor))
}

pub async fn get_code(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some((session, _)) = pending_session(&state, &headers).await? else {
        return Ok(Redirect::to("/staff/login").into_response());
    };
    let page = render(&CodePage {
        organization_name: &state.settings.organization_name,
        csrf_token: &session.csrf_token,
        error: None,
    })?;
    Ok(page.into_response())
}

pub async fn post_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    submitted: Result<Form<CodeForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let Some((session, user)) = pending_session(&state, &headers).await? else {
        return Ok(Redirect::to("/staff/login").into_response());
    };
    crate::auth::StaffUser {
        user: user.clone(),
        session: session.clone(),
    }
    .check_csrf(&submitted.csrf_token)?;
    let now = state.clock.now();
    let accepted = match user.totp_secret.clone().map(TotpSecret::from_bytes) {
        Some(Ok(secret)) => {
            match totp::verify(
                &secret,
                &submitted.code,
                now.unix_timestamp(),
                user.totp_last_step,
            ) {
                Ok(step) => state.store.use_totp_step(user.id, step).await?,
                Err(_) => {
                    let hash = totp::recovery_code_hash(&submitted.code);
                    state.store.use_recovery_code(user.id, &hash, now).await?
                }
            }
        }
        Some(Err(_)) => {
            return Err(
                WebError::Internal("a stored second-factor secret is unreadable".into()).into(),
            )
        }
        None => true,
    };
    if !accepted {
        state
            .store
            .record_failed_login(user.id, LOCK_AFTER_FAILURES, now + LOCK_DURATION)
            .await?;
        audit::record(
            &state,
            Some(&user),
            "",
            "user.second_factor_failed",
            None,
            "",
        )
        .await?;
        let page = render(&CodePage {
            organization_name: &state.settings.organization_name,
            csrf_token: &session.csrf_token,
            error: Some("That code is wrong or was already used. Codes change every 30 seconds."),
        })?;
        return Ok((axum::http::StatusCode::UNAUTHORIZED, page).into_response());
    }
    state
        .store
        .complete_second_factor(&session.token_hash)
        .await?;
    state.store.clear_failed_logins(user.id).await?;
    audit::record(
        &state,
        Some(&user),
        "",
        "user.login",
        None,
        "with second factor",
    )
    .await?;
    Ok(Redirect::to("/staff").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogoutForm {
    csrf_token: String,
}

pub async fn post_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    submitted: Result<Form<LogoutForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    if let Some((session, user)) = current_session(&state, &headers).await? {
        crate::auth::StaffUser {
            user: user.clone(),
            session: session.clone(),
        }
        .check_csrf(&submitted.csrf_token)?;
        state.store.delete_session(&session.token_hash).await?;
        audit::record(&state, Some(&user), "", "user.logout", None, "").await?;
    }
    Ok((
        set_cookie_header(session::clear_cookie(&state)),
        Redirect::to("/staff/login?done=signed-out"),
    )
        .into_response())
}
