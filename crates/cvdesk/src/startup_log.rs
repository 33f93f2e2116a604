//! The start-up line: the configuration as structured fields, one per setting, so that a
//! JSON log gives each its own key and a text log reads as `key=value`. Secrets never
//! appear: URLs lose their passwords and the passphrase and tokens are left out.

use cvdesk_formats::redaction::redact_url;
use cvdesk_server::{ClientAddressSource, Rate};

use crate::config::{LogFormat, ServeConfig};

/// Logs the resolved configuration at `info`.
pub fn log_configuration(config: &ServeConfig) {
    let rates = &config.rate_limits;
    tracing::info!(
        listen = %config.listen,
        store = %crate::store_choice::describe(&config.store),
        attachment_storage = %config.attachment_storage.describe(&config.store),
        public_url = %config.public_url_or_listen(),
        organization_name = %config.organization_name,
        reference_prefix = %config.reference_prefix,
        log_format = log_format(config.log_format),
        intake_challenge = if config.challenge.enabled { "on" } else { "off" },
        challenge_difficulty = config.challenge.difficulty,
        rate_limit_reports = %rate(rates.send_report),
        rate_limit_tracking = %rate(rates.track),
        rate_limit_replies = %rate(rates.reply),
        rate_limit_sign_in = %rate(rates.sign_in),
        rate_limit_question_answers = %rate(rates.answer_question),
        client_address = %client_address(&config.client_address),
        smtp_url = %config.mail.smtp_url.as_deref().map_or_else(|| "none".to_owned(), redact_url),
        mail_from = config.mail.from.as_deref().unwrap_or("none"),
        staff_recipients = config.mail.staff_recipients.len(),
        attachment_max_file_bytes = config.attachment_limits.max_file_bytes,
        attachment_max_total_bytes = config.attachment_limits.max_total_bytes,
        attachment_max_files = config.attachment_limits.max_files,
        pgp_passphrase = if config.pgp_passphrase.is_some() { "set" } else { "none" },
        metrics_listen = %config
            .metrics
            .listen
            .map_or_else(|| "none".to_owned(), |address| address.to_string()),
        "starting"
    );
}

fn log_format(format: LogFormat) -> &'static str {
    match format {
        LogFormat::Text => "text",
        LogFormat::Json => "json",
    }
}

fn rate(rate: Option<Rate>) -> String {
    rate.map_or_else(|| "off".to_owned(), |rate| rate.to_string())
}

/// Where the client's address comes from, in the settings' own words.
pub fn client_address(source: &ClientAddressSource) -> String {
    match source {
        ClientAddressSource::Peer => "the TCP peer".to_owned(),
        ClientAddressSource::Proxied { header, proxies } => {
            let proxies: Vec<String> = proxies.iter().map(ToString::to_string).collect();
            format!("{header} from {}", proxies.join(", "))
        }
    }
}
