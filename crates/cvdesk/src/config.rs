//! The one configuration of a running desk, resolved from defaults, then the TOML file,
//! then environment variables and flags (clap reads both, flags first). Unknown keys in
//! the file are refused rather than silently ignored; the database URL may come from a
//! file (`CVDESK_DATABASE_URL_FILE`) and is never printed with its password.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use cvdesk_domain::{AttachmentLimits, ReferencePrefix};
use cvdesk_store::{redact_url, StoreLocation};
use serde::Deserialize;

use crate::cli::{ServeOptions, StoreOptions};

/// Keys of the configuration file; every one is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// Address and port to listen on.
    listen: Option<SocketAddr>,
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
    #[serde(default)]
    attachments: AttachmentsFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentsFile {
    max_file_bytes: Option<u64>,
    max_total_bytes: Option<u64>,
    max_files: Option<usize>,
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
    pub public_url: Option<String>,
    pub organization_name: String,
    pub reference_prefix: ReferencePrefix,
    pub attachment_limits: AttachmentLimits,
    pub log_format: LogFormat,
}

impl fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let store = match &self.store {
            StoreLocation::Sqlite { data_dir } => format!("sqlite in {}", data_dir.display()),
            StoreLocation::Postgres { url, .. } => redact_url(url),
        };
        f.debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("store", &store)
            .field("public_url", &self.public_url)
            .field("organization_name", &self.organization_name)
            .field("reference_prefix", &self.reference_prefix)
            .field("attachment_limits", &self.attachment_limits)
            .field("log_format", &self.log_format)
            .finish()
    }
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
        let defaults = AttachmentLimits::default();
        let attachment_limits = AttachmentLimits {
            max_file_bytes: options
                .attachment_max_file_bytes
                .or(file.attachments.max_file_bytes)
                .unwrap_or(defaults.max_file_bytes),
            max_total_bytes: options
                .attachment_max_total_bytes
                .or(file.attachments.max_total_bytes)
                .unwrap_or(defaults.max_total_bytes),
            max_files: options
                .attachment_max_files
                .or(file.attachments.max_files)
                .unwrap_or(defaults.max_files),
        };
        if attachment_limits.max_file_bytes == 0 || attachment_limits.max_total_bytes == 0 {
            bail!("attachment size limits must be greater than zero");
        }
        let reference_prefix = match options.reference_prefix.or(file.reference_prefix) {
            Some(prefix) => prefix.parse().context("reference_prefix")?,
            None => ReferencePrefix::default(),
        };
        let public_url = options
            .public_url
            .or(file.public_url)
            .map(|url| check_public_url(&url))
            .transpose()?;
        let log_format = match options.log_format.or(file.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("log_format '{other}' is not one of: text, json"),
        };
        let organization_name = options
            .organization_name
            .or(file.organization_name)
            .unwrap_or_else(|| "Example Organization".to_owned());
        if organization_name.trim().is_empty() {
            bail!("organization_name must not be empty");
        }
        Ok(ServeConfig {
            listen: options
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            store,
            public_url,
            organization_name,
            reference_prefix,
            attachment_limits,
            log_format,
        })
    }
}

fn read_file(path: Option<&Path>) -> anyhow::Result<ConfigFile> {
    let Some(path) = path else {
        return Ok(ConfigFile::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read configuration file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("configuration file {}", path.display()))
}

fn store_location(options: &StoreOptions, file: &ConfigFile) -> anyhow::Result<StoreLocation> {
    let from_file_variable = match std::env::var_os("CVDESK_DATABASE_URL_FILE") {
        Some(path) => Some(
            std::fs::read_to_string(&path)
                .with_context(|| {
                    format!(
                        "cannot read CVDESK_DATABASE_URL_FILE {}",
                        Path::new(&path).display()
                    )
                })?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    let database_url = options
        .database_url
        .clone()
        .or(from_file_variable)
        .or_else(|| file.database_url.clone());
    let data_dir = options
        .data
        .clone()
        .or_else(|| file.data.clone())
        .unwrap_or_else(|| PathBuf::from("./cvdesk-data"));
    Ok(StoreLocation::from_options(data_dir, database_url)?)
}

fn check_public_url(url: &str) -> anyhow::Result<String> {
    let trimmed = url.trim_end_matches('/');
    let valid = (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
        && trimmed
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty())
        && !trimmed.contains(char::is_whitespace);
    if !valid {
        bail!("public_url '{url}' must be an http:// or https:// URL such as https://security.example.org");
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn public_urls() {
        assert_eq!(
            check_public_url("https://security.example.org/").expect("valid"),
            "https://security.example.org"
        );
        for bad in ["security.example.org", "ftp://x", "https://", "https://a b"] {
            assert!(check_public_url(bad).is_err(), "{bad}");
        }
    }
}
