//! The product and asset inventory: what the organization runs, who owns it, how much it
//! matters, and the host names, URLs and names by which a report can be routed to it. This
//! module turns the inventory form into a `ProductSpec`, or a message per field saying what
//! to fix; `routing` uses the same host rules to suggest a product for a report. The owning
//! team is named: a name no team has yet creates that team with the product, and only once
//! every field is right, so a refused form creates nothing.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use url::{Host, Position, Url};

use crate::priority::Criticality;
use crate::staff::ProductId;

mod routing;

pub use routing::{route, ProductRoute, RouteMatch};

pub const NAME_MAX_CHARS: usize = 100;
pub const TEAM_NAME_MAX_CHARS: usize = 100;
pub const BUSINESS_CONTEXT_MAX_CHARS: usize = 2_000;
pub const ALIAS_MAX_CHARS: usize = 100;
pub const URL_PREFIX_MAX_CHARS: usize = 2_000;
/// Entries per list (host names, URL prefixes, aliases).
pub const MAX_ENTRIES: usize = 100;

/// The inventory form exactly as submitted. The three lists hold one entry a line; host
/// names and URL prefixes may also be separated by spaces or commas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductInput {
    pub name: String,
    /// The owning team's name; empty for none.
    pub team: String,
    pub business_context: String,
    pub criticality: String,
    pub hostnames: String,
    pub url_prefixes: String,
    pub aliases: String,
}

/// A product that passed every inventory rule. Host names are lower case and ASCII (an
/// international name is kept in its `xn--` form), URL prefixes in their normal URL form,
/// and duplicates are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSpec {
    pub name: String,
    /// The owning team's name, created with the product when no team has it yet.
    pub team: Option<String>,
    pub business_context: Option<String>,
    pub criticality: Criticality,
    pub hostnames: Vec<String>,
    pub url_prefixes: Vec<String>,
    pub aliases: Vec<String>,
}

impl ProductSpec {
    /// The routing rules of this product once stored under `product`.
    pub fn route(&self, product: ProductId) -> ProductRoute {
        ProductRoute {
            product,
            name: self.name.clone(),
            hostnames: self.hostnames.clone(),
            url_prefixes: self.url_prefixes.clone(),
            aliases: self.aliases.clone(),
        }
    }
}

/// The fields of the inventory form that can be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProductField {
    Name,
    Team,
    BusinessContext,
    Criticality,
    Hostnames,
    UrlPrefixes,
    Aliases,
}

impl ProductField {
    /// The HTML form field name, also the key in JSON error bodies.
    pub fn form_name(self) -> &'static str {
        match self {
            ProductField::Name => "name",
            ProductField::Team => "team",
            ProductField::BusinessContext => "business_context",
            ProductField::Criticality => "criticality",
            ProductField::Hostnames => "hostnames",
            ProductField::UrlPrefixes => "url_prefixes",
            ProductField::Aliases => "aliases",
        }
    }
}

/// One message per refused field, in form order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFieldErrors(BTreeMap<ProductField, String>);

impl ProductFieldErrors {
    pub fn add(&mut self, field: ProductField, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: ProductField) -> Option<&str> {
        self.0.get(&field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (ProductField, &str)> {
        self.0
            .iter()
            .map(|(field, message)| (*field, message.as_str()))
    }

    /// The value when it parsed; otherwise records the message against `field`.
    fn take<T>(&mut self, field: ProductField, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }
}

/// The inventory form as a `ProductSpec`, or every refused field with what to fix; the
/// same rules serve the staff form and the API.
pub fn parse_product(input: &ProductInput) -> Result<ProductSpec, ProductFieldErrors> {
    let mut errors = ProductFieldErrors::default();
    let name = errors.take(ProductField::Name, parse_name(&input.name));
    let team = errors.take(ProductField::Team, parse_team(&input.team));
    let business_context = errors.take(
        ProductField::BusinessContext,
        parse_business_context(&input.business_context),
    );
    let criticality = errors.take(
        ProductField::Criticality,
        parse_criticality(&input.criticality),
    );
    let separators = |c: char| c.is_whitespace() || c == ',';
    let hostnames = errors.take(
        ProductField::Hostnames,
        parse_list(
            input.hostnames.split(separators),
            "host names",
            host_pattern,
            exact,
        ),
    );
    let url_prefixes = errors.take(
        ProductField::UrlPrefixes,
        parse_list(
            input.url_prefixes.split(separators),
            "URL prefixes",
            url_prefix,
            exact,
        ),
    );
    let aliases = errors.take(
        ProductField::Aliases,
        parse_list(input.aliases.lines(), "aliases", alias, |a, b| {
            a.to_lowercase() == b.to_lowercase()
        }),
    );
    match (
        name,
        team,
        business_context,
        criticality,
        hostnames,
        url_prefixes,
        aliases,
    ) {
        (
            Some(name),
            Some(team),
            Some(business_context),
            Some(criticality),
            Some(hostnames),
            Some(url_prefixes),
            Some(aliases),
        ) => Ok(ProductSpec {
            name,
            team,
            business_context,
            criticality,
            hostnames,
            url_prefixes,
            aliases,
        }),
        _ => Err(errors),
    }
}

fn parse_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("Give the product a name.".to_owned());
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(format!(
            "Keep the name to at most {NAME_MAX_CHARS} characters."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("Write the name on one line, without control characters.".to_owned());
    }
    Ok(name.to_owned())
}

fn parse_team(raw: &str) -> Result<Option<String>, String> {
    let name = raw.trim();
    if name.chars().count() > TEAM_NAME_MAX_CHARS {
        return Err(format!(
            "A team name has at most {TEAM_NAME_MAX_CHARS} characters."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("Write the team's name on one line, without control characters.".to_owned());
    }
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

fn parse_business_context(raw: &str) -> Result<Option<String>, String> {
    let text = raw.trim();
    if text.chars().count() > BUSINESS_CONTEXT_MAX_CHARS {
        return Err(format!(
            "Keep the business context to at most {BUSINESS_CONTEXT_MAX_CHARS} characters."
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

fn parse_criticality(raw: &str) -> Result<Criticality, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(
            "Choose how critical the product is: low, medium, high or critical.".to_owned(),
        );
    }
    text.to_lowercase().parse().map_err(|_| {
        format!("\"{text}\" is not a criticality; choose low, medium, high or critical.")
    })
}

/// Parses every entry, collecting all problems in one message so the whole list can be
/// fixed at once; repeated entries are dropped.
fn parse_list<'a>(
    entries: impl Iterator<Item = &'a str>,
    what: &str,
    parse: impl Fn(&str) -> Result<String, String>,
    same: impl Fn(&str, &str) -> bool,
) -> Result<Vec<String>, String> {
    let mut values: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    for entry in entries.map(str::trim).filter(|entry| !entry.is_empty()) {
        match parse(entry) {
            Ok(value) => {
                if !values.iter().any(|known| same(known, &value)) {
                    values.push(value);
                }
            }
            Err(problem) => problems.push(problem),
        }
    }
    if values.len() > MAX_ENTRIES {
        problems.push(format!("List at most {MAX_ENTRIES} {what}."));
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems.join(" "))
    }
}

/// Host names are already lower case, and URL paths are case-sensitive.
fn exact(a: &str, b: &str) -> bool {
    a == b
}

fn host_pattern(entry: &str) -> Result<String, String> {
    if entry.contains("://") {
        return Err(format!(
            "\"{entry}\" is a URL: enter only its host name here, or list it under URL prefixes."
        ));
    }
    if entry.contains('/') {
        return Err(format!(
            "\"{entry}\": leave out the path; list paths under URL prefixes."
        ));
    }
    if entry.contains(':') {
        return Err(format!(
            "\"{entry}\": leave out the port; a host name matches every port."
        ));
    }
    let (wildcard, name) = match entry.strip_prefix("*.") {
        Some(base) => (true, base),
        None => (false, entry),
    };
    if name.contains('*') {
        return Err(format!(
            "\"{entry}\": a wildcard is allowed only as a leading \"*.\", as in *.example.org."
        ));
    }
    let Some(host) = normalise_host(name) else {
        if wildcard && !name.trim_end_matches('.').contains('.') {
            return Err(format!(
                "\"{entry}\" would cover a whole top-level domain; use a domain of your own, \
                 as in *.example.org."
            ));
        }
        return Err(format!(
            "\"{entry}\" is not a valid host name; use letters, digits and hyphens in \
             dot-separated labels, as in shop.example.org."
        ));
    };
    if wildcard && host.parse::<Ipv4Addr>().is_ok() {
        return Err(format!(
            "\"{entry}\": a wildcard needs a domain name, not an IP address."
        ));
    }
    Ok(if wildcard { format!("*.{host}") } else { host })
}

fn url_prefix(entry: &str) -> Result<String, String> {
    if entry.chars().count() > URL_PREFIX_MAX_CHARS {
        return Err(format!(
            "A URL prefix can be at most {URL_PREFIX_MAX_CHARS} characters long."
        ));
    }
    let Ok(url) = Url::parse(entry) else {
        return Err(format!(
            "\"{entry}\" is not a URL; write it in full, as in https://example.org/api/."
        ));
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("\"{entry}\" must start with https:// or http://."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("\"{entry}\": remove the user name and password."));
    }
    if url.fragment().is_some() {
        return Err(format!(
            "\"{entry}\": remove the part from \"#\" on; browsers never send it."
        ));
    }
    Ok(url.into())
}

fn alias(entry: &str) -> Result<String, String> {
    let alias = entry.split_whitespace().collect::<Vec<_>>().join(" ");
    if alias.chars().count() > ALIAS_MAX_CHARS {
        return Err(format!(
            "\"{alias}\" is longer than {ALIAS_MAX_CHARS} characters."
        ));
    }
    if !alias.chars().any(char::is_alphanumeric) {
        return Err(format!(
            "\"{alias}\" has no letters or digits to match a report by."
        ));
    }
    Ok(alias)
}

/// A host name in the form routing compares: lower case, ASCII, no trailing dot, at least
/// two labels and not ending in a number (so "1.2" in a version string is no host), or a
/// dotted-quad IPv4 address.
fn normalise_host(text: &str) -> Option<String> {
    let text = text.strip_suffix('.').unwrap_or(text);
    if text.parse::<Ipv4Addr>().is_ok() {
        return Some(text.to_owned());
    }
    let ascii = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        match Host::parse(text).ok()? {
            Host::Domain(domain) => domain,
            Host::Ipv4(_) | Host::Ipv6(_) => return None,
        }
    };
    valid_domain(&ascii).then_some(ascii)
}

fn valid_domain(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|top| !top.bytes().all(|b| b.is_ascii_digit()))
}

/// What URL prefixes are compared on: host, port, path and query, without the scheme.
fn url_key(text: &str) -> Option<String> {
    let url = Url::parse(text).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.host()?;
    Some(url[Position::BeforeHost..Position::AfterQuery].to_owned())
}

#[cfg(test)]
mod tests;
