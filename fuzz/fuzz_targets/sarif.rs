//! Fuzzes the SARIF reader: no input may panic it; an accepted log has at most the
//! results one import takes, each with a rule, a message and its place in the log.
#![no_main]

use cvdesk_formats::sarif::{read, MAX_PROBLEMS, MAX_RESULTS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match read(input) {
        Ok(log) => {
            assert!(log.results.len() <= MAX_RESULTS);
            for result in &log.results {
                assert!(!result.rule_id.trim().is_empty());
                assert!(!result.message.trim().is_empty());
                assert!(result.pointer.starts_with("/runs/"));
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            assert!(problems.len() <= MAX_PROBLEMS);
        }
    }
});
