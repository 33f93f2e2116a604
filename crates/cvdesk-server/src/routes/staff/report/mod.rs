//! One report for staff: everything the finder sent, and the triage panel. Every change is
//! a small form that posts, is checked by the domain rules and the per-product
//! authorisation, is recorded in the report's history and the audit log, and comes back
//! to this page.

mod appeal;
mod changes;
mod contact_removal;
mod conversation;
mod cvss;
mod page;
mod purge;
mod reading;
mod root_cause;

use cvdesk_domain::access::StaffAction;
use cvdesk_domain::report::Report;

use crate::auth::StaffUser;
use crate::error::PageError;
use crate::report_access::permitted_report;
use crate::AppState;

pub use appeal::post_appeal_decision;
pub use changes::{
    post_assessment, post_classification, post_needs_info, post_product, post_transition,
};
pub use contact_removal::post_contact_removal;
pub use conversation::{post_message, post_note};
pub use cvss::get_cvss;
pub use purge::post_purge;
pub use reading::{get_attachment, get_report, post_decrypt};
pub use root_cause::post_root_cause;

/// Loads the report for a change, checking the form's CSRF token first.
async fn for_change(
    state: &AppState,
    staff: &StaffUser,
    reference: &str,
    csrf_token: &str,
    action: StaffAction,
) -> Result<Report, PageError> {
    staff.check_csrf(csrf_token)?;
    Ok(permitted_report(state, &staff.user, reference, action).await?)
}
