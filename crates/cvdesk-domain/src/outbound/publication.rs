//! When a case may be published. The policy allows it once the vendor has released the
//! fix (clause 3), or when the vendor missed the verification or the announcement
//! deadline (clause 4), and then the write-up documents the communication as well.

use serde::Serialize;
use time::OffsetDateTime;

use super::deadlines::Deadlines;
use super::state::CaseState;

/// Why a case may be published now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishReason {
    Fixed,
    VerificationMissed,
    AnnouncementMissed,
}

impl PublishReason {
    /// Whether the policy has the write-up document the communication with the vendor.
    pub fn requires_communication_log(self) -> bool {
        self != PublishReason::Fixed
    }

    pub fn sentence(self) -> &'static str {
        match self {
            PublishReason::Fixed => "The vendor released a fix.",
            PublishReason::VerificationMissed => {
                "The vendor did not verify the vulnerability by the verification deadline."
            }
            PublishReason::AnnouncementMissed => "The announcement deadline passed without a fix.",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishRefusal {
    #[error("a {} case cannot be published", .0.label())]
    State(CaseState),
    #[error(
        "the vendor still has time: publish once the fix is released or a deadline \
         (verification {verification}, announcement {announcement}) has passed"
    )]
    TooEarly {
        verification: String,
        announcement: String,
    },
}

/// Whether a case in `state` with `deadlines` may be published at `now`, and why.
pub fn may_publish(
    state: CaseState,
    deadlines: &Deadlines,
    now: OffsetDateTime,
) -> Result<PublishReason, PublishRefusal> {
    if state == CaseState::Fixed {
        return Ok(PublishReason::Fixed);
    }
    if !state.is_open_with_vendor() {
        return Err(PublishRefusal::State(state));
    }
    if now >= deadlines.announcement_due {
        return Ok(PublishReason::AnnouncementMissed);
    }
    if !state.is_verified() && now >= deadlines.verification_due {
        return Ok(PublishReason::VerificationMissed);
    }
    Err(PublishRefusal::TooEarly {
        verification: super::inquiry::last_day(deadlines.verification_due),
        announcement: super::inquiry::last_day(deadlines.announcement_due),
    })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use time::Duration;

    use super::*;
    use crate::outbound::deadlines::{compute, DeadlineRules};
    use crate::sla::Calendar;

    #[test]
    fn published_when_fixed_or_a_deadline_is_missed() {
        let reported = datetime!(2026-03-02 10:00 UTC);
        let deadlines = compute(
            &Calendar::default(),
            &DeadlineRules::default(),
            reported,
            None,
            None,
        )
        .expect("due");
        let early = reported + Duration::days(1);
        assert_eq!(
            may_publish(CaseState::Fixed, &deadlines, early),
            Ok(PublishReason::Fixed)
        );
        assert!(matches!(
            may_publish(CaseState::Reported, &deadlines, early),
            Err(PublishRefusal::TooEarly { .. })
        ));
        let unverified = deadlines.verification_due + Duration::hours(1);
        assert_eq!(
            may_publish(CaseState::Acknowledged, &deadlines, unverified),
            Ok(PublishReason::VerificationMissed)
        );
        assert!(may_publish(CaseState::Verified, &deadlines, unverified).is_err());
        assert_eq!(
            may_publish(
                CaseState::FixPlanned,
                &deadlines,
                deadlines.announcement_due
            ),
            Ok(PublishReason::AnnouncementMissed)
        );
        for state in [CaseState::Draft, CaseState::Published, CaseState::Closed] {
            assert_eq!(
                may_publish(state, &deadlines, deadlines.announcement_due),
                Err(PublishRefusal::State(state))
            );
        }
        assert!(PublishReason::AnnouncementMissed.requires_communication_log());
        assert!(!PublishReason::Fixed.requires_communication_log());
    }
}
