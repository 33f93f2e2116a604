//! What an advisory publishes of one participant, fixed when the advisory is published:
//! the vendor's name, where it stands on the contact axis, and the product statuses the
//! coordinator approved. The advisory's exports map these to CSAF product statuses and
//! involvements and to CVE `affected` entries.

use cvdesk_formats::cve_id::CveId;
use serde::{Deserialize, Serialize};

use super::contact::ContactStatus;
use super::status::{Affectedness, ProductStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorPosition {
    pub vendor: String,
    pub contact: ContactStatus,
    /// Approved statuses only; a product never stated is not here (not checked).
    pub products: Vec<ProductStatus>,
}

impl VendorPosition {
    /// The statuses about `cve`: those naming it, and those about the whole report.
    pub fn statuses_for(&self, cve: Option<CveId>) -> impl Iterator<Item = &ProductStatus> {
        self.products.iter().filter(move |status| {
            status.vulnerability.is_none() || cve.is_some() && status.vulnerability == cve
        })
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
            products: vec![
                status("Router", Affectedness::Fixed, None),
                status("Switch", Affectedness::Affected, Some("CVE-2027-0002")),
            ],
        };
        assert_eq!(position.statuses_for(Some(cve)).count(), 1);
        assert_eq!(position.statuses_for(Some(other)).count(), 2);
        assert_eq!(position.statuses_for(None).count(), 1);
        assert!(position.is_settled_for(Some(cve)));
        assert!(!position.is_settled_for(Some(other)));
        let silent = VendorPosition {
            products: Vec::new(),
            ..position
        };
        assert!(!silent.is_settled_for(None), "silence settles nothing");
    }
}
