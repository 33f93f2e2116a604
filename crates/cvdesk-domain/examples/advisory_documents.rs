//! Writes the documents of a sample published advisory into a folder, for the oracle
//! tests (`tests/oracle/advisory_oracle.py`): the CSAF document, the CSAF provider's
//! metadata and ROLIE feed, a CVE CNA container (the upload body) and a whole CVE record per
//! CVE ID, the OSV entry and the Atom feed. The second revision carries what five
//! coordinated vendors said, one in each place on the contact axis and each product status.
//! Usage: `advisory_documents OUT_DIR`.

use std::fs;
use std::path::{Path, PathBuf};

use cvdesk_domain::advisory::credit::{publishable, CreditText, CreditTextInput};
use cvdesk_domain::advisory::export::{
    atom_entry, to_csaf, to_cve, to_cve_record, to_osv, AdvisoryUrls, CnaIdentity, Publication,
    PublisherProfile,
};
use cvdesk_domain::advisory::{
    AdvisoryContent, AdvisoryId, AdvisoryInput, Credit, CreditRole, RevisionHistory,
};
use cvdesk_domain::coordination::{Affectedness, ContactStatus, ProductStatus, VendorPosition};
use cvdesk_formats::atom::{Feed, Person};
use cvdesk_formats::csaf::{
    self, FeedDocument, OpenPgpKey, ProviderDistribution, ProviderMetadata, ProviderRole,
    Publisher, PublisherCategory, Rolie, RolieFeed, RolieFeedRef, TlpV1Label,
};
use cvdesk_formats::cve_record::CnaUpload;
use time::macros::datetime;

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let out: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: advisory_documents OUT_DIR")?;
    fs::create_dir_all(&out)?;
    let input: AdvisoryInput = serde_json::from_str(include_str!("../tests/advisory/sample.json"))?;
    let content = AdvisoryContent::parse(&input, &|_| None)
        .map_err(|errors| format!("sample is invalid: {:?}", errors.iter().collect::<Vec<_>>()))?;
    let finder = Credit::propose(
        CreditText::parse(&CreditTextInput {
            name: "Jane Finder".to_owned(),
            organization: Some("Example Research".to_owned()),
            url: Some("https://example.org/jane".to_owned()),
        })?,
        CreditRole::Finder,
    )
    .accept(datetime!(2026-11-01 09:00 UTC))?;
    let mut history = RevisionHistory::default();
    history.publish(
        content.clone(),
        vec![],
        "Initial version.",
        datetime!(2026-11-01 10:00 UTC),
    )?;
    let coordinated = AdvisoryContent {
        vendors: vendors()?,
        ..content.clone()
    };
    history.publish(
        coordinated,
        publishable(&[finder]),
        "Credited the finder.",
        datetime!(2026-11-02 10:00 UTC),
    )?;

    let id: AdvisoryId = "CVD-SA-2026-0001".parse()?;
    let base = "https://example.com/.well-known/csaf";
    let path = csaf::distribution_path(&id.to_string(), datetime!(2026-11-01 10:00 UTC).into());
    let urls = AdvisoryUrls {
        html: format!("https://example.com/advisories/{id}"),
        csaf: format!("{base}/white/{path}"),
    };
    let publisher = PublisherProfile {
        name: "Example Corp PSIRT".to_owned(),
        namespace: "https://example.com".to_owned(),
        contact: Some("security@example.com".to_owned()),
        cna: Some(CnaIdentity {
            org_id: "b3476cb9-2e3d-41a6-98d0-0f47421a65b6".parse()?,
            short_name: Some("example".to_owned()),
        }),
    };
    let publication = Publication {
        id: &id,
        history: &history,
        publisher: &publisher,
        urls: &urls,
        withdrawn_at: None,
    };

    let document = to_csaf(
        &publication,
        datetime!(2026-11-02 10:00 UTC),
        env!("CARGO_PKG_VERSION"),
    )?;
    write_json(&out, &csaf::file_name(&id.to_string()), &document)?;
    for cve in content.cve_ids() {
        let upload = CnaUpload {
            cna_container: to_cve(&publication, cve)?,
        };
        write_json(&out, &format!("cve-cna-{cve}.json"), &upload.cna_container)?;
        write_json(&out, &format!("cve-upload-{cve}.json"), &upload)?;
        write_json(
            &out,
            &format!("cve-record-{cve}.json"),
            &to_cve_record(&publication, cve)?,
        )?;
    }
    write_json(&out, "osv.json", &to_osv(&publication)?)?;

    let metadata = ProviderMetadata {
        canonical_url: format!("{base}/provider-metadata.json"),
        distributions: vec![ProviderDistribution {
            directory_url: Some(format!("{base}/white/")),
            rolie: Some(Rolie {
                feeds: vec![RolieFeedRef {
                    summary: Some("TLP:CLEAR advisories".to_owned()),
                    tlp_label: TlpV1Label::White,
                    url: format!("{base}/white/csaf-feed-tlp-white.json"),
                }],
            }),
        }],
        last_updated: datetime!(2026-11-02 10:00 UTC).into(),
        list_on_csaf_aggregators: true,
        metadata_version: "2.0",
        mirror_on_csaf_aggregators: true,
        public_openpgp_keys: vec![OpenPgpKey {
            fingerprint: Some("C6CAFA1C16802EDC8635745BF165CD620F11DBA1".to_owned()),
            url: format!("{base}/openpgp/C6CAFA1C16802EDC8635745BF165CD620F11DBA1.asc"),
        }],
        publisher: Publisher {
            category: PublisherCategory::Vendor,
            contact_details: publisher.contact.clone(),
            issuing_authority: None,
            name: publisher.name.clone(),
            namespace: publisher.namespace.clone(),
        },
        role: ProviderRole::CsafTrustedProvider,
    };
    write_json(&out, "provider-metadata.json", &metadata)?;
    let feed = RolieFeed::new(
        "csaf-feed-tlp-white",
        "Example Corp PSIRT CSAF advisories (TLP:CLEAR)",
        &format!("{base}/white/csaf-feed-tlp-white.json"),
        &[FeedDocument {
            tracking_id: id.to_string(),
            title: content.title.clone(),
            summary: Some(content.summary.clone()),
            url: urls.csaf.clone(),
            initial_release_date: datetime!(2026-11-01 10:00 UTC).into(),
            current_release_date: datetime!(2026-11-02 10:00 UTC).into(),
        }],
        datetime!(2026-11-02 10:00 UTC).into(),
    );
    write_json(&out, "csaf-feed-tlp-white.json", &feed)?;

    let atom = Feed {
        id: "https://example.com/advisories.atom".to_owned(),
        title: "Example Corp PSIRT security advisories".to_owned(),
        updated: datetime!(2026-11-02 10:00 UTC).into(),
        self_link: "https://example.com/advisories.atom".to_owned(),
        alternate_link: Some("https://example.com/advisories".to_owned()),
        author: Person {
            name: publisher.name.clone(),
            uri: Some(publisher.namespace.clone()),
        },
        entries: vec![atom_entry(&publication)?],
    };
    fs::write(out.join("advisories.atom"), atom.to_xml()?)?;
    Ok(())
}

/// Five vendors forwarded the reports: two answered (one of them about one CVE only), one
/// is looking into it, one never answered, one declined. Two were invited in the same
/// millisecond.
fn vendors() -> Result<Vec<VendorPosition>, Failure> {
    let status =
        |product: &str, status, fixed: Option<&str>, statement: Option<&str>| ProductStatus {
            vulnerability: None,
            product: product.to_owned(),
            status,
            fixed_version: fixed.map(str::to_owned),
            statement: statement.map(str::to_owned),
            references: Vec::new(),
        };
    let mut switch = status(
        "Acme Switch",
        Affectedness::Fixed,
        Some("5.0.1"),
        Some("Fixed in 5.0.1."),
    );
    switch.vulnerability = Some("CVE-2026-12346".parse()?);
    Ok(vec![
        VendorPosition {
            vendor: "Acme".to_owned(),
            contact: ContactStatus::Acknowledged,
            contact_since: datetime!(2026-10-20 08:00 UTC),
            products: vec![
                status(
                    "Acme Router",
                    Affectedness::Affected,
                    None,
                    Some("Versions 4.x are affected; 5.0 will fix it."),
                ),
                status("Acme Hub", Affectedness::NotAffected, None, None),
                switch,
            ],
        },
        VendorPosition {
            vendor: "Globex".to_owned(),
            contact: ContactStatus::Unresponsive,
            contact_since: datetime!(2026-10-27 00:00 UTC),
            products: Vec::new(),
        },
        VendorPosition {
            vendor: "Initech".to_owned(),
            contact: ContactStatus::Acknowledged,
            contact_since: datetime!(2026-10-21 09:00 UTC),
            products: vec![status(
                "Initech Gateway",
                Affectedness::UnderInvestigation,
                None,
                None,
            )],
        },
        VendorPosition {
            vendor: "Hooli".to_owned(),
            contact: ContactStatus::Declined,
            contact_since: datetime!(2026-10-27 00:00 UTC),
            products: Vec::new(),
        },
        VendorPosition {
            vendor: "Umbrella".to_owned(),
            contact: ContactStatus::Contacted,
            contact_since: datetime!(2026-10-20 08:00 UTC),
            products: Vec::new(),
        },
    ])
}

fn write_json(dir: &Path, name: &str, value: &impl serde::Serialize) -> Result<(), Failure> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    fs::write(dir.join(name), text)?;
    Ok(())
}
