//! Appeals (clause 5.5.2's outcomes are decisions, and decisions can be wrong): when a
//! report closes as informative, duplicate or not applicable, its finder may contest the
//! outcome once, with a reason. A staff member other than the one who closed it decides:
//! reopen the report (back to triaged), or confirm the outcome with a reason the finder
//! reads on the tracking page.

use std::fmt;

use time::OffsetDateTime;

use crate::report_state::ReportState;
use crate::staff::UserId;

/// The longest reason, the finder's or the decision's, in characters.
pub const MAX_REASON_CHARS: usize = 5_000;

/// The outcomes a finder may contest.
pub const APPEALABLE: [ReportState; 3] = [
    ReportState::Informative,
    ReportState::Duplicate,
    ReportState::NotApplicable,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealOutcome {
    /// The report goes back to triaged.
    Reopened,
    /// The outcome stands, with a reason the finder sees.
    Confirmed,
}

impl AppealOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AppealOutcome::Reopened => "reopened",
            AppealOutcome::Confirmed => "confirmed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "reopened" => Some(AppealOutcome::Reopened),
            "confirmed" => Some(AppealOutcome::Confirmed),
            _ => None,
        }
    }
}

/// A decision on an appeal, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: AppealOutcome,
    /// Required when the outcome is confirmed; the finder reads it.
    pub reason: Option<String>,
}

/// An appeal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appeal {
    pub filed_at: OffsetDateTime,
    pub reason: String,
    pub contested_state: ReportState,
    /// Who closed the report, who may not decide.
    pub closed_by: Option<UserId>,
    pub decided_at: Option<OffsetDateTime>,
    pub decided_by: Option<UserId>,
    pub decision: Option<Decision>,
}

impl Appeal {
    pub fn is_open(&self) -> bool {
        self.decision.is_none()
    }
}

/// Why an appeal, or a decision on one, is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppealRefusal {
    /// The report is open, remediated, or closed in another way.
    NotAppealable(ReportState),
    /// The finder has contested this report's outcome before.
    AlreadyAppealed,
    /// The reason is missing, too long, or holds control characters.
    BadReason(String),
    /// The appeal was decided already.
    AlreadyDecided,
    /// The person deciding closed the report.
    DecidedByCloser,
    /// No appeal is waiting.
    NoAppeal,
    /// Not "reopen" or "confirm".
    UnknownOutcome(String),
}

impl fmt::Display for AppealRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppealRefusal::NotAppealable(state) => write!(
                f,
                "Only an outcome of informative, duplicate or not applicable can be contested; \
                 this report is {}.",
                state.as_str()
            ),
            AppealRefusal::AlreadyAppealed => {
                f.write_str("This report's outcome has been contested once already.")
            }
            AppealRefusal::BadReason(message) => f.write_str(message),
            AppealRefusal::AlreadyDecided => f.write_str("This appeal has been decided already."),
            AppealRefusal::DecidedByCloser => f.write_str(
                "You closed this report, so someone else decides the appeal against it.",
            ),
            AppealRefusal::NoAppeal => f.write_str("No appeal is waiting for this report."),
            AppealRefusal::UnknownOutcome(given) => {
                write!(f, "'{given}' is not a decision; reopen or confirm.")
            }
        }
    }
}

/// Whether the finder may contest the outcome of a report in `state`, given the appeal
/// already filed, if any.
pub fn may_appeal(state: ReportState, existing: Option<&Appeal>) -> Result<(), AppealRefusal> {
    if existing.is_some() {
        return Err(AppealRefusal::AlreadyAppealed);
    }
    if !APPEALABLE.contains(&state) {
        return Err(AppealRefusal::NotAppealable(state));
    }
    Ok(())
}

/// A reason as typed: trimmed, not blank, within `MAX_REASON_CHARS`, no control
/// characters but line breaks and tabs.
pub fn parse_reason(text: &str) -> Result<String, AppealRefusal> {
    let text = text.replace("\r\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        return Err(AppealRefusal::BadReason("Give a reason.".to_owned()));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(AppealRefusal::BadReason(
            "The reason contains control characters; please remove them.".to_owned(),
        ));
    }
    let length = text.chars().count();
    if length > MAX_REASON_CHARS {
        return Err(AppealRefusal::BadReason(format!(
            "The reason is {length} characters long; the limit is {MAX_REASON_CHARS}."
        )));
    }
    Ok(text.to_owned())
}

/// Whether `decider` may decide `appeal` (their role is checked apart, by `access`).
pub fn may_decide(decider: UserId, appeal: Option<&Appeal>) -> Result<(), AppealRefusal> {
    let appeal = appeal.ok_or(AppealRefusal::NoAppeal)?;
    if !appeal.is_open() {
        return Err(AppealRefusal::AlreadyDecided);
    }
    if appeal.closed_by == Some(decider) {
        return Err(AppealRefusal::DecidedByCloser);
    }
    Ok(())
}

/// A decision as typed: `reopen` (a reason optional) or `confirm` (a reason required).
pub fn parse_decision(outcome: &str, reason: &str) -> Result<Decision, AppealRefusal> {
    let reason = Some(reason).filter(|text| !text.trim().is_empty());
    match outcome.trim() {
        "reopen" => Ok(Decision {
            outcome: AppealOutcome::Reopened,
            reason: reason.map(parse_reason).transpose()?,
        }),
        "confirm" => Ok(Decision {
            outcome: AppealOutcome::Confirmed,
            reason: Some(parse_reason(reason.unwrap_or_default()).map_err(
                |refusal| match refusal {
                    AppealRefusal::BadReason(message) if reason.is_none() => {
                        AppealRefusal::BadReason(format!(
                            "{message} The finder reads why the outcome stands."
                        ))
                    }
                    other => other,
                },
            )?),
        }),
        other => Err(AppealRefusal::UnknownOutcome(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn appeal(closed_by: Option<i64>, decided: bool) -> Appeal {
        Appeal {
            filed_at: datetime!(2026-05-01 10:00 UTC),
            reason: "It is exploitable".into(),
            contested_state: ReportState::Informative,
            closed_by: closed_by.map(UserId),
            decided_at: decided.then_some(datetime!(2026-05-02 10:00 UTC)),
            decided_by: decided.then_some(UserId(3)),
            decision: decided.then_some(Decision {
                outcome: AppealOutcome::Confirmed,
                reason: Some("Still not a vulnerability".into()),
            }),
        }
    }

    #[test]
    fn which_outcomes_may_be_contested_once() {
        let filed = appeal(Some(1), false);
        let cases = [
            (ReportState::Informative, None, Ok(())),
            (ReportState::Duplicate, None, Ok(())),
            (ReportState::NotApplicable, None, Ok(())),
            (
                ReportState::Remediated,
                None,
                Err(AppealRefusal::NotAppealable(ReportState::Remediated)),
            ),
            (
                ReportState::New,
                None,
                Err(AppealRefusal::NotAppealable(ReportState::New)),
            ),
            (
                ReportState::Triaged,
                None,
                Err(AppealRefusal::NotAppealable(ReportState::Triaged)),
            ),
            (
                ReportState::Assigned,
                None,
                Err(AppealRefusal::NotAppealable(ReportState::Assigned)),
            ),
            (
                ReportState::Informative,
                Some(&filed),
                Err(AppealRefusal::AlreadyAppealed),
            ),
            // Reopened after an appeal and closed again: still only once.
            (
                ReportState::NotApplicable,
                Some(&filed),
                Err(AppealRefusal::AlreadyAppealed),
            ),
        ];
        for (state, existing, expected) in cases {
            assert_eq!(
                may_appeal(state, existing),
                expected,
                "{state:?} {existing:?}"
            );
        }
    }

    #[test]
    fn who_may_decide() {
        let cases = [
            (2, Some(appeal(Some(1), false)), Ok(())),
            (
                1,
                Some(appeal(Some(1), false)),
                Err(AppealRefusal::DecidedByCloser),
            ),
            (1, Some(appeal(None, false)), Ok(())),
            (
                2,
                Some(appeal(Some(1), true)),
                Err(AppealRefusal::AlreadyDecided),
            ),
            (2, None, Err(AppealRefusal::NoAppeal)),
        ];
        for (decider, appeal, expected) in cases {
            assert_eq!(
                may_decide(UserId(decider), appeal.as_ref()),
                expected,
                "{decider} {appeal:?}"
            );
        }
    }

    #[test]
    fn decisions_and_reasons_as_typed() {
        let reopen = parse_decision("reopen", "  ").expect("no reason needed");
        assert_eq!(
            reopen,
            Decision {
                outcome: AppealOutcome::Reopened,
                reason: None
            }
        );
        let confirm = parse_decision("confirm", " Out of scope per the policy. ").expect("valid");
        assert_eq!(
            confirm.reason.as_deref(),
            Some("Out of scope per the policy.")
        );
        let refused = parse_decision("confirm", "").expect_err("reason required");
        assert!(
            refused.to_string().contains("The finder reads why"),
            "{refused}"
        );
        assert!(matches!(
            parse_decision("maybe", "x"),
            Err(AppealRefusal::UnknownOutcome(_))
        ));
        assert!(matches!(
            parse_reason("a\u{0}b"),
            Err(AppealRefusal::BadReason(_))
        ));
        assert!(matches!(
            parse_reason(&"x".repeat(MAX_REASON_CHARS + 1)),
            Err(AppealRefusal::BadReason(_))
        ));
        assert_eq!(
            parse_reason(" line one\r\nline two ").as_deref(),
            Ok("line one\nline two")
        );
    }
}
