//! The `[advisories]` table: how published advisories name the organization. The contact
//! the documents give, and, for a CVE Numbering Authority, its organization id at CVE
//! Services (`CVDESK_CNA_ORG_ID`) and short name; without the id the desk writes no CVE
//! record. A CNA with a CVE Services account also gives its base URL and user; the API
//! key comes from a file named by `CVDESK_CVE_SERVICES_API_KEY_FILE` (or the file's
//! `cve_services_api_key_file`), or from `CVDESK_CVE_SERVICES_API_KEY`; never from the
//! configuration file itself, and it is never printed.

use anyhow::Context;
use cvdesk_server::advisories::cve_services::{ApiKey, CveServicesAccount};
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
    /// CVE Services' base URL, e.g. `https://cveawg.mitre.org/api`.
    cve_services_url: Option<String>,
    /// The CVE Services user the desk calls as.
    cve_services_user: Option<String>,
    /// A file holding the user's API key (`CVDESK_CVE_SERVICES_API_KEY_FILE` wins).
    cve_services_api_key_file: Option<std::path::PathBuf>,
}

const KEY_VARIABLE: &str = "CVDESK_CVE_SERVICES_API_KEY";
const KEY_FILE_VARIABLE: &str = "CVDESK_CVE_SERVICES_API_KEY_FILE";

fn api_key(file: &AdvisoriesFile) -> anyhow::Result<Option<String>> {
    let named = std::env::var_os(KEY_FILE_VARIABLE)
        .map(|path| (KEY_FILE_VARIABLE, std::path::PathBuf::from(path)))
        .or_else(|| {
            file.cve_services_api_key_file
                .clone()
                .map(|path| ("advisories.cve_services_api_key_file", path))
        });
    if let Some((source, path)) = named {
        let key = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {source} {}", path.display()))?;
        return Ok(Some(key.trim().to_owned()).filter(|key| !key.is_empty()));
    }
    Ok(std::env::var(KEY_VARIABLE)
        .ok()
        .map(|key| key.trim().to_owned())
        .filter(|key| !key.is_empty()))
}

/// The account when any part of it is given; every part is then needed.
fn cve_services(
    file: &AdvisoriesFile,
    short_name: Option<&String>,
    key: Option<String>,
) -> anyhow::Result<Option<CveServicesAccount>> {
    let blank = |text: &Option<String>| text.clone().filter(|t| !t.trim().is_empty());
    let url = blank(&file.cve_services_url);
    let user = blank(&file.cve_services_user);
    if url.is_none() && user.is_none() && key.is_none() {
        return Ok(None);
    }
    let mut missing = Vec::new();
    if url.is_none() {
        missing.push("advisories.cve_services_url");
    }
    if user.is_none() {
        missing.push("advisories.cve_services_user");
    }
    if key.is_none() {
        missing.push(KEY_FILE_VARIABLE);
    }
    if short_name.is_none() {
        missing.push("advisories.cna_short_name");
    }
    let (Some(url), Some(user), Some(key), Some(org), true) =
        (url, user, key, short_name, missing.is_empty())
    else {
        anyhow::bail!(
            "a CVE Services account needs {} as well",
            missing.join(", ")
        );
    };
    let url = url.trim().trim_end_matches('/').to_owned();
    if !(url.starts_with("https://") || is_loopback_http(&url)) {
        anyhow::bail!(
            "advisories.cve_services_url '{url}' must be an https:// address (plain http \
             only on this machine's loopback), e.g. https://cveawg.mitre.org/api"
        );
    }
    Ok(Some(CveServicesAccount {
        url,
        org: org.trim().to_owned(),
        user: user.trim().to_owned(),
        key: ApiKey::new(key),
    }))
}

fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
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
    let cna_short_name = blank(&file.cna_short_name);
    Ok(AdvisorySettings {
        contact: blank(&file.contact),
        cna_org_id,
        cve_services: cve_services(file, cna_short_name.as_ref(), api_key(file)?)?,
        cna_short_name,
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

    #[test]
    fn a_cve_services_account_needs_every_part() {
        let file: AdvisoriesFile = toml::from_str(
            "cna_short_name = \"example\"\ncve_services_url = \"https://cveawg-test.mitre.org/api/\"\ncve_services_user = \"desk@example.org\"",
        )
        .expect("parses");
        let error = cve_services(&file, file.cna_short_name.as_ref(), None).expect_err("no key");
        assert_eq!(
            error.to_string(),
            "a CVE Services account needs CVDESK_CVE_SERVICES_API_KEY_FILE as well"
        );
        let account = cve_services(&file, file.cna_short_name.as_ref(), Some("k".to_owned()))
            .expect("valid")
            .expect("an account");
        assert_eq!(account.url, "https://cveawg-test.mitre.org/api");
        assert_eq!(account.org, "example");
        let plain: AdvisoriesFile = toml::from_str(
            "cve_services_url = \"http://cve.example.org/api\"\ncve_services_user = \"u\"",
        )
        .expect("parses");
        let short = "example".to_owned();
        assert!(cve_services(&plain, Some(&short), Some("k".to_owned()))
            .expect_err("plain http")
            .to_string()
            .contains("must be an https:// address"));
        let local: AdvisoriesFile = toml::from_str(
            "cve_services_url = \"http://127.0.0.1:9000/api\"\ncve_services_user = \"u\"",
        )
        .expect("parses");
        assert!(cve_services(&local, Some(&short), Some("k".to_owned()))
            .expect("loopback")
            .is_some());
        let none = AdvisoriesFile::default();
        assert!(cve_services(&none, None, None).expect("nothing").is_none());
    }
}
