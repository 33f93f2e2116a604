//! Duplicate suggestions for a report a staff member opens: the earlier reports they may
//! see, compared by the words counted when each arrived. The comparison is CPU work over
//! up to a thousand reports, so it runs on the blocking pool, never on the threads that
//! serve requests.

use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::report::Report;
use cvdesk_domain::similarity::{
    self, CountedCandidate, ReportText, Suggestion, TermVector, Terms,
};
use cvdesk_domain::staff::Actor;

use crate::error::WebError;
use crate::AppState;

/// How many earlier reports are compared, how alike they must be to be suggested, and
/// how many are shown.
const COMPARED_REPORTS: u32 = 500;
const SUGGESTION_THRESHOLD: f64 = 0.25;
const SHOWN: usize = 5;

/// The earlier reports `report` most likely duplicates, best first.
pub async fn suggestions(
    state: &AppState,
    actor: &Actor,
    report: &Report,
) -> Result<Vec<Suggestion>, WebError> {
    let comparable = state
        .store
        .comparable_reports(report.id, report.content.asset.as_deref(), COMPARED_REPORTS)
        .await?;
    // Only reports this person may see are compared, so suggestions never reveal another
    // team's reports.
    let visible: Vec<_> = comparable
        .into_iter()
        .filter(|c| access::check(actor, StaffAction::ViewReport, c.product).is_allowed())
        .collect();
    let new = TermVector::of(&ReportText::of_draft(&report.content));
    let new_asset = report.content.asset.clone();
    tokio::task::spawn_blocking(move || {
        let candidates: Vec<CountedCandidate> = visible
            .iter()
            .filter_map(|c| match Terms::decode(&c.terms) {
                Ok(terms) => Some(CountedCandidate {
                    id: c.id,
                    reference: &c.reference,
                    terms,
                    asset: c.asset.as_deref(),
                }),
                Err(error) => {
                    tracing::warn!(report = %c.reference, %error, "left out of duplicate suggestions");
                    None
                }
            })
            .collect();
        similarity::suggest_among_counted(
            &new.terms(),
            new_asset.as_deref(),
            &candidates,
            SHOWN,
            SUGGESTION_THRESHOLD,
        )
    })
    .await
    .map_err(WebError::internal)
}
