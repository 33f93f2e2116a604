//! Language tags (RFC 5646) for the Preferred-Languages field: well-formed, and made of
//! subtags the IANA registry knows (embedded from `data/language-subtags.txt`), so that
//! `jp` (a country, not a language) is caught.

use std::collections::HashSet;
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
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut registry = Registry::default();
    for line in REGISTRY_TEXT.lines().filter(|line| !line.starts_with('#')) {
        let Some((kind, subtags)) = line.split_once('\t') else {
            continue;
        };
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

/// Whether `tag` is a well-formed language tag whose subtags are all registered.
pub(crate) fn is_valid(tag: &str) -> bool {
    let lower = tag.to_ascii_lowercase();
    if !tag.is_ascii() || lower.is_empty() {
        return false;
    }
    let registry = &*REGISTRY;
    if registry.grandfathered.contains(lower.as_str()) {
        return true;
    }
    let subtags: Vec<&str> = lower.split('-').collect();
    if subtags.iter().any(|subtag| {
        subtag.is_empty() || subtag.len() > 8 || !subtag.bytes().all(|b| b.is_ascii_alphanumeric())
    }) {
        return false;
    }
    if subtags[0] == "x" {
        return subtags.len() > 1;
    }
    check_langtag(registry, &subtags)
}

fn is_alpha(subtag: &str) -> bool {
    subtag.bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_digit(subtag: &str) -> bool {
    subtag.bytes().all(|b| b.is_ascii_digit())
}

/// `language ["-" script] ["-" region] *("-" variant) *("-" extension) ["-" privateuse]`
fn check_langtag(registry: &Registry, subtags: &[&str]) -> bool {
    let mut rest = subtags;
    let Some((&language, tail)) = rest.split_first() else {
        return false;
    };
    if !(2..=8).contains(&language.len()) || !is_alpha(language) {
        return false;
    }
    if !registry.language.contains(language) {
        return false;
    }
    rest = tail;
    // At most one extended language subtag is valid (RFC 5646 errata 5457).
    if language.len() <= 3 {
        if let Some((&extlang, tail)) = rest.split_first() {
            if extlang.len() == 3 && is_alpha(extlang) {
                if !registry.extlang.contains(extlang) {
                    return false;
                }
                rest = tail;
            }
        }
    }
    if let Some((&script, tail)) = rest.split_first() {
        if script.len() == 4 && is_alpha(script) {
            if !registry.script.contains(script) {
                return false;
            }
            rest = tail;
        }
    }
    if let Some((&region, tail)) = rest.split_first() {
        if (region.len() == 2 && is_alpha(region)) || (region.len() == 3 && is_digit(region)) {
            if !registry.region.contains(region) {
                return false;
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
            return false;
        }
        rest = tail;
    }
    check_extensions(rest)
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
            assert!(is_valid(tag), "{tag}");
        }
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
            assert!(!is_valid(tag), "{tag}");
        }
    }
}
