//! The web edge of cvdesk: public pages, the finder's tracking page and the JSON API.
//! Handlers are thin: they turn HTTP into typed input, call the domain and the store, and
//! render the result.

mod auth;
mod clock;
mod error;
mod intake;
mod percent;
mod queue;
mod random;
mod report_access;
mod routes;
mod security_headers;
mod triage;
mod views;

use std::sync::Arc;

use cvdesk_domain::{AttachmentLimits, ReferencePrefix, TextLimits};
use cvdesk_store::Store;
use tokio::net::TcpListener;

pub use clock::{Clock, SystemClock};

/// What the web edge needs to know about the deployment.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The address finders use to reach the desk, without a trailing slash; tracking links
    /// are built from it.
    pub public_url: String,
    pub organization_name: String,
    pub reference_prefix: ReferencePrefix,
    pub attachment_limits: AttachmentLimits,
    pub text_limits: TextLimits,
}

impl ServerSettings {
    pub fn uses_tls(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Everything a handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<ServerSettings>,
    pub clock: Arc<dyn Clock>,
}

/// Serves until `shutdown` completes; requests in flight are finished first.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, routes::router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
