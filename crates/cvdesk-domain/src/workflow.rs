//! The report state machine (clause 5.5.2): which moves between states exist, who may make
//! each one and what a move must carry. The staff pages and the API both ask this module,
//! so a button is shown exactly when the API would accept the same request.
//!
//! Moves:
//!
//! | from              | to                            | the move must carry            |
//! |-------------------|-------------------------------|--------------------------------|
//! | new               | triaged                       |                                |
//! | triaged           | assigned                      | (the report must have a product) |
//! | assigned          | remediated                    |                                |
//! | any open state    | duplicate                     | the original's reference, not its own |
//! | any open state    | informative, not_applicable   | a reason                       |
//! | any closed state  | triaged (reopening)           | a reason                       |
//!
//! Nothing else: no move to the state a report is already in, no move back to `new`, no
//! skipping a step (`new` → `assigned`), and a closed report is reopened before anything
//! else happens to it. A reason is optional on the other moves; every reason is trimmed and
//! at most 2,000 characters.
//!
//! Who may make them ("own" means the report's product is one of the member's products; a
//! member never acts on a report of another product or of no product):
//!
//! | move                                  | admin | triager | member (own) | viewer |
//! |---------------------------------------|-------|---------|--------------|--------|
//! | triage: new → triaged                 | yes   | yes     | no           | no     |
//! | assign: triaged → assigned            | yes   | yes     | no           | no     |
//! | remediate: assigned → remediated      | yes   | yes     | yes          | no     |
//! | close: open → duplicate, informative, not_applicable | yes | yes | yes  | no     |
//! | reopen: closed → triaged              | yes   | no      | no           | no     |
//! | flag or clear "needs information" on an open report | yes | yes | yes  | no     |
//!
//! Whether the original of a duplicate exists is the caller's question: it needs the store.

use serde::Serialize;

use crate::limits::MAX_REASON_CHARS;
use crate::reference::Reference;
use crate::report_state::ReportState;
use crate::staff::{Actor, ProductId, Role};

/// What a person asked for: the target state and what the move carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRequest {
    pub to: ReportState,
    pub reason: Option<String>,
    pub duplicate_of: Option<Reference>,
}

/// The facts about a report the rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentReport<'a> {
    pub reference: &'a Reference,
    pub state: ReportState,
    pub product: Option<ProductId>,
}

/// An accepted move, ready for the store to record with who made it and when. The reason
/// is trimmed and absent when none was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub from: ReportState,
    pub to: ReportState,
    pub reason: Option<String>,
    pub duplicate_of: Option<Reference>,
}

/// Why a move was refused; the message is shown to the person as it is (the API answers
/// 409 with it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionRefused {
    #[error("a viewer cannot change reports")]
    ReadOnly,
    #[error("you can only change reports of your own products")]
    NotYourProduct,
    #[error("the report is already {}", state_words(*.0))]
    AlreadyInState(ReportState),
    #[error("{}", out_of_order(*from, *to))]
    OutOfOrder { from: ReportState, to: ReportState },
    #[error("only a triager or an admin can triage a report")]
    TriageNeedsTriager,
    #[error("only a triager or an admin can assign a report")]
    AssignNeedsTriager,
    #[error("only an admin can reopen a closed report")]
    ReopenNeedsAdmin,
    #[error("assign the report to a product first")]
    NoProduct,
    #[error("closing as a duplicate needs the original's reference")]
    DuplicateNeedsOriginal,
    #[error("a report cannot be a duplicate of itself")]
    DuplicateOfItself,
    #[error("only a report closed as a duplicate names an original")]
    OriginalWithoutDuplicate,
    #[error("give a reason for {}", reason_purpose(*.0))]
    ReasonRequired(ReportState),
    #[error("the reason is longer than 2,000 characters")]
    ReasonTooLong,
    #[error("only an open report can be marked as needing more information")]
    NeedsInfoOnClosed,
}

/// The kinds of move; each has its own permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Triage,
    Assign,
    Remediate,
    Close,
    Reopen,
}

/// Checks a requested move against every rule and returns what to record.
pub fn plan_transition(
    actor: &Actor,
    report: &CurrentReport,
    request: TransitionRequest,
) -> Result<Transition, TransitionRefused> {
    let to = request.to;
    let kind = check_move(actor, report, to)?;
    let reason = clean_reason(request.reason)?;
    let reason_needed =
        matches!(to, ReportState::Informative | ReportState::NotApplicable) || kind == Move::Reopen;
    if reason_needed && reason.is_none() {
        return Err(TransitionRefused::ReasonRequired(to));
    }
    let duplicate_of = match (to, request.duplicate_of) {
        (ReportState::Duplicate, None) => return Err(TransitionRefused::DuplicateNeedsOriginal),
        (ReportState::Duplicate, Some(original)) if original == *report.reference => {
            return Err(TransitionRefused::DuplicateOfItself)
        }
        (ReportState::Duplicate, Some(original)) => Some(original),
        (_, Some(_)) => return Err(TransitionRefused::OriginalWithoutDuplicate),
        (_, None) => None,
    };
    Ok(Transition {
        from: report.state,
        to,
        reason,
        duplicate_of,
    })
}

/// The states this actor may move the report to now, in state order: exactly the buttons
/// to show. What a move carries (a reason, the original's reference) is asked for by the
/// form, so it does not remove a target here; a missing product does.
pub fn allowed_targets(actor: &Actor, report: &CurrentReport) -> Vec<ReportState> {
    ReportState::ALL
        .into_iter()
        .filter(|&to| check_move(actor, report, to).is_ok())
        .collect()
}

/// Whether the actor may set or clear the "needs more information" flag on the report.
pub fn may_flag_needs_info(actor: &Actor, report: &CurrentReport) -> Result<(), TransitionRefused> {
    check_scope(actor, report)?;
    if !report.state.is_open() {
        return Err(TransitionRefused::NeedsInfoOnClosed);
    }
    Ok(())
}

/// Every rule that depends on the actor, the report and the target, but not on what the
/// request carries.
fn check_move(
    actor: &Actor,
    report: &CurrentReport,
    to: ReportState,
) -> Result<Move, TransitionRefused> {
    check_scope(actor, report)?;
    let kind = classify(report.state, to)?;
    check_role(actor.role, kind)?;
    if kind == Move::Assign && report.product.is_none() {
        return Err(TransitionRefused::NoProduct);
    }
    Ok(kind)
}

/// Rules that hold whatever the move: viewers and publishers only read reports, members
/// only touch their own products' reports.
fn check_scope(actor: &Actor, report: &CurrentReport) -> Result<(), TransitionRefused> {
    match actor.role {
        Role::Admin | Role::Triager => Ok(()),
        Role::Viewer | Role::Publisher => Err(TransitionRefused::ReadOnly),
        Role::Member => {
            let own = report
                .product
                .is_some_and(|product| actor.products.contains(&product));
            if own {
                Ok(())
            } else {
                Err(TransitionRefused::NotYourProduct)
            }
        }
    }
}

fn classify(from: ReportState, to: ReportState) -> Result<Move, TransitionRefused> {
    use ReportState::{Assigned, Duplicate, Informative, New, NotApplicable, Remediated, Triaged};
    if from == to {
        return Err(TransitionRefused::AlreadyInState(to));
    }
    match (from, to) {
        (New, Triaged) => Ok(Move::Triage),
        (Triaged, Assigned) => Ok(Move::Assign),
        (Assigned, Remediated) => Ok(Move::Remediate),
        (_, Duplicate | Informative | NotApplicable) if from.is_open() => Ok(Move::Close),
        (_, Triaged) if !from.is_open() => Ok(Move::Reopen),
        _ => Err(TransitionRefused::OutOfOrder { from, to }),
    }
}

fn check_role(role: Role, kind: Move) -> Result<(), TransitionRefused> {
    match (role, kind) {
        (Role::Viewer | Role::Publisher, _) => Err(TransitionRefused::ReadOnly),
        (Role::Admin, _) => Ok(()),
        (_, Move::Reopen) => Err(TransitionRefused::ReopenNeedsAdmin),
        (Role::Triager, _) => Ok(()),
        (Role::Member, Move::Triage) => Err(TransitionRefused::TriageNeedsTriager),
        (Role::Member, Move::Assign) => Err(TransitionRefused::AssignNeedsTriager),
        (Role::Member, Move::Remediate | Move::Close) => Ok(()),
    }
}

fn clean_reason(reason: Option<String>) -> Result<Option<String>, TransitionRefused> {
    let Some(reason) = reason else {
        return Ok(None);
    };
    let trimmed = reason.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > MAX_REASON_CHARS {
        return Err(TransitionRefused::ReasonTooLong);
    }
    Ok(Some(trimmed.to_owned()))
}

/// How a state reads after "the report is already".
fn state_words(state: ReportState) -> &'static str {
    match state {
        ReportState::New => "new",
        ReportState::Triaged => "triaged",
        ReportState::Assigned => "assigned",
        ReportState::Duplicate => "closed as a duplicate",
        ReportState::Remediated => "remediated",
        ReportState::Informative => "closed as informative",
        ReportState::NotApplicable => "closed as not applicable",
    }
}

/// How a reason's purpose reads after "give a reason for".
fn reason_purpose(to: ReportState) -> &'static str {
    match to {
        ReportState::Informative => "closing as informative",
        ReportState::NotApplicable => "closing as not applicable",
        _ => "reopening the report",
    }
}

/// Says what must happen first; only reached for pairs `classify` refuses.
fn out_of_order(from: ReportState, to: ReportState) -> &'static str {
    match (from, to) {
        (_, ReportState::New) => "a report cannot go back to new",
        (ReportState::New, ReportState::Assigned) => {
            "a report must be triaged before it is assigned"
        }
        (_, ReportState::Remediated) if from.is_open() => {
            "a report must be assigned before it is remediated"
        }
        (ReportState::Assigned, ReportState::Triaged) => {
            "an assigned report cannot go back to triaged; remediate or close it"
        }
        (_, ReportState::Assigned) => "a closed report must be reopened before it is assigned",
        (_, ReportState::Remediated) => "a closed report must be reopened before it is remediated",
        _ => "a closed report must be reopened before it is closed again",
    }
}

#[cfg(test)]
mod tests;
