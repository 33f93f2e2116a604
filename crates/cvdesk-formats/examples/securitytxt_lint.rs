//! Lints security.txt files as of the current time and prints one JSON object a file:
//! `{"file", "valid", "findings": [...]}`. Used by the sectxt oracle
//! (tests/oracle/securitytxt_oracle.py).

use std::process::ExitCode;

use cvdesk_formats::securitytxt;
use time::OffsetDateTime;

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: securitytxt_lint FILE…");
        return ExitCode::from(2);
    }
    let now = OffsetDateTime::now_utc();
    let mut all_valid = true;
    for path in paths {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("{path}: {error}");
                return ExitCode::from(2);
            }
        };
        let report = securitytxt::lint_bytes(&bytes, now);
        all_valid &= report.is_valid();
        let line = serde_json::json!({
            "file": path,
            "valid": report.is_valid(),
            "findings": report.findings,
        });
        println!("{line}");
    }
    if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
