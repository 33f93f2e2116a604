//! How long the desk waits for a client, and how many uploads it receives at once. A slow
//! or silent client costs a connection for a bounded time only: the request head must
//! arrive within `header_read_timeout`, a body may pause for at most `body_read_timeout`,
//! and a request must be answered within `request_timeout` (`upload_timeout` for the two
//! forms that carry files). Uploads beyond `upload_concurrency` at once are turned away
//! with 503 and `Retry-After` rather than queued.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutLayer;

/// The limits of the HTTP edge; every one a setting (see the README's Limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// From the connection's first byte (or the end of the previous request) to the end
    /// of the request head.
    pub header_read_timeout: Duration,
    /// The longest pause between two pieces of a request body.
    pub body_read_timeout: Duration,
    /// From the request head to the response, for everything but uploads.
    pub request_timeout: Duration,
    /// From the request head to the response, for the report form and tracking replies,
    /// whose files may take a slow connection minutes.
    pub upload_timeout: Duration,
    /// Uploads received at the same time, across the report form and tracking replies.
    pub upload_concurrency: usize,
    /// How long a stopping server lets requests in flight finish before it cuts them off.
    pub shutdown_grace: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(600),
            upload_concurrency: 32,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// What a client whose upload is turned away reads; it may simply send again.
const BUSY: &str = "The desk is receiving many files right now. Go back and send the form \
     again in a minute: your text is still in it.";

/// Seconds a turned-away upload is asked to wait.
const BUSY_RETRY_AFTER: &str = "30";

impl HttpLimits {
    /// Answers 408 when a request other than an upload is not answered in time.
    pub fn request_timeout_layer(&self) -> TimeoutLayer {
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, self.request_timeout)
    }

    /// Answers 408 when an upload is not answered in time.
    pub fn upload_timeout_layer(&self) -> TimeoutLayer {
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, self.upload_timeout)
    }

    /// Slots shared by every upload route: one semaphore, so the limit is for the desk.
    pub fn upload_slots(&self) -> UploadSlots {
        UploadSlots(Arc::new(Semaphore::new(self.upload_concurrency)))
    }
}

/// Uploads that may be received at once.
#[derive(Debug, Clone)]
pub struct UploadSlots(Arc<Semaphore>);

/// Holds an upload slot for the length of the request, or answers 503 at once when none is
/// free (`middleware::from_fn_with_state(slots, take_upload_slot)` on each upload route).
pub async fn take_upload_slot(
    State(slots): State<UploadSlots>,
    request: Request,
    next: Next,
) -> Response {
    let Ok(_slot) = slots.0.try_acquire_owned() else {
        tracing::warn!("an upload was turned away: every upload slot is taken");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::RETRY_AFTER, BUSY_RETRY_AFTER),
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            ],
            BUSY,
        )
            .into_response();
    };
    next.run(request).await
}
