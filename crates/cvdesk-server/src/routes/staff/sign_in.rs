//! Signing in and out: e-mail and password, then the one-time code when the account has a
//! second factor. Failures say the same thing whether or not the account exists. Wrong
//! passwords lock the account for the client address they come from, wrong codes lock the
//! second factor (cvdesk-domain's `sign_in` says how many and how long).

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::secret::SecretToken;
use cvdesk_domain::sign_in::{self, Charge};
use cvdesk_domain::totp::{self, TotpSecret};
use serde::Deserialize;
use time::Duration;

use crate::auth::session::{
    self, clear_cookie, cookie, cookie_name, current_session, new_session, read_cookie,
    session_cookie, set_cookie_header, set_cookie_headers, SESSION_COOKIE,
};
use crate::auth::{audit, password};
use crate::client_address::ClientAddress;
use crate::error::{PageError, WebError};
use crate::random;
use crate::rate_limit::Action;
use crate::routes::staff::form;
use crate::views::render;
use crate::AppState;

/// Carries the sign-in form's CSRF token; forgotten once the password is accepted.
const LOGIN_COOKIE: &str = "cvdesk_login";
/// How long a sign-in form stays usable.
const LOGIN_FORM_LIFETIME: Duration = Duration::hours(1);
/// The longest e-mail address there can be (RFC 5321's path limit less its brackets).
pub const EMAIL_MAX_BYTES: usize = 254;
const SIGN_IN_FAILED: &str = "The e-mail or password is wrong, or the account is locked for \
     a few minutes after repeated failures.";
const SECOND_FACTOR_LOCKED: &str = "Too many wrong codes: two-factor sign-in for this account \
     is locked for a while. Sign in again later.";

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
    let cookie = cookie(
        state,
        LOGIN_COOKIE,
        csrf_token.as_str(),
        LOGIN_FORM_LIFETIME,
    );
    let page = render(&LoginPage {
        organization_name: &state.settings.organization_name,
        csrf_token: csrf_token.as_str(),
        email,
        error,
        notice,
    })?;
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
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
    client: ClientAddress,
    headers: HeaderMap,
    submitted: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, PageError> {
    throttle(&state, &client).await?;
    let submitted = form(submitted)?;
    let expected = read_cookie(&headers, &cookie_name(&state, LOGIN_COOKIE)).unwrap_or_default();
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
    if submitted.email.len() > EMAIL_MAX_BYTES {
        // No account has such an address: nothing to look up or hash.
        return sign_in_failed(&state, None, &submitted.email, &client).await;
    }
    let now = state.clock.now();
    let user = state
        .store
        .user_by_email(&submitted.email)
        .await?
        .filter(|user| !user.disabled);
    let charge = match &user {
        Some(user) => Some(
            state
                .store
                .charge_password_attempt(user.id, client.as_str(), &sign_in::PASSWORD, now)
                .await?,
        ),
        None => None,
    };
    // The password is checked even when the answer is known, so that the time taken does
    // not tell which accounts exist or are locked.
    let password_matches = password::verify(
        submitted.password,
        user.as_ref().and_then(|u| u.password_hash.clone()),
    )
    .await?;
    let locked = matches!(charge, Some(Charge::Refused { .. }));
    let user = match user {
        Some(user) if password_matches && !locked => user,
        other => return sign_in_failed(&state, other.as_ref(), &submitted.email, &client).await,
    };
    if let Some(token) = read_cookie(&headers, &cookie_name(&state, SESSION_COOKIE)) {
        // A new session at every sign-in: an old cookie never becomes a signed-in one.
        state
            .store
            .delete_session(&SecretToken::hash_of(token))
            .await?;
    }
    let complete = user.totp_secret.is_none();
    let (new, token) = new_session(&state, &user, complete)?;
    let (action, next) = if complete {
        ("user.login", "/staff")
    } else {
        ("user.password_accepted", "/staff/login/code")
    };
    let entry = audit::event(
        &state,
        Some(&user),
        "",
        action,
        None,
        format!("from {client}"),
    );
    state.store.sign_in(&new, client.as_str(), &entry).await?;
    Ok((
        set_cookie_headers(
            session_cookie(&state, &token, &new),
            clear_cookie(&state, LOGIN_COOKIE),
        ),
        Redirect::to(next),
    )
        .into_response())
}

/// Counts one sign-in step against the client's allowance: 429 past it, before any work.
pub async fn throttle(state: &AppState, client: &ClientAddress) -> Result<(), PageError> {
    state
        .rate_limits
        .check(
            state.store.as_ref(),
            Action::SignIn,
            client,
            state.clock.now(),
        )
        .await?;
    Ok(())
}

/// Records a refused sign-in and says so, the same way whatever the reason.
async fn sign_in_failed(
    state: &AppState,
    user: Option<&cvdesk_store::User>,
    email: &str,
    client: &ClientAddress,
) -> Result<Response, PageError> {
    let email = email.trim();
    let label = match email.char_indices().nth(EMAIL_MAX_BYTES) {
        Some((cut, _)) => format!("{}…", &email[..cut]),
        None => email.to_owned(),
    };
    audit::record(
        state,
        user,
        &label.to_lowercase(),
        "user.login_failed",
        None,
        format!("from {client}"),
    )
    .await?;
    let shown = if email.len() > EMAIL_MAX_BYTES {
        ""
    } else {
        email
    };
    login_page(state, shown, Some(SIGN_IN_FAILED), None)
}

async fn pending_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(cvdesk_store::Session, cvdesk_store::User)>, PageError> {
    Ok(current_session(state, headers)
        .await?
        .filter(|(session, _)| !session.second_factor))
}

fn code_page(
    state: &AppState,
    csrf_token: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let page = render(&CodePage {
        organization_name: &state.settings.organization_name,
        csrf_token,
        error,
    })?;
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    Ok((status, page).into_response())
}

pub async fn get_code(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some((session, _)) = pending_session(&state, &headers).await? else {
        return Ok(Redirect::to("/staff/login").into_response());
    };
    code_page(&state, &session.csrf_token, None)
}

pub async fn post_code(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    submitted: Result<Form<CodeForm>, FormRejection>,
) -> Result<Response, PageError> {
    throttle(&state, &client).await?;
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
    // Charged before the code is checked, so racing guesses are all counted.
    let locks = match state
        .store
        .charge_second_factor_attempt(user.id, &sign_in::SECOND_FACTOR, now)
        .await?
    {
        Charge::Refused { .. } => return second_factor_locked(&state, &user).await,
        Charge::Check { locks, .. } => locks,
    };
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
        audit::record(
            &state,
            Some(&user),
            "",
            "user.second_factor_failed",
            None,
            "",
        )
        .await?;
        if locks {
            return second_factor_locked(&state, &user).await;
        }
        return code_page(
            &state,
            &session.csrf_token,
            Some("That code is wrong or was already used. Codes change every 30 seconds."),
        );
    }
    let (complete, token) = new_session(&state, &user, true)?;
    let entry = audit::event(
        &state,
        Some(&user),
        "",
        "user.login",
        None,
        "with second factor",
    );
    let replaced = state
        .store
        .complete_second_factor(&session.token_hash, &complete, &entry)
        .await?;
    if !replaced {
        return Ok(Redirect::to("/staff/login").into_response());
    }
    Ok((
        set_cookie_header(session_cookie(&state, &token, &complete)),
        Redirect::to("/staff"),
    )
        .into_response())
}

/// Ends every half-finished sign-in of the account: after the lock, the password must be
/// given again.
async fn second_factor_locked(
    state: &AppState,
    user: &cvdesk_store::User,
) -> Result<Response, PageError> {
    state.store.delete_pending_sessions_of(user.id).await?;
    audit::record(state, Some(user), "", "user.second_factor_locked", None, "").await?;
    login_page(state, "", Some(SECOND_FACTOR_LOCKED), None)
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
        set_cookie_header(clear_cookie(&state, SESSION_COOKIE)),
        Redirect::to("/staff/login?done=signed-out"),
    )
        .into_response())
}
