//! The security lead's view of how the disclosure process performs (ETSI TR 103 838 clause
//! 5.6.1): dashboards per product and overall for any period, each panel a chart drawn on
//! the server beside its table, the table as CSV, and the same numbers as JSON.
//!
//! - `service`: works a dashboard out from the store's aggregates;
//! - `query`: which period and product a request asks for;
//! - `tables` and `charts`: the panels as tables, CSV and SVG;
//! - `pages` and `api`: the staff page, the CSV downloads and `GET /api/v1/stats`;
//! - `kept_parts`: the job that keeps the store's packed fortnights current.

mod api;
mod charts;
mod kept_parts;
mod pages;
mod query;
mod service;
mod tables;

pub use kept_parts::KeepDashboardParts;

use crate::routes::table::{get, RouteTable};

/// Routes under `/staff`.
pub fn staff_routes() -> RouteTable {
    RouteTable::new()
        .route("/insights", get(pages::get_insights))
        .route("/insights/tables/{table_file}", get(pages::get_table_csv))
}

/// Routes under `/api/v1`.
pub fn api_routes() -> RouteTable {
    RouteTable::new().route("/stats", get(api::get_stats))
}
