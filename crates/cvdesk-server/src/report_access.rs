//! Reaching a report on behalf of a staff member: the one place where a route checks
//! that the person may do this to this report. A member asking about another team's
//! report gets the same 404 as for a report that does not exist.

use cvdesk_domain::access::{self, Access, StaffAction};
use cvdesk_domain::report::Report;
use cvdesk_domain::Reference;
use cvdesk_store::User;

use crate::auth::audit;
use crate::error::WebError;
use crate::AppState;

/// The report, when this person may do `action` to it; otherwise not found (another
/// team's report) or forbidden (a role that may not), as the access rules say.
pub async fn permitted_report(
    state: &AppState,
    user: &User,
    reference: &str,
    action: StaffAction,
) -> Result<Report, WebError> {
    let reference: Reference = reference.parse().map_err(|_| WebError::NotFound)?;
    let report = state
        .store
        .report_by_reference(&reference)
        .await?
        .ok_or(WebError::NotFound)?;
    match access::check(&user.actor(), action, report.triage.product) {
        Access::Allowed => Ok(report),
        Access::Hidden => Err(WebError::NotFound),
        Access::Forbidden => Err(WebError::Forbidden(format!(
            "Your role ({}) may not {} this report.",
            user.role,
            action_words(action)
        ))),
    }
}

/// Loads a report to show it, and records the view in the audit log.
pub async fn viewed_report(
    state: &AppState,
    user: &User,
    reference: &str,
    channel: &str,
) -> Result<Report, WebError> {
    let report = permitted_report(state, user, reference, StaffAction::ViewReport).await?;
    let subject = report.reference.to_string();
    audit::record(
        state,
        Some(user),
        "",
        "report.view",
        Some(&subject),
        channel,
    )
    .await?;
    Ok(report)
}

fn action_words(action: StaffAction) -> &'static str {
    match action {
        StaffAction::ViewReport => "see",
        StaffAction::ChangeReport => "change",
        StaffAction::AddInternalNote => "add notes to",
        StaffAction::MessageFinder => "message the finder of",
        StaffAction::ExportReport => "export",
        StaffAction::PurgeReport => "purge",
        _ => "act on",
    }
}
