//! A report as it lives in the desk once accepted: its reference, its state and what the
//! finder sent.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use time::OffsetDateTime;

use crate::draft::ReportDraft;
use crate::priority::{Exploitability, PriorityOverride};
use crate::reference::Reference;
use crate::staff::ProductId;

/// Where a report stands. `new`, `triaged` and `assigned` are open; the rest are closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    New,
    Triaged,
    Assigned,
    Duplicate,
    Remediated,
    Informative,
    NotApplicable,
}

impl ReportState {
    pub const ALL: [ReportState; 7] = [
        ReportState::New,
        ReportState::Triaged,
        ReportState::Assigned,
        ReportState::Duplicate,
        ReportState::Remediated,
        ReportState::Informative,
        ReportState::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::New => "new",
            ReportState::Triaged => "triaged",
            ReportState::Assigned => "assigned",
            ReportState::Duplicate => "duplicate",
            ReportState::Remediated => "remediated",
            ReportState::Informative => "informative",
            ReportState::NotApplicable => "not_applicable",
        }
    }

    /// The words a finder reads on the tracking page.
    pub fn label(self) -> &'static str {
        match self {
            ReportState::New => "Received, waiting for triage",
            ReportState::Triaged => "Triaged",
            ReportState::Assigned => "Assigned to the responsible team",
            ReportState::Duplicate => "Closed as a duplicate",
            ReportState::Remediated => "Remediated",
            ReportState::Informative => "Closed as informative",
            ReportState::NotApplicable => "Closed as not applicable",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(
            self,
            ReportState::New | ReportState::Triaged | ReportState::Assigned
        )
    }
}

impl fmt::Display for ReportState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a report state")]
pub struct UnknownState(pub String);

impl FromStr for ReportState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

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

/// Metadata of one supporting file; the bytes live in the store's blob area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentMeta {
    pub id: i64,
    pub file_name: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// What triage added to a report: where it belongs and how urgent it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Triage {
    pub product: Option<ProductId>,
    pub duplicate_of: Option<Reference>,
    pub exploitability: Option<Exploitability>,
    pub priority_override: Option<PriorityOverride>,
}

/// An accepted report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: i64,
    pub reference: Reference,
    pub state: ReportState,
    pub needs_info: bool,
    pub created_at: OffsetDateTime,
    pub content: ReportDraft,
    pub attachments: Vec<AttachmentMeta>,
    pub triage: Triage,
    /// The address the report was sent from (IPv4, or an IPv6 /64), when known.
    pub received_from: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_names() {
        for state in ReportState::ALL {
            assert_eq!(state.as_str().parse::<ReportState>(), Ok(state));
        }
        assert!("closed".parse::<ReportState>().is_err());
    }

    #[test]
    fn open_and_closed_states() {
        let open: Vec<_> = ReportState::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .collect();
        assert_eq!(
            open,
            [
                ReportState::New,
                ReportState::Triaged,
                ReportState::Assigned
            ]
        );
    }
}
