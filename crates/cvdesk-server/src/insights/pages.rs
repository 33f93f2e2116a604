//! The dashboards page (`/staff/insights`) and each panel's table as CSV
//! (`/staff/insights/tables/{panel}.csv`), both taking `from`, `to` and `product`.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::charts;
use super::query::{InsightsQuery, Selection};
use super::service;
use super::tables::{csv, Table};
use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

#[derive(Template)]
#[template(path = "staff/insights.html")]
struct InsightsPage {
    layout: StaffLayout,
    heading: String,
    from: String,
    to: String,
    products: Vec<ProductChoice>,
    query: String,
    panels: Vec<Panel>,
}

struct ProductChoice {
    id: i64,
    name: String,
    selected: bool,
}

struct Panel {
    table: Table,
    /// The chart, an `<svg>` element with no script or style.
    svg: String,
}

fn selection(
    state: &AppState,
    query: Result<Query<InsightsQuery>, QueryRejection>,
) -> Result<Selection, WebError> {
    let Query(query) =
        query.map_err(|rejection| WebError::bad_request("invalid_query", rejection.body_text()))?;
    Selection::read(&query, &state.settings.calendar, state.clock.now())
}

pub async fn get_insights(
    State(state): State<AppState>,
    staff: StaffUser,
    query: Result<Query<InsightsQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let selection = selection(&state, query)?;
    let dashboard = service::load(&state, &staff.user.actor(), &selection).await?;
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "insights.view",
        None,
        selection.query_string(),
    )
    .await?;
    let heading = match &dashboard.product_name {
        Some(name) => format!("Dashboard: {name}"),
        None => "Dashboard: all products".to_owned(),
    };
    let panels = dashboard
        .tables()
        .into_iter()
        .map(|table| {
            let svg = charts::svg(&table.chart, &format!("Chart: {}", table.caption))?;
            Ok(Panel { table, svg })
        })
        .collect::<Result<_, WebError>>()?;
    let page = InsightsPage {
        layout: StaffLayout::of(&state, &staff),
        heading,
        from: dashboard.from.to_string(),
        to: dashboard.to.to_string(),
        products: dashboard
            .product_names
            .iter()
            .map(|(id, name)| ProductChoice {
                id: *id,
                name: name.clone(),
                selected: dashboard.product_id == Some(*id),
            })
            .collect(),
        query: selection.query_string(),
        panels,
    };
    Ok(render(&page)?.into_response())
}

pub async fn get_table_csv(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(file): Path<String>,
    query: Result<Query<InsightsQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let slug = file
        .strip_suffix(".csv")
        .filter(|slug| super::tables::SLUGS.contains(slug))
        .ok_or(WebError::NotFound)?;
    let selection = selection(&state, query)?;
    let dashboard = service::load(&state, &staff.user.actor(), &selection).await?;
    let table = dashboard.table(slug).ok_or(WebError::NotFound)?;
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "insights.export",
        Some(slug),
        selection.query_string(),
    )
    .await?;
    let name = format!("{slug}-{}-{}.csv", selection.first_day, selection.last_day);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv(&table),
    )
        .into_response())
}
