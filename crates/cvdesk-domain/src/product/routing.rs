//! Routing an incoming report to the product it is about, from the host names, URLs and
//! product names its asset (and, failing that, its title) mentions. A route is only a
//! suggestion with its reason; when two products fit equally well nothing is suggested and a
//! triager decides.
//!
//! Precedence, strongest first: anything in the asset over anything in the title; then a
//! URL prefix (the longest wins) over an exact host over a wildcard host (the one naming
//! more labels wins) over an alias (the longest wins). `*.example.org` covers every host
//! below `example.org` at any depth, but not `example.org` itself.

use url::{Host, Position, Url};

use super::{normalise_host, url_key};
use crate::staff::ProductId;

/// One product's routing rules, as the inventory keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRoute {
    pub product: ProductId,
    pub name: String,
    /// Exact (`shop.example.org`) or wildcard (`*.example.org`) host names.
    pub hostnames: Vec<String>,
    /// URL prefixes such as `https://example.org/api/`.
    pub url_prefixes: Vec<String>,
    /// Names a finder may use, such as `Acme Router` or `firmware X200`.
    pub aliases: Vec<String>,
}

/// The suggested product and why, e.g. "host shop.example.org matches *.example.org".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub product: ProductId,
    pub reason: String,
}

/// The product a report most specifically names, or `None` when none or several equally do.
pub fn route(asset: Option<&str>, title: &str, routes: &[ProductRoute]) -> Option<RouteMatch> {
    let mut best: Option<(Score, RouteMatch)> = None;
    let mut tied = false;
    let mut texts = vec![(Source::Title, title)];
    if let Some(asset) = asset {
        texts.push((Source::Asset, asset));
    }
    for (source, text) in texts {
        for candidate in candidates(source, text, routes) {
            match &best {
                Some((score, _)) if candidate.0 < *score => {}
                Some((score, current)) if candidate.0 == *score => {
                    tied |= current.product != candidate.1.product;
                }
                _ => {
                    best = Some(candidate);
                    tied = false;
                }
            }
        }
    }
    best.filter(|_| !tied).map(|(_, found)| found)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Title,
    Asset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Alias,
    WildcardHost,
    ExactHost,
    UrlPrefix,
}

/// Compared field by field: source first, then kind, then how much of the text the rule
/// pins down.
type Score = (Source, Kind, usize);

/// A host or URL found in free text.
struct Mention {
    /// As the finder wrote it, for the reason.
    shown: String,
    host: Option<String>,
    /// Host, port, path and query: what URL prefixes are compared on, so `http` and
    /// `https` addresses of the same path route alike.
    url_key: Option<String>,
}

fn candidates(source: Source, text: &str, routes: &[ProductRoute]) -> Vec<(Score, RouteMatch)> {
    let mentions = mentions(text);
    let words = words(text);
    let place = match source {
        Source::Asset => "",
        Source::Title => " in the title",
    };
    let mut found = Vec::new();
    for route in routes {
        let mut add = |kind: Kind, specificity: usize, reason: String| {
            let matched = RouteMatch {
                product: route.product,
                reason,
            };
            found.push(((source, kind, specificity), matched));
        };
        for mention in &mentions {
            for prefix in &route.url_prefixes {
                let (Some(key), Some(prefix_key)) = (&mention.url_key, url_key(prefix)) else {
                    continue;
                };
                if prefix_matches(key, &prefix_key) {
                    let shown = &mention.shown;
                    let reason = format!("URL {shown}{place} starts with {prefix}");
                    add(Kind::UrlPrefix, prefix_key.len(), reason);
                }
            }
            let Some(host) = &mention.host else {
                continue;
            };
            for pattern in &route.hostnames {
                let pattern = pattern.trim().to_lowercase();
                let (kind, specificity) = match pattern.strip_prefix("*.") {
                    Some(base) if host.ends_with(&format!(".{base}")) => {
                        (Kind::WildcardHost, base.split('.').count())
                    }
                    None if *host == pattern => (Kind::ExactHost, 0),
                    _ => continue,
                };
                add(
                    kind,
                    specificity,
                    format!("host {host}{place} matches {pattern}"),
                );
            }
        }
        for alias in &route.aliases {
            let alias_words = self::words(alias);
            if !alias_words.is_empty()
                && words
                    .windows(alias_words.len())
                    .any(|window| window == alias_words.as_slice())
            {
                let alias = alias.trim();
                let reason = match source {
                    Source::Asset => format!("the asset names \"{alias}\""),
                    Source::Title => format!("the title names \"{alias}\""),
                };
                add(Kind::Alias, alias_words.join(" ").chars().count(), reason);
            }
        }
    }
    found
}

/// A prefix without a trailing slash still ends at a path boundary: `/api` covers `/api`,
/// `/api/v1` and `/api?x`, not `/apikeys`.
fn prefix_matches(key: &str, prefix: &str) -> bool {
    match key.strip_prefix(prefix) {
        Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with(['/', '?', '#']),
        None => false,
    }
}

fn mentions(text: &str) -> Vec<Mention> {
    text.split(|c: char| c.is_whitespace() || ",;()<>[]{}\"'`|".contains(c))
        .map(|token| token.trim_end_matches(['.', ':', '!', '?']))
        .filter(|token| !token.is_empty())
        .filter_map(|token| match token.find("://") {
            Some(separator) => url_mention(token, separator),
            None => bare_mention(token),
        })
        .collect()
}

fn url_mention(token: &str, separator: usize) -> Option<Mention> {
    // The scheme is the run of scheme characters right before "://" ("see:https://…").
    let scheme_start = token[..separator]
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || "+-.".contains(*c)))
        .map_or(0, |(index, c)| index + c.len_utf8());
    let shown = &token[scheme_start..];
    let url = Url::parse(shown).ok()?;
    let host = match url.host()? {
        Host::Domain(domain) => Some(domain.trim_end_matches('.').to_owned()),
        Host::Ipv4(address) => Some(address.to_string()),
        Host::Ipv6(_) => None,
    };
    let url_key = matches!(url.scheme(), "http" | "https")
        .then(|| url[Position::BeforeHost..Position::AfterQuery].to_owned());
    Some(Mention {
        shown: shown.to_owned(),
        host,
        url_key,
    })
}

/// Host-like text without a scheme: `shop.example.org`, `shop.example.org:8443/login`, or
/// the domain of an e-mail address.
fn bare_mention(token: &str) -> Option<Mention> {
    let authority_end = token.find(['/', '?', '#']).unwrap_or(token.len());
    let (authority, rest) = token.split_at(authority_end);
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host_text = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    let host = normalise_host(host_text)?;
    let url_key = url_key(&format!("https://{authority}{rest}"));
    Some(Mention {
        shown: token.to_owned(),
        host: Some(host),
        url_key,
    })
}

/// Lower-case words of letters and digits, so "ACME-Router" names "Acme Router".
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> ProductRoute {
        ProductRoute {
            product: ProductId(1),
            name: "Web shop".to_owned(),
            hostnames: vec!["shop.example.org".to_owned()],
            url_prefixes: vec![],
            aliases: vec!["Web shop".to_owned()],
        }
    }

    fn website() -> ProductRoute {
        ProductRoute {
            product: ProductId(2),
            name: "Website".to_owned(),
            hostnames: vec!["*.example.org".to_owned(), "example.org".to_owned()],
            url_prefixes: vec![],
            aliases: vec![],
        }
    }

    fn api() -> ProductRoute {
        ProductRoute {
            product: ProductId(3),
            name: "Public API".to_owned(),
            hostnames: vec![],
            url_prefixes: vec!["https://example.org/api/".to_owned()],
            aliases: vec![],
        }
    }

    fn router() -> ProductRoute {
        ProductRoute {
            product: ProductId(4),
            name: "Acme Router".to_owned(),
            hostnames: vec![],
            url_prefixes: vec![],
            aliases: vec!["Acme Router".to_owned(), "firmware X200".to_owned()],
        }
    }

    fn all() -> Vec<ProductRoute> {
        vec![shop(), website(), api(), router()]
    }

    fn routed(asset: Option<&str>, title: &str) -> Option<(i64, String)> {
        route(asset, title, &all()).map(|found| (found.product.0, found.reason))
    }

    #[test]
    fn wildcard_host_in_the_asset() {
        assert_eq!(
            routed(Some("https://blog.example.org/post/1"), "XSS"),
            Some((2, "host blog.example.org matches *.example.org".to_owned()))
        );
        assert_eq!(
            routed(Some("a.b.example.org"), "XSS").map(|found| found.0),
            Some(2)
        );
    }

    #[test]
    fn exact_host_beats_wildcard() {
        assert_eq!(
            routed(Some("https://shop.example.org/cart?x=1"), "XSS"),
            Some((
                1,
                "host shop.example.org matches shop.example.org".to_owned()
            ))
        );
        assert_eq!(
            routed(Some("SHOP.Example.ORG."), "XSS").map(|found| found.0),
            Some(1)
        );
    }

    #[test]
    fn url_prefix_beats_hosts() {
        assert_eq!(
            routed(Some("POST https://example.org/api/v2/users"), "IDOR"),
            Some((
                3,
                "URL https://example.org/api/v2/users starts with https://example.org/api/"
                    .to_owned()
            ))
        );
        // Without a scheme, and over plain http, the path still decides.
        assert_eq!(
            routed(Some("example.org/api/v2"), "IDOR").map(|found| found.0),
            Some(3)
        );
        assert_eq!(
            routed(Some("http://example.org/api/"), "IDOR").map(|found| found.0),
            Some(3)
        );
        // Outside the prefix the host rules apply.
        assert_eq!(
            routed(Some("https://example.org/apikeys"), "x").map(|found| found.0),
            Some(2)
        );
    }

    #[test]
    fn prefix_boundaries() {
        assert!(prefix_matches("example.org/api", "example.org/api"));
        assert!(prefix_matches("example.org/api/v1", "example.org/api"));
        assert!(prefix_matches("example.org/api?x=1", "example.org/api"));
        assert!(!prefix_matches("example.org/apikeys", "example.org/api"));
        assert!(prefix_matches("example.org/api/v1", "example.org/api/"));
        assert!(!prefix_matches("example.org/ap", "example.org/api/"));
    }

    #[test]
    fn longer_prefix_and_narrower_wildcard_win() {
        let mut admin = api();
        admin.product = ProductId(9);
        admin.url_prefixes = vec!["https://example.org/api/admin".to_owned()];
        let mut staging = website();
        staging.product = ProductId(8);
        staging.hostnames = vec!["*.staging.example.org".to_owned()];
        let routes = vec![api(), admin, website(), staging];
        let product = |asset: &str| route(Some(asset), "", &routes).map(|found| found.product.0);
        assert_eq!(product("https://example.org/api/admin/users"), Some(9));
        assert_eq!(product("https://example.org/api/users"), Some(3));
        assert_eq!(product("x.staging.example.org"), Some(8));
        assert_eq!(product("x.example.org"), Some(2));
    }

    #[test]
    fn aliases_match_whole_words_in_any_case() {
        assert_eq!(
            routed(Some("ACME-router admin page"), "CSRF"),
            Some((4, "the asset names \"Acme Router\"".to_owned()))
        );
        assert_eq!(
            routed(Some("Firmware x200 v1.2.3"), "RCE").map(|found| found.0),
            Some(4)
        );
        assert_eq!(routed(Some("acmerouter"), "RCE"), None);
        assert_eq!(routed(Some("the firmware"), "RCE"), None);
    }

    #[test]
    fn host_beats_alias_in_the_same_text() {
        assert_eq!(
            routed(Some("Acme Router at shop.example.org"), "x").map(|found| found.0),
            Some(1)
        );
    }

    #[test]
    fn title_is_used_when_the_asset_names_nothing() {
        assert_eq!(
            routed(Some("our login page"), "Stored XSS on shop.example.org"),
            Some((
                1,
                "host shop.example.org in the title matches shop.example.org".to_owned()
            ))
        );
        assert_eq!(
            routed(None, "RCE in the Acme Router").map(|found| found.1),
            Some("the title names \"Acme Router\"".to_owned())
        );
    }

    #[test]
    fn the_asset_outranks_the_title() {
        assert_eq!(
            routed(Some("Acme Router"), "found via https://example.org/api/x").map(|found| found.0),
            Some(4)
        );
    }

    #[test]
    fn equal_matches_across_products_are_left_to_a_triager() {
        let mut other = shop();
        other.product = ProductId(7);
        let routes = vec![shop(), other];
        assert_eq!(route(Some("shop.example.org"), "", &routes), None);
        // Two mentions of different products with equal strength: also undecided.
        assert_eq!(routed(Some("shop.example.org and example.org"), "x"), None);
        // The same product matched twice is not a tie.
        assert_eq!(
            routed(Some("shop.example.org and https://shop.example.org/"), "x")
                .map(|found| found.0),
            Some(1)
        );
    }

    #[test]
    fn a_stronger_match_after_a_tie_still_wins() {
        assert_eq!(
            routed(
                Some("Acme Router and the web shop, see https://example.org/api/x"),
                ""
            )
            .map(|found| found.0),
            Some(3)
        );
    }

    #[test]
    fn nothing_named_routes_nowhere() {
        assert_eq!(routed(Some("example.com"), "XSS in version 1.2"), None);
        assert_eq!(routed(None, ""), None);
        assert_eq!(route(Some("shop.example.org"), "", &[]), None);
    }

    #[test]
    fn hosts_are_found_in_urls_emails_ports_and_punctuation() {
        let hosts = |text: &str| -> Vec<Option<String>> {
            mentions(text)
                .into_iter()
                .map(|mention| mention.host)
                .collect()
        };
        assert_eq!(
            hosts("(see https://Shop.Example.org:8443/x), ops@example.net; shop.example.org."),
            vec![
                Some("shop.example.org".to_owned()),
                Some("example.net".to_owned()),
                Some("shop.example.org".to_owned())
            ]
        );
        assert_eq!(
            hosts("url:https://a.example.org/ <https://b.example.org>"),
            vec![
                Some("a.example.org".to_owned()),
                Some("b.example.org".to_owned())
            ]
        );
        assert_eq!(
            hosts("ssh://git.example.org 192.0.2.10:80"),
            vec![
                Some("git.example.org".to_owned()),
                Some("192.0.2.10".to_owned())
            ]
        );
        let keys: Vec<Option<String>> = mentions("ssh://git.example.org 192.0.2.10:80/x")
            .into_iter()
            .map(|mention| mention.url_key)
            .collect();
        assert_eq!(keys, vec![None, Some("192.0.2.10:80/x".to_owned())]);
        assert!(hosts("v1.2.3 CVE-2026-1234 just words").is_empty());
        assert_eq!(
            hosts("é://x ühttps://a.example.org"),
            vec![Some("a.example.org".to_owned())]
        );
        assert_eq!(
            hosts("bücher.example"),
            vec![Some("xn--bcher-kva.example".to_owned())]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_routes_without_panicking(asset in "\\PC{0,60}", title in "\\PC{0,60}") {
            let _ = route(Some(&asset), &title, &all());
        }

        #[test]
        fn url_like_text_routes_without_panicking(
            text in "([a-zé+.-]{0,4}://)?[a-zA-Z0-9éü.:@/?#*\\[\\]-]{0,40}",
        ) {
            let _ = route(Some(&text), &text, &all());
        }
    }
}
