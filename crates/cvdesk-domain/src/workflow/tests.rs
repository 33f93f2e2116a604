//! The state machine checked move by move, role by role.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::reference::ReferencePrefix;
use crate::staff::UserId;

const OWN: ProductId = ProductId(1);
const OTHER: ProductId = ProductId(2);

fn actor(role: Role) -> Actor {
    Actor {
        user_id: UserId(7),
        role,
        products: BTreeSet::from([OWN]),
    }
}

fn reference(sequence: u32) -> Reference {
    Reference::new(ReferencePrefix::default(), 2026, sequence)
}

/// A request that carries everything any move could need.
fn complete_request(to: ReportState) -> TransitionRequest {
    TransitionRequest {
        to,
        reason: Some("out of scope per policy".to_owned()),
        duplicate_of: (to == ReportState::Duplicate).then(|| reference(1)),
    }
}

/// Allowed moves per role for a report of the member's own product. Rows are the
/// current state, columns the target, both in `ReportState::ALL` order:
/// new, triaged, assigned, duplicate, remediated, informative, not_applicable.
const ADMIN: [&str; 7] = [
    ".Y.Y.YY", // new
    "..YY.YY", // triaged
    "...YYYY", // assigned
    ".Y.....", // duplicate
    ".Y.....", // remediated
    ".Y.....", // informative
    ".Y.....", // not_applicable
];
const TRIAGER: [&str; 7] = [
    ".Y.Y.YY", "..YY.YY", "...YYYY", ".......", ".......", ".......", ".......",
];
const MEMBER: [&str; 7] = [
    "...Y.YY", "...Y.YY", "...YYYY", ".......", ".......", ".......", ".......",
];
const NOTHING: [&str; 7] = [
    ".......", ".......", ".......", ".......", ".......", ".......", ".......",
];

fn expected(role: Role, product: Option<ProductId>, from: usize, to: usize) -> bool {
    let table = match (role, product) {
        (Role::Admin, _) => ADMIN,
        (Role::Triager, _) => TRIAGER,
        (Role::Member, Some(OWN)) => MEMBER,
        (Role::Member, _) | (Role::Viewer, _) | (Role::Publisher, _) => NOTHING,
    };
    let allowed = table[from].as_bytes()[to] == b'Y';
    let assigning = ReportState::ALL[to] == ReportState::Assigned;
    allowed && !(assigning && product.is_none())
}

#[test]
fn every_move_for_every_role_and_product() {
    let this = reference(2);
    let mut checked = 0;
    for role in Role::ALL {
        for product in [Some(OWN), Some(OTHER), None] {
            for (from_index, from) in ReportState::ALL.into_iter().enumerate() {
                let report = CurrentReport {
                    reference: &this,
                    state: from,
                    product,
                };
                let targets = allowed_targets(&actor(role), &report);
                for (to_index, to) in ReportState::ALL.into_iter().enumerate() {
                    let want = expected(role, product, from_index, to_index);
                    let got = plan_transition(&actor(role), &report, complete_request(to));
                    assert_eq!(
                        got.is_ok(),
                        want,
                        "{role} on {product:?}: {from} → {to} gave {got:?}"
                    );
                    assert_eq!(targets.contains(&to), want, "{role}: {from} → {to} button");
                    if let Err(refused) = got {
                        assert!(!refused.to_string().is_empty());
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, Role::ALL.len() * 3 * 7 * 7);
}

fn plan(
    role: Role,
    state: ReportState,
    request: TransitionRequest,
) -> Result<Transition, TransitionRefused> {
    let this = reference(2);
    let report = CurrentReport {
        reference: &this,
        state,
        product: Some(OWN),
    };
    plan_transition(&actor(role), &report, request)
}

fn message(role: Role, state: ReportState, request: TransitionRequest) -> String {
    match plan(role, state, request) {
        Ok(transition) => panic!("accepted: {transition:?}"),
        Err(refused) => refused.to_string(),
    }
}

fn bare(to: ReportState) -> TransitionRequest {
    TransitionRequest {
        to,
        reason: None,
        duplicate_of: None,
    }
}

#[test]
fn out_of_order_moves_say_what_comes_first() {
    use ReportState::*;
    let cases = [
        (
            New,
            Assigned,
            "a report must be triaged before it is assigned",
        ),
        (
            New,
            Remediated,
            "a report must be assigned before it is remediated",
        ),
        (
            Triaged,
            Remediated,
            "a report must be assigned before it is remediated",
        ),
        (Triaged, New, "a report cannot go back to new"),
        (Remediated, New, "a report cannot go back to new"),
        (
            Assigned,
            Triaged,
            "an assigned report cannot go back to triaged; remediate or close it",
        ),
        (
            Remediated,
            Assigned,
            "a closed report must be reopened before it is assigned",
        ),
        (
            Informative,
            Remediated,
            "a closed report must be reopened before it is remediated",
        ),
        (
            Duplicate,
            NotApplicable,
            "a closed report must be reopened before it is closed again",
        ),
        (Triaged, Triaged, "the report is already triaged"),
        (
            NotApplicable,
            NotApplicable,
            "the report is already closed as not applicable",
        ),
    ];
    for (from, to, want) in cases {
        assert_eq!(
            message(Role::Admin, from, complete_request(to)),
            want,
            "{from} → {to}"
        );
    }
}

#[test]
fn duplicates_name_another_report() {
    let missing = message(
        Role::Triager,
        ReportState::New,
        bare(ReportState::Duplicate),
    );
    assert_eq!(
        missing,
        "closing as a duplicate needs the original's reference"
    );

    let mut itself = bare(ReportState::Duplicate);
    itself.duplicate_of = Some(reference(2));
    let refused = message(Role::Triager, ReportState::Triaged, itself);
    assert_eq!(refused, "a report cannot be a duplicate of itself");

    let mut good = bare(ReportState::Duplicate);
    good.duplicate_of = Some(reference(1));
    let transition = plan(Role::Member, ReportState::Assigned, good).expect("accepted");
    assert_eq!(transition.duplicate_of, Some(reference(1)));
    assert_eq!(transition.reason, None);

    let mut stray = bare(ReportState::Informative);
    stray.reason = Some("useful hardening advice".to_owned());
    stray.duplicate_of = Some(reference(1));
    let refused = message(Role::Triager, ReportState::New, stray);
    assert_eq!(
        refused,
        "only a report closed as a duplicate names an original"
    );
}

#[test]
fn closing_without_remediation_and_reopening_need_a_reason() {
    let cases = [
        (
            ReportState::New,
            ReportState::Informative,
            Role::Triager,
            "give a reason for closing as informative",
        ),
        (
            ReportState::Triaged,
            ReportState::NotApplicable,
            Role::Member,
            "give a reason for closing as not applicable",
        ),
        (
            ReportState::Remediated,
            ReportState::Triaged,
            Role::Admin,
            "give a reason for reopening the report",
        ),
    ];
    for (from, to, role, want) in cases {
        for reason in [None, Some(String::new()), Some(" \n\t ".to_owned())] {
            let request = TransitionRequest {
                to,
                reason,
                duplicate_of: None,
            };
            assert_eq!(message(role, from, request), want);
        }
    }
}

#[test]
fn reasons_are_trimmed_and_limited() {
    let mut request = bare(ReportState::Informative);
    request.reason = Some("  known hardening gap \n".to_owned());
    let transition = plan(Role::Triager, ReportState::New, request).expect("accepted");
    assert_eq!(transition.reason.as_deref(), Some("known hardening gap"));
    assert_eq!(transition.from, ReportState::New);

    let mut longest = bare(ReportState::NotApplicable);
    longest.reason = Some("é".repeat(MAX_REASON_CHARS));
    assert!(plan(Role::Triager, ReportState::New, longest).is_ok());

    let mut too_long = bare(ReportState::NotApplicable);
    too_long.reason = Some("x".repeat(MAX_REASON_CHARS + 1));
    let refused = message(Role::Triager, ReportState::New, too_long);
    assert_eq!(refused, "the reason is longer than 2,000 characters");

    let mut optional = bare(ReportState::Triaged);
    optional.reason = Some("   ".to_owned());
    let transition = plan(Role::Triager, ReportState::New, optional).expect("accepted");
    assert_eq!(transition.reason, None);
}

#[test]
fn permission_messages() {
    use ReportState::*;
    assert_eq!(
        message(Role::Viewer, New, complete_request(Triaged)),
        "a viewer cannot change reports"
    );
    assert_eq!(
        message(Role::Triager, Duplicate, complete_request(Triaged)),
        "only an admin can reopen a closed report"
    );
    assert_eq!(
        message(Role::Member, Remediated, complete_request(Triaged)),
        "only an admin can reopen a closed report"
    );
    assert_eq!(
        message(Role::Member, New, complete_request(Triaged)),
        "only a triager or an admin can triage a report"
    );
    assert_eq!(
        message(Role::Member, Triaged, complete_request(Assigned)),
        "only a triager or an admin can assign a report"
    );

    let this = reference(2);
    let foreign = CurrentReport {
        reference: &this,
        state: Assigned,
        product: Some(OTHER),
    };
    let refused = plan_transition(&actor(Role::Member), &foreign, complete_request(Remediated));
    assert_eq!(refused, Err(TransitionRefused::NotYourProduct));
    assert_eq!(
        TransitionRefused::NotYourProduct.to_string(),
        "you can only change reports of your own products"
    );
}

#[test]
fn assigning_needs_a_product() {
    let this = reference(2);
    let unowned = CurrentReport {
        reference: &this,
        state: ReportState::Triaged,
        product: None,
    };
    let refused = plan_transition(&actor(Role::Admin), &unowned, bare(ReportState::Assigned));
    assert_eq!(
        refused.map_err(|refused| refused.to_string()),
        Err("assign the report to a product first".to_owned())
    );
}

#[test]
fn needs_info_flag() {
    let this = reference(2);
    for state in ReportState::ALL {
        for product in [Some(OWN), Some(OTHER), None] {
            let report = CurrentReport {
                reference: &this,
                state,
                product,
            };
            for role in Role::ALL {
                let want = state.is_open()
                    && match role {
                        Role::Admin | Role::Triager => true,
                        Role::Member => product == Some(OWN),
                        Role::Viewer | Role::Publisher => false,
                    };
                let got = may_flag_needs_info(&actor(role), &report);
                assert_eq!(got.is_ok(), want, "{role} {state} {product:?}");
            }
        }
    }
    let closed = CurrentReport {
        reference: &this,
        state: ReportState::Remediated,
        product: Some(OWN),
    };
    assert_eq!(
        may_flag_needs_info(&actor(Role::Admin), &closed).map_err(|e| e.to_string()),
        Err("only an open report can be marked as needing more information".to_owned())
    );
}

fn any_state() -> impl Strategy<Value = ReportState> {
    proptest::sample::select(ReportState::ALL.to_vec())
}

proptest! {
    #[test]
    fn accepted_moves_are_offered_and_recorded_as_asked(
        role in proptest::sample::select(Role::ALL.to_vec()),
        from in any_state(),
        to in any_state(),
        product in proptest::option::of(1i64..4),
        reason in proptest::option::of(".{0,40}"),
        original in proptest::option::of(1u32..4),
    ) {
        let this = reference(2);
        let report = CurrentReport { reference: &this, state: from, product: product.map(ProductId) };
        let request = TransitionRequest { to, reason, duplicate_of: original.map(reference) };
        let offered = allowed_targets(&actor(role), &report);
        match plan_transition(&actor(role), &report, request) {
            Ok(transition) => {
                prop_assert!(offered.contains(&to));
                prop_assert_eq!(transition.from, from);
                prop_assert_eq!(transition.to, to);
                prop_assert_ne!(from, to);
            }
            Err(refused) => prop_assert!(!refused.to_string().is_empty()),
        }
    }
}
