//! An advisory's life: draft → scheduled → published → revised (any number of times) →
//! withdrawn. A draft may also be published at once, a schedule called off, and a
//! published advisory withdrawn; nothing comes back from withdrawn, because consumers may
//! already have acted on the withdrawal.

use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdvisoryState {
    Draft,
    /// Waiting to be published at a set instant.
    Scheduled,
    /// Public, first revision.
    Published,
    /// Public, with at least one revision after the first.
    Revised,
    Withdrawn,
}

/// What staff (or the scheduled-publication job) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdvisoryAction {
    Schedule,
    Unschedule,
    Publish,
    Revise,
    Withdraw,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a {from} advisory cannot be {action}")]
    Refused {
        from: &'static str,
        action: &'static str,
    },
    #[error("publication must be scheduled for a time in the future")]
    ScheduleInPast,
}

impl AdvisoryState {
    pub fn as_str(self) -> &'static str {
        match self {
            AdvisoryState::Draft => "draft",
            AdvisoryState::Scheduled => "scheduled",
            AdvisoryState::Published => "published",
            AdvisoryState::Revised => "revised",
            AdvisoryState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<AdvisoryState> {
        [
            AdvisoryState::Draft,
            AdvisoryState::Scheduled,
            AdvisoryState::Published,
            AdvisoryState::Revised,
            AdvisoryState::Withdrawn,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }

    /// Whether the public can see the advisory (a withdrawn one stays visible, marked as
    /// withdrawn, so that nobody keeps relying on it unknowingly).
    pub fn is_public(self) -> bool {
        matches!(
            self,
            AdvisoryState::Published | AdvisoryState::Revised | AdvisoryState::Withdrawn
        )
    }

    /// Whether the content may still be edited in place. Once published, every change is
    /// a new revision.
    pub fn is_editable(self) -> bool {
        matches!(self, AdvisoryState::Draft | AdvisoryState::Scheduled)
    }

    /// The state after `action`, or why the rules refuse it.
    pub fn apply(self, action: AdvisoryAction) -> Result<AdvisoryState, TransitionError> {
        use AdvisoryAction as A;
        use AdvisoryState as S;
        match (self, action) {
            (S::Draft, A::Schedule) => Ok(S::Scheduled),
            (S::Scheduled, A::Unschedule) => Ok(S::Draft),
            (S::Draft | S::Scheduled, A::Publish) => Ok(S::Published),
            (S::Published | S::Revised, A::Revise) => Ok(S::Revised),
            (S::Published | S::Revised, A::Withdraw) => Ok(S::Withdrawn),
            (from, action) => Err(TransitionError::Refused {
                from: from.as_str(),
                action: action.past_participle(),
            }),
        }
    }

    /// Schedules publication for `at`, which must lie after `now`.
    pub fn schedule(
        self,
        at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<AdvisoryState, TransitionError> {
        let next = self.apply(AdvisoryAction::Schedule)?;
        if at <= now {
            return Err(TransitionError::ScheduleInPast);
        }
        Ok(next)
    }
}

impl std::fmt::Display for AdvisoryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AdvisoryAction {
    fn past_participle(self) -> &'static str {
        match self {
            AdvisoryAction::Schedule => "scheduled",
            AdvisoryAction::Unschedule => "unscheduled",
            AdvisoryAction::Publish => "published",
            AdvisoryAction::Revise => "revised",
            AdvisoryAction::Withdraw => "withdrawn",
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const STATES: [AdvisoryState; 5] = [
        AdvisoryState::Draft,
        AdvisoryState::Scheduled,
        AdvisoryState::Published,
        AdvisoryState::Revised,
        AdvisoryState::Withdrawn,
    ];
    const ACTIONS: [AdvisoryAction; 5] = [
        AdvisoryAction::Schedule,
        AdvisoryAction::Unschedule,
        AdvisoryAction::Publish,
        AdvisoryAction::Revise,
        AdvisoryAction::Withdraw,
    ];

    /// Every state against every action: the one table of what is allowed.
    #[test]
    fn transition_table() {
        use AdvisoryAction as A;
        use AdvisoryState as S;
        let allowed = [
            (S::Draft, A::Schedule, S::Scheduled),
            (S::Draft, A::Publish, S::Published),
            (S::Scheduled, A::Unschedule, S::Draft),
            (S::Scheduled, A::Publish, S::Published),
            (S::Published, A::Revise, S::Revised),
            (S::Published, A::Withdraw, S::Withdrawn),
            (S::Revised, A::Revise, S::Revised),
            (S::Revised, A::Withdraw, S::Withdrawn),
        ];
        for from in STATES {
            for action in ACTIONS {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match (from.apply(action), expected) {
                    (Ok(to), Some(expected)) => assert_eq!(to, expected, "{from:?} {action:?}"),
                    (Err(TransitionError::Refused { .. }), None) => {}
                    (got, expected) => {
                        panic!("{from:?} {action:?}: {got:?}, expected {expected:?}")
                    }
                }
            }
        }
    }

    #[test]
    fn states_round_trip() {
        for state in STATES {
            assert_eq!(AdvisoryState::parse(state.as_str()), Some(state));
        }
        assert_eq!(AdvisoryState::parse("Draft"), None);
    }

    #[test]
    fn refusals_say_what_was_asked() {
        let error = AdvisoryState::Draft
            .apply(AdvisoryAction::Withdraw)
            .expect_err("refused");
        assert_eq!(error.to_string(), "a draft advisory cannot be withdrawn");
    }

    #[test]
    fn schedules_only_in_the_future() {
        let now = datetime!(2026-11-01 10:00 UTC);
        assert_eq!(
            AdvisoryState::Draft.schedule(datetime!(2026-11-02 10:00 UTC), now),
            Ok(AdvisoryState::Scheduled)
        );
        assert_eq!(
            AdvisoryState::Draft.schedule(now, now),
            Err(TransitionError::ScheduleInPast)
        );
        assert!(AdvisoryState::Published
            .schedule(datetime!(2026-11-02 10:00 UTC), now)
            .is_err());
    }

    #[test]
    fn visibility_and_editing() {
        let public: Vec<_> = STATES.into_iter().filter(|s| s.is_public()).collect();
        assert_eq!(
            public,
            [
                AdvisoryState::Published,
                AdvisoryState::Revised,
                AdvisoryState::Withdrawn
            ]
        );
        let editable: Vec<_> = STATES.into_iter().filter(|s| s.is_editable()).collect();
        assert_eq!(editable, [AdvisoryState::Draft, AdvisoryState::Scheduled]);
    }
}
