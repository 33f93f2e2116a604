//! A finder's request, from the tracking page of a closed report, to have their contact
//! details removed (name, e-mail address, OpenPGP key, and the client address the report
//! came from); a staff member who may change the report confirms it on the report page.
//! Both steps are in the audit log; the removal itself in the same transaction.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use cvdesk_domain::report::Report;
use cvdesk_store::StoreError;

use crate::auth::audit;
use crate::client_address::ClientAddress;
use crate::error::{PageError, WebError};
use crate::routes::track::tracked_report;
use crate::triage::ActionError;
use crate::AppState;

/// What the tracking page offers about removing the contact details.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactRemoval {
    /// The report is closed and holds contact details: the finder may ask.
    pub offered: bool,
    /// The finder asked; staff have not yet removed them.
    pub requested: bool,
}

fn has_contact(report: &Report) -> bool {
    let contact = &report.content.contact;
    contact.name.is_some() || contact.email.is_some() || contact.pgp_key.is_some()
}

pub async fn for_tracking_page(
    state: &AppState,
    report: &Report,
) -> Result<ContactRemoval, WebError> {
    if report.state.is_open() || !has_contact(report) {
        return Ok(ContactRemoval::default());
    }
    let requested = state
        .store
        .contact_removal_requested(report.id)
        .await?
        .is_some();
    Ok(ContactRemoval {
        offered: !requested,
        requested,
    })
}

/// `POST /track/{token}/contact-removal`: the tracking link is the credential.
pub async fn post_request(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let report = tracked_report(&state, &client, &token).await?;
    match state
        .store
        .request_contact_removal(report.id, state.clock.now())
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(WebError::Conflict(
                "Contact details can be removed only from a closed report that holds them."
                    .to_owned(),
            )
            .into())
        }
        Err(other) => return Err(WebError::from(other).into()),
    }
    let reference = report.reference.to_string();
    audit::record(
        &state,
        None,
        "finder",
        "report.contact_removal_requested",
        Some(&reference),
        "from the tracking page",
    )
    .await?;
    Ok(Redirect::to(&format!("/track/{token}#contact")).into_response())
}

/// Removes the contact details of `report` (checked: the person may change it), as its
/// finder asked; refused when no request is waiting.
pub async fn confirm(
    state: &AppState,
    user: &cvdesk_store::User,
    report: &Report,
) -> Result<(), ActionError> {
    let reference = report.reference.to_string();
    let entry = audit::event(
        state,
        Some(user),
        "",
        "report.contact_removed",
        Some(&reference),
        "the finder's contact details and client address, as the finder asked",
    );
    match state.store.remove_contact(report.id, &entry).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(_)) => Err(ActionError::Refused(
            "The finder has not asked to have their contact details removed.".to_owned(),
        )),
        Err(other) => Err(ActionError::Failed(other.into())),
    }
}
