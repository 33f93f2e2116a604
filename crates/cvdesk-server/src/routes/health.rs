//! Liveness for load balancers: 200 `ok` once the store answers.

use axum::extract::State;
use axum::http::StatusCode;

use crate::AppState;

pub async fn get_healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::warn!(%error, "health check: store unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "store unreachable")
        }
    }
}
