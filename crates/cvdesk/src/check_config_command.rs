//! `cvdesk check-config`: reads the configuration, the environment and the flags exactly as
//! `serve` does, and says what is wrong (exit 1) and what is risky for a desk finders rely
//! on (exit 0, each named with what to do), without starting anything.

use std::process::ExitCode;

use clap::Args;
use cvdesk_server::openpgp::{self, KeyError, LoadError, Passphrase};
use cvdesk_server::{ClientAddressSource, Mailer};
use cvdesk_store::{AttachmentStorage, StoreError};
use time::OffsetDateTime;

use crate::cli::ServeOptions;
use crate::config::ServeConfig;
use crate::error_report::one_line;

#[derive(Args, Debug)]
pub struct CheckConfigOptions {
    /// The settings to check, as `serve` takes them.
    #[command(flatten)]
    pub serve: Box<ServeOptions>,
}

/// One thing found: an error stops `serve` or breaks a part of the desk; a risk is
/// allowed but rarely what an operator wants in production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Error(String),
    Risk(String),
}

pub fn run(options: CheckConfigOptions) -> anyhow::Result<ExitCode> {
    let findings = match ServeConfig::load(*options.serve) {
        Err(error) => vec![Finding::Error(one_line(&error))],
        Ok(config) => {
            let mut findings = risks(&config);
            if let Err(error) = Mailer::new(&config.mail) {
                let error = config.mail_names.refusal(&error).context("mail settings");
                findings.push(Finding::Error(one_line(&error)));
            }
            findings.extend(crate::command_context::runtime()?.block_on(store_findings(&config)));
            findings
        }
    };
    let errors = findings
        .iter()
        .filter(|finding| matches!(finding, Finding::Error(_)))
        .count();
    for finding in &findings {
        match finding {
            Finding::Error(text) => println!("error: {text}"),
            Finding::Risk(text) => println!("risk: {text}"),
        }
    }
    println!(
        "{errors} error(s), {} risk(s)",
        findings.len().saturating_sub(errors)
    );
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// What the settings alone make risky.
pub fn risks(config: &ServeConfig) -> Vec<Finding> {
    let mut risks = Vec::new();
    match config.public_url.as_deref() {
        None => risks.push(Finding::Risk(format!(
            "no public URL: tracking links and security.txt name http://{} (set --public-url \
             or public_url to the https:// address finders use)",
            config.listen
        ))),
        Some(url) if url.starts_with("http://") => risks.push(Finding::Risk(format!(
            "the public URL {url} is http://: reports and tracking links travel unencrypted \
             (serve the desk over https:// behind a proxy)"
        ))),
        Some(_) => {}
    }
    if config.mail.smtp_url.is_none() {
        risks.push(Finding::Risk(
            "no SMTP URL: mail to finders and staff is queued but never sent (set --smtp-url \
             or [mail] smtp_url)"
                .to_owned(),
        ));
    } else if config.mail.staff_recipients.is_empty() {
        risks.push(Finding::Risk(
            "no staff recipients: nobody is told of new reports by mail (set \
             --mail-staff-recipient or [mail] staff_recipients)"
                .to_owned(),
        ));
    }
    if !config.challenge.enabled {
        risks.push(Finding::Risk(
            "the intake challenge is off: scripts can send reports as fast as the rate limit \
             allows (set --intake-challenge on)"
                .to_owned(),
        ));
    }
    if config.rate_limits.send_report.is_none() {
        risks.push(Finding::Risk(
            "report submissions have no rate limit (set --rate-limit-reports, e.g. 10/hour)"
                .to_owned(),
        ));
    }
    if let AttachmentStorage::Bucket(bucket) = &config.attachment_storage {
        if let Some(endpoint) = bucket.endpoint.as_deref().filter(|url| {
            url.starts_with("http://") && !crate::attachment_storage_config::is_loopback(url)
        }) {
            risks.push(Finding::Risk(format!(
                "the S3 endpoint {endpoint} is http://: attachments and the request signatures \
                 travel unencrypted (use https://, or a server on this machine)"
            )));
        }
    }
    let loopback = config.listen.ip().is_loopback();
    if !loopback && matches!(config.client_address, ClientAddressSource::Peer) {
        risks.push(Finding::Risk(format!(
            "listening on {} (not loopback) with no client address header: reached directly, \
             the desk is exposed without a proxy's TLS; behind a proxy, every finder shares \
             the proxy's address in rate limits (listen on 127.0.0.1, or set \
             --client-address-header and --trusted-proxy)",
            config.listen
        )));
    }
    risks
}

/// What the store says: whether it exists, whether its attachment bucket can be used, and
/// whether the organization key unlocks.
async fn store_findings(config: &ServeConfig) -> Vec<Finding> {
    let described = crate::store_choice::describe(&config.store);
    match cvdesk_store::store_exists(&config.store).await {
        Err(error) => vec![Finding::Error(format!(
            "cannot reach the {described}: {error}"
        ))],
        Ok(false) => {
            let mut findings = vec![Finding::Risk(format!(
                "no store at the {described} yet: serve will create a new, empty one there \
                 (point --data or --database-url at the desk's store if it has one)"
            ))];
            if let AttachmentStorage::Bucket(bucket) = &config.attachment_storage {
                if let Err(error) = cvdesk_store::check_bucket(bucket).await {
                    findings.push(Finding::Error(format!("attachment storage: {error}")));
                }
            }
            findings
        }
        Ok(true) => match cvdesk_store::open_with(
            &config.store,
            &config.attachment_storage,
            OffsetDateTime::now_utc(),
        )
        .await
        {
            Err(StoreError::Bucket(reason)) => {
                vec![Finding::Error(format!("attachment storage: {reason}"))]
            }
            Err(error) => vec![Finding::Error(format!(
                "cannot open the {described}: {error}"
            ))],
            Ok(store) => key_findings(
                openpgp::load(
                    store.as_ref(),
                    config.pgp_passphrase.as_ref().map(Passphrase::as_str),
                    OffsetDateTime::now_utc(),
                )
                .await,
            ),
        },
    }
}

fn key_findings<T>(loaded: Result<Option<T>, LoadError>) -> Vec<Finding> {
    match loaded {
        Ok(Some(_)) => Vec::new(),
        Ok(None) => vec![Finding::Risk(
            "no organization OpenPGP key: finders cannot encrypt reports and security.txt is \
             not signed (cvdesk pgp generate or cvdesk pgp import)"
                .to_owned(),
        )],
        Err(LoadError::Key(KeyError::PassphraseNeeded)) => vec![Finding::Error(
            "the organization key needs a passphrase and none is set \
             (CVDESK_PGP_PASSPHRASE or CVDESK_PGP_PASSPHRASE_FILE)"
                .to_owned(),
        )],
        Err(LoadError::Key(KeyError::WrongPassphrase)) => vec![Finding::Error(
            "the passphrase does not unlock the organization key".to_owned(),
        )],
        Err(error) => vec![Finding::Error(format!(
            "the organization key cannot be used: {error}"
        ))],
    }
}
