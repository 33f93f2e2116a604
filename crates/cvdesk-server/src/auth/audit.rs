//! Recording staff actions. An action that cannot be recorded does not happen: callers
//! propagate the error.

use cvdesk_domain::audit::AuditEvent;
use cvdesk_store::User;

use crate::error::WebError;
use crate::AppState;

pub async fn record(
    state: &AppState,
    actor: Option<&User>,
    actor_label: &str,
    action: &str,
    subject: Option<&str>,
    detail: impl Into<String>,
) -> Result<(), WebError> {
    state
        .store
        .append_audit(AuditEvent {
            at: state.clock.now(),
            actor: actor.map(|user| user.id),
            actor_label: actor.map_or_else(|| actor_label.to_owned(), |user| user.email.clone()),
            action: action.to_owned(),
            subject: subject.map(str::to_owned),
            detail: detail.into(),
        })
        .await?;
    Ok(())
}
