//! The coordination log: every change of a coordination, in order, with who made it. The
//! coordinator's page shows it; embargo changes in it are also mailed to participants.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    ParticipantAdded,
    /// A move on the contact axis.
    Contact,
    /// A participant stated a product's status.
    Status,
    /// The coordinator approved a status for publication.
    StatusApproved,
    EmbargoSet,
    EmbargoProposed,
    EmbargoProposalDeclined,
    Nominated,
    NominationDeclined,
    /// A deadline reminder went out.
    Reminder,
    /// An advisory about the report was published or scheduled before the embargo ends,
    /// with the reason a publisher gave.
    EmbargoOverridden,
}

impl LogKind {
    pub const ALL: [LogKind; 11] = [
        LogKind::ParticipantAdded,
        LogKind::Contact,
        LogKind::Status,
        LogKind::StatusApproved,
        LogKind::EmbargoSet,
        LogKind::EmbargoProposed,
        LogKind::EmbargoProposalDeclined,
        LogKind::Nominated,
        LogKind::NominationDeclined,
        LogKind::Reminder,
        LogKind::EmbargoOverridden,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::ParticipantAdded => "participant_added",
            LogKind::Contact => "contact",
            LogKind::Status => "status",
            LogKind::StatusApproved => "status_approved",
            LogKind::EmbargoSet => "embargo_set",
            LogKind::EmbargoProposed => "embargo_proposed",
            LogKind::EmbargoProposalDeclined => "embargo_proposal_declined",
            LogKind::Nominated => "nominated",
            LogKind::NominationDeclined => "nomination_declined",
            LogKind::Reminder => "reminder",
            LogKind::EmbargoOverridden => "embargo_overridden",
        }
    }
}

impl FromStr for LogKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        LogKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| format!("'{text}' is not a coordination log kind"))
    }
}

impl fmt::Display for LogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in LogKind::ALL {
            assert_eq!(kind.as_str().parse::<LogKind>(), Ok(kind));
        }
        assert!("message".parse::<LogKind>().is_err());
    }
}
