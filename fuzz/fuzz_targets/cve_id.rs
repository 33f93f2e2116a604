//! Fuzzes the CVE ID parser: no input may panic it, every accepted ID must print back as
//! the input, and the printed form must match the CVE JSON schema's pattern.
#![no_main]

use cvdesk_formats::cve_id::CveId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(id) = input.parse::<CveId>() else {
        return;
    };
    let text = id.to_string();
    assert_eq!(text, input);
    let (year, sequence) = text["CVE-".len()..].split_once('-').expect("two parts");
    assert_eq!(year.len(), 4);
    assert!((4..=19).contains(&sequence.len()));
    assert!(year
        .bytes()
        .chain(sequence.bytes())
        .all(|b| b.is_ascii_digit()));
});
