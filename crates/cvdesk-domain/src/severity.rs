//! The severity given to a report: the canonical CVSS vector and what it scores.

use serde::Serialize;

/// The severity a finder or triager gave: the canonical CVSS vector and what it scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Severity {
    pub vector: String,
    pub version: String,
    pub score: f64,
    pub rating: String,
}

impl Severity {
    pub fn of(cvss: &cvdesk_formats::cvss::Cvss) -> Self {
        let scores = cvss.scores();
        Severity {
            vector: cvss.to_string(),
            version: cvss.version().as_str().to_owned(),
            score: scores.score,
            rating: scores.severity.as_str().to_owned(),
        }
    }
}
