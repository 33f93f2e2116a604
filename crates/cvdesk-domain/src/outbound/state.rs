//! Where a case stands, and which moves the rules allow. Sending the inquiry (or recording
//! that it went through a web form or a phone call) reports the case; the vendor's answers
//! move it on; publishing is allowed once the fix shipped or a deadline was missed (see
//! `publication`). Every move is recorded in the case log with who and when.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Written, not yet sent to the vendor.
    Draft,
    /// The inquiry reached the vendor (or was attempted); the clocks run.
    Reported,
    /// The vendor answered.
    Acknowledged,
    /// The vendor confirmed the vulnerability.
    Verified,
    /// The vendor disputes it.
    Disputed,
    /// The vendor named a fix or a date for one.
    FixPlanned,
    /// The fix was released.
    Fixed,
    /// The write-up is public.
    Published,
    /// Nothing more will happen.
    Closed,
}

impl CaseState {
    pub const ALL: [CaseState; 9] = [
        CaseState::Draft,
        CaseState::Reported,
        CaseState::Acknowledged,
        CaseState::Verified,
        CaseState::Disputed,
        CaseState::FixPlanned,
        CaseState::Fixed,
        CaseState::Published,
        CaseState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Draft => "draft",
            CaseState::Reported => "reported",
            CaseState::Acknowledged => "acknowledged",
            CaseState::Verified => "verified",
            CaseState::Disputed => "disputed",
            CaseState::FixPlanned => "fix_planned",
            CaseState::Fixed => "fixed",
            CaseState::Published => "published",
            CaseState::Closed => "closed",
        }
    }

    /// What a person reads: "fix planned".
    pub fn label(self) -> &'static str {
        match self {
            CaseState::FixPlanned => "fix planned",
            other => other.as_str(),
        }
    }

    /// Whether the vendor is still expected to act: the deadlines' clocks run.
    pub fn is_open_with_vendor(self) -> bool {
        matches!(
            self,
            CaseState::Reported
                | CaseState::Acknowledged
                | CaseState::Verified
                | CaseState::Disputed
                | CaseState::FixPlanned
        )
    }

    /// Whether the vendor has confirmed the finding (the verification deadline is met).
    pub fn is_verified(self) -> bool {
        matches!(
            self,
            CaseState::Verified
                | CaseState::FixPlanned
                | CaseState::Fixed
                | CaseState::Published
                | CaseState::Closed
        )
    }

    /// The states a person may move a case to by hand. Reporting happens by sending or
    /// recording the inquiry and publishing through the publication, not by a move.
    pub fn manual_targets(self) -> &'static [CaseState] {
        use CaseState::*;
        match self {
            Draft => &[Closed],
            Reported => &[Acknowledged, Verified, Disputed, FixPlanned, Fixed, Closed],
            Acknowledged => &[Verified, Disputed, FixPlanned, Fixed, Closed],
            Verified => &[Disputed, FixPlanned, Fixed, Closed],
            Disputed => &[Verified, FixPlanned, Fixed, Closed],
            FixPlanned => &[Verified, Fixed, Closed],
            Fixed => &[Closed],
            Published => &[Closed],
            Closed => &[],
        }
    }
}

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    #[error("a {} case cannot be moved to {}", from.label(), to.label())]
    NotAllowed { from: CaseState, to: CaseState },
    #[error("'{0}' is not a case state (draft, reported, acknowledged, verified, disputed, fix_planned, fixed, published, closed)")]
    UnknownState(String),
}

/// A move by hand from `from` to `to`.
pub fn check_move(from: CaseState, to: CaseState) -> Result<(), MoveError> {
    if from.manual_targets().contains(&to) {
        Ok(())
    } else {
        Err(MoveError::NotAllowed { from, to })
    }
}

impl FromStr for CaseState {
    type Err = MoveError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaseState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| MoveError::UnknownState(s.chars().take(40).collect()))
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState::*;

    /// Every pair of states: `x` where a move by hand is allowed.
    const TABLE: [(CaseState, &str); 9] = [
        // to: draft reported acknowledged verified disputed fix_planned fixed published closed
        (Draft, "........x"),
        (Reported, "..xxxxx.x"),
        (Acknowledged, "...xxxx.x"),
        (Verified, "....xxx.x"),
        (Disputed, "...x.xx.x"),
        (FixPlanned, "...x..x.x"),
        (Fixed, "........x"),
        (Published, "........x"),
        (Closed, "........."),
    ];

    #[test]
    fn every_pair_of_states() {
        assert_eq!(TABLE.map(|(state, _)| state), CaseState::ALL);
        for (from, row) in TABLE {
            for (to, mark) in CaseState::ALL.into_iter().zip(row.bytes()) {
                assert_eq!(check_move(from, to).is_ok(), mark == b'x', "{from} -> {to}");
            }
        }
    }

    #[test]
    fn names_round_trip_and_unknown_ones_are_named() {
        for state in CaseState::ALL {
            assert_eq!(state.as_str().parse::<CaseState>(), Ok(state));
        }
        let error = "done".parse::<CaseState>().expect_err("unknown");
        assert!(error.to_string().contains("'done'"), "{error}");
        let refused = check_move(Draft, Fixed).expect_err("refused");
        assert_eq!(refused.to_string(), "a draft case cannot be moved to fixed");
    }
}
