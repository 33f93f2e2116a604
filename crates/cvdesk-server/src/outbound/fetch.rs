//! Outbound HTTP fetches (a vendor's security.txt and key), made from the server on a
//! person's behalf and so kept from reaching anything a person should not: https only,
//! public addresses only (every resolved address is checked, and the connection goes to
//! the checked address, so a second DNS answer cannot point it elsewhere), a short
//! timeout, a size cap, and redirects followed only within the same host.
//! `CVDESK_OUTBOUND_ALLOW_PRIVATE=on` lifts the scheme and address rules for intranet
//! vendors and for tests.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use url::Url;

/// The longest a fetch may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(TIMEOUT_SECONDS);
const TIMEOUT_SECONDS: u64 = 5;
/// The most a fetched document may hold.
pub const MAX_BYTES: usize = 512 * 1024;
/// Redirects followed within one host.
const MAX_REDIRECTS: usize = 3;

/// Why a fetch gave nothing, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{0} is not an https address")]
    NotHttps(String),
    #[error(
        "{host} resolves to {address}, a private or reserved address the desk does not fetch from"
    )]
    PrivateAddress { host: String, address: IpAddr },
    #[error("{0} could not be resolved")]
    Unresolvable(String),
    #[error("{0} did not answer within {TIMEOUT_SECONDS} seconds")]
    Timeout(String),
    #[error("{0} could not be reached: {1}")]
    Unreachable(String, String),
    #[error("{0} answered {1}")]
    Status(String, u16),
    #[error("{0} is larger than {MAX_BYTES} bytes")]
    TooLarge(String),
    #[error("{0} redirects to another host ({1}), which the desk does not follow")]
    OffHostRedirect(String, String),
    #[error("{0} redirects too often")]
    TooManyRedirects(String),
}

/// Whether `address` is one the public internet routes to.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// Fetches `url` within the rules; returns the body.
pub async fn fetch(url: &str, allow_private: bool) -> Result<Vec<u8>, FetchError> {
    let mut current = Url::parse(url).map_err(|_| FetchError::NotHttps(url.to_owned()))?;
    for _ in 0..=MAX_REDIRECTS {
        let (status, location, body) = fetch_once(&current, allow_private).await?;
        match (status, location) {
            (300..=399, Some(location)) => {
                let next = current
                    .join(&location)
                    .map_err(|_| FetchError::Status(current.to_string(), status))?;
                if next.host_str() != current.host_str() {
                    return Err(FetchError::OffHostRedirect(
                        current.to_string(),
                        next.host_str().unwrap_or_default().to_owned(),
                    ));
                }
                current = next;
            }
            (200, _) => return Ok(body),
            (status, _) => return Err(FetchError::Status(current.to_string(), status)),
        }
    }
    Err(FetchError::TooManyRedirects(url.to_owned()))
}

async fn fetch_once(
    url: &Url,
    allow_private: bool,
) -> Result<(u16, Option<String>, Vec<u8>), FetchError> {
    let shown = url.to_string();
    let scheme_ok = url.scheme() == "https" || (allow_private && url.scheme() == "http");
    let Some(host) = url.host_str().filter(|_| scheme_ok) else {
        return Err(FetchError::NotHttps(shown));
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let resolved: Vec<SocketAddr> = tokio::time::timeout(
        TIMEOUT,
        tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port)),
    )
    .await
    .map_err(|_| FetchError::Timeout(shown.clone()))?
    .map_err(|_| FetchError::Unresolvable(host.to_owned()))?
    .collect();
    let Some(first) = resolved.first().copied() else {
        return Err(FetchError::Unresolvable(host.to_owned()));
    };
    if !allow_private {
        if let Some(bad) = resolved.iter().find(|a| !is_public(a.ip())) {
            return Err(FetchError::PrivateAddress {
                host: host.to_owned(),
                address: bad.ip(),
            });
        }
    }
    // The client connects to the address just checked, whatever DNS says next.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .resolve(host, first)
        .user_agent("cvdesk contact discovery")
        .build()
        .map_err(|e| FetchError::Unreachable(shown.clone(), e.to_string()))?;
    let mut response = client.get(url.clone()).send().await.map_err(|e| {
        if e.is_timeout() {
            FetchError::Timeout(shown.clone())
        } else {
            FetchError::Unreachable(shown.clone(), without_url(&e))
        }
    })?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if response
        .content_length()
        .is_some_and(|length| length > MAX_BYTES as u64)
    {
        return Err(FetchError::TooLarge(shown));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BYTES {
                    return Err(FetchError::TooLarge(shown));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => return Err(FetchError::Timeout(shown)),
            Err(e) => return Err(FetchError::Unreachable(shown, without_url(&e))),
        }
    }
    Ok((status, location, body))
}

fn without_url(error: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut last = None;
    while let Some(cause) = source {
        last = Some(cause.to_string());
        source = cause.source();
    }
    last.unwrap_or_else(|| "the connection failed".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_not_public() {
        for text in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "2001:db8::1",
        ] {
            let address: IpAddr = text.parse().expect("address");
            assert!(!is_public(address), "{text}");
        }
        for text in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(is_public(text.parse().expect("address")), "{text}");
        }
    }

    #[tokio::test]
    async fn only_https_unless_private_is_allowed() {
        assert_eq!(
            fetch("http://example.org/x", false).await,
            Err(FetchError::NotHttps("http://example.org/x".into()))
        );
        let refused = fetch("https://127.0.0.1:9/x", false).await;
        assert!(
            matches!(refused, Err(FetchError::PrivateAddress { .. })),
            "{refused:?}"
        );
    }
}
