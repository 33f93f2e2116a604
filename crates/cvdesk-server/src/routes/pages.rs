//! Public pages that show no stored data, the stylesheet, and the organization's public
//! OpenPGP key.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::error::{PageError, WebError};
use crate::openpgp;
use crate::views::{render, HomePage, Layout};
use crate::AppState;

pub async fn get_home(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    Ok(render(&HomePage {
        layout: Layout::of(&state.settings),
    })?)
}

pub async fn get_stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/style.css"),
    )
}

pub async fn get_cvss_script() -> impl IntoResponse {
    script(include_str!("../../static/cvss-live.js"))
}

pub async fn get_challenge_script() -> impl IntoResponse {
    script(include_str!("../../static/challenge.js"))
}

pub async fn get_challenge_worker() -> impl IntoResponse {
    script(include_str!("../../static/challenge-worker.js"))
}

fn script(source: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        source,
    )
}

/// Browsers ask for an icon on every visit; answer without one rather than with a 404.
pub async fn get_favicon() -> impl IntoResponse {
    (
        StatusCode::NO_CONTENT,
        [(header::CACHE_CONTROL, "public, max-age=86400")],
    )
}

/// The organization's public key, for finders to encrypt reports and check signatures. It is
/// derived from the stored secret key on each request (cheap, and always the current key);
/// the secret key stays locked.
pub async fn get_pgp_key(State(state): State<AppState>) -> Result<Response, PageError> {
    let published = openpgp::load_published(&*state.store)
        .await
        .map_err(WebError::internal)?;
    Ok(match published {
        Some(published) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            published.armored().to_owned(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "This desk has no OpenPGP key configured.\n",
        )
            .into_response(),
    })
}
