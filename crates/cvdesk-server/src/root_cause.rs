//! Writing a report's root cause analysis (ETSI 5.6.1) for the staff page and the API:
//! whoever may change the report may write it, and each change is audited with it.

use std::collections::BTreeMap;

use cvdesk_domain::report::Report;
use cvdesk_domain::root_cause_analysis::{RootCauseAnalysis, RootCauseInput};
use cvdesk_store::User;

use crate::auth::audit;
use crate::error::WebError;
use crate::AppState;

/// Replaces the analysis of `report` (already checked: the person may change it).
/// `Invalid` names each refused part by its field.
pub async fn set_root_cause(
    state: &AppState,
    user: &User,
    report: &Report,
    input: &RootCauseInput,
) -> Result<RootCauseAnalysis, WebError> {
    let analysis = RootCauseAnalysis::parse(input).map_err(|problems| WebError::Invalid {
        code: "invalid_root_cause",
        message: "The root cause analysis was not saved; each problem is named in fields."
            .to_owned(),
        fields: problems
            .into_iter()
            .map(|problem| (problem.field.to_owned(), problem.message))
            .collect::<BTreeMap<_, _>>(),
    })?;
    let subject = report.reference.to_string();
    let entry = audit::event(
        state,
        Some(user),
        "",
        "report.root_cause",
        Some(&subject),
        describe(&analysis),
    );
    state
        .store
        .set_root_cause(report.id, &analysis, &entry)
        .await?;
    Ok(analysis)
}

/// The audit entry's words: the category, and how much was written (not the text).
fn describe(analysis: &RootCauseAnalysis) -> String {
    let length = |text: &Option<String>| text.as_ref().map_or(0, |text| text.chars().count());
    format!(
        "category {}; analysis {} characters; lessons learned {} characters",
        analysis
            .category
            .map_or("none", |category| category.as_str()),
        length(&analysis.detail),
        length(&analysis.lessons_learned)
    )
}
