//! What an advisory publishes of one participant, fixed when the advisory is published:
//! the vendor's name, where it stands on the contact axis, and the product statuses the
//! coordinator approved. The advisory's exports map these to CSAF product statuses and
//! involvements and to CVE `affected` entries.

use cvdesk_formats::cve_id::CveId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::contact::ContactStatus;
use super::status::{Affectedness, ProductStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorPosition {
    pub vendor: String,
    pub contact: ContactStatus,
    /// When the vendor came to stand where it stands on the contact axis.
    #[serde(with = "time::serde::rfc3339")]
    pub contact_since: OffsetDateTime,
    /// Approved statuses only; a product never stated is not here (not checked).
    pub products: Vec<ProductStatus>,
}

impl VendorPosition {
    /// The statuses about `cve`: those naming it, and those about the whole report for
    /// products the vendor said nothing more specific of (a status naming the CVE wins, so
    /// a product never stands in two states for one vulnerability).
    pub fn statuses_for(&self, cve: Option<CveId>) -> impl Iterator<Item = &ProductStatus> {
        self.products
            .iter()
            .filter(move |status| match status.vulnerability {
                Some(named) => cve == Some(named),
                None => !self.products.iter().any(|other| {
                    other.vulnerability.is_some()
                        && other.vulnerability == cve
                        && other.product == status.product
                }),
            })
    }

    /// The vendor's statements about `cve`, each with the product it is about.
    pub fn statements_for(&self, cve: Option<CveId>) -> Vec<String> {
        self.statuses_for(cve)
            .filter_map(|status| {
                let statement = status.statement.as_deref()?;
                Some(format!("{}: {statement}", status.product))
            })
            .collect()
    }

    /// Whether every product the vendor stated about `cve` is settled (not affected or
    /// fixed), and it stated at least one.
    pub fn is_settled_for(&self, cve: Option<CveId>) -> bool {
        let mut statuses = self.statuses_for(cve).peekable();
        statuses.peek().is_some()
            && statuses.all(|status| {
                matches!(
                    status.status,
                    Affectedness::NotAffected | Affectedness::Fixed
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(product: &str, status: Affectedness, cve: Option<&str>) -> ProductStatus {
        ProductStatus {
            vulnerability: cve.map(|c| c.parse().expect("cve")),
            product: product.to_owned(),
            status,
            fixed_version: (status == Affectedness::Fixed).then(|| "2.0".to_owned()),
            statement: None,
            references: Vec::new(),
        }
    }

    #[test]
    fn statuses_about_the_whole_report_apply_to_every_vulnerability() {
        let cve: CveId = "CVE-2027-0001".parse().expect("cve");
        let other: CveId = "CVE-2027-0002".parse().expect("cve");
        let position = VendorPosition {
            vendor: "Acme".to_owned(),
            contact: ContactStatus::Acknowledged,
            contact_since: time::macros::datetime!(2027-01-05 10:00 UTC),
            products: vec![
                status("Router", Affectedness::Fixed, None),
                status("Switch", Affectedness::Affected, Some("CVE-2027-0002")),
                status("Switch", Affectedness::UnderInvestigation, None),
            ],
        };
        let products = |cve| {
            position
                .statuses_for(cve)
                .map(|s| (s.product.as_str(), s.status))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            products(Some(cve)),
            [
                ("Router", Affectedness::Fixed),
                ("Switch", Affectedness::UnderInvestigation)
            ]
        );
        assert_eq!(
            products(Some(other)),
            [
                ("Router", Affectedness::Fixed),
                ("Switch", Affectedness::Affected)
            ],
            "the status naming the CVE wins over the one about the whole report"
        );
        assert_eq!(products(None).len(), 2);
        assert!(!position.is_settled_for(Some(cve)));
        assert!(!position.is_settled_for(Some(other)));
        let fixed_only = VendorPosition {
            products: position.products[..1].to_vec(),
            ..position.clone()
        };
        assert!(fixed_only.is_settled_for(Some(cve)));
        let silent = VendorPosition {
            products: Vec::new(),
            ..position
        };
        assert!(!silent.is_settled_for(None), "silence settles nothing");
    }
}
