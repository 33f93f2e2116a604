//! Small documents of every format, written by the typed writers: each is compared with
//! its expected text under `tests/expected/` and validated against the vendored schema.

use cvdesk_formats::conformance::{unsorted_keys, violations, Schema};
use cvdesk_formats::csaf::{self, *};
use cvdesk_formats::cve_record::{
    self, Affected as CveAffected, CnaContainer, CnaUpload, CveMetadata, CveOrgId, CveRecord,
    Metric, ProblemType, ProblemTypeDescription, ReferenceTag, TimelineEntry, Version,
    VersionStatus,
};
use cvdesk_formats::cvss::Cvss;
use cvdesk_formats::cvss_json::CvssJson;
use cvdesk_formats::osv::{
    self, AffectedDatabaseSpecific, DatabaseSpecific, Event, OsvEntry, Package, Range, RangeType,
    ReferenceType, SeverityType,
};
use cvdesk_formats::timestamp::Timestamp;
use cvdesk_formats::tlp::Tlp;
use serde::Serialize;
use time::macros::datetime;

fn at(instant: time::OffsetDateTime) -> Timestamp {
    instant.into()
}

fn cvss(vector: &str) -> Cvss {
    Cvss::parse(vector).expect("valid vector")
}

/// Compares the pretty JSON with the expected file and checks it against the schema.
/// With `CVDESK_UPDATE_EXPECTED=1` the expected file is rewritten instead (review the
/// diff before committing it).
fn check<T: Serialize>(document: &T, expected_file: &str, schema: Schema) {
    let pretty = serde_json::to_string_pretty(document).expect("serialises");
    let expected_path = format!(
        "{}/tests/expected/{expected_file}",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("CVDESK_UPDATE_EXPECTED").is_some() {
        std::fs::write(&expected_path, format!("{pretty}\n")).expect("expected file written");
    }
    let expected = std::fs::read_to_string(&expected_path).expect("expected file exists");
    assert_eq!(pretty, expected.trim_end(), "{expected_file} differs");
    let value = serde_json::to_value(document).expect("serialises");
    let problems = violations(schema, &value);
    assert!(problems.is_empty(), "{expected_file}: {problems:#?}");
}

fn publisher() -> Publisher {
    Publisher {
        category: PublisherCategory::Vendor,
        contact_details: Some("security@example.com".to_owned()),
        issuing_authority: None,
        name: "Example Corp PSIRT".to_owned(),
        namespace: "https://example.com".to_owned(),
    }
}

fn csaf_document() -> CsafDocument {
    let first = at(datetime!(2026-11-01 10:00 UTC));
    let second = at(datetime!(2026-11-02 10:00 UTC));
    let v31 = cvss("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N");
    let v40 = cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N");
    let CvssJson::V3(cvss_v3) = CvssJson::from_cvss(&v31) else {
        panic!("a v3.1 vector gives a v3 object");
    };
    let (v4_reference, v4_note) = csaf::cvss_v4_carriers(&v40);
    let version = |name: &str, id: &str, category| Branch {
        branches: vec![],
        category,
        name: name.to_owned(),
        product: Some(FullProductName {
            name: format!("Example Portal {name}"),
            product_id: id.to_owned(),
            product_identification_helper: Some(ProductIdentificationHelper {
                cpe: None,
                purl: Some("pkg:npm/example-portal".to_owned()),
                x_generic_uris: vec![],
            }),
        }),
    };
    CsafDocument {
        document: Document {
            acknowledgments: vec![],
            category: SECURITY_ADVISORY,
            csaf_version: CSAF_VERSION,
            distribution: csaf::distribution_for(Tlp::Clear),
            lang: "en".to_owned(),
            notes: vec![Note {
                category: NoteCategory::Summary,
                text: "Stored XSS in Example Portal.".to_owned(),
                title: Some("Summary".to_owned()),
            }],
            publisher: publisher(),
            references: vec![Reference {
                category: ReferenceCategory::ItSelf,
                summary: "Canonical URL".to_owned(),
                url: "https://example.com/.well-known/csaf/white/2026/exa-2026-0001.json"
                    .to_owned(),
            }],
            title: "Example Portal: stored XSS".to_owned(),
            tracking: Tracking {
                current_release_date: second,
                generator: Generator {
                    date: second,
                    engine: Engine {
                        name: "cvdesk".to_owned(),
                        version: "0.1.0".to_owned(),
                    },
                },
                id: "EXA-2026-0001".to_owned(),
                initial_release_date: first,
                revision_history: vec![
                    Revision {
                        date: first,
                        number: "1".to_owned(),
                        summary: "Initial version.".to_owned(),
                    },
                    Revision {
                        date: second,
                        number: "2".to_owned(),
                        summary: "Added CVE ID.".to_owned(),
                    },
                ],
                status: TrackingStatus::Final,
                version: "2".to_owned(),
            },
        },
        product_tree: ProductTree {
            branches: vec![Branch {
                branches: vec![Branch {
                    branches: vec![
                        version("4.2.0", "CSAFPID-0001", BranchCategory::ProductVersion),
                        version("4.2.1", "CSAFPID-0002", BranchCategory::ProductVersion),
                    ],
                    category: BranchCategory::ProductName,
                    name: "Example Portal".to_owned(),
                    product: None,
                }],
                category: BranchCategory::Vendor,
                name: "Example Corp".to_owned(),
                product: None,
            }],
        },
        vulnerabilities: vec![Vulnerability {
            acknowledgments: vec![Acknowledgment {
                names: vec!["Jane Finder".to_owned()],
                organization: Some("Example Research".to_owned()),
                summary: Some("finder".to_owned()),
                urls: vec![],
            }],
            cve: Some("CVE-2026-12345".to_owned()),
            cwe: Some(Cwe {
                id: "CWE-79".to_owned(),
                name: "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')".to_owned(),
            }),
            involvements: vec![Involvement {
                date: Some(first),
                party: InvolvementParty::Vendor,
                status: InvolvementStatus::Completed,
                summary: None,
            }],
            notes: vec![
                Note {
                    category: NoteCategory::Description,
                    text: "The comment field is not escaped.".to_owned(),
                    title: Some("Description".to_owned()),
                },
                v4_note,
            ],
            product_status: ProductStatus {
                fixed: vec!["CSAFPID-0002".to_owned()],
                known_affected: vec!["CSAFPID-0001".to_owned()],
                ..ProductStatus::default()
            },
            references: vec![v4_reference],
            remediations: vec![Remediation {
                category: RemediationCategory::VendorFix,
                details: "Upgrade to 4.2.1.".to_owned(),
                product_ids: vec!["CSAFPID-0001".to_owned()],
                url: None,
            }],
            scores: vec![Score {
                cvss_v2: None,
                cvss_v3: Some(cvss_v3),
                products: vec!["CSAFPID-0001".to_owned()],
            }],
            threats: vec![Threat {
                category: ThreatCategory::Impact,
                details: "Script runs in other users' sessions.".to_owned(),
                product_ids: vec!["CSAFPID-0001".to_owned()],
            }],
            title: Some("Stored XSS in the comment field".to_owned()),
        }],
    }
}

#[test]
fn csaf_advisory() {
    let document = csaf_document();
    check(&document, "csaf-advisory.json", Schema::Csaf);
    let json = serde_json::to_string(&document).expect("serialises");
    assert_eq!(unsorted_keys(&json), Ok(vec![]));
}

#[test]
fn csaf_schema_refuses_what_csaf_2_0_lacks() {
    let mut value = serde_json::to_value(csaf_document()).expect("serialises");
    value["document"]["distribution"]["tlp"]["label"] = "CLEAR".into();
    value["vulnerabilities"][0]["scores"][0]["cvss_v3"]["version"] = "4.0".into();
    let problems = violations(Schema::Csaf, &value);
    assert!(problems.len() >= 2, "{problems:#?}");
}

#[test]
fn csaf_provider_metadata() {
    let metadata = ProviderMetadata {
        canonical_url: "https://example.com/.well-known/csaf/provider-metadata.json".to_owned(),
        distributions: vec![ProviderDistribution {
            directory_url: Some("https://example.com/.well-known/csaf/white/".to_owned()),
            rolie: Some(Rolie {
                feeds: vec![RolieFeedRef {
                    summary: Some("TLP:WHITE advisories".to_owned()),
                    tlp_label: TlpV1Label::White,
                    url: "https://example.com/.well-known/csaf/white/csaf-feed-tlp-white.json"
                        .to_owned(),
                }],
            }),
        }],
        last_updated: at(datetime!(2026-11-02 10:00 UTC)),
        list_on_csaf_aggregators: true,
        metadata_version: "2.0",
        mirror_on_csaf_aggregators: true,
        public_openpgp_keys: vec![OpenPgpKey {
            fingerprint: Some("C6CAFA1C16802EDC8635745BF165CD620F11DBA1".to_owned()),
            url: "https://example.com/.well-known/csaf/openpgp/C6CAFA1C16802EDC8635745BF165CD620F11DBA1.asc".to_owned(),
        }],
        publisher: publisher(),
        role: ProviderRole::CsafTrustedProvider,
    };
    check(
        &metadata,
        "csaf-provider-metadata.json",
        Schema::CsafProviderMetadata,
    );
}

#[test]
fn csaf_rolie_feed() {
    let document = FeedDocument {
        tracking_id: "EXA-2026-0001".to_owned(),
        title: "Example Portal: stored XSS".to_owned(),
        summary: Some("Stored XSS in Example Portal.".to_owned()),
        url: "https://example.com/.well-known/csaf/white/2026/exa-2026-0001.json".to_owned(),
        initial_release_date: at(datetime!(2026-11-01 10:00 UTC)),
        current_release_date: at(datetime!(2026-11-02 10:00 UTC)),
    };
    let feed = RolieFeed::new(
        "csaf-feed-tlp-white",
        "Example Corp CSAF advisories (TLP:WHITE)",
        "https://example.com/.well-known/csaf/white/csaf-feed-tlp-white.json",
        &[document],
        at(datetime!(2026-01-01 0:00 UTC)),
    );
    check(&feed, "csaf-rolie-feed.json", Schema::CsafRolieFeed);
}

fn cna_container() -> CnaContainer {
    let org_id: CveOrgId = "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"
        .parse()
        .expect("valid");
    CnaContainer {
        provider_metadata: cve_record::ProviderMetadata {
            org_id,
            short_name: None,
            date_updated: Some(at(datetime!(2026-11-02 10:00 UTC))),
        },
        title: Some("Stored XSS in Example Portal comment field".to_owned()),
        date_public: Some(at(datetime!(2026-11-01 10:00 UTC))),
        descriptions: vec![cve_record::Description::english(
            "Stored XSS in the comment field of Example Portal before 4.2.1.",
        )],
        affected: vec![CveAffected {
            vendor: "Example Corp".to_owned(),
            product: "Example Portal".to_owned(),
            package_url: Some("pkg:npm/example-portal".to_owned()),
            cpes: vec![],
            default_status: VersionStatus::Unknown,
            versions: vec![
                Version {
                    version: "0".to_owned(),
                    status: VersionStatus::Affected,
                    version_type: Some("custom".to_owned()),
                    less_than: Some("4.2.1".to_owned()),
                    less_than_or_equal: None,
                },
                Version::single("4.2.1", VersionStatus::Unaffected),
            ],
        }],
        problem_types: vec![ProblemType {
            descriptions: vec![ProblemTypeDescription {
                lang: "en".to_owned(),
                description: "CWE-79 Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')".to_owned(),
                cwe_id: Some("CWE-79".to_owned()),
                kind: "CWE",
            }],
        }],
        references: vec![cve_record::Reference {
            url: "https://example.com/advisories/EXA-2026-0001".to_owned(),
            name: Some("EXA-2026-0001".to_owned()),
            tags: vec![ReferenceTag::VendorAdvisory],
        }],
        metrics: vec![
            Metric::from_cvss(&cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N")),
            Metric::from_cvss(&cvss("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N")),
        ],
        solutions: vec![cve_record::Description::english("Upgrade to 4.2.1.")],
        workarounds: vec![],
        timeline: vec![TimelineEntry {
            time: at(datetime!(2026-08-03 0:00 UTC)),
            lang: "en".to_owned(),
            value: "Reported to vendor".to_owned(),
        }],
        credits: vec![cve_record::Credit {
            lang: "en".to_owned(),
            value: "Jane Finder (Example Research)".to_owned(),
            kind: cve_record::CreditType::Finder,
        }],
    }
}

#[test]
fn cve_cna_container_upload() {
    let upload = CnaUpload {
        cna_container: cna_container(),
    };
    check(&upload, "cve-cna-upload.json", Schema::CveCnaUpload);
}

#[test]
fn cve_record() {
    let metadata = CveMetadata {
        cve_id: "CVE-2026-12345".parse().expect("valid"),
        assigner_org_id: "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"
            .parse()
            .expect("valid"),
        assigner_short_name: Some("example".to_owned()),
        state: "PUBLISHED",
        date_published: Some(at(datetime!(2026-11-01 10:00 UTC))),
        date_updated: Some(at(datetime!(2026-11-02 10:00 UTC))),
    };
    let record = CveRecord::published(metadata, cna_container());
    let value = serde_json::to_value(&record).expect("serialises");
    assert_eq!(violations(Schema::CveRecord, &value), Vec::<String>::new());
    assert_eq!(value["dataVersion"], "5.2");
}

#[test]
fn cve_schema_refuses_an_empty_affected_list() {
    let mut container = cna_container();
    container.affected.clear();
    let upload = CnaUpload {
        cna_container: container,
    };
    let value = serde_json::to_value(&upload).expect("serialises");
    assert!(!violations(Schema::CveCnaUpload, &value).is_empty());
}

#[test]
fn osv_entry() {
    let entry = OsvEntry {
        schema_version: osv::SCHEMA_VERSION,
        id: osv::local_id("EXA-2026-0001"),
        modified: at(datetime!(2026-11-02 10:00 UTC)),
        published: Some(at(datetime!(2026-11-01 10:00 UTC))),
        withdrawn: None,
        aliases: vec!["CVE-2026-12345".to_owned()],
        summary: Some("Stored XSS in Example Portal comment field".to_owned()),
        details: Some("The comment field is not escaped.".to_owned()),
        severity: vec![osv::Severity {
            kind: SeverityType::CvssV4,
            score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N".to_owned(),
        }],
        affected: vec![
            osv::Affected {
                package: Some(Package {
                    ecosystem: "npm",
                    name: "example-portal".to_owned(),
                    purl: Some("pkg:npm/example-portal".to_owned()),
                }),
                ranges: vec![Range {
                    kind: RangeType::Ecosystem,
                    events: vec![
                        Event::Introduced("0".to_owned()),
                        Event::Fixed("4.2.1".to_owned()),
                    ],
                }],
                versions: vec![],
                database_specific: None,
            },
            osv::Affected {
                package: None,
                ranges: vec![],
                versions: vec!["4.0.0".to_owned()],
                database_specific: Some(AffectedDatabaseSpecific {
                    vendor: "Example Corp".to_owned(),
                    product: "Example Appliance".to_owned(),
                    affected_ranges: vec!["< 4.2.1".to_owned()],
                    fixed_in: vec!["4.2.1".to_owned()],
                }),
            },
        ],
        references: vec![osv::Reference {
            kind: ReferenceType::Advisory,
            url: "https://example.com/advisories/EXA-2026-0001".to_owned(),
        }],
        credits: vec![osv::Credit {
            name: "Jane Finder".to_owned(),
            contact: vec!["https://example.org/jane".to_owned()],
            kind: osv::CreditType::Finder,
        }],
        database_specific: Some(DatabaseSpecific {
            cwe_ids: vec!["CWE-79".to_owned()],
            url: Some("https://example.com/advisories/EXA-2026-0001".to_owned()),
        }),
    };
    check(&entry, "osv-entry.json", Schema::Osv);
}

#[test]
fn osv_schema_refuses_unprefixed_local_ids() {
    let value = serde_json::json!({"id": "EXA-2026-0001", "modified": "2026-11-02T10:00:00.000Z"});
    assert!(!violations(Schema::Osv, &value).is_empty());
}
