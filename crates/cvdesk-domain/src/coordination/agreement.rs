//! A supplier's service agreement (ETSI clause 5.6.2): for a system a third party manages,
//! who covers the cost of mitigation and in what time frame it is applied. The supplier's
//! deadlines in a coordination default from it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::outbound::form::{text, FormErrors};

/// Longest mitigation time frame an agreement may name, in calendar days (two years).
pub const MAX_MITIGATION_DAYS: u32 = 730;
/// Longest acknowledgement time, in business days.
pub const MAX_ACKNOWLEDGE_DAYS: u32 = 60;
/// Longest reference to the contract.
pub const REFERENCE_MAX_CHARS: usize = 200;

/// Who pays for the mitigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostBearer {
    Supplier,
    /// The desk's own organization.
    Organization,
    Shared,
}

impl CostBearer {
    pub const ALL: [CostBearer; 3] = [
        CostBearer::Supplier,
        CostBearer::Organization,
        CostBearer::Shared,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CostBearer::Supplier => "supplier",
            CostBearer::Organization => "organization",
            CostBearer::Shared => "shared",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CostBearer::Supplier => "The supplier",
            CostBearer::Organization => "Our organization",
            CostBearer::Shared => "Shared between us",
        }
    }
}

impl FromStr for CostBearer {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        CostBearer::ALL
            .into_iter()
            .find(|bearer| bearer.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "'{}' is not who covers the cost (supplier, organization, shared)",
                    text.chars().take(40).collect::<String>()
                )
            })
    }
}

impl fmt::Display for CostBearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The agreement as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgreementInput {
    pub cost_bearer: Option<String>,
    pub mitigation_days: Option<u32>,
    pub acknowledge_business_days: Option<u32>,
    /// The contract or clause that says so.
    pub reference: Option<String>,
}

/// A checked service agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceAgreement {
    pub cost_bearer: CostBearer,
    /// Calendar days from notification to the mitigation in place.
    pub mitigation_days: u32,
    /// Business days to acknowledge; the desk's default when not agreed.
    pub acknowledge_business_days: Option<u32>,
    pub reference: Option<String>,
}

impl ServiceAgreement {
    pub fn parse(input: &AgreementInput) -> Result<ServiceAgreement, FormErrors> {
        let mut errors = FormErrors::default();
        let cost_bearer = match input.cost_bearer.as_deref().map(str::trim) {
            None | Some("") => {
                errors.add("cost_bearer", "required: who covers the cost of mitigation");
                None
            }
            Some(text) => text
                .parse::<CostBearer>()
                .map_err(|message| errors.add("cost_bearer", message))
                .ok(),
        };
        let mitigation_days = match input.mitigation_days {
            None => {
                errors.add(
                    "mitigation_days",
                    "required: in how many calendar days the mitigation is applied",
                );
                None
            }
            Some(days) if days == 0 || days > MAX_MITIGATION_DAYS => {
                errors.add(
                    "mitigation_days",
                    format!("from 1 to {MAX_MITIGATION_DAYS} calendar days"),
                );
                None
            }
            Some(days) => Some(days),
        };
        if input
            .acknowledge_business_days
            .is_some_and(|days| days > MAX_ACKNOWLEDGE_DAYS)
        {
            errors.add(
                "acknowledge_business_days",
                format!("at most {MAX_ACKNOWLEDGE_DAYS} business days"),
            );
        }
        let reference = text(
            &mut errors,
            "reference",
            input.reference.as_deref(),
            REFERENCE_MAX_CHARS,
            false,
        );
        match (cost_bearer, mitigation_days) {
            (Some(cost_bearer), Some(mitigation_days)) if errors.is_empty() => {
                Ok(ServiceAgreement {
                    cost_bearer,
                    mitigation_days,
                    acknowledge_business_days: input.acknowledge_business_days,
                    reference,
                })
            }
            _ => Err(errors),
        }
    }

    /// "The supplier covers the cost; mitigation within 30 calendar days."
    pub fn sentence(&self) -> String {
        let who = match self.cost_bearer {
            CostBearer::Supplier => "The supplier covers the cost",
            CostBearer::Organization => "We cover the cost",
            CostBearer::Shared => "The cost is shared",
        };
        let days = self.mitigation_days;
        let unit = if days == 1 { "day" } else { "days" };
        format!("{who}; mitigation within {days} calendar {unit}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(bearer: &str, days: u32) -> AgreementInput {
        AgreementInput {
            cost_bearer: Some(bearer.into()),
            mitigation_days: Some(days),
            ..AgreementInput::default()
        }
    }

    #[test]
    fn who_pays_and_how_soon() {
        let agreement = ServiceAgreement::parse(&AgreementInput {
            acknowledge_business_days: Some(2),
            reference: Some("MSA §7.3".into()),
            ..input("supplier", 30)
        })
        .expect("valid");
        assert_eq!(agreement.cost_bearer, CostBearer::Supplier);
        assert_eq!(
            agreement.sentence(),
            "The supplier covers the cost; mitigation within 30 calendar days."
        );
    }

    #[test]
    fn each_refusal_names_its_field() {
        let table = [
            (AgreementInput::default(), "cost_bearer"),
            (AgreementInput::default(), "mitigation_days"),
            (input("vendor", 30), "cost_bearer"),
            (input("supplier", 0), "mitigation_days"),
            (input("supplier", 731), "mitigation_days"),
            (
                AgreementInput {
                    acknowledge_business_days: Some(61),
                    ..input("shared", 30)
                },
                "acknowledge_business_days",
            ),
            (
                AgreementInput {
                    reference: Some("a\u{7}b".into()),
                    ..input("shared", 30)
                },
                "reference",
            ),
        ];
        for (given, field) in table {
            let errors = ServiceAgreement::parse(&given).expect_err("refused");
            assert!(errors.get(field).is_some(), "{given:?}: {errors:?}");
        }
    }
}
