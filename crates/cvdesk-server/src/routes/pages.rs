//! Public pages that show no stored data, and the stylesheet.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse};

use crate::error::PageError;
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
