//! The content rules, revisions and the diff between revisions.

use cvdesk_domain::advisory::content::SeverityInput;
use cvdesk_domain::advisory::credit::publishable;
use cvdesk_domain::advisory::diff::{Change, SegmentTag};
use cvdesk_domain::advisory::{diff, AdvisoryContent, CreditRole, RevisionError, RevisionHistory};
use cvdesk_domain::staff::ProductId;
use cvdesk_formats::tlp::Tlp;
use time::macros::datetime;

use super::{accepted_credit, no_products, sample_content, sample_input};

#[test]
fn the_sample_parses_into_typed_content() {
    let content = sample_content();
    assert_eq!(content.tlp, Tlp::Clear);
    assert_eq!(content.vulnerabilities.len(), 2);
    assert_eq!(content.vulnerabilities[0].scores.len(), 2);
    assert_eq!(
        content
            .cve_ids()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["CVE-2026-12345", "CVE-2026-12346"]
    );
    assert_eq!(content.vulnerabilities[1].products[0].affected.len(), 3);
}

#[test]
fn every_broken_field_gets_its_own_message() {
    let mut input = sample_input();
    input.title = "Two\nlines".to_owned();
    input.summary = "   ".to_owned();
    input.impact = "x".repeat(4_001);
    input.tlp = "TLP:WHITE".to_owned();
    input.reports = vec!["CVD-2026-0042".to_owned(), "CVD-2026-0042".to_owned()];
    let first = &mut input.vulnerabilities[0];
    first.cwe = "CWE-999999".to_owned();
    first.severity = SeverityInput::Many(vec![
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".to_owned(),
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L".to_owned(),
    ]);
    first.cves = vec!["CVE-2026-12346".to_owned(), "CVE-26-1".to_owned()];
    first.products[0].affected = vec!["> 4.0".to_owned()];
    first.products[0].fixed = vec!["4.2.1".to_owned(), "4.2.1".to_owned()];
    first.products[0].purl = Some("npm/example".to_owned());
    let second = &mut input.vulnerabilities[1];
    second.products[0].cpe = Some("cpe:/a:example".to_owned());
    second.products[0].fixed = vec!["2.0.4".to_owned()];
    second.products.push(Default::default());
    let errors = AdvisoryContent::parse(&input, &no_products).expect_err("refused");
    let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
    assert_eq!(
        fields,
        [
            "impact",
            "reports[1]",
            "summary",
            "title",
            "tlp",
            "vulnerabilities[0].cves[1]",
            "vulnerabilities[0].cwe",
            "vulnerabilities[0].products[0].affected[0]",
            "vulnerabilities[0].products[0].fixed[1]",
            "vulnerabilities[0].products[0].purl",
            "vulnerabilities[0].severity",
            "vulnerabilities[1].cves[0]",
            "vulnerabilities[1].products[0].cpe",
            "vulnerabilities[1].products[0].fixed[0]",
            "vulnerabilities[1].products[1].affected",
            "vulnerabilities[1].products[1].name",
        ]
    );
    assert_eq!(errors.get("summary"), Some("required"));
    assert_eq!(
        errors.get("tlp"),
        Some("'TLP:WHITE' is TLP 1.0; TLP 2.0 replaced TLP:WHITE with TLP:CLEAR")
    );
    assert_eq!(
        errors.get("vulnerabilities[1].cves[0]"),
        Some("CVE-2026-12346 is named twice in this advisory")
    );
    assert_eq!(
        errors.get("vulnerabilities[0].severity"),
        Some("one vector per CVSS version; v3.1 is given twice")
    );
    assert_eq!(
        errors.get("vulnerabilities[1].products[0].fixed[0]"),
        Some("'2.0.4' is also listed as affected")
    );
}

#[test]
fn products_of_the_inventory_are_named_by_it() {
    let mut input = sample_input();
    input.vulnerabilities[0].products[0].name = None;
    input.vulnerabilities[0].products[0].product_id = Some(7);
    let names = |id: ProductId| (id == ProductId(7)).then(|| "Portal (inventory)".to_owned());
    let content = AdvisoryContent::parse(&input, &names).expect("valid");
    let product = &content.vulnerabilities[0].products[0];
    assert_eq!(product.name, "Portal (inventory)");
    assert_eq!(product.product_id, Some(ProductId(7)));
    input.vulnerabilities[0].products[0].product_id = Some(8);
    let errors = AdvisoryContent::parse(&input, &names).expect_err("unknown product");
    assert_eq!(
        errors.get("vulnerabilities[0].products[0].product_id"),
        Some("no product with id 8")
    );
}

#[test]
fn an_advisory_needs_a_vulnerability() {
    let mut input = sample_input();
    input.vulnerabilities.clear();
    let errors = AdvisoryContent::parse(&input, &no_products).expect_err("refused");
    assert_eq!(
        errors.get("vulnerabilities"),
        Some("an advisory describes at least one vulnerability")
    );
}

#[test]
fn revisions_are_numbered_dated_and_never_repeat() {
    let mut history = RevisionHistory::default();
    let first = datetime!(2026-11-01 10:00 UTC);
    history
        .publish(sample_content(), vec![], "Initial version.", first)
        .expect("first revision");
    assert_eq!(
        history.publish(sample_content(), vec![], "Again", first),
        Err(RevisionError::Unchanged(1))
    );
    let credits = publishable(&[accepted_credit("Jane Finder", CreditRole::Finder)]);
    assert_eq!(
        history.publish(sample_content(), credits.clone(), "  ", first),
        Err(RevisionError::SummaryMissing)
    );
    assert_eq!(
        history.publish(
            sample_content(),
            credits.clone(),
            "Credit",
            datetime!(2026-10-01 10:00 UTC)
        ),
        Err(RevisionError::OutOfOrder(1))
    );
    let second = history
        .publish(
            sample_content(),
            credits,
            "Credited the finder.",
            datetime!(2026-11-02 10:00 UTC),
        )
        .expect("second revision");
    assert_eq!(second.number(), 2);
    let restored = RevisionHistory::restore(history.revisions().to_vec()).expect("restores");
    assert_eq!(restored, history);
    let mut gap = history.revisions().to_vec();
    gap.remove(0);
    assert_eq!(
        RevisionHistory::restore(gap),
        Err(RevisionError::Numbering {
            previous: 0,
            found: 2
        })
    );
}

#[test]
fn the_diff_reads_field_by_field() {
    let mut history = RevisionHistory::default();
    history
        .publish(
            sample_content(),
            vec![],
            "Initial version.",
            datetime!(2026-11-01 10:00 UTC),
        )
        .expect("first revision");
    let mut input = sample_input();
    input.remediation = "Upgrade Example Portal to 4.2.2 and Example Agent to 2.0.5.".to_owned();
    input.tlp = "TLP:GREEN".to_owned();
    input.vulnerabilities[0]
        .cves
        .push("CVE-2026-20000".to_owned());
    input.vulnerabilities[1].workaround = Some("Block the endpoint.".to_owned());
    input.vulnerabilities[1].products[0]
        .fixed
        .push("2.1.0".to_owned());
    let changed = AdvisoryContent::parse(&input, &no_products).expect("valid");
    let credits = publishable(&[accepted_credit("Jane Finder", CreditRole::Finder)]);
    history
        .publish(
            changed,
            credits,
            "Fixed version corrected.",
            datetime!(2026-11-02 10:00 UTC),
        )
        .expect("second revision");
    let [old, new] = history.revisions() else {
        panic!("two revisions");
    };
    let changes = diff(old, new);
    let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "remediation: Upgrade Example Portal to [-4.2.1-]{+4.2.2+} and Example Agent to 2.0.5.",
            "tlp: TLP:CLEAR → TLP:GREEN",
            "vulnerabilities[0].cves: CVE-2026-12345 → CVE-2026-12345, CVE-2026-20000",
            "vulnerabilities[1].workaround: added Block the endpoint.",
            "vulnerabilities[1].products[0]: Example Systems Example Agent: affected 2.0.3; 2.0.4; <= 1.9.9; fixed in 2.0.5 → Example Systems Example Agent: affected 2.0.3; 2.0.4; <= 1.9.9; fixed in 2.0.5, 2.1.0",
            "credits: added Jane Finder (Example Research) (finder)",
        ]
    );
    let Change::Text { segments } = &changes[0].change else {
        panic!("remediation is a text change");
    };
    assert!(segments
        .iter()
        .any(|s| s.tag == SegmentTag::Removed && s.text == "4.2.1"));
    assert!(diff(old, old).is_empty());
}

#[test]
fn content_survives_the_store_and_the_editor() {
    let content = sample_content();
    let stored = serde_json::to_string(&content).expect("written");
    let restored: AdvisoryContent = serde_json::from_str(&stored).expect("read back");
    assert_eq!(restored, content);
    let edited = AdvisoryContent::parse(&content.to_input(), &no_products).expect("valid");
    assert_eq!(edited, content);
    let inventory = |id: ProductId| (id == ProductId(7)).then(|| "Shop".to_owned());
    let mut input = sample_input();
    input.vulnerabilities[0].products[0].name = None;
    input.vulnerabilities[0].products[0].product_id = Some(7);
    let with_inventory = AdvisoryContent::parse(&input, &inventory).expect("valid");
    assert_eq!(
        with_inventory
            .inventory_products()
            .into_iter()
            .collect::<Vec<_>>(),
        [ProductId(7)]
    );
    let again = AdvisoryContent::parse(&with_inventory.to_input(), &inventory).expect("valid");
    assert_eq!(again, with_inventory);
}

#[test]
fn stored_content_is_checked_when_read_back() {
    let mut stored = serde_json::to_value(sample_content()).expect("written");
    stored["vulnerabilities"][0]["cves"][0] = serde_json::json!("CVE-26-1");
    assert!(serde_json::from_value::<AdvisoryContent>(stored).is_err());
}

#[test]
fn a_withdrawal_is_a_last_revision_that_says_why() {
    let mut history = RevisionHistory::default();
    let at = datetime!(2026-11-01 10:00 UTC);
    assert_eq!(
        history.withdraw("wrong product", at).map(|r| r.number()),
        Err(RevisionError::NotPublished)
    );
    history
        .publish(sample_content(), Vec::new(), "Initial version.", at)
        .expect("published");
    assert_eq!(
        history.withdraw("  ", at).map(|r| r.number()),
        Err(RevisionError::ReasonMissing)
    );
    let later = datetime!(2026-11-03 10:00 UTC);
    let withdrawn = history
        .withdraw("The product named is not affected.", later)
        .expect("withdrawn");
    assert_eq!(withdrawn.number(), 2);
    assert_eq!(
        withdrawn.summary(),
        "Withdrawn: The product named is not affected."
    );
    assert_eq!(withdrawn.content(), &sample_content());
    let revisions = history.revisions();
    assert!(diff(&revisions[0], &revisions[1]).is_empty());
}

#[test]
fn what_the_vendors_said_is_a_change_of_its_own() {
    use cvdesk_domain::coordination::{Affectedness, ContactStatus, ProductStatus, VendorPosition};

    let content = sample_content();
    let mut history = RevisionHistory::default();
    history
        .publish(
            content.clone(),
            vec![],
            "Initial version.",
            datetime!(2027-01-05 10:00 UTC),
        )
        .expect("first");
    let acme = VendorPosition {
        vendor: "Acme".to_owned(),
        contact: ContactStatus::Acknowledged,
        contact_since: datetime!(2027-01-04 10:00 UTC),
        products: vec![ProductStatus {
            vulnerability: None,
            product: "Router".to_owned(),
            status: Affectedness::Fixed,
            fixed_version: Some("5.0".to_owned()),
            statement: None,
            references: Vec::new(),
        }],
    };
    let with_vendor = AdvisoryContent {
        vendors: vec![acme],
        ..content
    };
    history
        .publish(
            with_vendor,
            vec![],
            "Acme's fix.",
            datetime!(2027-01-06 10:00 UTC),
        )
        .expect("the vendors alone make a new revision");
    let revisions = history.revisions();
    let changes = diff(&revisions[0], &revisions[1]);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].field, "vendors");
    assert_eq!(
        changes[0].change,
        Change::Added {
            value: "Acme: Acknowledged (Router: Fixed in 5.0)".to_owned()
        }
    );
}
