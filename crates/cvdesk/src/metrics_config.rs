//! Where the operator's metrics are served and who may read them. On the desk's own
//! address `/metrics` needs a bearer token: `CVDESK_METRICS_TOKEN`, a file named by
//! `CVDESK_METRICS_TOKEN_FILE`, or `metrics.token` in the configuration file, in that
//! order. `--metrics-listen` (`CVDESK_METRICS_LISTEN`, `metrics.listen`) serves them
//! without a token on a separate address instead, for a monitoring network. With neither,
//! no metrics are served.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{bail, Context};
use cvdesk_server::metrics::MetricsAccess;
use serde::Deserialize;

/// A token shorter than this is refused: it guards the desk's internals.
const SHORTEST_TOKEN: usize = 24;

/// The `[metrics]` table of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsFile {
    /// A separate address to serve `/metrics` on, without a token.
    listen: Option<SocketAddr>,
    /// The bearer token for `/metrics` on the desk's own address.
    token: Option<String>,
}

/// The metrics settings, resolved.
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    pub listen: Option<SocketAddr>,
    pub access: MetricsAccess,
}

pub fn resolve(flag: Option<SocketAddr>, file: &MetricsFile) -> anyhow::Result<MetricsConfig> {
    let from_file_variable = match std::env::var_os("CVDESK_METRICS_TOKEN_FILE") {
        Some(path) => Some(
            std::fs::read_to_string(&path)
                .with_context(|| {
                    format!(
                        "cannot read CVDESK_METRICS_TOKEN_FILE {}",
                        Path::new(&path).display()
                    )
                })?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    let token = std::env::var("CVDESK_METRICS_TOKEN")
        .ok()
        .or(from_file_variable)
        .or_else(|| file.token.clone())
        .filter(|token| !token.is_empty());
    let access = match token {
        None => MetricsAccess::Closed,
        Some(token) if token.chars().count() < SHORTEST_TOKEN => {
            bail!("the metrics token must be at least {SHORTEST_TOKEN} characters long")
        }
        Some(token) if !token.chars().all(|c| c.is_ascii_graphic()) => {
            bail!("the metrics token may hold only printable ASCII without spaces")
        }
        Some(token) => MetricsAccess::Token(token),
    };
    Ok(MetricsConfig {
        listen: flag.or(file.listen),
        access,
    })
}
