//! The coordinated vendors in the documents: what each vendor said of its products (as the
//! coordinator approved it) and where it stands on the contact axis, in CSAF's and CVE
//! JSON's vocabulary. A product a vendor never stated (not checked) is left out of both;
//! it is never read as not affected.
//!
//! The contact axis becomes CSAF 2.0's `involvements[].status` (§3.2.3.5.2):
//!
//! | contact        | involvement                                              |
//! |----------------|----------------------------------------------------------|
//! | not contacted  | `not_contacted`                                          |
//! | contacted      | `contact_attempted` (no answer yet)                      |
//! | unresponsive   | `contact_attempted` (no answer by the deadline)          |
//! | acknowledged   | `completed` once every product it stated is not affected |
//! |                | or fixed, else `in_progress`                             |
//! | declined       | `open`: it makes no claim about the vendor's work, where |
//! |                | `disputed` would say the vendor disputes the report      |
//!
//! The involvement's summary names the vendor (CSAF's party is only a category) and carries
//! its approved statements.

use time::{Duration, OffsetDateTime};

use cvdesk_formats::csaf::{
    Involvement, InvolvementParty, InvolvementStatus, Note, NoteCategory, Remediation,
    RemediationCategory,
};
use cvdesk_formats::cve_id::CveId;
use cvdesk_formats::cve_record::{Affected, Version, VersionStatus};
use cvdesk_formats::timestamp::Timestamp;

use crate::coordination::{Affectedness, ContactStatus, VendorPosition};

/// The involvement status the contact axis gives, for `cve`.
pub fn involvement_status(position: &VendorPosition, cve: Option<CveId>) -> InvolvementStatus {
    match position.contact {
        ContactStatus::NotContacted => InvolvementStatus::NotContacted,
        ContactStatus::Contacted | ContactStatus::Unresponsive => {
            InvolvementStatus::ContactAttempted
        }
        ContactStatus::Acknowledged if position.is_settled_for(cve) => InvolvementStatus::Completed,
        ContactStatus::Acknowledged => InvolvementStatus::InProgress,
        ContactStatus::Declined => InvolvementStatus::Open,
    }
}

fn contact_sentence(position: &VendorPosition) -> String {
    let vendor = &position.vendor;
    match position.contact {
        ContactStatus::NotContacted => format!("{vendor} has not been contacted."),
        ContactStatus::Contacted => format!("{vendor} was contacted and has not answered yet."),
        ContactStatus::Acknowledged => format!("{vendor} acknowledged the report."),
        ContactStatus::Unresponsive => format!("{vendor} did not answer by its deadline."),
        ContactStatus::Declined => format!("{vendor} declined to take part in the coordination."),
    }
}

/// One involvement per vendor. CSAF allows one involvement per party and date (test
/// 6.1.24) and every vendor is the party `vendor`, so a vendor whose contact changed in the
/// same millisecond as an earlier one's is dated a millisecond later.
pub fn involvements(vendors: &[VendorPosition], cve: Option<CveId>) -> Vec<Involvement> {
    let mut used: Vec<OffsetDateTime> = Vec::with_capacity(vendors.len());
    vendors
        .iter()
        .map(|position| {
            let mut date = Timestamp::from(position.contact_since).as_offset_date_time();
            while used.contains(&date) {
                date += Duration::milliseconds(1);
            }
            used.push(date);
            let mut summary = contact_sentence(position);
            for statement in position.statements_for(cve) {
                summary.push(' ');
                summary.push_str(&statement);
            }
            Involvement {
                date: Some(date.into()),
                party: InvolvementParty::Vendor,
                status: involvement_status(position, cve),
                summary: Some(summary),
            }
        })
        .collect()
}

/// A note per vendor that made a statement about `cve`.
pub fn statement_notes(vendors: &[VendorPosition], cve: Option<CveId>) -> Vec<Note> {
    vendors
        .iter()
        .filter_map(|position| {
            let statements = position.statements_for(cve);
            (!statements.is_empty()).then(|| Note {
                category: NoteCategory::Other,
                text: statements.join("\n\n"),
                title: Some(format!("Statement by {}", position.vendor)),
            })
        })
        .collect()
}

/// What CSAF asks for a vendor's affected products without a fix, and for those it is
/// still looking into: a remediation saying that none is known (test 6.2.2).
pub fn no_fix_remediation(
    vendor: &str,
    product_ids: Vec<String>,
    investigating: bool,
) -> Remediation {
    let details = if investigating {
        format!("{vendor} is still investigating whether these products are affected.")
    } else {
        format!("{vendor} has not stated a fixed version; see its statement and advisories.")
    };
    Remediation {
        category: RemediationCategory::NoneAvailable,
        details,
        product_ids,
        url: None,
    }
}

/// CVE JSON `affected` entries: one per vendor and product it stated about `cve`. Affected
/// and not affected are the product's default status; fixed is affected below the fixed
/// version and unaffected from it; under investigation is unknown.
pub fn cve_affected(vendors: &[VendorPosition], cve: CveId) -> Vec<Affected> {
    vendors
        .iter()
        .flat_map(|position| {
            position.statuses_for(Some(cve)).filter_map(|status| {
                let (default_status, versions) = match (status.status, &status.fixed_version) {
                    (Affectedness::NotChecked, _) => return None,
                    (Affectedness::UnderInvestigation, _) => (VersionStatus::Unknown, Vec::new()),
                    (Affectedness::Affected, _) => (VersionStatus::Affected, Vec::new()),
                    (Affectedness::NotAffected, _) => (VersionStatus::Unaffected, Vec::new()),
                    (Affectedness::Fixed, Some(fixed)) => (
                        VersionStatus::Unaffected,
                        vec![Version {
                            version: "0".to_owned(),
                            status: VersionStatus::Affected,
                            version_type: Some("custom".to_owned()),
                            less_than: Some(fixed.clone()),
                            less_than_or_equal: None,
                        }],
                    ),
                    // A fixed status always names its version; without one nothing is known.
                    (Affectedness::Fixed, None) => (VersionStatus::Unknown, Vec::new()),
                };
                Some(Affected {
                    vendor: position.vendor.clone(),
                    product: status.product.clone(),
                    package_url: None,
                    cpes: Vec::new(),
                    default_status,
                    versions,
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::coordination::ProductStatus;

    fn position(
        vendor: &str,
        contact: ContactStatus,
        products: Vec<ProductStatus>,
    ) -> VendorPosition {
        VendorPosition {
            vendor: vendor.to_owned(),
            contact,
            contact_since: datetime!(2027-01-05 10:00 UTC),
            products,
        }
    }

    fn status(product: &str, status: Affectedness, fixed: Option<&str>) -> ProductStatus {
        ProductStatus {
            vulnerability: None,
            product: product.to_owned(),
            status,
            fixed_version: fixed.map(str::to_owned),
            statement: Some(format!("{product} stated")),
            references: Vec::new(),
        }
    }

    #[test]
    fn the_contact_axis_maps_to_csaf_involvements() {
        let silent = |contact| involvement_status(&position("V", contact, Vec::new()), None);
        assert_eq!(
            silent(ContactStatus::NotContacted),
            InvolvementStatus::NotContacted
        );
        assert_eq!(
            silent(ContactStatus::Contacted),
            InvolvementStatus::ContactAttempted
        );
        assert_eq!(
            silent(ContactStatus::Unresponsive),
            InvolvementStatus::ContactAttempted
        );
        assert_eq!(silent(ContactStatus::Declined), InvolvementStatus::Open);
        assert_eq!(
            silent(ContactStatus::Acknowledged),
            InvolvementStatus::InProgress
        );
        let settled = position(
            "V",
            ContactStatus::Acknowledged,
            vec![status("P", Affectedness::Fixed, Some("2.0"))],
        );
        assert_eq!(
            involvement_status(&settled, None),
            InvolvementStatus::Completed
        );
    }

    #[test]
    fn every_vendor_has_its_own_involvement_date_and_is_named() {
        let vendors = [
            position(
                "Acme",
                ContactStatus::Acknowledged,
                vec![status("Router", Affectedness::Affected, None)],
            ),
            position("Globex", ContactStatus::Unresponsive, Vec::new()),
        ];
        let involvements = involvements(&vendors, None);
        assert_eq!(involvements.len(), 2);
        assert_ne!(involvements[0].date, involvements[1].date, "test 6.1.24");
        assert_eq!(
            involvements[0].summary.as_deref(),
            Some("Acme acknowledged the report. Router: Router stated")
        );
        assert_eq!(
            involvements[1].summary.as_deref(),
            Some("Globex did not answer by its deadline.")
        );
        let notes = statement_notes(&vendors, None);
        assert_eq!(notes.len(), 1, "a silent vendor has no statement");
        assert_eq!(notes[0].title.as_deref(), Some("Statement by Acme"));
    }

    #[test]
    fn cve_entries_follow_the_stated_status() {
        let cve: CveId = "CVE-2027-0001".parse().expect("cve");
        let vendors = [position(
            "Acme",
            ContactStatus::Acknowledged,
            vec![
                status("Router", Affectedness::Affected, None),
                status("Hub", Affectedness::NotAffected, None),
                status("Switch", Affectedness::Fixed, Some("5.0.1")),
                status("Gateway", Affectedness::UnderInvestigation, None),
                status("Modem", Affectedness::NotChecked, None),
            ],
        )];
        let entries = cve_affected(&vendors, cve);
        let shown: Vec<(&str, VersionStatus)> = entries
            .iter()
            .map(|entry| (entry.product.as_str(), entry.default_status))
            .collect();
        assert_eq!(
            shown,
            [
                ("Router", VersionStatus::Affected),
                ("Hub", VersionStatus::Unaffected),
                ("Switch", VersionStatus::Unaffected),
                ("Gateway", VersionStatus::Unknown),
            ],
            "not checked is left out"
        );
        assert_eq!(entries[2].versions[0].less_than.as_deref(), Some("5.0.1"));
        assert_eq!(entries[2].versions[0].status, VersionStatus::Affected);
    }
}
