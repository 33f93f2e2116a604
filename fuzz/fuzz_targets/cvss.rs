//! Fuzzes the CVSS parser: no input may panic it, and every accepted vector's canonical
//! form must parse back to the same value and score on the 0.0–10.0 scale.
#![no_main]

use cvdesk_formats::cvss::Cvss;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cvss) = Cvss::parse(input) else {
        return;
    };
    let canonical = cvss.to_string();
    assert_eq!(Cvss::parse(&canonical), Ok(cvss), "{canonical}");
    let scores = cvss.scores();
    for score in [
        Some(scores.base),
        scores.temporal,
        scores.environmental,
        Some(scores.score),
    ]
    .into_iter()
    .flatten()
    {
        assert!((0.0..=10.0).contains(&score), "{canonical}: {score}");
    }
});
