//! The live CVSS score beside the severity field of the report page.

use axum::extract::Query;
use cvdesk_formats::cvss::Cvss;
use serde::Deserialize;

use crate::auth::StaffUser;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CvssQuery {
    vector: String,
}

/// Scores a vector for the live display on the report page; the same strict parser as
/// saving, so what it shows is what will be stored.
pub async fn get_cvss(
    _staff: StaffUser,
    Query(query): Query<CvssQuery>,
) -> axum::Json<serde_json::Value> {
    let answer = match Cvss::parse(query.vector.trim()) {
        Ok(cvss) => {
            let scores = cvss.scores();
            serde_json::json!({
                "vector": cvss.to_string(),
                "version": cvss.version().as_str(),
                "score": scores.score,
                "severity": scores.severity.as_str(),
            })
        }
        Err(error) => serde_json::json!({ "error": error.to_string() }),
    };
    axum::Json(answer)
}
