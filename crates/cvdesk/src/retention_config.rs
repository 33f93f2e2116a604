//! The `[retention]` table: how many days the desk keeps personal data and spent records
//! (see `cvdesk_domain::retention`). Every key is optional; the defaults are the safe ones
//! documented in the README and cvdesk.example.toml.

use cvdesk_domain::retention::{days, RetentionSettings};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionFile {
    /// Days after a report closes that its client address is forgotten [default: 90].
    client_address_days: Option<i64>,
    /// Days after a report is closed as spam that it is deleted with its files [default: 30].
    spam_days: Option<i64>,
    /// Days after expiry or use that sessions, one-time links and spent intake challenges
    /// are deleted [default: 30].
    spent_days: Option<i64>,
    /// Days after sending that a mail's recipient and body are deleted [default: 90].
    sent_mail_days: Option<i64>,
}

pub fn resolve(file: &RetentionFile) -> anyhow::Result<RetentionSettings> {
    let defaults = RetentionSettings::default();
    let setting = |name: &'static str, value: Option<i64>, default: u32| match value {
        Some(value) => days(name, value).map_err(|error| anyhow::anyhow!("[retention] {error}")),
        None => Ok(default),
    };
    Ok(RetentionSettings {
        client_address_days: setting(
            "client_address_days",
            file.client_address_days,
            defaults.client_address_days,
        )?,
        spam_days: setting("spam_days", file.spam_days, defaults.spam_days)?,
        spent_days: setting("spent_days", file.spent_days, defaults.spent_days)?,
        sent_mail_days: setting(
            "sent_mail_days",
            file.sent_mail_days,
            defaults.sent_mail_days,
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> anyhow::Result<RetentionSettings> {
        let file: RetentionFile = toml::from_str(text)?;
        resolve(&file)
    }

    #[test]
    fn missing_keys_take_the_defaults_and_bad_days_are_refused() {
        assert_eq!(read("").expect("empty"), RetentionSettings::default());
        let read_back = read("spam_days = 7\nsent_mail_days = 365").expect("valid");
        assert_eq!(read_back.spam_days, 7);
        assert_eq!(read_back.sent_mail_days, 365);
        assert_eq!(read_back.client_address_days, 90);
        let refused = read("spent_days = 0").expect_err("zero").to_string();
        assert!(
            refused.contains("[retention] spent_days is 0 days"),
            "{refused}"
        );
        assert!(
            read("forget_everything = 1").is_err(),
            "unknown keys are refused"
        );
    }
}
