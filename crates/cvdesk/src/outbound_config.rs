//! The `[outbound]` table: the researcher's side of disclosure. Who reports (items a–d of
//! the inquiry), which deadline rules cases follow, the inquiry's default template, where
//! replies come back, and whether contact discovery may reach private addresses
//! (`CVDESK_OUTBOUND_ALLOW_PRIVATE`, `--outbound-allow-private`).

use anyhow::bail;
use cvdesk_domain::outbound::inquiry::Researcher;
use cvdesk_server::outbound::OutboundSettings;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundFile {
    /// The researcher's name (item c), e.g. "Ada Lovelace".
    researcher_name: Option<String>,
    /// Where vendors reach the researcher (item c).
    researcher_email: Option<String>,
    researcher_phone: Option<String>,
    /// The researcher's organization, when they report for one.
    researcher_organization: Option<String>,
    /// The researcher's disclosure policy (item a) [default: PUBLIC_URL/disclosure-policy].
    policy_url: Option<String>,
    /// Whether the researcher wishes to be credited (item d) [default: true].
    credit: Option<bool>,
    /// standard, project_zero or project_zero_in_the_wild [default: standard].
    preset: Option<String>,
    /// Business days the vendor has to verify [default: 5].
    verify_business_days: Option<u32>,
    /// Calendar days until the announcement [default: 90].
    announce_calendar_days: Option<u32>,
    /// The inquiry's default subject and text (placeholders such as {{product}}).
    inquiry_subject: Option<String>,
    inquiry_body: Option<String>,
    /// The mailbox `cvdesk mail receive` is fed from, e.g. security@research.example;
    /// replies come back to security+TOKEN@research.example.
    inbound_address: Option<String>,
    /// "on" lets contact discovery use http and private addresses [default: off].
    allow_private: Option<String>,
}

/// The outbound settings from the file, with `allow_private` from the flag or variable.
pub fn resolve(
    file: &OutboundFile,
    allow_private: Option<&str>,
) -> anyhow::Result<OutboundSettings> {
    let defaults = OutboundSettings::default();
    let trimmed = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let researcher = match (
        trimmed(&file.researcher_name),
        trimmed(&file.researcher_email),
    ) {
        (Some(name), Some(email)) => Some(Researcher {
            name,
            email,
            phone: trimmed(&file.researcher_phone),
            organization: trimmed(&file.researcher_organization),
            // Filled in from the public URL once it is known, when not configured.
            policy_url: trimmed(&file.policy_url).unwrap_or_default(),
            credit: file.credit.unwrap_or(true),
        }),
        (None, None) => None,
        _ => bail!(
            "outbound: set both researcher_name and researcher_email (the inquiry names who \
             reports and how to reach them), or neither"
        ),
    };
    let preset = match file.preset.as_deref() {
        None => defaults.preset,
        Some(text) => text
            .parse()
            .map_err(|error| anyhow::anyhow!("outbound preset: {error}"))?,
    };
    let allow_private = match crate::setting_names::OUTBOUND_ALLOW_PRIVATE
        .pick(allow_private, file.allow_private.as_deref())
    {
        None => false,
        Some(switch) => match switch.value {
            "off" => false,
            "on" => true,
            other => bail!("{}: '{other}' is not on or off", switch.name),
        },
    };
    let verify_business_days = file
        .verify_business_days
        .unwrap_or(defaults.verify_business_days);
    let announce_calendar_days = file
        .announce_calendar_days
        .unwrap_or(defaults.announce_calendar_days);
    if !(1..=60).contains(&verify_business_days) {
        bail!("outbound verify_business_days {verify_business_days} is outside 1 to 60");
    }
    if !(1..=365).contains(&announce_calendar_days) {
        bail!("outbound announce_calendar_days {announce_calendar_days} is outside 1 to 365");
    }
    let settings = OutboundSettings {
        researcher,
        preset,
        verify_business_days,
        announce_calendar_days,
        inquiry_subject: file
            .inquiry_subject
            .clone()
            .unwrap_or(defaults.inquiry_subject),
        inquiry_body: file.inquiry_body.clone().unwrap_or(defaults.inquiry_body),
        inbound_address: trimmed(&file.inbound_address),
        allow_private,
    };
    settings.check()?;
    Ok(settings)
}

/// Fills in the policy address from the public URL when none is configured.
pub fn with_public_url(mut settings: OutboundSettings, public_url: &str) -> OutboundSettings {
    if let Some(researcher) = settings.researcher.as_mut() {
        if researcher.policy_url.is_empty() {
            researcher.policy_url = format!("{public_url}/disclosure-policy");
        }
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> OutboundFile {
        toml::from_str(text).expect("toml")
    }

    #[test]
    fn a_researcher_needs_a_name_and_an_address() {
        let settings = resolve(
            &file("researcher_name = \"Ada\"\nresearcher_email = \"ada@research.example\"\ninbound_address = \"security@research.example\""),
            None,
        )
        .expect("valid");
        let settings = with_public_url(settings, "https://research.example");
        let researcher = settings.researcher.expect("researcher");
        assert_eq!(
            researcher.policy_url,
            "https://research.example/disclosure-policy"
        );
        assert!(researcher.credit);
        let refused = resolve(&file("researcher_name = \"Ada\""), None).expect_err("refused");
        assert!(
            refused.to_string().contains("researcher_email"),
            "{refused}"
        );
        assert!(resolve(&file("preset = \"p0\""), None).is_err());
        assert!(resolve(&file("inquiry_body = \"{{nope}}\""), None).is_err());
        assert!(resolve(&file(""), Some("maybe")).is_err());
        assert!(resolve(&file(""), Some("on")).expect("valid").allow_private);
        assert!(toml::from_str::<OutboundFile>("unknown = 1").is_err());
    }
}
