//! Language tags (RFC 5646) for the Preferred-Languages field: well-formed, and made of
//! subtags the IANA registry knows (embedded from `data/language-subtags.txt`), so that
//! `jp` (a country, not a language) is caught. Codes with a registered equivalent
//! (`eng` for `en`, `UK` for `GB`) pass with a hint, as the reference checker accepts them.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const REGISTRY_TEXT: &str = include_str!("../../data/language-subtags.txt");

#[derive(Default)]
struct Registry {
    language: HashSet<&'static str>,
    extlang: HashSet<&'static str>,
    script: HashSet<&'static str>,
    region: HashSet<&'static str>,
    variant: HashSet<&'static str>,
    grandfathered: HashSet<&'static str>,
    language_alias: HashMap<&'static str, &'static str>,
    region_alias: HashMap<&'static str, &'static str>,
}

/// What the registry says of a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TagCheck {
    Valid,
    /// Valid once `written` is replaced by the registered subtag `registered`.
    Alias {
        written: String,
        registered: &'static str,
    },
    Invalid,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut registry = Registry::default();
    for line in REGISTRY_TEXT.lines().filter(|line| !line.starts_with('#')) {
        let Some((kind, subtags)) = line.split_once('\t') else {
            continue;
        };
        let aliases = match kind {
            "language-alias" => Some(&mut registry.language_alias),
            "region-alias" => Some(&mut registry.region_alias),
            _ => None,
        };
        if let Some(aliases) = aliases {
            aliases.extend(subtags.split(' ').filter_map(|pair| pair.split_once('=')));
            continue;
        }
        let set = match kind {
            "language" => &mut registry.language,
            "extlang" => &mut registry.extlang,
            "script" => &mut registry.script,
            "region" => &mut registry.region,
            "variant" => &mut registry.variant,
            "grandfathered" => &mut registry.grandfathered,
            _ => continue,
        };
        set.extend(subtags.split(' '));
    }
    registry
});

/// Checks that `tag` is a well-formed language tag whose subtags are all registered.
pub(crate) fn check(tag: &str) -> TagCheck {
    let lower = tag.to_ascii_lowercase();
    if !tag.is_ascii() || lower.is_empty() {
        return TagCheck::Invalid;
    }
    let registry = &*REGISTRY;
    if registry.grandfathered.contains(lower.as_str()) {
        return TagCheck::Valid;
    }
    let subtags: Vec<&str> = lower.split('-').collect();
    let well_formed = subtags.iter().all(|subtag| {
        !subtag.is_empty() && subtag.len() <= 8 && subtag.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    if !well_formed {
        return TagCheck::Invalid;
    }
    if subtags[0] == "x" {
        return if subtags.len() > 1 {
            TagCheck::Valid
        } else {
            TagCheck::Invalid
        };
    }
    check_langtag(registry, &subtags)
}

fn is_alpha(subtag: &str) -> bool {
    subtag.bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_digit(subtag: &str) -> bool {
    subtag.bytes().all(|b| b.is_ascii_digit())
}

/// Looks `subtag` up in `registered`, then in `aliases`, remembering the first alias used.
fn registered(
    subtag: &str,
    registered: &HashSet<&'static str>,
    aliases: &HashMap<&'static str, &'static str>,
    alias: &mut Option<(String, &'static str)>,
) -> bool {
    if registered.contains(subtag) {
        return true;
    }
    match aliases.get(subtag) {
        Some(&target) => {
            alias.get_or_insert_with(|| (subtag.to_owned(), target));
            true
        }
        None => false,
    }
}

/// `language ["-" script] ["-" region] *("-" variant) *("-" extension) ["-" privateuse]`
fn check_langtag(registry: &Registry, subtags: &[&str]) -> TagCheck {
    let mut alias = None;
    let mut rest = subtags;
    let Some((&language, tail)) = rest.split_first() else {
        return TagCheck::Invalid;
    };
    if !(2..=8).contains(&language.len())
        || !is_alpha(language)
        || !registered(
            language,
            &registry.language,
            &registry.language_alias,
            &mut alias,
        )
    {
        return TagCheck::Invalid;
    }
    rest = tail;
    // At most one extended language subtag is valid (RFC 5646 errata 5457).
    if language.len() <= 3 {
        if let Some((&extlang, tail)) = rest.split_first() {
            if extlang.len() == 3 && is_alpha(extlang) {
                if !registry.extlang.contains(extlang) {
                    return TagCheck::Invalid;
                }
                rest = tail;
            }
        }
    }
    if let Some((&script, tail)) = rest.split_first() {
        if script.len() == 4 && is_alpha(script) {
            if !registry.script.contains(script) {
                return TagCheck::Invalid;
            }
            rest = tail;
        }
    }
    if let Some((&region, tail)) = rest.split_first() {
        if (region.len() == 2 && is_alpha(region)) || (region.len() == 3 && is_digit(region)) {
            if !registered(region, &registry.region, &registry.region_alias, &mut alias) {
                return TagCheck::Invalid;
            }
            rest = tail;
        }
    }
    let mut seen_variants = HashSet::new();
    while let Some((&variant, tail)) = rest.split_first() {
        let shaped = (5..=8).contains(&variant.len())
            || (variant.len() == 4 && variant.as_bytes()[0].is_ascii_digit());
        if !shaped {
            break;
        }
        if !registry.variant.contains(variant) || !seen_variants.insert(variant) {
            return TagCheck::Invalid;
        }
        rest = tail;
    }
    if !check_extensions(rest) {
        return TagCheck::Invalid;
    }
    match alias {
        Some((written, registered)) => TagCheck::Alias {
            written,
            registered,
        },
        None => TagCheck::Valid,
    }
}

/// `*("-" extension) ["-" privateuse]`, each extension singleton used once.
fn check_extensions(mut rest: &[&str]) -> bool {
    let mut seen_singletons = HashSet::new();
    while let Some((&singleton, tail)) = rest.split_first() {
        if singleton.len() != 1 {
            return false;
        }
        let count = if singleton == "x" {
            tail.len()
        } else {
            tail.iter().take_while(|subtag| subtag.len() >= 2).count()
        };
        if count == 0 || !seen_singletons.insert(singleton) {
            return false;
        }
        if singleton == "x" {
            return true;
        }
        rest = &tail[count..];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_registered_tags() {
        for tag in [
            "en",
            "EN",
            "en-US",
            "de-CH-1996",
            "zh-Hant-TW",
            "es-419",
            "x-klingon",
            "i-klingon",
            "en-a-bbb-x-private",
            "qaa",
            "sgn-BE-FR",
            "zh-yue",
            "und",
        ] {
            assert_eq!(check(tag), TagCheck::Valid, "{tag}");
        }
    }

    #[test]
    fn accepts_aliases_with_their_registered_form() {
        assert_eq!(
            check("eng"),
            TagCheck::Alias {
                written: "eng".to_owned(),
                registered: "en"
            }
        );
        assert_eq!(
            check("en-UK"),
            TagCheck::Alias {
                written: "uk".to_owned(),
                registered: "gb"
            }
        );
    }

    #[test]
    fn refuses_malformed_or_unregistered_tags() {
        for tag in [
            "",
            "jp",
            "xx",
            "en_US",
            "english",
            "en-",
            "-en",
            "en--US",
            "en-US-US",
            "de-1996-1996",
            "en-a-bbb-a-ccc",
            "en-a",
            "x",
            "123",
            "en-Latnx",
            "zh-yue-yue",
            "fr-FR-FR",
            "é",
        ] {
            assert_eq!(check(tag), TagCheck::Invalid, "{tag}");
        }
    }
}
