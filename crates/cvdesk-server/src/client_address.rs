//! Who is asking, as far as rate limits and `received_from` are concerned: the TCP peer,
//! or — only when the operator names the one header its reverse proxies set and the
//! proxies themselves — the client that header names. Exactly one header is read, so a
//! client cannot pick its own address by sending another one that the proxy passes
//! through untouched, and the chain is walked only across the configured proxies.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::error::{PageError, WebError};
use crate::AppState;

/// The header a deployment's reverse proxies use to name the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAddressHeader {
    /// RFC 7239 `Forwarded: for=…` (HAProxy `option forwarded`).
    Forwarded,
    /// `X-Forwarded-For`, appended to by each proxy (nginx `$proxy_add_x_forwarded_for`,
    /// HAProxy `option forwardfor`).
    XForwardedFor,
    /// `X-Real-IP`, set by the proxy to the address it saw (nginx
    /// `proxy_set_header X-Real-IP $remote_addr`).
    XRealIp,
}

impl ClientAddressHeader {
    fn name(self) -> &'static str {
        match self {
            ClientAddressHeader::Forwarded => "forwarded",
            ClientAddressHeader::XForwardedFor => "x-forwarded-for",
            ClientAddressHeader::XRealIp => "x-real-ip",
        }
    }

    /// The addresses the header names, nearest hop last; `None` for a hop that cannot be
    /// read (obfuscated, unknown, garbage).
    fn chain(self, headers: &HeaderMap) -> Vec<Option<IpAddr>> {
        let values = headers
            .get_all(self.name())
            .iter()
            .map(|value| value.to_str());
        match self {
            ClientAddressHeader::Forwarded => values
                .flat_map(|value| match value {
                    Ok(text) => text.split(',').map(forwarded_for).collect(),
                    Err(_) => vec![None],
                })
                .collect(),
            ClientAddressHeader::XForwardedFor => values
                .flat_map(|value| match value {
                    Ok(text) => text.split(',').map(|hop| parse_node(hop.trim())).collect(),
                    Err(_) => vec![None],
                })
                .collect(),
            ClientAddressHeader::XRealIp => values
                .map(|value| value.ok().and_then(|text| parse_node(text.trim())))
                .collect(),
        }
    }
}

impl FromStr for ClientAddressHeader {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "forwarded" => Ok(ClientAddressHeader::Forwarded),
            "x-forwarded-for" => Ok(ClientAddressHeader::XForwardedFor),
            "x-real-ip" => Ok(ClientAddressHeader::XRealIp),
            _ => Err(format!(
                "'{text}' is not one of: forwarded, x-forwarded-for, x-real-ip"
            )),
        }
    }
}

impl fmt::Display for ClientAddressHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the client's address comes from. Only the two settings together make a header
/// count: a header without proxies would let every client name its own address, and
/// proxies without a header would count every client behind them as one.
#[derive(Debug, Clone, Default)]
pub enum ClientAddressSource {
    /// The TCP peer, whatever headers the request carries.
    #[default]
    Peer,
    /// `header`, believed only from `proxies` and walked back across them.
    Proxied {
        header: ClientAddressHeader,
        proxies: Vec<IpNet>,
    },
}

/// A header without trusted proxies, or trusted proxies without a header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientAddressSettingError {
    #[error(
        "client_address_header is {0} but no trusted_proxies are set: any client could then \
         name its own address in that header. Name the reverse proxies that set it with \
         --trusted-proxy (CVDESK_TRUSTED_PROXIES, trusted_proxies), or leave the header unset \
         to count each request by its TCP peer"
    )]
    HeaderWithoutProxies(ClientAddressHeader),
    #[error(
        "trusted_proxies are set but client_address_header is not: say which header those \
         proxies set with --client-address-header forwarded|x-forwarded-for|x-real-ip \
         (CVDESK_CLIENT_ADDRESS_HEADER, client_address_header); without one every client \
         behind them would share the proxy's address and its rate limits"
    )]
    ProxiesWithoutHeader,
}

impl ClientAddressSource {
    pub fn new(
        header: Option<ClientAddressHeader>,
        proxies: Vec<IpNet>,
    ) -> Result<Self, ClientAddressSettingError> {
        match (header, proxies.is_empty()) {
            (None, true) => Ok(ClientAddressSource::Peer),
            (Some(header), true) => Err(ClientAddressSettingError::HeaderWithoutProxies(header)),
            (None, false) => Err(ClientAddressSettingError::ProxiesWithoutHeader),
            (Some(header), false) => Ok(ClientAddressSource::Proxied { header, proxies }),
        }
    }

    /// The client: the peer unless it is a trusted proxy; then, walking the configured
    /// header from the nearest hop back, the first address that is not a trusted proxy.
    /// An unreadable hop stops the walk at the last address known.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        let ClientAddressSource::Proxied { header, proxies } = self else {
            return peer;
        };
        let trusts = |address: IpAddr| proxies.iter().any(|net| net.contains(&address));
        let mut client = peer;
        if !trusts(client) {
            return client;
        }
        for hop in header.chain(headers).into_iter().rev() {
            let Some(hop) = hop else {
                break;
            };
            client = canonical(hop);
            if !trusts(client) {
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

/// The `for=` node of one element of a `Forwarded` header (RFC 7239).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let node = element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })?;
    parse_node(node)
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
            state.settings.client_address.client(peer, &parts.headers),
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

    fn behind(header: ClientAddressHeader, nets: &[&str]) -> ClientAddressSource {
        ClientAddressSource::new(
            Some(header),
            nets.iter().map(|n| n.parse().expect("net")).collect(),
        )
        .expect("valid")
    }

    /// Every header a client could forge, each naming another address.
    fn forged() -> [(&'static str, &'static str); 3] {
        [
            ("forwarded", "for=198.51.100.8"),
            ("x-forwarded-for", "198.51.100.7"),
            ("x-real-ip", "198.51.100.6"),
        ]
    }

    #[test]
    fn without_a_header_setting_the_peer_is_the_client() {
        let source = ClientAddressSource::new(None, Vec::new()).expect("valid");
        assert_eq!(
            source.client(ip("203.0.113.1"), &headers(&forged())),
            ip("203.0.113.1")
        );
        assert_eq!(
            source.client(ip("::ffff:203.0.113.1"), &HeaderMap::new()),
            ip("203.0.113.1")
        );
    }

    #[test]
    fn a_header_without_proxies_and_proxies_without_a_header_are_refused() {
        let error = ClientAddressSource::new(Some(ClientAddressHeader::XRealIp), Vec::new())
            .expect_err("refused");
        assert_eq!(
            error,
            ClientAddressSettingError::HeaderWithoutProxies(ClientAddressHeader::XRealIp)
        );
        assert!(error.to_string().contains("--trusted-proxy"), "{error}");
        let error = ClientAddressSource::new(None, vec!["10.0.0.0/8".parse().expect("net")])
            .expect_err("refused");
        assert!(
            error.to_string().contains("--client-address-header"),
            "{error}"
        );
    }

    #[test]
    fn header_names_parse_in_any_case() {
        for (text, header) in [
            ("forwarded", ClientAddressHeader::Forwarded),
            ("X-Forwarded-For", ClientAddressHeader::XForwardedFor),
            (" x-real-ip ", ClientAddressHeader::XRealIp),
        ] {
            assert_eq!(text.parse(), Ok(header));
            assert_eq!(header.to_string().parse(), Ok(header));
        }
        let error = "x-client-ip"
            .parse::<ClientAddressHeader>()
            .expect_err("refused");
        assert!(error.contains("x-forwarded-for"), "{error}");
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        for header in [
            ClientAddressHeader::Forwarded,
            ClientAddressHeader::XForwardedFor,
            ClientAddressHeader::XRealIp,
        ] {
            let source = behind(header, &["10.0.0.0/8"]);
            assert_eq!(
                source.client(ip("203.0.113.1"), &headers(&forged())),
                ip("203.0.113.1"),
                "{header}"
            );
        }
    }

    /// nginx: `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for` appends the
    /// peer to whatever the client sent, and passes the client's other headers through.
    #[test]
    fn nginx_appending_x_forwarded_for() {
        let source = behind(
            ClientAddressHeader::XForwardedFor,
            &["10.0.0.0/8", "::1/128"],
        );
        let honest = headers(&[("x-forwarded-for", "203.0.113.5")]);
        assert_eq!(source.client(ip("10.0.0.2"), &honest), ip("203.0.113.5"));
        // The client forges every header; nginx appends the address it saw.
        let mut forging = headers(&forged());
        forging.insert(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.7, 203.0.113.5"),
        );
        assert_eq!(source.client(ip("10.0.0.2"), &forging), ip("203.0.113.5"));
        // Two proxies in a row, and a chain split over two header lines.
        let two_hops = headers(&[("x-forwarded-for", "198.51.100.9, 203.0.113.5, 10.1.1.1")]);
        assert_eq!(source.client(ip("10.0.0.2"), &two_hops), ip("203.0.113.5"));
        let split = headers(&[
            ("x-forwarded-for", "203.0.113.5"),
            ("x-forwarded-for", "10.1.1.1"),
        ]);
        assert_eq!(source.client(ip("::1"), &split), ip("203.0.113.5"));
        // Nothing but proxies, garbage, or no header: the last address known.
        let all_trusted = headers(&[("x-forwarded-for", "10.9.9.9")]);
        assert_eq!(source.client(ip("10.0.0.2"), &all_trusted), ip("10.9.9.9"));
        let garbage = headers(&[("x-forwarded-for", "203.0.113.5, nonsense")]);
        assert_eq!(source.client(ip("10.0.0.2"), &garbage), ip("10.0.0.2"));
        assert_eq!(
            source.client(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
    }

    /// nginx: `proxy_set_header X-Real-IP $remote_addr` replaces whatever the client sent.
    #[test]
    fn nginx_setting_x_real_ip() {
        let source = behind(ClientAddressHeader::XRealIp, &["10.0.0.0/8"]);
        let mut set = headers(&forged());
        set.insert("x-real-ip", HeaderValue::from_static("203.0.113.5"));
        assert_eq!(source.client(ip("10.0.0.2"), &set), ip("203.0.113.5"));
        assert_eq!(
            source.client(
                ip("10.0.0.2"),
                &headers(&[("x-real-ip", "2001:db8:cafe::17")])
            ),
            ip("2001:db8:cafe::17")
        );
        // A proxy that adds a line instead of replacing the client's: its own line counts.
        let added = headers(&[("x-real-ip", "198.51.100.6"), ("x-real-ip", "203.0.113.5")]);
        assert_eq!(source.client(ip("10.0.0.2"), &added), ip("203.0.113.5"));
        let unreadable = headers(&[("x-real-ip", "203.0.113.5, 10.0.0.9")]);
        assert_eq!(source.client(ip("10.0.0.2"), &unreadable), ip("10.0.0.2"));
    }

    /// HAProxy `option forwardfor` adds its own `X-Forwarded-For` line after the client's.
    #[test]
    fn haproxy_forwardfor() {
        let source = behind(ClientAddressHeader::XForwardedFor, &["10.0.0.0/8"]);
        let forging = headers(&[
            ("forwarded", "for=198.51.100.8"),
            ("x-real-ip", "198.51.100.6"),
            ("x-forwarded-for", "198.51.100.7"),
            ("x-forwarded-for", "203.0.113.5"),
        ]);
        assert_eq!(source.client(ip("10.0.0.2"), &forging), ip("203.0.113.5"));
    }

    /// HAProxy `option forwarded` adds an RFC 7239 element; a forged `X-Forwarded-For`
    /// or `X-Real-IP` beside it is never read.
    #[test]
    fn haproxy_forwarded() {
        let source = behind(ClientAddressHeader::Forwarded, &["10.0.0.0/8"]);
        let forging = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("x-real-ip", "198.51.100.6"),
            ("forwarded", "for=198.51.100.8"),
            ("forwarded", "for=203.0.113.5;proto=https"),
        ]);
        assert_eq!(source.client(ip("10.0.0.2"), &forging), ip("203.0.113.5"));
        let cases = [
            ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
            ("for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            ("For=\"192.0.2.43:47011\", for=10.0.0.9", "192.0.2.43"),
            ("for=2001:db8::1", "2001:db8::1"),
        ];
        for (value, expected) in cases {
            let map = headers(&[("forwarded", value), ("x-forwarded-for", "198.51.100.1")]);
            assert_eq!(source.client(ip("10.0.0.1"), &map), ip(expected), "{value}");
        }
        let hidden = headers(&[("forwarded", "for=_hidden, for=10.0.0.5")]);
        assert_eq!(source.client(ip("10.0.0.1"), &hidden), ip("10.0.0.5"));
    }

    /// Behind a proxy set to `X-Forwarded-For`, a client's own `Forwarded` header used to
    /// win and pick its rate-limit bucket.
    #[test]
    fn a_forged_forwarded_header_does_not_beat_the_configured_one() {
        let source = behind(ClientAddressHeader::XForwardedFor, &["127.0.0.1/32"]);
        let forging = headers(&[
            ("forwarded", "for=198.51.100.8"),
            ("x-forwarded-for", "203.0.113.5"),
        ]);
        assert_eq!(source.client(ip("127.0.0.1"), &forging), ip("203.0.113.5"));
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
