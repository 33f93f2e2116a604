//! The `[advisories]` table: how published advisories name the organization. The contact
//! the documents give, and, for a CVE Numbering Authority, its organization id at CVE
//! Services (`CVDESK_CNA_ORG_ID`) and short name; without the id the desk writes no CVE
//! record.

use anyhow::Context;
use cvdesk_server::AdvisorySettings;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvisoriesFile {
    /// How to reach the security team, as CSAF's `contact_details` (e.g. an e-mail address).
    contact: Option<String>,
    /// The CNA's organization UUID at CVE Services.
    cna_org_id: Option<String>,
    /// The CNA's short name at CVE Services.
    cna_short_name: Option<String>,
}

/// The file's keys, with `CVDESK_CNA_ORG_ID` taking precedence.
pub fn resolve(file: &AdvisoriesFile) -> anyhow::Result<AdvisorySettings> {
    let org_id = std::env::var("CVDESK_CNA_ORG_ID")
        .ok()
        .filter(|id| !id.trim().is_empty())
        .or_else(|| file.cna_org_id.clone());
    let cna_org_id = org_id
        .map(|id| {
            id.trim()
                .parse()
                .map_err(|error| anyhow::anyhow!("{error}"))
                .with_context(|| {
                    format!("advisories.cna_org_id '{id}' is not a CNA organization id (a UUID)")
                })
        })
        .transpose()?;
    let blank = |text: &Option<String>| text.clone().filter(|t| !t.trim().is_empty());
    Ok(AdvisorySettings {
        contact: blank(&file.contact),
        cna_org_id,
        cna_short_name: blank(&file.cna_short_name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cna_id_must_be_a_uuid() {
        let file: AdvisoriesFile = toml::from_str("cna_org_id = \"not-a-uuid\"").expect("parses");
        assert!(resolve(&file).is_err());
        let file: AdvisoriesFile = toml::from_str(
            "cna_org_id = \"b3476cb9-2e3d-41a6-98d0-0f47421a65b6\"\ncna_short_name = \"example\"\ncontact = \"security@example.com\"",
        )
        .expect("parses");
        let settings = resolve(&file).expect("valid");
        assert!(settings.cna_org_id.is_some());
        assert_eq!(settings.contact.as_deref(), Some("security@example.com"));
        assert!(toml::from_str::<AdvisoriesFile>("unknown = 1").is_err());
    }
}
