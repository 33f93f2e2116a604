//! Findings (ETSI 5.6.1): vulnerabilities staff enter themselves (an internal finding, a
//! penetration test, a supplier's notice, a bug bounty platform) and imports of a
//! scanner's SARIF log or a CSV table, into the same triage pipeline as finders' reports.
//! A finding has no finder: no tracking link is shown and no mail goes out about it.
//! The service, the staff pages and the API are here; the CLI's `cvdesk import` uses
//! the same `import` functions.

mod api;
pub mod import;
mod service;
mod staff;

use axum::extract::DefaultBodyLimit;

use crate::routes::table::{get, post, RouteTable};

/// Bodies that carry a file to import: the file, percent- or JSON-escaped, and the form.
const IMPORT_BODY_LIMIT: usize = 4 * import::MAX_IMPORT_BYTES;

pub use service::may_file;

/// The staff API under `/api/v1`.
pub fn api_routes() -> RouteTable {
    RouteTable::new()
        .route("/findings", post(api::post_finding))
        .route(
            "/imports",
            post(api::post_import).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
}

/// The staff pages under `/staff`.
pub fn staff_routes() -> RouteTable {
    RouteTable::new()
        .route("/findings", post(staff::post_finding))
        .route("/findings/new", get(staff::get_new_finding))
        .route(
            "/imports",
            get(staff::get_imports)
                .post(staff::post_import)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/imports/preview",
            post(staff::post_import_preview).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
}
