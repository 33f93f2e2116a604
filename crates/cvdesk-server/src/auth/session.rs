//! Signed-in staff: the session cookie, its expiry rules, and the `StaffUser` extractor
//! every staff page takes. The cookie holds a random token; the store holds its hash.
//! Sessions end after an hour without activity or twelve hours after sign-in, whichever
//! comes first, and a new one is made at every sign-in. A session that waits for the
//! one-time code lives five minutes, and completing the second factor replaces it with a
//! new token, so the half-signed-in cookie never becomes a signed-in one.

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::secret::SecretToken;
use cvdesk_store::{Session, User};
use time::Duration;

use crate::error::{PageError, WebError};
use crate::random;
use crate::AppState;

pub const IDLE_TIMEOUT: Duration = Duration::hours(1);
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// Time to type the one-time code after the password.
pub const PENDING_TIMEOUT: Duration = Duration::minutes(5);
/// Writing `last_seen_at` on every request would make every page view a write.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// A staff member with a complete sign-in (password and, when enrolled, second factor).
pub struct StaffUser {
    pub user: User,
    pub session: Session,
}

impl StaffUser {
    /// Refuses (403, with `refusal`) what this person's role may not do, whatever report
    /// it concerns; the rule is cvdesk-domain's `access`.
    pub fn require(&self, action: StaffAction, refusal: &str) -> Result<(), PageError> {
        if access::check(&self.user.actor(), action, None).is_allowed() {
            Ok(())
        } else {
            Err(PageError(WebError::Forbidden(refusal.to_owned())))
        }
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, presented: &str) -> Result<(), PageError> {
        if constant_time_eq(presented.as_bytes(), self.session.csrf_token.as_bytes()) {
            Ok(())
        } else {
            Err(PageError(WebError::Forbidden(
                "This form has expired or did not come from this site. Go back, reload the \
                 page and try again."
                    .to_owned(),
            )))
        }
    }
}

/// The session cookie; its token is the credential.
pub const SESSION_COOKIE: &str = "cvdesk_session";

/// What this desk calls a cookie: `base`, with the `__Host-` prefix when the public URL is
/// https, which makes browsers refuse the cookie unless it is Secure, has no Domain and has
/// Path=/ (so no other host or path can plant or read it).
pub fn cookie_name(state: &AppState, base: &str) -> String {
    if state.settings.uses_tls() {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// The `Set-Cookie` value for a cookie of this desk: for the whole site, never sent by
/// another site's requests, out of reach of scripts, and over https only when the desk is
/// served over https.
pub fn cookie(state: &AppState, base: &str, value: &str, max_age: Duration) -> String {
    let secure = if state.settings.uses_tls() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        cookie_name(state, base),
        max_age.whole_seconds()
    )
}

/// The `Set-Cookie` value that installs the token of `session`, for as long as it lives.
pub fn session_cookie(state: &AppState, token: &SecretToken, session: &Session) -> String {
    cookie(
        state,
        SESSION_COOKIE,
        token.as_str(),
        session.expires_at - session.created_at,
    )
}

/// The `Set-Cookie` value that makes the browser forget a cookie of this desk.
pub fn clear_cookie(state: &AppState, base: &str) -> String {
    cookie(state, base, "", Duration::ZERO)
}

pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A new session for `user`, complete or waiting for the second factor, with its token.
pub fn new_session(
    state: &AppState,
    user: &User,
    second_factor: bool,
) -> Result<(Session, SecretToken), WebError> {
    let token = random::secret_token()?;
    let now = state.clock.now();
    let lifetime = if second_factor {
        ABSOLUTE_TIMEOUT
    } else {
        PENDING_TIMEOUT
    };
    let session = Session {
        token_hash: token.hash(),
        user_id: user.id,
        csrf_token: random::secret_token()?.as_str().to_owned(),
        second_factor,
        pending_totp: None,
        created_at: now,
        last_seen_at: now,
        expires_at: now + lifetime,
    };
    Ok((session, token))
}

/// A live session from the request's cookie, whatever its second-factor state.
pub async fn current_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Session, User)>, WebError> {
    let Some(token) = read_cookie(headers, &cookie_name(state, SESSION_COOKIE)) else {
        return Ok(None);
    };
    let Some(session) = state.store.session(&SecretToken::hash_of(token)).await? else {
        return Ok(None);
    };
    let now = state.clock.now();
    if now >= session.expires_at || now - session.last_seen_at >= IDLE_TIMEOUT {
        state.store.delete_session(&session.token_hash).await?;
        return Ok(None);
    }
    let Some(user) = state.store.user_by_id(session.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_INTERVAL {
        state.store.touch_session(&session.token_hash, now).await?;
    }
    Ok(Some((session, user)))
}

/// Where an unauthenticated request is sent.
pub enum SignInRequired {
    Login,
    SecondFactor,
    /// An admin requires two factors and this account has none yet.
    SecondFactorSetup,
    Failed(PageError),
}

impl IntoResponse for SignInRequired {
    fn into_response(self) -> Response {
        match self {
            SignInRequired::Login => Redirect::to("/staff/login").into_response(),
            SignInRequired::SecondFactor => Redirect::to("/staff/login/code").into_response(),
            SignInRequired::SecondFactorSetup => Redirect::to("/staff/account").into_response(),
            SignInRequired::Failed(error) => error.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = SignInRequired;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let found = current_session(state, &parts.headers)
            .await
            .map_err(|e| SignInRequired::Failed(PageError(e)))?;
        match found {
            None => Err(SignInRequired::Login),
            Some((session, _)) if !session.second_factor => Err(SignInRequired::SecondFactor),
            Some((session, user)) => {
                // Inside the nested staff router the URI has lost its prefix.
                let path = parts
                    .extensions
                    .get::<OriginalUri>()
                    .map_or_else(|| parts.uri.path(), |original| original.path());
                let setting_up = path.starts_with("/staff/account");
                if user.totp_secret.is_none() && !setting_up {
                    let required = crate::routes::second_factor_required(state)
                        .await
                        .map_err(|e| SignInRequired::Failed(PageError(e)))?;
                    if required {
                        return Err(SignInRequired::SecondFactorSetup);
                    }
                }
                Ok(StaffUser { user, session })
            }
        }
    }
}

pub fn set_cookie_header(value: String) -> [(axum::http::HeaderName, String); 1] {
    [(SET_COOKIE, value)]
}

/// Two `Set-Cookie` headers in one answer.
pub fn set_cookie_headers(
    first: String,
    second: String,
) -> AppendHeaders<[(axum::http::HeaderName, String); 2]> {
    AppendHeaders([(SET_COOKIE, first), (SET_COOKIE, second)])
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            "a=1; cvdesk_session=tok; b=2".parse().expect("header"),
        );
        assert_eq!(read_cookie(&headers, "cvdesk_session"), Some("tok"));
        assert_eq!(read_cookie(&headers, "missing"), None);
    }

    #[test]
    fn equal_only_when_equal() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
