//! Fuzzes the TLP label parser: no input may panic it, and every accepted label must be
//! exactly one of FIRST's spellings.
#![no_main]

use cvdesk_formats::tlp::Tlp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(tlp) = input.parse::<Tlp>() {
        assert_eq!(tlp.as_str(), input);
    }
});
