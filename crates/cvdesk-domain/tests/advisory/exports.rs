//! Every document a published advisory becomes is valid against its publisher's schema:
//! the sample, and arbitrary valid advisories.

use std::collections::BTreeSet;

use cvdesk_domain::advisory::content::{ProductInput, SeverityInput, VulnerabilityInput};
use cvdesk_domain::advisory::credit::publishable;
use cvdesk_domain::advisory::export::{
    atom_entry, to_csaf, to_cve, to_cve_record, to_osv, ExportError, Publication,
};
use cvdesk_domain::advisory::{
    AdvisoryContent, AdvisoryId, AdvisoryInput, CreditRole, RevisionHistory,
};
use cvdesk_formats::atom::{Feed, Person};
use cvdesk_formats::conformance::{unsorted_keys, violations, Schema};
use cvdesk_formats::cve_record::CnaUpload;
use proptest::prelude::*;
use time::macros::datetime;
use time::OffsetDateTime;

use super::{accepted_credit, no_products, publisher, sample_content, urls};

fn advisory_id() -> AdvisoryId {
    "CVD-SA-2026-0001".parse().expect("valid id")
}

fn history_of(content: AdvisoryContent) -> RevisionHistory {
    let mut history = RevisionHistory::default();
    history
        .publish(
            content.clone(),
            vec![],
            "Initial version.",
            datetime!(2026-11-01 10:00 UTC),
        )
        .expect("first revision");
    let credits = publishable(&[
        accepted_credit("Jane Finder", CreditRole::Finder),
        accepted_credit("Sam Fixer", CreditRole::RemediationDeveloper),
    ]);
    history
        .publish(
            content,
            credits,
            "Credited the finders.",
            datetime!(2026-11-02 10:00 UTC),
        )
        .expect("second revision");
    history
}

fn assert_valid(
    schema: Schema,
    document: &impl serde::Serialize,
    what: &str,
) -> Result<(), TestCaseError> {
    let value = serde_json::to_value(document).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let problems = violations(schema, &value);
    prop_assert!(problems.is_empty(), "{}: {:#?}\n{}", what, problems, value);
    Ok(())
}

/// Every export of `content`, checked against its schema.
fn check_exports(
    content: AdvisoryContent,
    withdrawn_at: Option<OffsetDateTime>,
) -> Result<(), TestCaseError> {
    let id = advisory_id();
    let history = history_of(content.clone());
    let publisher = publisher();
    let urls = urls();
    let publication = Publication {
        id: &id,
        history: &history,
        publisher: &publisher,
        urls: &urls,
        withdrawn_at,
    };
    let csaf = to_csaf(&publication, datetime!(2026-11-03 08:00 UTC), "0.1.0").map_err(fail)?;
    assert_valid(Schema::Csaf, &csaf, "CSAF")?;
    let json = serde_json::to_string(&csaf).map_err(fail)?;
    prop_assert_eq!(unsorted_keys(&json), Ok(vec![]));
    for cve in content.cve_ids() {
        let upload = CnaUpload {
            cna_container: to_cve(&publication, cve).map_err(fail)?,
        };
        assert_valid(Schema::CveCnaUpload, &upload, "CVE container")?;
        assert_valid(
            Schema::CveRecord,
            &to_cve_record(&publication, cve).map_err(fail)?,
            "CVE record",
        )?;
    }
    assert_valid(Schema::Osv, &to_osv(&publication).map_err(fail)?, "OSV")?;
    let feed = Feed {
        id: "https://example.com/advisories.atom".to_owned(),
        title: "Advisories".to_owned(),
        updated: datetime!(2026-11-02 10:00 UTC).into(),
        self_link: "https://example.com/advisories.atom".to_owned(),
        alternate_link: None,
        author: Person {
            name: publisher.name.clone(),
            uri: None,
        },
        entries: vec![atom_entry(&publication).map_err(fail)?],
    };
    let xml = feed.to_xml().map_err(fail)?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(error) => return Err(TestCaseError::fail(format!("{error}: {xml}"))),
        }
    }
    Ok(())
}

fn fail(error: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}

#[test]
fn the_sample_exports_are_schema_valid() {
    check_exports(sample_content(), None).expect("valid");
    check_exports(sample_content(), Some(datetime!(2026-12-01 10:00 UTC))).expect("valid");
}

#[test]
fn the_sample_csaf_document_reads_as_intended() {
    let id = advisory_id();
    let history = history_of(sample_content());
    let publisher = publisher();
    let urls = urls();
    let publication = Publication {
        id: &id,
        history: &history,
        publisher: &publisher,
        urls: &urls,
        withdrawn_at: None,
    };
    let csaf = serde_json::to_value(
        to_csaf(&publication, datetime!(2026-11-03 08:00 UTC), "0.1.0").expect("exports"),
    )
    .expect("json");
    let tracking = &csaf["document"]["tracking"];
    assert_eq!(tracking["id"], "CVD-SA-2026-0001");
    assert_eq!(tracking["version"], "2");
    assert_eq!(tracking["initial_release_date"], "2026-11-01T10:00:00.000Z");
    assert_eq!(tracking["current_release_date"], "2026-11-02T10:00:00.000Z");
    assert_eq!(tracking["generator"]["date"], "2026-11-03T08:00:00.000Z");
    assert_eq!(csaf["document"]["distribution"]["tlp"]["label"], "WHITE");
    assert_eq!(
        csaf["document"]["acknowledgments"][1]["summary"],
        "remediation developer"
    );
    let portal = &csaf["product_tree"]["branches"][0];
    assert_eq!(portal["name"], "Example Corp PSIRT");
    assert_eq!(
        portal["branches"][0]["branches"][0]["name"],
        "vers:generic/>=4.0.0|<4.2.1"
    );
    assert_eq!(
        portal["branches"][0]["branches"][1]["product"]["product_identification_helper"]["purl"],
        "pkg:npm/example-portal@4.2.1"
    );
    let xss = &csaf["vulnerabilities"][0];
    assert_eq!(xss["cve"], "CVE-2026-12345");
    assert_eq!(
        xss["product_status"]["known_affected"],
        serde_json::json!(["CSAFPID-0001"])
    );
    assert_eq!(
        xss["product_status"]["fixed"],
        serde_json::json!(["CSAFPID-0002"])
    );
    assert_eq!(xss["scores"][0]["cvss_v3"]["baseScore"], 5.4);
    assert_eq!(
        xss["references"][0]["url"],
        "https://www.first.org/cvss/calculator/4.0#CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N"
    );
    let categories: Vec<&str> = xss["remediations"]
        .as_array()
        .expect("remediations")
        .iter()
        .filter_map(|r| r["category"].as_str())
        .collect();
    assert_eq!(categories, ["vendor_fix", "workaround"]);
}

#[test]
fn cve_records_need_a_cna_and_a_named_cve() {
    let id = advisory_id();
    let history = history_of(sample_content());
    let publisher = publisher();
    let urls = urls();
    let unknown = "CVE-2026-99999".parse().expect("valid");
    let publication = Publication {
        id: &id,
        history: &history,
        publisher: &publisher,
        urls: &urls,
        withdrawn_at: None,
    };
    assert_eq!(
        to_cve(&publication, unknown),
        Err(ExportError::UnknownCve(unknown))
    );
    let not_a_cna = super::PublisherProfile {
        cna: None,
        ..publisher.clone()
    };
    let publication = Publication {
        publisher: &not_a_cna,
        ..publication
    };
    let known = "CVE-2026-12345".parse().expect("valid");
    assert_eq!(to_cve(&publication, known), Err(ExportError::NotACna));
    let empty = RevisionHistory::default();
    let unpublished = Publication {
        history: &empty,
        ..publication
    };
    assert!(matches!(
        to_osv(&unpublished),
        Err(ExportError::NotPublished)
    ));
}

#[test]
fn osv_marks_withdrawal_and_cve_aliases() {
    let id = advisory_id();
    let history = history_of(sample_content());
    let publisher = publisher();
    let urls = urls();
    let publication = Publication {
        id: &id,
        history: &history,
        publisher: &publisher,
        urls: &urls,
        withdrawn_at: Some(datetime!(2026-12-01 10:00 UTC)),
    };
    let osv = serde_json::to_value(to_osv(&publication).expect("exports")).expect("json");
    assert_eq!(osv["id"], "x_CVD-SA-2026-0001");
    assert_eq!(osv["withdrawn"], "2026-12-01T10:00:00.000Z");
    assert_eq!(osv["modified"], "2026-12-01T10:00:00.000Z");
    assert_eq!(
        osv["aliases"],
        serde_json::json!(["CVE-2026-12345", "CVE-2026-12346"])
    );
    assert_eq!(osv["affected"][0]["package"]["ecosystem"], "npm");
    assert_eq!(
        osv["affected"][0]["ranges"][0]["events"],
        serde_json::json!([{"introduced": "4.0.0"}, {"fixed": "4.2.1"}])
    );
    assert_eq!(
        osv["affected"][1]["versions"],
        serde_json::json!(["2.0.3", "2.0.4"])
    );
    assert_eq!(
        osv["affected"][1]["database_specific"]["affected_ranges"],
        serde_json::json!(["<= 1.9.9"])
    );
    assert_eq!(osv["credits"][1]["type"], "REMEDIATION_DEVELOPER");
    let entry = atom_entry(&publication).expect("entry");
    assert_eq!(entry.title, "CVD-SA-2026-0001: Example Portal and Example Agent: stored XSS and path traversal (withdrawn)");
}

const VECTORS: [&str; 5] = [
    "AV:N/AC:L/Au:N/C:P/I:P/A:P",
    "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U",
    "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:U",
];
const CWES: [&str; 4] = ["CWE-79", "CWE-22", "CWE-89", "CWE-787"];
const PURLS: [&str; 4] = [
    "pkg:npm/%40example/portal",
    "pkg:cargo/example",
    "pkg:generic/example-firmware",
    "pkg:maven/org.example/agent",
];

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!(
        "[A-Za-z0-9][A-Za-z0-9 .,:;'()<>&\"!?/-]{{0,{max}}}"
    ))
    .expect("valid regex")
}

fn version() -> impl Strategy<Value = String> {
    "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}(-rc[0-9])?"
}

fn spec() -> impl Strategy<Value = String> {
    prop_oneof![
        version(),
        version().prop_map(|v| format!("< {v}")),
        version().prop_map(|v| format!("<= {v}")),
        (version(), version()).prop_map(|(a, b)| format!(">= {a}, < {b}")),
        (version(), version()).prop_map(|(a, b)| format!(">={a},<={b}")),
    ]
}

fn product(index: usize) -> impl Strategy<Value = ProductInput> {
    (
        "[A-Za-z][A-Za-z0-9 ]{0,20}",
        proptest::option::of("[A-Za-z][A-Za-z0-9 ]{0,15}"),
        proptest::option::of(proptest::sample::select(PURLS.to_vec())),
        proptest::bool::ANY,
        proptest::collection::btree_set(spec(), 1..4),
        proptest::collection::btree_set(version(), 0..3),
    )
        .prop_map(move |(name, vendor, purl, cpe, affected, fixed)| {
            let exact: BTreeSet<String> = affected.clone();
            ProductInput {
                product_id: None,
                name: Some(format!("P{index} {name}")),
                vendor,
                purl: purl.map(str::to_owned),
                cpe: cpe.then(|| "cpe:2.3:a:example:product:*:*:*:*:*:*:*:*".to_owned()),
                affected: affected.into_iter().collect(),
                fixed: fixed.into_iter().filter(|v| !exact.contains(v)).collect(),
            }
        })
}

fn vulnerability(index: usize) -> impl Strategy<Value = VulnerabilityInput> {
    (
        proptest::option::of(text(80)),
        proptest::sample::select(CWES.to_vec()),
        proptest::sample::subsequence(VECTORS.to_vec(), 1..=3),
        0usize..3,
        (1usize..3).prop_flat_map(|count| (0..count).map(product).collect::<Vec<_>>()),
        proptest::option::of(text(200)),
        proptest::option::of(text(200)),
    )
        .prop_map(
            move |(title, cwe, vectors, cve_count, products, remediation, workaround)| {
                // Keep one vector per version: the two v4.0 vectors are alternatives.
                let mut seen = BTreeSet::new();
                let vectors: Vec<String> = vectors
                    .into_iter()
                    .filter(|v| seen.insert(v.split('/').next().map(str::to_owned)))
                    .map(str::to_owned)
                    .collect();
                VulnerabilityInput {
                    title,
                    cwe: cwe.to_owned(),
                    severity: SeverityInput::Many(vectors),
                    cves: (0..cve_count)
                        .map(|n| format!("CVE-2026-{}", 10_000 + index * 10 + n))
                        .collect(),
                    products,
                    remediation,
                    workaround,
                }
            },
        )
}

fn advisory() -> impl Strategy<Value = AdvisoryInput> {
    (
        text(150),
        text(500),
        text(2_000),
        text(500),
        proptest::option::of(text(300)),
        text(500),
        proptest::sample::select(vec![
            "TLP:CLEAR",
            "TLP:GREEN",
            "TLP:AMBER",
            "TLP:AMBER+STRICT",
            "TLP:RED",
        ]),
        (1usize..4).prop_flat_map(|count| (0..count).map(vulnerability).collect::<Vec<_>>()),
    )
        .prop_map(
            |(
                title,
                summary,
                description,
                impact,
                exploitability,
                remediation,
                tlp,
                vulnerabilities,
            )| {
                AdvisoryInput {
                    title,
                    summary,
                    description,
                    impact,
                    exploitability,
                    remediation,
                    tlp: tlp.to_owned(),
                    reports: vec![],
                    vulnerabilities,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn valid_advisories_always_export_schema_valid_documents(input in advisory(), withdrawn in proptest::bool::ANY) {
        let content = AdvisoryContent::parse(&input, &no_products)
            .map_err(|errors| TestCaseError::fail(format!("{:?}", errors.iter().collect::<Vec<_>>())))?;
        check_exports(content, withdrawn.then_some(datetime!(2026-12-01 10:00 UTC)))?;
    }
}
