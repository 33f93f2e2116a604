//! Authorisation: whether a staff account may take an action, decided in one place so every
//! page and API route answers the same way.
//!
//! | action                                   | admin | triager | member          | viewer | publisher |
//! |------------------------------------------|-------|---------|-----------------|--------|-----------|
//! | view report, export report               | yes   | yes     | own: yes, else hidden | yes | yes |
//! | change report, internal note, message finder | yes | yes   | own: yes, else hidden | forbidden | forbidden |
//! | view queue                               | yes   | yes     | yes (own products only) | yes | yes |
//! | manage products, users, settings; view audit log | yes | forbidden | forbidden | forbidden | forbidden |
//! | purge a report closed as spam            | yes   | forbidden | own: forbidden, else hidden | forbidden | forbidden |
//! | view advisory (drafts included)          | yes   | yes     | own: yes, else hidden | yes | yes |
//! | write, schedule, publish, withdraw advisory; propose credits | yes | forbidden | own: forbidden, else hidden | forbidden | yes |
//!
//! "Own" means the report's product is one of the member's products (for an advisory: one
//! of the inventory products it names); a report with no product yet belongs to nobody's
//! team. Forbidden (403) is for an actor who may know the
//! thing exists; hidden (404) is for a member looking at another team's report, who must not
//! learn that it exists. Which state moves a permitted change may make is the workflow's
//! business.

use std::collections::BTreeSet;

use crate::staff::{Actor, ProductId, Role};

/// Something a staff account wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffAction {
    ViewReport,
    ChangeReport,
    AddInternalNote,
    MessageFinder,
    ExportReport,
    ManageProducts,
    ManageUsers,
    ManageSettings,
    ViewAuditLog,
    ViewQueue,
    ViewAdvisory,
    WriteAdvisory,
    /// Delete a report closed as spam, with its files.
    PurgeReport,
}

impl StaffAction {
    pub const ALL: [StaffAction; 13] = [
        StaffAction::ViewReport,
        StaffAction::ChangeReport,
        StaffAction::AddInternalNote,
        StaffAction::MessageFinder,
        StaffAction::ExportReport,
        StaffAction::ManageProducts,
        StaffAction::ManageUsers,
        StaffAction::ManageSettings,
        StaffAction::ViewAuditLog,
        StaffAction::ViewQueue,
        StaffAction::ViewAdvisory,
        StaffAction::WriteAdvisory,
        StaffAction::PurgeReport,
    ];

    /// The name the audit log records.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffAction::ViewReport => "view_report",
            StaffAction::ChangeReport => "change_report",
            StaffAction::AddInternalNote => "add_internal_note",
            StaffAction::MessageFinder => "message_finder",
            StaffAction::ExportReport => "export_report",
            StaffAction::ManageProducts => "manage_products",
            StaffAction::ManageUsers => "manage_users",
            StaffAction::ManageSettings => "manage_settings",
            StaffAction::ViewAuditLog => "view_audit_log",
            StaffAction::ViewQueue => "view_queue",
            StaffAction::ViewAdvisory => "view_advisory",
            StaffAction::WriteAdvisory => "write_advisory",
            StaffAction::PurgeReport => "purge_report",
        }
    }

    /// Whether the action is about one report, so the report's product matters.
    pub fn concerns_a_report(self) -> bool {
        matches!(
            self,
            StaffAction::ViewReport
                | StaffAction::ChangeReport
                | StaffAction::AddInternalNote
                | StaffAction::MessageFinder
                | StaffAction::ExportReport
                | StaffAction::PurgeReport
        )
    }

    /// Whether the action is about one advisory, so the products it names matter.
    pub fn concerns_an_advisory(self) -> bool {
        matches!(self, StaffAction::ViewAdvisory | StaffAction::WriteAdvisory)
    }

    /// Whether the action only reads.
    pub fn is_read_only(self) -> bool {
        matches!(
            self,
            StaffAction::ViewReport
                | StaffAction::ExportReport
                | StaffAction::ViewQueue
                | StaffAction::ViewAdvisory
        )
    }

    fn is_administration(self) -> bool {
        matches!(
            self,
            StaffAction::ManageProducts
                | StaffAction::ManageUsers
                | StaffAction::ManageSettings
                | StaffAction::ViewAuditLog
                | StaffAction::PurgeReport
        )
    }
}

/// The answer to "may this actor do that?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    Allowed,
    /// Answer 403: the actor may know the thing exists but may not do this.
    Forbidden,
    /// Answer 404: the actor may not even learn that the thing exists.
    Hidden,
}

impl Access {
    pub fn is_allowed(self) -> bool {
        self == Access::Allowed
    }
}

/// Decides one action. `report_product` is the product of the report the action concerns
/// and is ignored for actions that concern no report.
pub fn check(actor: &Actor, action: StaffAction, report_product: Option<ProductId>) -> Access {
    // Hiding comes before forbidding: a member is told nothing about other teams' reports,
    // not even that writing to them is forbidden.
    if actor.role != Role::Admin
        && action.concerns_a_report()
        && !visible_products(actor).contains(report_product)
    {
        return Access::Hidden;
    }
    check_role(actor, action)
}

/// Decides an action on an advisory that names the inventory `products`: a member sees it
/// when it names one of their products, and is told nothing of the others.
pub fn check_advisory(
    actor: &Actor,
    action: StaffAction,
    products: &BTreeSet<ProductId>,
) -> Access {
    let scope = visible_products(actor);
    let named = |product: &ProductId| scope.contains(Some(*product));
    if action.concerns_an_advisory() && scope != ProductScope::All && !products.iter().any(named) {
        return Access::Hidden;
    }
    check_role(actor, action)
}

/// Decides an action as far as the role alone decides it, before any report is known (a
/// request about many reports): `Forbidden` when no report could be allowed, otherwise
/// `Allowed`, and each report is then checked with [`check`].
pub fn check_role(actor: &Actor, action: StaffAction) -> Access {
    match actor.role {
        Role::Admin => Access::Allowed,
        _ if action.is_administration() => Access::Forbidden,
        Role::Publisher if action == StaffAction::WriteAdvisory => Access::Allowed,
        _ if action == StaffAction::WriteAdvisory => Access::Forbidden,
        Role::Viewer | Role::Publisher if !action.is_read_only() => Access::Forbidden,
        _ => Access::Allowed,
    }
}

/// Which reports an actor may see in queues, searches and counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductScope {
    All,
    Only(BTreeSet<ProductId>),
}

impl ProductScope {
    /// Whether a report of this product (or of no product) is in scope.
    pub fn contains(&self, product: Option<ProductId>) -> bool {
        match self {
            ProductScope::All => true,
            ProductScope::Only(products) => product.is_some_and(|p| products.contains(&p)),
        }
    }
}

/// The filter to apply to the queue for this actor.
pub fn visible_products(actor: &Actor) -> ProductScope {
    match actor.role {
        Role::Admin | Role::Triager | Role::Viewer | Role::Publisher => ProductScope::All,
        Role::Member => ProductScope::Only(actor.products.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staff::UserId;

    const OWN: ProductId = ProductId(1);
    const OTHER: ProductId = ProductId(2);

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: UserId(3),
            role,
            products: BTreeSet::from([OWN]),
        }
    }

    /// One row per action; per role, the answer for a report (or an advisory) of the
    /// actor's own product, of another product, and of no product: A allowed, F forbidden,
    /// H hidden.
    const TABLE: [(StaffAction, [&str; 5]); 13] = [
        // action, [admin, triager, member, viewer, publisher]
        (StaffAction::ViewReport, ["AAA", "AAA", "AHH", "AAA", "AAA"]),
        (
            StaffAction::ChangeReport,
            ["AAA", "AAA", "AHH", "FFF", "FFF"],
        ),
        (
            StaffAction::AddInternalNote,
            ["AAA", "AAA", "AHH", "FFF", "FFF"],
        ),
        (
            StaffAction::MessageFinder,
            ["AAA", "AAA", "AHH", "FFF", "FFF"],
        ),
        (
            StaffAction::ExportReport,
            ["AAA", "AAA", "AHH", "AAA", "AAA"],
        ),
        (
            StaffAction::ManageProducts,
            ["AAA", "FFF", "FFF", "FFF", "FFF"],
        ),
        (
            StaffAction::ManageUsers,
            ["AAA", "FFF", "FFF", "FFF", "FFF"],
        ),
        (
            StaffAction::ManageSettings,
            ["AAA", "FFF", "FFF", "FFF", "FFF"],
        ),
        (
            StaffAction::ViewAuditLog,
            ["AAA", "FFF", "FFF", "FFF", "FFF"],
        ),
        (StaffAction::ViewQueue, ["AAA", "AAA", "AAA", "AAA", "AAA"]),
        (
            StaffAction::ViewAdvisory,
            ["AAA", "AAA", "AHH", "AAA", "AAA"],
        ),
        (
            StaffAction::WriteAdvisory,
            ["AAA", "FFF", "FHH", "FFF", "AAA"],
        ),
        (
            StaffAction::PurgeReport,
            ["AAA", "FFF", "FHH", "FFF", "FFF"],
        ),
    ];

    /// The rule an action is decided by: per report, or per advisory with the products
    /// it names.
    fn decide(role: Role, action: StaffAction, product: Option<ProductId>) -> Access {
        if action.concerns_an_advisory() {
            check_advisory(&actor(role), action, &product.into_iter().collect())
        } else {
            check(&actor(role), action, product)
        }
    }

    fn decode(letter: u8) -> Access {
        match letter {
            b'A' => Access::Allowed,
            b'F' => Access::Forbidden,
            _ => Access::Hidden,
        }
    }

    #[test]
    fn every_role_action_and_product() {
        assert_eq!(
            TABLE.map(|(action, _)| action),
            StaffAction::ALL,
            "the table lists every action"
        );
        let mut checked = 0;
        for (action, per_role) in TABLE {
            for (role, answers) in Role::ALL.into_iter().zip(per_role) {
                let products = [Some(OWN), Some(OTHER), None];
                for (product, &letter) in products.into_iter().zip(answers.as_bytes()) {
                    assert_eq!(
                        decide(role, action, product),
                        decode(letter),
                        "{role} {} on {product:?}",
                        action.as_str()
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 13 * 5 * 3);
    }

    #[test]
    fn the_role_check_allows_what_some_report_would_allow() {
        for role in Role::ALL {
            for action in StaffAction::ALL {
                let some_report_allowed = [Some(OWN), Some(OTHER), None]
                    .into_iter()
                    .any(|product| decide(role, action, product).is_allowed());
                let by_role = check_role(&actor(role), action);
                assert_ne!(by_role, Access::Hidden, "{role} {}", action.as_str());
                assert_eq!(
                    by_role.is_allowed(),
                    some_report_allowed,
                    "{role} {}",
                    action.as_str()
                );
            }
        }
    }

    #[test]
    fn a_member_of_no_team_sees_no_report() {
        let lonely = Actor {
            user_id: UserId(4),
            role: Role::Member,
            products: BTreeSet::new(),
        };
        assert_eq!(
            visible_products(&lonely),
            ProductScope::Only(BTreeSet::new())
        );
        assert_eq!(
            check(&lonely, StaffAction::ViewReport, Some(OWN)),
            Access::Hidden
        );
        assert_eq!(
            check(&lonely, StaffAction::ViewQueue, None),
            Access::Allowed
        );
    }

    #[test]
    fn queue_scope_per_role() {
        for role in [Role::Admin, Role::Triager, Role::Viewer, Role::Publisher] {
            assert_eq!(visible_products(&actor(role)), ProductScope::All);
        }
        let scope = visible_products(&actor(Role::Member));
        assert_eq!(scope, ProductScope::Only(BTreeSet::from([OWN])));
        assert!(scope.contains(Some(OWN)));
        assert!(!scope.contains(Some(OTHER)));
        assert!(!scope.contains(None));
        assert!(ProductScope::All.contains(None));
    }

    #[test]
    fn scope_and_check_agree_on_viewing() {
        for role in Role::ALL {
            let scope = visible_products(&actor(role));
            for product in [Some(OWN), Some(OTHER), None] {
                assert_eq!(
                    scope.contains(product),
                    check(&actor(role), StaffAction::ViewReport, product).is_allowed(),
                    "{role} {product:?}"
                );
            }
        }
    }

    #[test]
    fn a_member_sees_an_advisory_that_names_one_of_their_products() {
        let member = actor(Role::Member);
        let both = BTreeSet::from([OTHER, OWN]);
        assert_eq!(
            check_advisory(&member, StaffAction::ViewAdvisory, &both),
            Access::Allowed
        );
        assert_eq!(
            check_advisory(&member, StaffAction::WriteAdvisory, &both),
            Access::Forbidden
        );
        let publisher = actor(Role::Publisher);
        assert_eq!(
            check_advisory(&publisher, StaffAction::WriteAdvisory, &BTreeSet::new()),
            Access::Allowed
        );
    }

    #[test]
    fn action_names_are_distinct() {
        let names: BTreeSet<_> = StaffAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), StaffAction::ALL.len());
    }
}

/// Something a staff account wants to do with outbound disclosure (vendors and cases
/// against them), which concerns no report of the organization's products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboundAction {
    /// Read vendors and cases.
    View,
    /// Add or change vendors, write, send, record and publish cases.
    Change,
}

/// Decides an outbound action. Disclosing to other parties is the security team's work:
/// admins and triagers do it, viewers read it, and product teams' members are refused
/// (they may know the directory exists, so 403 rather than 404), as is any other role.
pub fn check_outbound(actor: &Actor, action: OutboundAction) -> Access {
    match (actor.role, action) {
        (Role::Admin | Role::Triager, _) => Access::Allowed,
        (Role::Viewer, OutboundAction::View) => Access::Allowed,
        _ => Access::Forbidden,
    }
}

#[cfg(test)]
mod outbound_tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::staff::UserId;

    #[test]
    fn outbound_per_role() {
        // [admin, triager, member, viewer] for view, change.
        let expected = [
            ("AAFA", OutboundAction::View),
            ("AAFF", OutboundAction::Change),
        ];
        for (row, action) in expected {
            let roles = [Role::Admin, Role::Triager, Role::Member, Role::Viewer];
            for (role, letter) in roles.into_iter().zip(row.bytes()) {
                let actor = Actor {
                    user_id: UserId(1),
                    role,
                    products: BTreeSet::new(),
                };
                let answer = check_outbound(&actor, action);
                let wanted = if letter == b'A' {
                    Access::Allowed
                } else {
                    Access::Forbidden
                };
                assert_eq!(answer, wanted, "{role} {action:?}");
            }
        }
    }
}
