//! The contact axis: whether a participant was reached and answered. It says nothing about
//! whether the participant is affected; that is the affectedness axis (`status`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// Added to the case; nothing sent yet.
    NotContacted,
    /// The invitation went out; no answer yet.
    Contacted,
    /// The participant answered.
    Acknowledged,
    /// The acknowledgement deadline passed without an answer.
    Unresponsive,
    /// The participant said it will not take part.
    Declined,
}

/// Who moves a participant on the contact axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactActor {
    /// The desk's staff, who may record anything they learned (a phone call, a letter).
    Coordinator,
    /// The participant, through its link: it may acknowledge or decline.
    Participant,
    /// The deadline job: a contacted participant whose deadline passed.
    Deadline,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactRefused {
    #[error("a participant can only acknowledge or decline through its link")]
    NotForParticipants,
    #[error("only a contacted participant becomes unresponsive when its deadline passes")]
    NotContacted,
    #[error("'{0}' is not a contact status (not_contacted, contacted, acknowledged, unresponsive, declined)")]
    Unknown(String),
}

impl ContactStatus {
    pub const ALL: [ContactStatus; 5] = [
        ContactStatus::NotContacted,
        ContactStatus::Contacted,
        ContactStatus::Acknowledged,
        ContactStatus::Unresponsive,
        ContactStatus::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::NotContacted => "not_contacted",
            ContactStatus::Contacted => "contacted",
            ContactStatus::Acknowledged => "acknowledged",
            ContactStatus::Unresponsive => "unresponsive",
            ContactStatus::Declined => "declined",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ContactStatus::NotContacted => "Not contacted",
            ContactStatus::Contacted => "Contacted, no answer yet",
            ContactStatus::Acknowledged => "Acknowledged",
            ContactStatus::Unresponsive => "Unresponsive",
            ContactStatus::Declined => "Declined to take part",
        }
    }

    /// The status after `actor` asks for `to`: `None` when nothing changes.
    pub fn next(
        self,
        to: ContactStatus,
        actor: ContactActor,
    ) -> Result<Option<ContactStatus>, ContactRefused> {
        match actor {
            ContactActor::Participant
                if !matches!(to, ContactStatus::Acknowledged | ContactStatus::Declined) =>
            {
                return Err(ContactRefused::NotForParticipants)
            }
            ContactActor::Deadline
                if to != ContactStatus::Unresponsive || self != ContactStatus::Contacted =>
            {
                return Err(ContactRefused::NotContacted)
            }
            _ => {}
        }
        Ok((self != to).then_some(to))
    }

    /// What any answer through the link (a status, a message) makes of the contact: an
    /// answer is an acknowledgement, unless the participant declined.
    pub fn after_answer(self) -> Option<ContactStatus> {
        match self {
            ContactStatus::NotContacted
            | ContactStatus::Contacted
            | ContactStatus::Unresponsive => Some(ContactStatus::Acknowledged),
            ContactStatus::Acknowledged | ContactStatus::Declined => None,
        }
    }

    /// The status as shown at `now`: a contacted participant past its acknowledgement
    /// deadline is unresponsive even before the deadline job has recorded it.
    pub fn shown(self, acknowledge_due: Option<OffsetDateTime>, now: OffsetDateTime) -> Self {
        match (self, acknowledge_due) {
            (ContactStatus::Contacted, Some(due)) if now >= due => ContactStatus::Unresponsive,
            (status, _) => status,
        }
    }
}

impl FromStr for ContactStatus {
    type Err = ContactRefused;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ContactStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| ContactRefused::Unknown(text.chars().take(40).collect()))
    }
}

impl fmt::Display for ContactStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::ContactActor::{Coordinator, Deadline, Participant};
    use super::ContactStatus::*;
    use super::*;

    #[test]
    fn who_may_move_the_contact_axis() {
        // (from, to, actor, outcome): Some(Some(x)) moves to x, Some(None) changes
        // nothing, None is refused.
        let table = [
            (
                Contacted,
                Acknowledged,
                Participant,
                Some(Some(Acknowledged)),
            ),
            (
                Unresponsive,
                Acknowledged,
                Participant,
                Some(Some(Acknowledged)),
            ),
            (Contacted, Declined, Participant, Some(Some(Declined))),
            (Acknowledged, Acknowledged, Participant, Some(None)),
            (Contacted, Unresponsive, Participant, None),
            (Contacted, NotContacted, Participant, None),
            (Contacted, Unresponsive, Deadline, Some(Some(Unresponsive))),
            (Acknowledged, Unresponsive, Deadline, None),
            (Declined, Unresponsive, Deadline, None),
            (NotContacted, Unresponsive, Deadline, None),
            (Contacted, Acknowledged, Deadline, None),
            (Unresponsive, Contacted, Coordinator, Some(Some(Contacted))),
            (
                Declined,
                Acknowledged,
                Coordinator,
                Some(Some(Acknowledged)),
            ),
            (
                NotContacted,
                Unresponsive,
                Coordinator,
                Some(Some(Unresponsive)),
            ),
        ];
        for (from, to, actor, outcome) in table {
            assert_eq!(
                from.next(to, actor).ok(),
                outcome,
                "{from} -> {to} by {actor:?}"
            );
        }
    }

    #[test]
    fn an_answer_acknowledges_unless_declined() {
        assert_eq!(Contacted.after_answer(), Some(Acknowledged));
        assert_eq!(Unresponsive.after_answer(), Some(Acknowledged));
        assert_eq!(NotContacted.after_answer(), Some(Acknowledged));
        assert_eq!(Acknowledged.after_answer(), None);
        assert_eq!(Declined.after_answer(), None);
    }

    #[test]
    fn past_the_deadline_silence_shows_as_unresponsive() {
        let due = datetime!(2027-01-08 00:00 UTC);
        assert_eq!(
            Contacted.shown(Some(due), datetime!(2027-01-07 23:59 UTC)),
            Contacted
        );
        assert_eq!(Contacted.shown(Some(due), due), Unresponsive);
        assert_eq!(
            Acknowledged.shown(Some(due), datetime!(2027-02-01 00:00 UTC)),
            Acknowledged
        );
        assert_eq!(
            Contacted.shown(None, datetime!(2030-01-01 00:00 UTC)),
            Contacted
        );
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for status in ContactStatus::ALL {
            assert_eq!(status.as_str().parse::<ContactStatus>(), Ok(status));
        }
        assert!("affected".parse::<ContactStatus>().is_err());
        assert!("Contacted".parse::<ContactStatus>().is_err());
    }
}
