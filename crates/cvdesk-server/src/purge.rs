//! Purging a report closed as spam (admins only): the report, its conversation, notes,
//! history and queued mail are deleted with the audit entry in one transaction, then its
//! files' bytes unless another report names the same content. Shared by the report page
//! and the staff API.

use cvdesk_domain::attachment::human_bytes;
use cvdesk_domain::report::Report;
use cvdesk_store::{PurgedReport, StoreError, User};

use crate::auth::audit;
use crate::error::WebError;
use crate::triage::{sentence, ActionError};
use crate::AppState;

/// Purges `report`, already checked to be one `user` may purge.
pub async fn purge_spam(
    state: &AppState,
    user: &User,
    report: &Report,
) -> Result<PurgedReport, ActionError> {
    let reference = report.reference.to_string();
    let entry = |purged: &PurgedReport| {
        audit::event(
            state,
            Some(user),
            "",
            "report.purged",
            Some(&reference),
            format!(
                "closed as spam; deleted with {} file(s), {}",
                purged.files,
                human_bytes(purged.bytes)
            ),
        )
    };
    match state.store.purge_spam_report(report.id, &entry).await {
        Ok(purged) => {
            tracing::info!(reference, files = purged.files, "spam report purged");
            Ok(purged)
        }
        Err(StoreError::Conflict(message)) => Err(ActionError::Refused(sentence(&message))),
        Err(StoreError::Missing(_)) => Err(ActionError::Failed(WebError::NotFound)),
        Err(other) => Err(other.into()),
    }
}
