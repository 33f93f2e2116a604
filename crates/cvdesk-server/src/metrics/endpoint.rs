//! Serving the metrics: on the desk's own address behind a bearer token the operator sets
//! (`metrics.token`, `CVDESK_METRICS_TOKEN` or `CVDESK_METRICS_TOKEN_FILE`), or without a
//! token on a separate address (`--metrics-listen`) that only the monitoring network
//! reaches. Without either, `/metrics` does not exist on the desk's address (404).

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::prometheus_text::{encode, CONTENT_TYPE};
use tokio::net::TcpListener;

use crate::auth::session::constant_time_eq;
use crate::error::{PageError, WebError};
use crate::AppState;

/// Who may read `/metrics` on the desk's own address.
#[derive(Clone, Default)]
pub enum MetricsAccess {
    /// Nobody: the metrics are not served there.
    #[default]
    Closed,
    /// Whoever presents `Authorization: Bearer <token>`.
    Token(String),
}

impl std::fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricsAccess::Closed => f.write_str("Closed"),
            MetricsAccess::Token(_) => f.write_str("Token(***)"),
        }
    }
}

/// `GET /metrics` on the desk's address.
pub async fn get_metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let MetricsAccess::Token(token) = &state.settings.metrics_access else {
        return Err(WebError::NotFound.into());
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or_default();
    if !constant_time_eq(presented.as_bytes(), token.as_bytes()) {
        return Ok((
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a bearer token is needed for the metrics\n",
        )
            .into_response());
    }
    Ok(render(&state).await?)
}

/// The metrics with the store's gauges read now.
async fn render(state: &AppState) -> Result<Response, WebError> {
    let metrics = &state.metrics;
    let _one_at_a_time = metrics.refreshing.lock().await;
    let now = state.clock.now();
    let outbox = state.store.outbox_health(now).await?;
    metrics
        .outbox_waiting
        .set(i64::try_from(outbox.waiting).unwrap_or(i64::MAX));
    metrics.outbox_oldest.set(
        outbox
            .oldest_waiting
            .map_or(0.0, |waited| waited.as_seconds_f64().max(0.0)),
    );
    metrics
        .outbox_given_up
        .set(i64::try_from(outbox.given_up).unwrap_or(i64::MAX));
    let oldest_job = state.store.oldest_due_job(now).await?;
    metrics
        .oldest_due_job
        .set(oldest_job.map_or(0.0, |waited| waited.as_seconds_f64().max(0.0)));
    let open = state.store.open_reports_by_state().await?;
    for state_name in ["new", "triaged", "assigned"] {
        let count = open
            .iter()
            .find(|(name, _)| name == state_name)
            .map_or(0, |(_, count)| *count);
        metrics
            .open_reports
            .get_or_create(&super::StateLabels {
                state: state_name.to_owned(),
            })
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }
    let mut text = String::new();
    encode(&mut text, &metrics.registry)
        .map_err(|error| WebError::Internal(format!("encoding the metrics: {error}").into()))?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}

async fn get_open_metrics(State(state): State<AppState>) -> Result<Response, PageError> {
    Ok(render(&state).await?)
}

/// Serves `/metrics` without a token on `listener`, a separate address for monitoring.
pub async fn serve_metrics(listener: TcpListener, state: AppState) {
    let app = Router::new()
        .route("/metrics", get(get_open_metrics))
        .with_state(state);
    if let Err(error) = axum::serve(listener, app).await {
        tracing::error!(%error, "the metrics listener stopped");
    }
}
