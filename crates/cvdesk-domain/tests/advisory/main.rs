//! Advisories end to end: content rules, revisions and their diff, and every document a
//! published revision becomes, validated against the publishers' schemas, for a sample and
//! for arbitrary valid advisories.

mod exports;
mod rules;

use cvdesk_domain::advisory::credit::{CreditText, CreditTextInput};
pub use cvdesk_domain::advisory::export::{AdvisoryUrls, CnaIdentity, PublisherProfile};
use cvdesk_domain::advisory::{AdvisoryContent, AdvisoryInput, Credit, CreditRole};
use cvdesk_domain::staff::ProductId;

pub fn sample_input() -> AdvisoryInput {
    serde_json::from_str(include_str!("sample.json")).expect("sample parses")
}

pub fn no_products(_: ProductId) -> Option<String> {
    None
}

pub fn sample_content() -> AdvisoryContent {
    AdvisoryContent::parse(&sample_input(), &no_products).expect("sample is valid")
}

pub fn publisher() -> PublisherProfile {
    PublisherProfile {
        name: "Example Corp PSIRT".to_owned(),
        namespace: "https://example.com".to_owned(),
        contact: Some("security@example.com".to_owned()),
        cna: Some(CnaIdentity {
            org_id: "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"
                .parse()
                .expect("valid"),
            short_name: Some("example".to_owned()),
        }),
    }
}

pub fn urls() -> AdvisoryUrls {
    AdvisoryUrls {
        html: "https://example.com/advisories/CVD-SA-2026-0001".to_owned(),
        csaf: "https://example.com/.well-known/csaf/white/2026/cvd-sa-2026-0001.json".to_owned(),
    }
}

pub fn accepted_credit(name: &str, role: CreditRole) -> Credit {
    let text = CreditText::parse(&CreditTextInput {
        name: name.to_owned(),
        organization: Some("Example Research".to_owned()),
        url: Some("https://example.org/jane".to_owned()),
    })
    .expect("valid credit");
    Credit::propose(text, role)
        .accept(time::macros::datetime!(2026-11-01 09:00 UTC))
        .expect("accepts")
}
