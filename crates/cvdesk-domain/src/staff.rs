//! Who works in the desk: typed ids, roles, and the acting person as every rule sees them.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A staff account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct UserId(pub i64);

/// A team that owns products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TeamId(pub i64);

/// A product or asset in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProductId(pub i64);

/// What a staff account may do.
///
/// - `Admin`: everything, including accounts, settings, the audit log and reopening.
/// - `Triager`: every report, every triage action.
/// - `Member`: only reports of the products their teams own; works on them.
/// - `Viewer`: reads every report, changes nothing.
/// - `Publisher`: writes, schedules and publishes advisories and proposes credits; reads
///   every report (to draft advisories from them) and changes none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Triager,
    Member,
    Viewer,
    Publisher,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Triager,
        Role::Member,
        Role::Viewer,
        Role::Publisher,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Triager => "triager",
            Role::Member => "member",
            Role::Viewer => "viewer",
            Role::Publisher => "publisher",
        }
    }

    /// Refuses team memberships that would have no effect for this role, saying why,
    /// rather than accept them and leave the account seeing more than was asked. Only a
    /// member's reach depends on its teams; the other roles see every product's reports.
    pub fn check_products(self, products: &[String]) -> Result<(), String> {
        let who = match self {
            Role::Member => return Ok(()),
            Role::Admin => "an admin sees and manages every product",
            Role::Triager => "a triager sees and triages every product's reports",
            Role::Viewer => "a viewer reads every product's reports",
            Role::Publisher => "a publisher writes advisories for every product",
        };
        if products.is_empty() {
            return Ok(());
        }
        Err(format!(
            "products would change nothing for the {self} role: {who}; only a member is \
             limited to the products of its teams"
        ))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a role (expected admin, triager, member, viewer or publisher)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The person acting, as authorisation sees them: their role and the products their teams
/// own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
    pub products: BTreeSet<ProductId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_members_are_given_products() {
        let shop = vec!["Shop".to_owned()];
        for (role, with_products) in [
            (Role::Admin, false),
            (Role::Triager, false),
            (Role::Member, true),
            (Role::Viewer, false),
            (Role::Publisher, false),
        ] {
            assert_eq!(role.check_products(&shop).is_ok(), with_products, "{role}");
            assert!(role.check_products(&[]).is_ok(), "{role} without products");
        }
        let refused = Role::Triager.check_products(&shop).expect_err("refused");
        assert!(refused.contains("every product") && refused.contains("only a member"));
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
