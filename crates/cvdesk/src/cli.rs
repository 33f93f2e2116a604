//! The settings as flags. Every `serve` setting is also an environment variable and a key
//! of the configuration file; the command line wins over the environment, which wins over
//! the file, which wins over the defaults. The other commands that touch data take only
//! the store's flags and read every other setting from the environment and the file.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, FromArgMatches};

/// Settings `serve` reads from the environment alone, shown after its options: secrets
/// stay off the command line, where other users of the machine could read them.
pub const SERVE_ENVIRONMENT: &str = "\
Settings from the environment only:
  CVDESK_PGP_PASSPHRASE       Passphrase of the organization's OpenPGP key; checked at start
  CVDESK_PGP_PASSPHRASE_FILE  A file holding that passphrase (one trailing newline removed)
  CVDESK_DATABASE_URL_FILE    A file holding the PostgreSQL URL
  CVDESK_SMTP_URL_FILE        A file holding the SMTP URL
  CVDESK_S3_SECRET_ACCESS_KEY The attachment bucket's secret access key (storage s3)
  CVDESK_S3_SECRET_ACCESS_KEY_FILE
                              A file holding that key
  CVDESK_METRICS_TOKEN[_FILE] The bearer token for /metrics on the desk's address
  CVDESK_LOG                  The log filter, e.g. info (default) or cvdesk=debug";

/// Where the data lives; shared by every command that touches it.
#[derive(Args, Debug, Clone, Default)]
pub struct StoreOptions {
    /// Folder for the embedded SQLite database and attachment files [default: ./cvdesk-data]
    #[arg(long, env = "CVDESK_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// PostgreSQL URL (postgres://…); when set, data lives there instead of SQLite.
    /// CVDESK_DATABASE_URL_FILE may name a file holding it.
    #[arg(
        long,
        env = "CVDESK_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// TOML configuration file.
    #[arg(long, env = "CVDESK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ServeOptions {
    #[command(flatten)]
    pub store: StoreOptions,
    /// Address and port to listen on, e.g. localhost:8080 [default: 127.0.0.1:8080]
    #[arg(long, env = "CVDESK_LISTEN", value_name = "ADDR", value_parser = crate::listen_address::parse)]
    pub listen: Option<SocketAddr>,
    /// The URL finders use to reach the desk, used in tracking links
    /// [default: http:// and the listen address]
    #[arg(long, env = "CVDESK_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// The organization's name as shown on every page [default: Example Organization]
    #[arg(long, env = "CVDESK_ORGANIZATION_NAME", value_name = "NAME")]
    pub organization_name: Option<String>,
    /// Prefix of report reference numbers [default: CVD]
    #[arg(long, env = "CVDESK_REFERENCE_PREFIX", value_name = "PREFIX")]
    pub reference_prefix: Option<String>,
    /// Largest supporting file, in bytes [default: 10485760]
    #[arg(long, env = "CVDESK_ATTACHMENT_MAX_FILE_BYTES", value_name = "BYTES")]
    pub attachment_max_file_bytes: Option<u64>,
    /// Largest total of supporting files per report, in bytes [default: 26214400]
    #[arg(long, env = "CVDESK_ATTACHMENT_MAX_TOTAL_BYTES", value_name = "BYTES")]
    pub attachment_max_total_bytes: Option<u64>,
    /// Most supporting files per report [default: 10]
    #[arg(long, env = "CVDESK_ATTACHMENT_MAX_FILES", value_name = "COUNT")]
    pub attachment_max_files: Option<usize>,
    /// Log format: text or json [default: text]
    #[arg(long, env = "CVDESK_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// The proof-of-work check on report submissions: on or off [default: on]
    #[arg(long, env = "CVDESK_INTAKE_CHALLENGE", value_name = "on|off")]
    pub intake_challenge: Option<String>,
    /// Leading zero bits the check asks for on a quiet day, 8 to 24 [default: 16]
    #[arg(long, env = "CVDESK_CHALLENGE_DIFFICULTY", value_name = "BITS")]
    pub challenge_difficulty: Option<u8>,
    /// Report submissions per client address, e.g. 10/hour, or off [default: 10/hour]
    #[arg(long, env = "CVDESK_RATE_LIMIT_REPORTS", value_name = "RATE")]
    pub rate_limit_reports: Option<String>,
    /// Tracking-link lookups per client address, e.g. 60/minute, or off [default: 60/minute]
    #[arg(long, env = "CVDESK_RATE_LIMIT_TRACKING", value_name = "RATE")]
    pub rate_limit_tracking: Option<String>,
    /// Finders' replies per client address, e.g. 30/hour, or off [default: 30/hour]
    #[arg(long, env = "CVDESK_RATE_LIMIT_REPLIES", value_name = "RATE")]
    pub rate_limit_replies: Option<String>,
    /// Staff sign-in attempts (password, one-time code, password and set-up links) per
    /// client address, e.g. 10/minute, or off [default: 10/minute]
    #[arg(long, env = "CVDESK_RATE_LIMIT_SIGN_IN", value_name = "RATE")]
    pub rate_limit_sign_in: Option<String>,
    /// Reports sent by answering the question instead of the page's proof of work, per
    /// client address, e.g. 3/hour, or off [default: 3/hour]
    #[arg(long, env = "CVDESK_RATE_LIMIT_QUESTION_ANSWERS", value_name = "RATE")]
    pub rate_limit_question_answers: Option<String>,
    /// Reverse proxies (addresses or CIDR networks) whose client address header is
    /// believed; needs --client-address-header; repeat the flag or separate with commas
    #[arg(
        long = "trusted-proxy",
        env = "CVDESK_TRUSTED_PROXIES",
        value_name = "NETWORK",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// The one header the trusted proxies name the client in: forwarded, x-forwarded-for
    /// or x-real-ip; needs --trusted-proxy [default: none, the TCP peer is the client]
    #[arg(long, env = "CVDESK_CLIENT_ADDRESS_HEADER", value_name = "HEADER")]
    pub client_address_header: Option<String>,
    /// SMTP server for mail: smtp://host[:port] (no encryption, for a local relay),
    /// smtp+starttls://user:password@host[:port] (STARTTLS, port 587) or
    /// smtps://user:password@host[:port] (TLS, port 465). Without it mail is queued, and
    /// sent once it is set. CVDESK_SMTP_URL_FILE may name a file holding it.
    #[arg(
        long,
        env = "CVDESK_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// The address mail is sent from, e.g. security@example.org or
    /// "Example Security <security@example.org>"; needed with an SMTP URL
    #[arg(long, env = "CVDESK_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    /// Staff addresses told about each new report (without its details); repeat the flag
    /// or separate with commas
    #[arg(
        long = "mail-staff-recipient",
        env = "CVDESK_MAIL_STAFF_RECIPIENTS",
        value_name = "ADDRESS",
        value_delimiter = ','
    )]
    pub mail_staff_recipients: Vec<String>,
    /// "on" lets contact discovery fetch over http and from private addresses (intranet
    /// vendors, tests) [default: off]
    #[arg(long, env = "CVDESK_OUTBOUND_ALLOW_PRIVATE", value_name = "on|off")]
    pub outbound_allow_private: Option<String>,
    /// A separate address to serve /metrics on without a token, for a monitoring network
    /// [default: none; on the desk's address /metrics needs CVDESK_METRICS_TOKEN]
    #[arg(long, env = "CVDESK_METRICS_LISTEN", value_name = "ADDRESS")]
    pub metrics_listen: Option<SocketAddr>,
    /// Where attachment bytes are kept: store (files in the data folder beside SQLite,
    /// rows in PostgreSQL) or s3 (an S3-compatible bucket) [default: store]
    #[arg(long, env = "CVDESK_ATTACHMENT_STORAGE", value_name = "store|s3")]
    pub attachment_storage: Option<String>,
    /// The S3 service's URL, e.g. https://s3.eu-central-1.amazonaws.com or
    /// http://127.0.0.1:9000 [default: AWS in the bucket's region]
    #[arg(long, env = "CVDESK_S3_ENDPOINT", value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// The bucket attachments are kept in, with the attachment storage s3
    #[arg(long, env = "CVDESK_S3_BUCKET", value_name = "NAME")]
    pub s3_bucket: Option<String>,
    /// The bucket's region [default: us-east-1]
    #[arg(long, env = "CVDESK_S3_REGION", value_name = "REGION")]
    pub s3_region: Option<String>,
    /// The access key id the desk signs its requests with; the secret comes from
    /// CVDESK_S3_SECRET_ACCESS_KEY or CVDESK_S3_SECRET_ACCESS_KEY_FILE
    #[arg(long, env = "CVDESK_S3_ACCESS_KEY_ID", value_name = "ID")]
    pub s3_access_key_id: Option<String>,
    /// "on" addresses the bucket as https://host/bucket (MinIO and other servers without a
    /// host name per bucket) [default: off, https://bucket.host]
    #[arg(long, env = "CVDESK_S3_PATH_STYLE", value_name = "on|off")]
    pub s3_path_style: Option<String>,
    /// A folder of the bucket to keep the desk's objects in, e.g. desks/security, so that
    /// several desks share one bucket [default: none, the bucket's top]
    #[arg(long, env = "CVDESK_S3_PREFIX", value_name = "FOLDER")]
    pub s3_prefix: Option<String>,
}

/// A value clap refused, named by the flag and the environment variable together (clap
/// names the flag alone, though the value may have come from the variable).
pub fn name_the_variable(mut error: clap::Error, command: &clap::Command) -> clap::Error {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(argument)) = error.get(ContextKind::InvalidArg) else {
        return error;
    };
    let flag = argument.split_whitespace().next().unwrap_or_default();
    let Some(variable) = variable_of(command, flag.trim_start_matches("--")) else {
        return error;
    };
    let named = format!("{argument} / {variable}");
    error.insert(ContextKind::InvalidArg, ContextValue::String(named));
    error
}

/// The environment variable of the flag `--long` in `command` or any of its subcommands.
fn variable_of(command: &clap::Command, long: &str) -> Option<String> {
    command
        .get_arguments()
        .find(|argument| argument.get_long() == Some(long))
        .and_then(|argument| argument.get_env())
        .map(|variable| variable.to_string_lossy().into_owned())
        .or_else(|| {
            command
                .get_subcommands()
                .find_map(|subcommand| variable_of(subcommand, long))
        })
}

impl ServeOptions {
    /// The settings `serve` would read from the environment alone, with `store` from the
    /// command line: what admin commands use, without showing `serve`'s flags in their help.
    pub fn from_environment(store: StoreOptions) -> anyhow::Result<Self> {
        let command = Self::augment_args(clap::Command::new("cvdesk"));
        let matches = command
            .clone()
            .try_get_matches_from(["cvdesk"])
            .map_err(|error| {
                let message = name_the_variable(error, &command).render().to_string();
                let message = message.trim().trim_start_matches("error: ");
                anyhow::anyhow!("a setting in the environment: {message}")
            })?;
        let mut options = Self::from_arg_matches(&matches)
            .map_err(|error| anyhow::anyhow!("in the environment: {error}"))?;
        options.store = store;
        Ok(options)
    }
}
