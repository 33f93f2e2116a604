//! The `[http]` table of the configuration file: how long the desk waits for clients and
//! how many uploads it receives at once (`cvdesk_server::HttpLimits`).

use std::time::Duration;

use anyhow::bail;
use cvdesk_server::HttpLimits;
use serde::Deserialize;

/// Staged upload bytes are swept after an hour (`cvdesk_store::blobs`), so no upload may
/// run that long; half an hour leaves a wide margin.
const LONGEST_UPLOAD_SECONDS: u64 = 1800;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpFile {
    /// Seconds for a request head to arrive.
    header_read_timeout_seconds: Option<u64>,
    /// Longest pause, in seconds, between two pieces of a request body.
    body_read_timeout_seconds: Option<u64>,
    /// Seconds to answer a request other than an upload.
    request_timeout_seconds: Option<u64>,
    /// Seconds to receive and answer the report form or a tracking reply with files.
    upload_timeout_seconds: Option<u64>,
    /// Uploads received at the same time.
    upload_concurrency: Option<usize>,
    /// Seconds a stopping server gives requests in flight.
    shutdown_grace_seconds: Option<u64>,
}

impl HttpFile {
    pub fn limits(&self) -> anyhow::Result<HttpLimits> {
        let defaults = HttpLimits::default();
        let seconds = |name: &str, value: Option<u64>, default: Duration| match value {
            None => Ok(default),
            Some(0) => bail!("http.{name} must be at least 1"),
            Some(seconds) => Ok(Duration::from_secs(seconds)),
        };
        let limits = HttpLimits {
            header_read_timeout: seconds(
                "header_read_timeout_seconds",
                self.header_read_timeout_seconds,
                defaults.header_read_timeout,
            )?,
            body_read_timeout: seconds(
                "body_read_timeout_seconds",
                self.body_read_timeout_seconds,
                defaults.body_read_timeout,
            )?,
            request_timeout: seconds(
                "request_timeout_seconds",
                self.request_timeout_seconds,
                defaults.request_timeout,
            )?,
            upload_timeout: seconds(
                "upload_timeout_seconds",
                self.upload_timeout_seconds,
                defaults.upload_timeout,
            )?,
            upload_concurrency: match self.upload_concurrency {
                None => defaults.upload_concurrency,
                Some(0) => bail!("http.upload_concurrency must be at least 1"),
                Some(count) => count,
            },
            shutdown_grace: seconds(
                "shutdown_grace_seconds",
                self.shutdown_grace_seconds,
                defaults.shutdown_grace,
            )?,
        };
        if limits.upload_timeout.as_secs() > LONGEST_UPLOAD_SECONDS {
            bail!(
                "http.upload_timeout_seconds must be at most {LONGEST_UPLOAD_SECONDS} (half an \
                 hour): unfinished uploads are cleared after an hour"
            );
        }
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<HttpLimits> {
        toml::from_str::<HttpFile>(text)?.limits()
    }

    #[test]
    fn defaults_and_settings() {
        assert_eq!(parse("").expect("defaults"), HttpLimits::default());
        let set =
            parse("header_read_timeout_seconds = 5\nupload_concurrency = 4\n").expect("valid");
        assert_eq!(set.header_read_timeout, Duration::from_secs(5));
        assert_eq!(set.upload_concurrency, 4);
        assert_eq!(set.request_timeout, HttpLimits::default().request_timeout);
    }

    #[test]
    fn refusals_name_the_setting() {
        for (text, named) in [
            (
                "request_timeout_seconds = 0",
                "http.request_timeout_seconds",
            ),
            ("upload_concurrency = 0", "http.upload_concurrency"),
            (
                "upload_timeout_seconds = 7200",
                "http.upload_timeout_seconds",
            ),
            ("header_timeout = 3", "header_timeout"),
        ] {
            let error = parse(text).expect_err(text).to_string();
            assert!(error.contains(named), "{text}: {error}");
        }
    }
}
