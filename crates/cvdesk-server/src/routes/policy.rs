//! The disclosure policy (every version, each with its date) and security.txt.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Redirect, Response};
use cvdesk_domain::policy::PolicySettings;
use cvdesk_store::{PolicyVersion, ORGANIZATION_PGP_KEY};
use time::OffsetDateTime;

use crate::error::{PageError, WebError};
use crate::security_txt;
use crate::views::{render, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    layout: Layout,
    policy: PolicyVersion,
    /// The newest version's number: the page says when an older one is shown.
    current: i64,
    history: Vec<(i64, OffsetDateTime)>,
    public_url: String,
    has_key: bool,
}

impl PolicyPage {
    fn settings(&self) -> &PolicySettings {
        &self.policy.settings
    }
}

pub async fn get_policy(State(state): State<AppState>) -> Result<Html<Bytes>, PageError> {
    let page = state
        .public_cache
        .policy_page(current_policy_page(&state))
        .await?;
    Ok(Html(page))
}

async fn current_policy_page(state: &AppState) -> Result<Bytes, WebError> {
    let policy = state
        .store
        .current_policy()
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(Bytes::from(policy_page(state, policy).await?.0))
}

pub async fn get_policy_version(
    State(state): State<AppState>,
    Path(version): Path<String>,
) -> Result<Html<String>, PageError> {
    let version: i64 = version.parse().map_err(|_| WebError::NotFound)?;
    let policy = state
        .store
        .policy_version(version)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(policy_page(&state, policy).await?)
}

async fn policy_page(state: &AppState, policy: PolicyVersion) -> Result<Html<String>, WebError> {
    let history = state.store.policy_history().await?;
    let page = PolicyPage {
        layout: Layout::of(&state.settings),
        current: history.first().map_or(policy.version, |(n, _)| *n),
        policy,
        history,
        public_url: state.settings.public_url.clone(),
        has_key: has_encryption_key(state).await?,
    };
    render(&page)
}

pub async fn has_encryption_key(state: &AppState) -> Result<bool, WebError> {
    Ok(state.store.setting(ORGANIZATION_PGP_KEY).await?.is_some())
}

/// `/.well-known/security.txt`, for whichever host name the request named.
pub async fn get_security_txt(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(strip_port);
    let body = security_txt::public_copy(&state, host).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response())
}

/// RFC 9116 section 3: the file at the top level is a legacy location.
pub async fn get_legacy_security_txt() -> Redirect {
    Redirect::permanent("/.well-known/security.txt")
}

/// `example.org:8443` → `example.org`; `[2001:db8::1]:443` → `[2001:db8::1]`.
fn strip_port(host: &str) -> &str {
    match host.rfind(':') {
        Some(colon) if !host[colon..].contains(']') => &host[..colon],
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::strip_port;

    #[test]
    fn ports_are_removed_from_host_names() {
        assert_eq!(strip_port("example.org"), "example.org");
        assert_eq!(strip_port("example.org:8443"), "example.org");
        assert_eq!(strip_port("[2001:db8::1]:443"), "[2001:db8::1]");
        assert_eq!(strip_port("[2001:db8::1]"), "[2001:db8::1]");
    }
}
