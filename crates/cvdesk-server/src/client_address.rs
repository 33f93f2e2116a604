//! Who is asking, as far as rate limits are concerned: the peer's address, or the client
//! a trusted reverse proxy names in `Forwarded` / `X-Forwarded-For`. Headers from anyone
//! else are ignored, so a client cannot choose its own key.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::error::{PageError, WebError};
use crate::AppState;

/// The networks whose proxies are believed about the client behind them.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client: walking the proxy chain from the nearest hop back, the first address
    /// that is not a trusted proxy. `Forwarded` wins over `X-Forwarded-For`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let chain = forwarded_chain(headers).unwrap_or_else(|| x_forwarded_for_chain(headers));
        let mut client = peer;
        for hop in chain.into_iter().rev() {
            let Some(hop) = hop else {
                // An unreadable or obfuscated hop: stop at the last address known.
                break;
            };
            client = canonical(hop);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// An IPv4-mapped IPv6 address is the IPv4 client it carries.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The `for=` of every element of every `Forwarded` header (RFC 7239), nearest last;
/// `None` when there is no such header.
fn forwarded_chain(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut chain = Vec::new();
    let mut present = false;
    for value in headers.get_all("forwarded") {
        present = true;
        let Ok(value) = value.to_str() else {
            chain.push(None);
            continue;
        };
        for element in value.split(',') {
            let node = element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| value.trim().trim_matches('"'))
            });
            chain.push(node.and_then(parse_node));
        }
    }
    present.then_some(chain)
}

/// Every address of every `X-Forwarded-For` header, nearest last.
fn x_forwarded_for_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| match value.to_str() {
            Ok(text) => text.split(',').map(|hop| parse_node(hop.trim())).collect(),
            Err(_) => vec![None],
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = node.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    let bracketed = node.strip_prefix('[')?.split(']').next()?;
    bracketed.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// The client of the current request, reduced to what one party controls: an IPv4
/// address, or an IPv6 /64 (one subscriber's network).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientAddress(String);

impl ClientAddress {
    pub fn of(address: IpAddr) -> Self {
        match canonical(address) {
            IpAddr::V4(v4) => ClientAddress(v4.to_string()),
            IpAddr::V6(v6) => {
                let segments = v6.segments();
                let network = Ipv6Addr::new(
                    segments[0],
                    segments[1],
                    segments[2],
                    segments[3],
                    0,
                    0,
                    0,
                    0,
                );
                ClientAddress(format!("{network}/64"))
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip())
            .ok_or_else(|| {
                PageError(WebError::Internal(
                    "the server was started without peer addresses".into(),
                ))
            })?;
        Ok(ClientAddress::of(
            state.settings.trusted_proxies.client(peer, &parts.headers),
        ))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("header"));
        }
        map
    }

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies(nets.iter().map(|n| n.parse().expect("net")).collect())
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let spoofed = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("forwarded", "for=198.51.100.8"),
        ]);
        assert_eq!(
            proxies(&[]).client(ip("203.0.113.1"), &spoofed),
            ip("203.0.113.1")
        );
        assert_eq!(
            proxies(&["10.0.0.0/8"]).client(ip("203.0.113.1"), &spoofed),
            ip("203.0.113.1")
        );
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "::1/128"]);
        let chain = headers(&[("x-forwarded-for", "198.51.100.9, 203.0.113.5, 10.1.1.1")]);
        // 198.51.100.9 was written by the client itself; 203.0.113.5 reached our proxies.
        assert_eq!(trusted.client(ip("10.0.0.2"), &chain), ip("203.0.113.5"));
        let split = headers(&[
            ("x-forwarded-for", "203.0.113.5"),
            ("x-forwarded-for", "10.1.1.1"),
        ]);
        assert_eq!(trusted.client(ip("::1"), &split), ip("203.0.113.5"));
        let all_trusted = headers(&[("x-forwarded-for", "10.9.9.9")]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &all_trusted), ip("10.9.9.9"));
        let garbage = headers(&[("x-forwarded-for", "203.0.113.5, nonsense")]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &garbage), ip("10.0.0.2"));
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn forwarded_is_read_with_ports_quotes_and_ipv6() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let cases = [
            ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
            ("for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            ("For=\"192.0.2.43:47011\", for=10.0.0.9", "192.0.2.43"),
            ("for=2001:db8::1", "2001:db8::1"),
        ];
        for (value, expected) in cases {
            let map = headers(&[("forwarded", value), ("x-forwarded-for", "198.51.100.1")]);
            assert_eq!(
                trusted.client(ip("10.0.0.1"), &map),
                ip(expected),
                "{value}"
            );
        }
        let hidden = headers(&[("forwarded", "for=_hidden, for=10.0.0.5")]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &hidden), ip("10.0.0.5"));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(
            ClientAddress::of(ip("2001:db8:1:2:3:4:5:6")).as_str(),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            ClientAddress::of(ip("2001:db8:1:2:ffff::1")),
            ClientAddress::of(ip("2001:db8:1:2::9"))
        );
        assert_ne!(
            ClientAddress::of(ip("2001:db8:1:2::1")),
            ClientAddress::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            ClientAddress::of(ip("::ffff:192.0.2.1")).as_str(),
            "192.0.2.1"
        );
        assert_eq!(ClientAddress::of(ip("192.0.2.1")).as_str(), "192.0.2.1");
    }
}
