//! The researcher's side of the configuration: who the researcher is (items a–d of the
//! inquiry), which deadline rules cases follow, the inquiry's default template, where
//! replies come back, and whether outbound fetches may reach private addresses.

use cvdesk_domain::outbound::deadlines::{DeadlineRules, Preset};
use cvdesk_domain::outbound::inquiry::{self, Researcher, DEFAULT_BODY, DEFAULT_SUBJECT};
use cvdesk_domain::reply_address::ReplyKey;
use cvdesk_store::Store;
use time::OffsetDateTime;

/// The settings key of the reply-address key, shared by every instance.
const REPLY_KEY_SETTING: &str = "reply_address_key";

#[derive(Debug, Clone)]
pub struct OutboundSettings {
    /// Items a–d; `None` until a name and an e-mail address are configured, and then no
    /// inquiry can be sent.
    pub researcher: Option<Researcher>,
    /// The rules new cases follow.
    pub preset: Preset,
    pub verify_business_days: u32,
    pub announce_calendar_days: u32,
    pub inquiry_subject: String,
    pub inquiry_body: String,
    /// `security@research.example`: replies come back to `security+TOKEN@research.example`.
    pub inbound_address: Option<String>,
    /// `CVDESK_OUTBOUND_ALLOW_PRIVATE=on`: fetches may use http and private addresses
    /// (intranet vendors, tests).
    pub allow_private: bool,
}

impl Default for OutboundSettings {
    fn default() -> Self {
        OutboundSettings {
            researcher: None,
            preset: Preset::Standard,
            verify_business_days: 5,
            announce_calendar_days: 90,
            inquiry_subject: DEFAULT_SUBJECT.to_owned(),
            inquiry_body: DEFAULT_BODY.to_owned(),
            inbound_address: None,
            allow_private: false,
        }
    }
}

/// Why the outbound settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OutboundSettingsError {
    #[error("outbound {0}: {1}")]
    Template(&'static str, inquiry::TemplateError),
    #[error(
        "outbound inbound_address: '{0}' is not an e-mail address such as security@example.org"
    )]
    InboundAddress(String),
    #[error("outbound researcher_email: '{0}' is not an e-mail address")]
    ResearcherEmail(String),
}

impl OutboundSettings {
    /// Checks the templates and addresses.
    pub fn check(&self) -> Result<(), OutboundSettingsError> {
        inquiry::placeholders(&self.inquiry_subject)
            .map_err(|e| OutboundSettingsError::Template("inquiry_subject", e))?;
        inquiry::placeholders(&self.inquiry_body)
            .map_err(|e| OutboundSettingsError::Template("inquiry_body", e))?;
        if let Some(address) = &self.inbound_address {
            if !cvdesk_domain::vendor::is_email(address) {
                return Err(OutboundSettingsError::InboundAddress(address.clone()));
            }
        }
        if let Some(researcher) = &self.researcher {
            if !cvdesk_domain::vendor::is_email(&researcher.email) {
                return Err(OutboundSettingsError::ResearcherEmail(
                    researcher.email.clone(),
                ));
            }
        }
        Ok(())
    }

    /// The rules of `preset` with the configured days.
    pub fn rules(&self, preset: Preset) -> DeadlineRules {
        preset.rules(self.verify_business_days, self.announce_calendar_days)
    }
}

/// The desk's key for reply addresses, made on first use and shared through the store.
pub async fn reply_key(
    store: &dyn Store,
    now: OffsetDateTime,
) -> Result<ReplyKey, cvdesk_store::StoreError> {
    let mut fresh = [0u8; 32];
    getrandom::fill(&mut fresh)
        .map_err(|e| cvdesk_store::StoreError::Corrupt(format!("random source: {e}")))?;
    let stored = store
        .setting_or_insert(REPLY_KEY_SETTING, &hex_encode(&fresh), now)
        .await?;
    let bytes = hex_decode(&stored).ok_or_else(|| {
        cvdesk_store::StoreError::Corrupt("the reply-address key is not 64 hex digits".to_owned())
    })?;
    Ok(ReplyKey::new(bytes))
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (index, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_hex() {
        let key = [0xab; 32];
        assert_eq!(hex_decode(&hex_encode(&key)), Some(key));
        assert_eq!(hex_decode("zz"), None);
    }

    #[test]
    fn bad_templates_and_addresses_stop_the_start() {
        let mut settings = OutboundSettings::default();
        assert!(settings.check().is_ok());
        settings.inquiry_body = "{{nope}}".into();
        assert!(settings.check().is_err());
        settings.inquiry_body = DEFAULT_BODY.into();
        settings.inbound_address = Some("not mail".into());
        assert!(settings.check().is_err());
    }
}
