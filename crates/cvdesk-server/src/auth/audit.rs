//! Recording staff actions. An action that cannot be recorded does not happen: a change
//! hands the store the `event` to append in the change's own transaction, and actions
//! that change nothing else (views, failed sign-ins) `record` theirs before answering.

use cvdesk_domain::audit::AuditEvent;
use cvdesk_store::User;

use crate::error::WebError;
use crate::AppState;

/// Longest actor label, subject or detail kept in an entry, in characters: whatever a
/// visitor typed (an e-mail address on a failed sign-in) is bounded before it is stored.
const MAX_FIELD_CHARS: usize = 1_000;

/// The entry for an action by `actor` (or, without one, by whoever `actor_label` names).
pub fn event(
    state: &AppState,
    actor: Option<&User>,
    actor_label: &str,
    action: &str,
    subject: Option<&str>,
    detail: impl Into<String>,
) -> AuditEvent {
    AuditEvent {
        at: state.clock.now(),
        actor: actor.map(|user| user.id),
        actor_label: bounded(actor.map_or(actor_label, |user| user.email.as_str())),
        action: action.to_owned(),
        subject: subject.map(bounded),
        detail: bounded(&detail.into()),
    }
}

/// Appends the entry for an action that changes nothing else.
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
        .append_audit(event(state, actor, actor_label, action, subject, detail))
        .await?;
    Ok(())
}

fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_FIELD_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_fields_are_cut_at_a_character_boundary() {
        assert_eq!(bounded("short"), "short");
        let long = "é".repeat(MAX_FIELD_CHARS + 5);
        let cut = bounded(&long);
        assert_eq!(cut.chars().count(), MAX_FIELD_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(bounded(&"a".repeat(MAX_FIELD_CHARS)).len(), MAX_FIELD_CHARS);
    }
}
