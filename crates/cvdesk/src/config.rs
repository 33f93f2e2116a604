//! The one configuration of a running desk, resolved from defaults, then the TOML file,
//! then environment variables and flags (clap reads both, flags first). Unknown keys in
//! the file are refused rather than silently ignored; the database and SMTP URLs may come
//! from files (`CVDESK_DATABASE_URL_FILE`, `CVDESK_SMTP_URL_FILE`) and are never printed
//! with their passwords.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use cvdesk_domain::policy::{PolicyInput, PolicySettings};
use cvdesk_domain::sla::{Calendar, Holidays, LocalTime};
use cvdesk_domain::{AttachmentLimits, ReferencePrefix};
use cvdesk_server::openpgp::Passphrase;
use cvdesk_server::HttpLimits;
use cvdesk_server::{
    ChallengeSettings, ClientAddressHeader, ClientAddressSource, MailSettings, Rate, RateSettings,
};
use cvdesk_store::StoreLocation;
use ipnet::IpNet;
use serde::Deserialize;
use time::{UtcOffset, Weekday};

use crate::attachment_storage_config::StorageValues;
use crate::cli::{ServeOptions, StoreOptions};
use crate::http_config::HttpFile;
use crate::setting_names::{self as names, MailNames, Named};

/// Keys of the configuration file; every one is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// Address and port, or host name and port, to listen on.
    listen: Option<String>,
    /// Folder for the SQLite database and attachment files.
    data: Option<PathBuf>,
    /// PostgreSQL URL; prefer `CVDESK_DATABASE_URL_FILE` for secrets.
    database_url: Option<String>,
    /// The URL finders use to reach the desk.
    public_url: Option<String>,
    /// Shown on every page.
    organization_name: Option<String>,
    /// Prefix of reference numbers, e.g. "CVD".
    reference_prefix: Option<String>,
    /// "text" or "json".
    log_format: Option<String>,
    /// Reverse proxies whose client address header is believed.
    trusted_proxies: Option<Vec<String>>,
    /// The one header those proxies name the client in.
    client_address_header: Option<String>,
    /// Host names, besides the public URL's, whose security.txt is canonical here.
    security_txt_hosts: Option<Vec<String>>,
    /// The disclosure policy's first version, published on the first start.
    policy: Option<PolicySettings>,
    #[serde(default)]
    attachments: AttachmentsFile,
    #[serde(default)]
    http: HttpFile,
    #[serde(default)]
    intake: IntakeFile,
    #[serde(default)]
    rate_limits: RateLimitsFile,
    #[serde(default)]
    sla: SlaFile,
    #[serde(default)]
    mail: MailFile,
    #[serde(default)]
    outbound: crate::outbound_config::OutboundFile,
    #[serde(default)]
    advisories: crate::advisory_config::AdvisoriesFile,
    #[serde(default)]
    retention: crate::retention_config::RetentionFile,
    #[serde(default)]
    metrics: crate::metrics_config::MetricsFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MailFile {
    /// SMTP server URL; prefer `CVDESK_SMTP_URL_FILE` when it holds a password.
    smtp_url: Option<String>,
    /// The address mail is sent from.
    from: Option<String>,
    /// Staff addresses told of new reports, finders' replies and update requests.
    staff_recipients: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IntakeFile {
    /// "on" or "off".
    challenge: Option<String>,
    challenge_difficulty: Option<u8>,
    challenge_lifetime_hours: Option<u16>,
    /// Submissions in ten minutes that count as usual.
    usual_submissions: Option<u32>,
    /// Reports sent by answering the question in ten minutes that count as usual.
    usual_question_answers: Option<u32>,
}

/// The business calendar deadlines are counted in.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlaFile {
    /// Days off every week, e.g. ["saturday", "sunday"].
    weekend: Option<Vec<String>>,
    /// Public holidays as YYYY-MM-DD.
    holidays: Option<Vec<String>>,
    /// The offset of local time all year, e.g. "+01:00".
    utc_offset: Option<String>,
    /// An IANA time zone, e.g. "Europe/Berlin", whose offset follows daylight-saving
    /// time; instead of `utc_offset`.
    time_zone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitsFile {
    reports: Option<String>,
    tracking: Option<String>,
    replies: Option<String>,
    sign_in: Option<String>,
    question_answers: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentsFile {
    max_file_bytes: Option<u64>,
    max_total_bytes: Option<u64>,
    max_files: Option<usize>,
    /// What one report may receive over its life, its form's files and every reply's.
    max_report_bytes: Option<u64>,
    /// "store" (files in the data folder beside SQLite, rows in PostgreSQL) or "s3".
    storage: Option<String>,
    /// The S3 service's URL [default: AWS in `s3_region`].
    s3_endpoint: Option<String>,
    s3_bucket: Option<String>,
    /// [default: us-east-1]
    s3_region: Option<String>,
    s3_access_key_id: Option<String>,
    /// A file holding the secret access key.
    s3_secret_access_key_file: Option<PathBuf>,
    /// "on" for path-style addressing (MinIO and the like) [default: off].
    s3_path_style: Option<String>,
    /// A folder of the bucket for this desk's objects [default: the bucket's top].
    s3_prefix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Resolved settings of `cvdesk serve`.
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub store: StoreLocation,
    /// Where attachment bytes are kept.
    pub attachment_storage: cvdesk_store::AttachmentStorage,
    pub public_url: Option<String>,
    pub organization_name: String,
    pub reference_prefix: ReferencePrefix,
    pub attachment_limits: AttachmentLimits,
    pub http_limits: HttpLimits,
    pub log_format: LogFormat,
    pub challenge: ChallengeSettings,
    pub rate_limits: RateSettings,
    pub client_address: ClientAddressSource,
    pub security_txt_hosts: Vec<String>,
    pub policy: PolicySettings,
    /// Whether the file has a `[policy]` table, compared with the published policy at start.
    pub policy_in_file: bool,
    pub pgp_passphrase: Option<Passphrase>,
    pub mail: MailSettings,
    /// Where each mail setting came from, to name it when the mail settings are refused.
    pub mail_names: MailNames,
    pub calendar: Calendar,
    /// The researcher's side of disclosure; its policy address is filled in from the
    /// public URL when none is configured.
    pub outbound: cvdesk_server::outbound::OutboundSettings,
    /// How advisories name the organization (contact, CVE Numbering Authority).
    pub advisories: cvdesk_server::AdvisorySettings,
    /// How long personal data and spent records are kept.
    pub retention: cvdesk_domain::retention::RetentionSettings,
    /// Where `/metrics` is served, and who may read it.
    pub metrics: crate::metrics_config::MetricsConfig,
}

impl ServeConfig {
    /// The configured public URL, or the listen address as an http:// URL.
    pub fn public_url_or_listen(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }

    pub fn load(options: ServeOptions) -> anyhow::Result<Self> {
        let file = read_file(options.store.config.as_deref())?;
        let store = store_location(&options.store, &file)?;
        let attachment_storage = crate::attachment_storage_config::resolve(
            StorageValues {
                storage: options.attachment_storage,
                endpoint: options.s3_endpoint,
                bucket: options.s3_bucket,
                region: options.s3_region,
                access_key_id: options.s3_access_key_id,
                path_style: options.s3_path_style,
                prefix: options.s3_prefix,
            },
            StorageValues {
                storage: file.attachments.storage.clone(),
                endpoint: file.attachments.s3_endpoint.clone(),
                bucket: file.attachments.s3_bucket.clone(),
                region: file.attachments.s3_region.clone(),
                access_key_id: file.attachments.s3_access_key_id.clone(),
                path_style: file.attachments.s3_path_style.clone(),
                prefix: file.attachments.s3_prefix.clone(),
            },
            file.attachments.s3_secret_access_key_file.as_deref(),
        )?;
        let defaults = AttachmentLimits::default();
        let max_file_bytes = names::ATTACHMENT_MAX_FILE_BYTES.pick(
            options.attachment_max_file_bytes,
            file.attachments.max_file_bytes,
        );
        let max_total_bytes = names::ATTACHMENT_MAX_TOTAL_BYTES.pick(
            options.attachment_max_total_bytes,
            file.attachments.max_total_bytes,
        );
        for limit in [&max_file_bytes, &max_total_bytes].into_iter().flatten() {
            if limit.value == 0 {
                bail!(
                    "{}: attachment size limits must be greater than zero",
                    limit.name
                );
            }
        }
        let total_name = max_total_bytes.as_ref().map_or_else(
            || names::ATTACHMENT_MAX_TOTAL_BYTES.key.to_owned(),
            |limit| limit.name.clone(),
        );
        let attachment_limits = AttachmentLimits {
            max_file_bytes: max_file_bytes.map_or(defaults.max_file_bytes, |limit| limit.value),
            max_total_bytes: max_total_bytes.map_or(defaults.max_total_bytes, |limit| limit.value),
            max_files: options
                .attachment_max_files
                .or(file.attachments.max_files)
                .unwrap_or(defaults.max_files),
            max_report_bytes: file
                .attachments
                .max_report_bytes
                .unwrap_or(defaults.max_report_bytes),
        };
        if attachment_limits.max_report_bytes < attachment_limits.max_total_bytes {
            bail!(
                "attachments.max_report_bytes ({}) must be at least the total a report's form \
                 may carry, {total_name} ({})",
                attachment_limits.max_report_bytes,
                attachment_limits.max_total_bytes
            );
        }
        let http_limits = file.http.limits()?;
        let reference_prefix =
            match names::REFERENCE_PREFIX.pick(options.reference_prefix, file.reference_prefix) {
                Some(prefix) => prefix.value.parse().context(prefix.name)?,
                None => ReferencePrefix::default(),
            };
        let public_url = names::PUBLIC_URL
            .pick(options.public_url, file.public_url)
            .map(|url| check_public_url(&url.value, &url.name))
            .transpose()?;
        let log_format = match names::LOG_FORMAT.pick(options.log_format, file.log_format) {
            None => LogFormat::Text,
            Some(format) => match format.value.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => bail!("{}: '{other}' is not one of: text, json", format.name),
            },
        };
        let organization_name = match names::ORGANIZATION_NAME
            .pick(options.organization_name, file.organization_name)
        {
            None => "Example Organization".to_owned(),
            Some(name) if name.value.trim().is_empty() => bail!("{}: must not be empty", name.name),
            Some(name) => name.value,
        };
        let challenge = challenge_settings(
            options.intake_challenge,
            options.challenge_difficulty,
            &file.intake,
        )?;
        let defaults = RateSettings::defaults();
        let rate_limits = RateSettings {
            send_report: rate(
                names::RATE_LIMIT_REPORTS
                    .pick(options.rate_limit_reports, file.rate_limits.reports),
                defaults.send_report,
            )?,
            track: rate(
                names::RATE_LIMIT_TRACKING
                    .pick(options.rate_limit_tracking, file.rate_limits.tracking),
                defaults.track,
            )?,
            reply: rate(
                names::RATE_LIMIT_REPLIES
                    .pick(options.rate_limit_replies, file.rate_limits.replies),
                defaults.reply,
            )?,
            sign_in: rate(
                names::RATE_LIMIT_SIGN_IN
                    .pick(options.rate_limit_sign_in, file.rate_limits.sign_in),
                defaults.sign_in,
            )?,
            answer_question: rate(
                names::RATE_LIMIT_QUESTION_ANSWERS.pick(
                    options.rate_limit_question_answers,
                    file.rate_limits.question_answers,
                ),
                defaults.answer_question,
            )?,
        };
        let proxies =
            names::TRUSTED_PROXIES.pick_list(options.trusted_proxies, file.trusted_proxies);
        let security_txt_hosts = file
            .security_txt_hosts
            .unwrap_or_default()
            .iter()
            .map(|host| check_host(host))
            .collect::<anyhow::Result<_>>()?;
        let policy_in_file = file.policy.is_some();
        let policy = match file.policy {
            None => PolicySettings::default(),
            Some(policy) => PolicySettings::parse(&PolicyInput::of(&policy)).map_err(|errors| {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|(field, message)| format!("policy.{field}: {message}"))
                    .collect();
                anyhow::anyhow!("{}", lines.join("\n"))
            })?,
        };
        let smtp_url = match (options.smtp_url, read_secret_file("CVDESK_SMTP_URL_FILE")?) {
            (None, Some(url)) => Some(Named {
                value: url,
                name: "CVDESK_SMTP_URL_FILE".to_owned(),
            }),
            (given, _) => names::SMTP_URL.pick(given, file.mail.smtp_url),
        };
        let mail_from = names::MAIL_FROM.pick(options.mail_from, file.mail.from);
        let staff_recipients = names::MAIL_STAFF_RECIPIENTS
            .pick_list(options.mail_staff_recipients, file.mail.staff_recipients);
        let mail_names = MailNames {
            smtp_url: smtp_url
                .as_ref()
                .map_or_else(|| names::SMTP_URL.given(), |url| url.name.clone()),
            from: mail_from
                .as_ref()
                .map_or_else(|| names::MAIL_FROM.given(), |from| from.name.clone()),
            staff_recipients: staff_recipients.name,
        };
        let mail = MailSettings {
            smtp_url: smtp_url.map(|url| url.value),
            from: mail_from.map(|from| from.value),
            staff_recipients: staff_recipients.value,
        };
        let client_address = client_address(
            names::CLIENT_ADDRESS_HEADER
                .pick(options.client_address_header, file.client_address_header),
            &proxies,
        )?;
        Ok(ServeConfig {
            listen: options
                .listen
                .map(Ok)
                .or(file.listen.map(|text| {
                    crate::listen_address::parse(&text)
                        .map_err(|message| anyhow::anyhow!("listen: {message}"))
                }))
                .transpose()?
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            store,
            attachment_storage,
            public_url,
            organization_name,
            reference_prefix,
            attachment_limits,
            http_limits,
            log_format,
            challenge,
            rate_limits,
            client_address,
            security_txt_hosts,
            policy,
            policy_in_file,
            pgp_passphrase: crate::passphrase::passphrase()?.map(Passphrase::new),
            calendar: calendar(&file.sla)?,
            mail,
            mail_names,
            outbound: crate::outbound_config::resolve(
                &file.outbound,
                options.outbound_allow_private.as_deref(),
            )?,
            advisories: crate::advisory_config::resolve(&file.advisories)?,
            retention: crate::retention_config::resolve(&file.retention)?,
            metrics: crate::metrics_config::resolve(options.metrics_listen, &file.metrics)?,
        })
    }
}

/// The intake challenge from the flag or variable, then the file, then the defaults.
fn challenge_settings(
    switch: Option<String>,
    difficulty: Option<u8>,
    file: &IntakeFile,
) -> anyhow::Result<ChallengeSettings> {
    let defaults = ChallengeSettings::default();
    let enabled = match names::INTAKE_CHALLENGE.pick(switch, file.challenge.clone()) {
        None => true,
        Some(switch) => match switch.value.as_str() {
            "on" => true,
            "off" => false,
            other => bail!("{}: '{other}' is not on or off", switch.name),
        },
    };
    let difficulty = match names::CHALLENGE_DIFFICULTY.pick(difficulty, file.challenge_difficulty) {
        None => defaults.difficulty,
        Some(bits) if (8..=24).contains(&bits.value) => bits.value,
        Some(bits) => bail!(
            "{}: {} is outside 8 to 24 (16 takes a browser about a second; each step up \
                 doubles it)",
            bits.name,
            bits.value
        ),
    };
    let lifetime = match file.challenge_lifetime_hours {
        None => defaults.lifetime,
        Some(0) => bail!("intake.challenge_lifetime_hours must be at least 1"),
        Some(hours) => time::Duration::hours(i64::from(hours)),
    };
    let usual_submissions = match file.usual_submissions {
        None => defaults.usual_submissions,
        Some(0) => bail!("intake.usual_submissions must be at least 1"),
        Some(count) => count,
    };
    let usual_question_answers = match file.usual_question_answers {
        None => defaults.usual_question_answers,
        Some(0) => bail!("intake.usual_question_answers must be at least 1"),
        Some(count) => count,
    };
    Ok(ChallengeSettings {
        enabled,
        difficulty,
        lifetime,
        usual_submissions,
        usual_question_answers,
    })
}

/// A rate such as `10/hour`, `off`, or the default when not given.
fn rate(text: Option<Named<String>>, default: Option<Rate>) -> anyhow::Result<Option<Rate>> {
    let Some(text) = text else {
        return Ok(default);
    };
    match text.value.trim() {
        "off" => Ok(None),
        rate => rate
            .parse()
            .map(Some)
            .map_err(|message| anyhow::anyhow!("{}: {message}", text.name)),
    }
}

/// The business calendar from `[sla]`: Saturday and Sunday off, no holidays, UTC unless
/// a fixed offset or a time zone is set (not both: they would disagree half the year).
fn calendar(file: &SlaFile) -> anyhow::Result<Calendar> {
    let weekend = match &file.weekend {
        None => vec![Weekday::Saturday, Weekday::Sunday],
        Some(days) => days
            .iter()
            .map(|day| match day.trim().to_ascii_lowercase().as_str() {
                "monday" => Ok(Weekday::Monday),
                "tuesday" => Ok(Weekday::Tuesday),
                "wednesday" => Ok(Weekday::Wednesday),
                "thursday" => Ok(Weekday::Thursday),
                "friday" => Ok(Weekday::Friday),
                "saturday" => Ok(Weekday::Saturday),
                "sunday" => Ok(Weekday::Sunday),
                other => Err(anyhow::anyhow!(
                    "sla.weekend: '{other}' is not a day of the week such as saturday"
                )),
            })
            .collect::<anyhow::Result<_>>()?,
    };
    let holidays: Holidays = file
        .holidays
        .as_deref()
        .unwrap_or_default()
        .join("\n")
        .parse()
        .map_err(|error| anyhow::anyhow!("sla.holidays: {error}"))?;
    let local = match (file.utc_offset.as_deref(), file.time_zone.as_deref()) {
        (Some(_), Some(_)) => bail!(
            "sla: set either time_zone (e.g. \"Europe/Berlin\") or utc_offset (e.g. \"+01:00\"), not both"
        ),
        (None, None) => LocalTime::Offset(UtcOffset::UTC),
        (None, Some(name)) => {
            LocalTime::zone(name).map_err(|error| anyhow::anyhow!("sla.time_zone: {error}"))?
        }
        (Some(text), None) => LocalTime::Offset(
            UtcOffset::parse(
                text.trim(),
                time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]"),
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "sla.utc_offset: '{text}' is not an offset such as +01:00 or -05:00; for a zone with daylight-saving time use time_zone"
                )
            })?,
        ),
    };
    Calendar::in_local_time(weekend, holidays, local)
        .map_err(|_| anyhow::anyhow!("sla.weekend: every day of the week is a day off"))
}

/// A host name as browsers send it, lower case, without port or trailing dot.
fn check_host(host: &str) -> anyhow::Result<String> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !valid {
        bail!("security_txt_hosts: '{host}' is not a host name such as www.example.org");
    }
    Ok(host)
}

/// The client address header and the proxies believed about it, both or neither.
fn client_address(
    header: Option<Named<String>>,
    proxies: &Named<Vec<String>>,
) -> anyhow::Result<ClientAddressSource> {
    let header = header
        .map(|text| {
            text.value
                .parse::<ClientAddressHeader>()
                .map_err(|message| anyhow::anyhow!("{}: {message}", text.name))
        })
        .transpose()?;
    let networks = proxies
        .value
        .iter()
        .map(|text| parse_network(text, &proxies.name))
        .collect::<anyhow::Result<_>>()?;
    Ok(ClientAddressSource::new(header, networks)?)
}

/// An address (`192.0.2.1`, `::1`) or a network (`10.0.0.0/8`).
fn parse_network(text: &str, name: &str) -> anyhow::Result<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            anyhow::anyhow!("{name}: '{text}' is not an address or network such as 10.0.0.0/8")
        })
}

fn read_file(path: Option<&Path>) -> anyhow::Result<ConfigFile> {
    let Some(path) = path else {
        return Ok(ConfigFile::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read configuration file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("configuration file {}", path.display()))
}

/// The trimmed content of the file the environment variable `name` points to, if set.
fn read_secret_file(name: &str) -> anyhow::Result<Option<String>> {
    match std::env::var_os(name) {
        Some(path) => Ok(Some(
            std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {name} {}", Path::new(&path).display()))?
                .trim()
                .to_owned(),
        )),
        None => Ok(None),
    }
}

fn store_location(options: &StoreOptions, file: &ConfigFile) -> anyhow::Result<StoreLocation> {
    let database_url = match (
        options.database_url.clone(),
        read_secret_file("CVDESK_DATABASE_URL_FILE")?,
    ) {
        (None, Some(url)) => Some(Named {
            value: url,
            name: "CVDESK_DATABASE_URL_FILE".to_owned(),
        }),
        (given, _) => names::DATABASE_URL.pick(given, file.database_url.clone()),
    };
    let url_name = database_url.as_ref().map(|url| url.name.clone());
    let data_dir = options
        .data
        .clone()
        .or_else(|| file.data.clone())
        .unwrap_or_else(|| PathBuf::from("./cvdesk-data"));
    // Logs and messages name the folder as it resolved, not as it was typed.
    let data_dir = std::path::absolute(&data_dir)
        .with_context(|| format!("cannot resolve the data folder {}", data_dir.display()))?;
    StoreLocation::from_options(data_dir, database_url.map(|url| url.value)).map_err(|error| {
        match url_name {
            Some(name) => anyhow::anyhow!("{name}: {error}"),
            None => error.into(),
        }
    })
}

fn check_public_url(url: &str, name: &str) -> anyhow::Result<String> {
    let trimmed = url.trim_end_matches('/');
    let valid = (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
        && trimmed
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty())
        && !trimmed.contains(char::is_whitespace);
    if !valid {
        bail!("{name}: '{url}' must be an http:// or https:// URL such as https://security.example.org");
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str, value: &str) -> Option<Named<String>> {
        Some(Named {
            value: value.to_owned(),
            name: name.to_owned(),
        })
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = toml::from_str::<ConfigFile>("listn = \"127.0.0.1:1\"").expect_err("refused");
        assert!(error.to_string().contains("listn"), "{error}");
    }

    #[test]
    fn file_keys_parse() {
        let file: ConfigFile = toml::from_str(
            "listen = \"0.0.0.0:9000\"\norganization_name = \"Acme\"\n[attachments]\nmax_files = 3\n",
        )
        .expect("valid");
        assert_eq!(file.attachments.max_files, Some(3));
        assert_eq!(file.organization_name.as_deref(), Some("Acme"));
    }

    #[test]
    fn rates_and_networks() {
        let default = RateSettings::defaults().send_report;
        assert_eq!(rate(None, default).expect("default"), default);
        assert_eq!(rate(named("r", "off"), default).expect("off"), None);
        let parsed = rate(named("r", "3/minute"), default).expect("valid");
        assert_eq!(parsed.map(|r| r.to_string()).as_deref(), Some("3/minute"));
        let error =
            rate(named("rate_limits.reports", "3 per minute"), default).expect_err("refused");
        assert!(
            error.to_string().starts_with("rate_limits.reports: "),
            "{error}"
        );
        assert_eq!(
            parse_network("10.0.0.0/8", "n").expect("net").to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_network(" ::1 ", "n").expect("address").to_string(),
            "::1/128"
        );
        assert!(parse_network("10.0.0.0/33", "n").is_err());
        let error = parse_network("proxy.example", "trusted_proxies").expect_err("refused");
        assert!(error
            .to_string()
            .starts_with("trusted_proxies: 'proxy.example'"));
    }

    #[test]
    fn client_address_header_and_proxies_come_together() {
        let file: ConfigFile = toml::from_str(
            "client_address_header = \"x-real-ip\"\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
        )
        .expect("valid");
        let proxies = Named {
            value: file.trusted_proxies.unwrap_or_default(),
            name: "trusted_proxies".to_owned(),
        };
        let none = Named {
            value: Vec::new(),
            name: "trusted_proxies".to_owned(),
        };
        let header = |text: &str| named("client_address_header", text);
        assert!(matches!(
            client_address(
                file.client_address_header.map(|h| Named {
                    value: h,
                    name: "client_address_header".to_owned()
                }),
                &proxies
            )
            .expect("valid"),
            ClientAddressSource::Proxied {
                header: ClientAddressHeader::XRealIp,
                ..
            }
        ));
        assert!(matches!(
            client_address(None, &none).expect("valid"),
            ClientAddressSource::Peer
        ));
        let alone = client_address(header("forwarded"), &none).expect_err("refused");
        assert!(alone.to_string().contains("no trusted_proxies"), "{alone}");
        let headless = client_address(None, &proxies).expect_err("refused");
        assert!(
            headless
                .to_string()
                .contains("client_address_header is not"),
            "{headless}"
        );
        let unknown = client_address(header("true-client-ip"), &proxies).expect_err("refused");
        assert!(
            unknown.to_string().starts_with("client_address_header: "),
            "{unknown}"
        );
    }

    #[test]
    fn the_sign_in_rate_is_a_file_key() {
        let file: ConfigFile =
            toml::from_str("[rate_limits]\nsign_in = \"5/minute\"\n").expect("valid");
        assert_eq!(file.rate_limits.sign_in.as_deref(), Some("5/minute"));
        let default = RateSettings::defaults().sign_in;
        assert_eq!(default.map(|r| r.to_string()).as_deref(), Some("10/minute"));
    }

    #[test]
    fn challenge_keys() {
        let file: ConfigFile = toml::from_str(
            "[intake]\nchallenge = \"off\"\nchallenge_difficulty = 18\n[rate_limits]\nreports = \"5/hour\"\n",
        )
        .expect("valid");
        let settings = challenge_settings(None, None, &file.intake).expect("valid");
        assert!(!settings.enabled);
        assert_eq!(settings.difficulty, 18);
        let hard: ConfigFile =
            toml::from_str("[intake]\nchallenge_difficulty = 40\n").expect("valid toml");
        let error = challenge_settings(None, None, &hard.intake).expect_err("refused");
        assert!(error.to_string().contains("8 to 24"), "{error}");
    }

    #[test]
    fn policy_and_hosts_from_the_file() {
        let file: ConfigFile = toml::from_str(
            "security_txt_hosts = [\"WWW.Example.org.\"]\n[policy]\nrewards = true\nin_scope = [\"shop.example.org\"]\n",
        )
        .expect("valid");
        let policy = file.policy.expect("policy");
        assert!(policy.rewards);
        assert_eq!(policy.response_days, 5, "unset keys keep their defaults");
        assert_eq!(
            check_host("WWW.Example.org.").expect("host"),
            "www.example.org"
        );
        for bad in ["", "exa mple.org", "-x.org", "a..b"] {
            assert!(check_host(bad).is_err(), "{bad}");
        }
        let unknown = toml::from_str::<ConfigFile>("[policy]\nreward = true\n").expect_err("typo");
        assert!(unknown.to_string().contains("reward"), "{unknown}");
    }

    #[test]
    fn the_example_file_shows_the_default_policy() {
        let file: ConfigFile =
            toml::from_str(include_str!("../../../cvdesk.example.toml")).expect("valid");
        assert_eq!(file.policy, Some(PolicySettings::default()));
    }

    #[test]
    fn mail_keys() {
        let file: ConfigFile = toml::from_str(
            "[mail]\nsmtp_url = \"smtp://127.0.0.1:2525\"\nfrom = \"security@example.org\"\nstaff_recipients = [\"triage@example.org\"]\n",
        )
        .expect("valid");
        assert_eq!(file.mail.smtp_url.as_deref(), Some("smtp://127.0.0.1:2525"));
        assert_eq!(file.mail.from.as_deref(), Some("security@example.org"));
        assert_eq!(
            file.mail.staff_recipients,
            Some(vec!["triage@example.org".to_owned()])
        );
        let typo = toml::from_str::<ConfigFile>("[mail]\nsmtp = \"x\"\n").expect_err("typo");
        assert!(typo.to_string().contains("smtp"), "{typo}");
    }

    #[test]
    fn business_calendars() {
        let file: ConfigFile = toml::from_str(
            "[sla]\nweekend = [\"Friday\", \"saturday\"]\nholidays = [\"2026-12-25\"]\nutc_offset = \"+03:00\"\n",
        )
        .expect("valid");
        let days = calendar(&file.sla).expect("calendar");
        assert!(!days.is_working_day(time::macros::date!(2026 - 12 - 25)));
        assert!(
            !days.is_working_day(time::macros::date!(2026 - 11 - 27)),
            "a Friday"
        );
        assert!(
            days.is_working_day(time::macros::date!(2026 - 11 - 29)),
            "a Sunday"
        );
        for (text, expected) in [
            ("[sla]\nweekend = [\"caturday\"]", "caturday"),
            ("[sla]\nholidays = [\"2026-02-30\"]", "2026-02-30"),
            ("[sla]\nutc_offset = \"CET\"", "use time_zone"),
            ("[sla]\ntime_zone = \"Europe/Bonn\"", "'Europe/Bonn' is not a time zone"),
            ("[sla]\ntime_zone = \"+01:00\"", "sla.time_zone"),
            (
                "[sla]\ntime_zone = \"Europe/Berlin\"\nutc_offset = \"+01:00\"",
                "not both",
            ),
            (
                "[sla]\nweekend = [\"monday\",\"tuesday\",\"wednesday\",\"thursday\",\"friday\",\"saturday\",\"sunday\"]",
                "every day",
            ),
        ] {
            let file: ConfigFile = toml::from_str(text).expect("toml");
            let error = calendar(&file.sla).expect_err(text).to_string();
            assert!(error.contains(expected), "{error}");
        }
    }

    #[test]
    fn a_time_zone_calendar_follows_daylight_saving_time() {
        let file: ConfigFile =
            toml::from_str("[sla]\ntime_zone = \"Europe/Berlin\"\n").expect("valid");
        let berlin = calendar(&file.sla).expect("calendar");
        // Local midnight is 23:00 UTC in winter and 22:00 UTC in summer.
        assert_eq!(
            berlin.start_of_day(time::macros::date!(2026 - 01 - 15)),
            time::macros::datetime!(2026-01-14 23:00 UTC)
        );
        assert_eq!(
            berlin.start_of_day(time::macros::date!(2026 - 07 - 15)),
            time::macros::datetime!(2026-07-14 22:00 UTC)
        );
        assert_eq!(
            berlin.local_display(time::macros::datetime!(2026-07-14 22:00 UTC)),
            "2026-07-15 00:00 (Europe/Berlin, UTC+02:00)"
        );
    }

    #[test]
    fn public_urls() {
        assert_eq!(
            check_public_url("https://security.example.org/", "public_url").expect("valid"),
            "https://security.example.org"
        );
        for bad in ["security.example.org", "ftp://x", "https://", "https://a b"] {
            assert!(check_public_url(bad, "public_url").is_err(), "{bad}");
        }
    }
}
