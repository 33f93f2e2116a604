//! CPE 2.3 names in the formatted-string binding (`cpe:2.3:a:vendor:product:…`), checked
//! against the grammar of NIST IR 7695 §6.2 (as the CSAF schema's pattern encodes it), so
//! a name written into CSAF or CVE is always one the consumers' schemas accept.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::echo;

/// A checked CPE 2.3 formatted string, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cpe(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a CPE 2.3 name (expected e.g. cpe:2.3:a:example:portal:4.2.1:*:*:*:*:*:*:*)")]
pub struct CpeError(String);

impl FromStr for Cpe {
    type Err = CpeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refuse = || CpeError(echo(s));
        let rest = s.strip_prefix("cpe:2.3:").ok_or_else(refuse)?;
        let components = split_unescaped(rest);
        if components.len() != 11 {
            return Err(refuse());
        }
        let part_ok = matches!(components[0], "a" | "h" | "o" | "*" | "-");
        let language_ok = is_language(components[6]);
        let generic_ok = components[1..6]
            .iter()
            .chain(&components[7..])
            .all(|component| is_generic(component));
        if part_ok && language_ok && generic_ok {
            Ok(Cpe(s.to_owned()))
        } else {
            Err(refuse())
        }
    }
}

impl Cpe {
    /// The name of an application from its vendor, product and version as people write
    /// them, bound as NIST IR 7695 §6.2 binds attribute values: lower case, whitespace as
    /// `_`, the punctuation the grammar allows quoted with `\\`, and any other character
    /// (outside printable ASCII) as `_`; an empty value is ANY (`*`). Such a name is built,
    /// not looked up in NVD's dictionary, so it identifies the product only as precisely
    /// as its words do.
    pub fn application(vendor: &str, product: &str, version: &str) -> Cpe {
        let name = format!(
            "cpe:2.3:a:{}:{}:{}:*:*:*:*:*:*:*",
            bind(vendor),
            bind(product),
            bind(version)
        );
        Cpe(name)
    }
}

/// One attribute value in the formatted-string binding.
fn bind(value: &str) -> String {
    const QUOTED: &str = "\\*?!\"#$%&'()+,/:;<=>@[]^`{|}~";
    let mut bound = String::with_capacity(value.len());
    for c in value.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
            bound.push(c);
        } else if QUOTED.contains(c) {
            bound.push('\\');
            bound.push(c);
        } else {
            bound.push('_');
        }
    }
    match bound.as_str() {
        "" => "*".to_owned(),
        // A lone hyphen would read as NOT APPLICABLE, and the grammar cannot quote it.
        "-" => "_".to_owned(),
        _ => bound,
    }
}

/// Written as its text; read back through the same checks.
impl Serialize for Cpe {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cpe {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Cpe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Splits at colons that are not escaped with a backslash.
fn split_unescaped(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ':' => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `*`, `-`, or a value: optional leading `?`s or one `*`, then at least one letter, digit,
/// `-._` or backslash-escaped punctuation, then optional trailing `?`s or one `*`.
fn is_generic(component: &str) -> bool {
    if component == "*" || component == "-" {
        return true;
    }
    let body = component
        .strip_prefix('*')
        .unwrap_or_else(|| component.trim_start_matches('?'));
    let body = strip_trailing_wildcards(body);
    if body.is_empty() {
        return false;
    }
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        let ok = if c == '\\' {
            chars.next().is_some_and(|escaped| {
                escaped.is_ascii_punctuation() && escaped != '-' && escaped != '.' && escaped != '_'
            })
        } else {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `body` without its trailing `*` or run of `?`, unless they are quoted (`x\\*` is the
/// value `x*`, not `x` followed by a wildcard).
fn strip_trailing_wildcards(body: &str) -> &str {
    let unquoted_at =
        |end: usize| body[..end].chars().rev().take_while(|&c| c == '\\').count() % 2 == 0;
    if body.ends_with('*') && unquoted_at(body.len() - 1) {
        return &body[..body.len() - 1];
    }
    let mut end = body.len();
    while body[..end].ends_with('?') && unquoted_at(end - 1) {
        end -= 1;
    }
    &body[..end]
}

/// `*`, `-`, or a language tag of two or three letters with an optional region.
fn is_language(component: &str) -> bool {
    if component == "*" || component == "-" {
        return true;
    }
    let (language, region) = match component.split_once('-') {
        Some((language, region)) => (language, Some(region)),
        None => (component, None),
    };
    let language_ok =
        (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_alphabetic());
    let region_ok = region.is_none_or(|region| {
        (region.len() == 2 && region.chars().all(|c| c.is_ascii_alphabetic()))
            || (region.len() == 3 && region.chars().all(|c| c.is_ascii_digit()))
    });
    language_ok && region_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_names_are_bound_and_pass_the_grammar() {
        for (vendor, product, version, expected) in [
            (
                "Acme",
                "Portal",
                "4.2.1",
                "cpe:2.3:a:acme:portal:4.2.1:*:*:*:*:*:*:*",
            ),
            (
                "Acme Corp.",
                "Shop (Pro)",
                "4.3.0-beta",
                "cpe:2.3:a:acme_corp.:shop_\\(pro\\):4.3.0-beta:*:*:*:*:*:*:*",
            ),
            (
                "Müller & Söhne",
                "a:b/c",
                "",
                "cpe:2.3:a:m_ller_\\&_s_hne:a\\:b\\/c:*:*:*:*:*:*:*:*",
            ),
            ("-", "x*", "1", "cpe:2.3:a:_:x\\*:1:*:*:*:*:*:*:*"),
        ] {
            let cpe = Cpe::application(vendor, product, version);
            assert_eq!(cpe.to_string(), expected);
            assert_eq!(expected.parse::<Cpe>(), Ok(cpe), "{expected}");
        }
    }

    #[test]
    fn accepts_formatted_strings() {
        for text in [
            "cpe:2.3:a:example:portal:4.2.1:*:*:*:*:*:*:*",
            "cpe:2.3:o:microsoft:windows_10:1607:*:*:*:*:*:x64:*",
            "cpe:2.3:a:example:portal\\:pro:4.*:-:*:en-us:*:*:*:*",
            "cpe:2.3:h:*:*:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:ex:pr:??1:*:*:*:*:*:*:*",
        ] {
            assert_eq!(
                text.parse::<Cpe>().map(|cpe| cpe.to_string()).as_deref(),
                Ok(text)
            );
        }
    }

    #[test]
    fn refuses_other_text() {
        for text in [
            "",
            "cpe:/a:example:portal:4.2.1",
            "cpe:2.3:x:example:portal:4.2.1:*:*:*:*:*:*:*",
            "cpe:2.3:a:example:portal:4.2.1:*:*:*:*:*:*",
            "cpe:2.3:a:example:portal:4.2.1:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:example:por tal:4.2.1:*:*:*:*:*:*:*",
            "cpe:2.3:a:example::4.2.1:*:*:*:*:*:*:*",
            "cpe:2.3:a:example:portal:4.2.1:*:*:english:*:*:*:*",
            "cpe:2.3:a:example:portal:**:*:*:*:*:*:*:*",
        ] {
            assert!(text.parse::<Cpe>().is_err(), "{text:?} accepted");
        }
    }
}
