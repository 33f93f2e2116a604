//! The queue: open reports first, filtered, searched and paged.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::staff::{ProductId, Role};
use cvdesk_store::ReportSummary;

use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::queue::QueueQuery;
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

#[derive(Template)]
#[template(path = "staff/queue.html")]
struct QueuePage {
    layout: StaffLayout,
    query: QueueQuery,
    reports: Vec<ReportSummary>,
    next_page: Option<String>,
    problem: Option<String>,
    state_options: Vec<(&'static str, &'static str)>,
    sort_options: Vec<(&'static str, &'static str)>,
    products: Vec<(i64, String)>,
    /// Whether the page offers closing several reports at once (not to viewers).
    can_close: bool,
}

impl QueuePage {
    fn is_product(&self, id: &i64) -> bool {
        self.query.product == id.to_string()
    }

    fn product_name(&self, product: &Option<ProductId>) -> &str {
        product
            .and_then(|p| self.products.iter().find(|(id, _)| *id == p.0))
            .map_or("—", |(_, name)| name.as_str())
    }
}

pub async fn get_queue(
    State(state): State<AppState>,
    staff: StaffUser,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let query = QueueQuery::read(query)?;
    let actor = staff.user.actor();
    if !access::check(&actor, StaffAction::ViewQueue, None).is_allowed() {
        return Err(WebError::Forbidden("You may not see the queue.".into()).into());
    }
    let (reports, next_page, problem) = match query.filter(&actor, state.clock.now()) {
        Ok(filter) => {
            let page = state.store.list_reports(&filter).await?;
            let next = page
                .next
                .map(|cursor| format!("/staff?{}", query.next_page(&cursor)));
            (page.items, next, None)
        }
        Err(problem) => (Vec::new(), None, Some(problem)),
    };
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "queue.view",
        None,
        format!("{query:?}"),
    )
    .await?;
    let visible = access::visible_products(&actor);
    let products = state
        .store
        .products()
        .await?
        .into_iter()
        .filter(|p| visible.contains(Some(p.id)))
        .map(|p| (p.id.0, p.name))
        .collect();
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = QueuePage {
        can_close: staff.user.role != Role::Viewer,
        layout: StaffLayout::of(&state, &staff),
        query,
        reports,
        next_page,
        problem,
        state_options: vec![
            ("open", "Open"),
            ("closed", "Closed"),
            ("all", "All"),
            ("new", "New"),
            ("triaged", "Triaged"),
            ("assigned", "Assigned"),
            ("duplicate", "Duplicate"),
            ("remediated", "Remediated"),
            ("informative", "Informative"),
            ("not_applicable", "Not applicable"),
        ],
        products,
        sort_options: vec![
            ("newest", "Newest first"),
            ("oldest", "Oldest first"),
            ("severity", "Most severe first"),
        ],
    };
    Ok((status, render(&page)?).into_response())
}
