//! security.txt: reading and linting any bytes never panics, and whatever the generator
//! writes from settings derived from the input lints valid.

#![no_main]

use cvdesk_formats::securitytxt::{self, SecurityTxt};
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

/// Turns arbitrary bytes into a path segment a web URI can hold.
fn segment(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| b"abcdefghijklmnopqrstuvwxyz0123456789-._~"[usize::from(b) % 40] as char)
        .collect()
}

fn settings(data: &[u8]) -> SecurityTxt {
    let mut parts = data.split(|&b| b == b'/');
    let mut uris = |count: u8| -> Vec<String> {
        (0..count % 3)
            .map(|_| {
                format!(
                    "https://example.com/{}",
                    segment(parts.next().unwrap_or_default())
                )
            })
            .collect()
    };
    let first = data.first().copied().unwrap_or(0);
    let seconds = data
        .iter()
        .fold(1i64, |acc, &b| (acc * 31 + i64::from(b)) % (364 * 86_400))
        + 1;
    let languages = ["en", "de-CH", "x-test", "zh-Hant"];
    SecurityTxt {
        contacts: vec![
            format!(
                "mailto:security@{}.example",
                segment(&data[..data.len().min(8)]).replace('.', "-")
            ),
            format!("tel:+{}", u32::from(first) + 100),
        ],
        expires: NOW + Duration::seconds(seconds),
        encryption: uris(first),
        acknowledgments: uris(first >> 2),
        preferred_languages: languages[..usize::from(first % 4)]
            .iter()
            .map(|l| (*l).to_owned())
            .collect(),
        canonical: uris(first >> 4),
        policy: uris(first >> 6),
        hiring: uris(first.rotate_left(3)),
        csaf: vec!["https://example.com/.well-known/csaf/provider-metadata.json".to_owned()],
    }
}

fuzz_target!(|data: &[u8]| {
    let report = securitytxt::lint_bytes(data, NOW);
    assert_eq!(report.is_valid(), report.errors().next().is_none());
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = securitytxt::parse(text);
    }

    let rendered = settings(data).render();
    let generated = securitytxt::lint(&rendered, NOW);
    assert!(generated.is_valid(), "{rendered}\n{:?}", generated.findings);
});
