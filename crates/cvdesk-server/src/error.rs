//! The error policy of the web edge.
//!
//! - What the client got wrong (malformed body, unknown link, oversized upload) is answered
//!   with its own status and a message that says what to change. Nothing is stored.
//! - A report that breaks intake rules is not an error here: the form is shown again with
//!   the finder's text and a message per field; the API answers 422 with `fields`.
//! - Anything else is our fault: it is logged with a correlation id, and the client gets a
//!   plain 500 that carries only that id. Internals never reach the client.
//!
//! `ApiError` renders the JSON shape `{"error": {"code", "message"}}`; `PageError`
//! renders an HTML page. Both wrap the same `WebError`.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("sign in first")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    /// Forbidden for a reason the client can act on, named by `code`.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("{}", too_many_requests_message(*retry_after_seconds))]
    TooManyRequests { retry_after_seconds: u64 },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body stopped arriving before it was complete.
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl WebError {
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        WebError::Internal(Box::new(error))
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        WebError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) | WebError::Refused { .. } => StatusCode::FORBIDDEN,
            WebError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            WebError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            WebError::NotFound => "not_found",
            WebError::Unauthorized => "unauthorized",
            WebError::Forbidden(_) => "forbidden",
            WebError::Conflict(_) => "conflict",
            WebError::TooManyRequests { .. } => "rate_limited",
            WebError::BadRequest { code, .. }
            | WebError::Invalid { code, .. }
            | WebError::Refused { code, .. } => code,
            WebError::PayloadTooLarge(_) => "payload_too_large",
            WebError::RequestTimeout(_) => "request_timeout",
            WebError::UnsupportedMediaType(_) => "unsupported_media_type",
            WebError::Internal(_) => "internal",
        }
    }

    /// The message the client may see. For internal errors this logs the cause and
    /// returns only a correlation id.
    fn public_message(&self) -> String {
        match self {
            WebError::NotFound => "Nothing is here. Check the link.".to_owned(),
            WebError::Unauthorized => {
                "Sign in first: send an API token as `Authorization: Bearer TOKEN`.".to_owned()
            }
            WebError::Internal(cause) => {
                let correlation_id = correlation_id();
                tracing::error!(correlation_id, error = %cause, "request failed");
                format!(
                    "Something went wrong on our side. Nothing you did caused it. \
                     If it persists, quote this id: {correlation_id}."
                )
            }
            other => other.to_string(),
        }
    }
}

/// How long to wait, in words a person reads at a glance.
pub fn too_many_requests_message(retry_after_seconds: u64) -> String {
    let wait = match retry_after_seconds {
        0..=1 => "a second".to_owned(),
        2..=59 => format!("{retry_after_seconds} seconds"),
        60..=119 => "a minute".to_owned(),
        _ => format!("{} minutes", retry_after_seconds.div_ceil(60)),
    };
    format!("Too many requests from your network. Please try again in {wait}.")
}

impl WebError {
    /// Headers the status needs besides the body: `Retry-After` on a 429.
    pub fn retry_after(&self) -> Option<[(axum::http::HeaderName, String); 1]> {
        match self {
            WebError::TooManyRequests {
                retry_after_seconds,
            } => Some([(header::RETRY_AFTER, retry_after_seconds.to_string())]),
            _ => None,
        }
    }
}

impl From<cvdesk_store::StoreError> for WebError {
    fn from(error: cvdesk_store::StoreError) -> Self {
        WebError::internal(error)
    }
}

fn correlation_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return "unavailable".to_owned();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An error answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl From<WebError> for ApiError {
    fn from(error: WebError) -> Self {
        ApiError(error)
    }
}

impl From<cvdesk_store::StoreError> for ApiError {
    fn from(error: cvdesk_store::StoreError) -> Self {
        ApiError(error.into())
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a BTreeMap<String, String>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = self.0;
        let fields = match &error {
            WebError::Invalid { fields, .. } => Some(fields),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: error.code(),
                message: error.public_message(),
                fields,
            },
        };
        (error.status(), error.retry_after(), Json(body)).into_response()
    }
}

/// An error answered as an HTML page.
#[derive(Debug)]
pub struct PageError(pub WebError);

impl From<WebError> for PageError {
    fn from(error: WebError) -> Self {
        PageError(error)
    }
}

impl From<cvdesk_store::StoreError> for PageError {
    fn from(error: cvdesk_store::StoreError) -> Self {
        PageError(error.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let error = self.0;
        let status = error.status();
        let retry_after = error.retry_after();
        let message = error.public_message();
        let title = status.canonical_reason().unwrap_or("Error");
        let page = ErrorPage {
            title,
            message: &message,
        };
        match page.render() {
            Ok(html) => (status, retry_after, Html(html)).into_response(),
            Err(render_error) => {
                tracing::error!(error = %render_error, "error page failed to render");
                (status, message).into_response()
            }
        }
    }
}
