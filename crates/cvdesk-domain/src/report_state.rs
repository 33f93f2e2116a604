//! Where a report stands: the states of the workflow, their names and which are open.
//! A module of its own so the rules that move reports (workflow) and the report itself
//! both depend on it and not on each other.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

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
