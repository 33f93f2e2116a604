//! Public pages that show no stored data, and the stylesheet.

use axum::extract::State;
use axum::http::header;
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
