//! The report page's purge button, for a report closed as spam: admins delete it with its
//! files; the page that follows says what went.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::attachment::human_bytes;
use serde::Deserialize;

use super::for_change;
use super::page::{after, MoveDraft};
use crate::auth::StaffUser;
use crate::error::PageError;
use crate::purge::purge_spam;
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::triage::ActionError;
use crate::views::render;
use crate::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PurgeForm {
    csrf_token: String,
    /// "yes" when the box saying the report goes for good was ticked.
    confirm: String,
}

#[derive(Template)]
#[template(path = "staff/purged.html")]
struct PurgedPage {
    layout: StaffLayout,
    reference: String,
    files: u64,
    size: String,
}

pub async fn post_purge(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<PurgeForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::PurgeReport,
    )
    .await?;
    if submitted.confirm != "yes" {
        let unconfirmed = ActionError::Invalid(
            "Tick the box to confirm that the report and its files go for good.".to_owned(),
        );
        return after(
            &state,
            &staff,
            report,
            Err(unconfirmed),
            "",
            MoveDraft::default(),
        )
        .await;
    }
    match purge_spam(&state, &staff.user, &report).await {
        Ok(purged) => {
            let page = PurgedPage {
                layout: StaffLayout::of(&state, &staff),
                reference: report.reference.to_string(),
                files: purged.files,
                size: human_bytes(purged.bytes),
            };
            Ok(render(&page)?.into_response())
        }
        Err(refused) => {
            after(
                &state,
                &staff,
                report,
                Err(refused),
                "",
                MoveDraft::default(),
            )
            .await
        }
    }
}
