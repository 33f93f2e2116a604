//! The route table. One module per resource; handlers are named verb_noun.

pub(crate) mod api;
mod health;
mod pages;
pub mod policy;
mod report_form;
pub(crate) mod staff;
pub(crate) mod table;

pub use staff::second_factor_required;
pub use table::RegisteredRoute;
pub mod track;

use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;

use crate::error::{PageError, WebError};
use crate::http_limits::{take_upload_slot, HttpLimits};
use crate::outbound::public as outbound;
use crate::security_headers::set_security_headers;
use crate::AppState;
use table::{get, post, Methods, RouteTable};

/// Room for the text fields of a form beside its files (the report form, a finder's reply).
const FORM_TEXT_ALLOWANCE: u64 = 2 * 1024 * 1024;

pub fn router(state: AppState, limits: &HttpLimits) -> Router {
    let form_body_limit = usize::try_from(
        state
            .settings
            .attachment_limits
            .max_total_bytes
            .saturating_add(FORM_TEXT_ALLOWANCE),
    )
    .unwrap_or(usize::MAX);
    let uses_tls = state.settings.uses_tls();
    routes(form_body_limit, limits)
        .into_router()
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::clone(&state.metrics),
            log_request,
        ))
        .layer(middleware::from_fn_with_state(
            uses_tls,
            set_security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::clone(&state.public_cache),
            crate::public_cache::forget_on_change,
        ))
        .with_state(state)
}

/// Every method and path the server answers, in the order registered. Limits do not change
/// which routes exist, so any will do for the listing.
pub fn registered_routes() -> Vec<RegisteredRoute> {
    routes(usize::MAX, &HttpLimits::default()).routes().to_vec()
}

fn routes(form_body_limit: usize, limits: &HttpLimits) -> RouteTable {
    let slots = limits.upload_slots();
    // The two forms that carry files: their own body limit and (longer) time limit, and a
    // share of the upload slots.
    let upload = |methods: Methods| {
        methods
            .layer(DefaultBodyLimit::max(form_body_limit))
            .layer(limits.upload_timeout_layer())
            .layer(middleware::from_fn_with_state(
                slots.clone(),
                take_upload_slot,
            ))
    };
    RouteTable::new()
        .route("/healthz", get(health::get_healthz))
        .route("/metrics", get(crate::metrics::get_metrics))
        .route("/", get(pages::get_home))
        .route("/static/style.css", get(pages::get_stylesheet))
        .route("/static/cvss-live.js", get(pages::get_cvss_script))
        .route("/static/challenge.js", get(pages::get_challenge_script))
        .route(
            "/static/challenge-worker.js",
            get(pages::get_challenge_worker),
        )
        .route("/favicon.ico", get(pages::get_favicon))
        .route("/pgp-key.txt", get(pages::get_pgp_key))
        .route("/report", get(report_form::get_report_form))
        .route("/policy", get(policy::get_policy))
        .route(
            "/policy/versions/{version}",
            get(policy::get_policy_version),
        )
        .route("/.well-known/security.txt", get(policy::get_security_txt))
        .route("/security.txt", get(policy::get_legacy_security_txt))
        .route("/thanks", get(crate::advisories::credits::get_thanks))
        .route("/disclosure-policy", get(outbound::get_disclosure_policy))
        .route("/disclosures", get(outbound::get_disclosures))
        .route("/disclosures.atom", get(outbound::get_disclosures_atom))
        .route("/disclosures/{case_id}", get(outbound::get_disclosure))
        .route(
            "/disclosures/{case_id}/{file}",
            get(outbound::get_disclosure_csaf),
        )
        .route("/track/{token}", get(track::get_track))
        .route(
            "/track/{token}/update-request",
            post(track::post_update_request),
        )
        .route(
            "/track/{token}/contact-removal",
            post(crate::contact_removal::post_request),
        )
        .route("/track/{token}/appeal", post(crate::appeals::post_appeal))
        .route(
            "/track/{token}/attachments/{attachment_id}",
            get(track::get_track_attachment),
        )
        .merge(crate::advisories::public_routes())
        .merge(crate::coordination::participant_routes())
        .nest("/api/v1", api::routes())
        .nest("/staff", staff::routes())
        // Every route above must be answered within the request timeout; the uploads
        // below are registered after it, so only their own applies to them.
        .layer(limits.request_timeout_layer())
        .route("/report", upload(post(report_form::post_report_form)))
        .route(
            "/track/{token}/messages",
            upload(post(track::post_track_message)),
        )
}

async fn fallback() -> PageError {
    PageError(WebError::NotFound)
}

/// Logs and counts the route pattern, never the path itself: paths carry tracking tokens.
async fn log_request(
    axum::extract::State(metrics): axum::extract::State<std::sync::Arc<crate::metrics::Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".to_owned());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.observe_request(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    tracing::info!(
        %method,
        route,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}
