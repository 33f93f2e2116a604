//! `cvdesk securitytxt lint` as the contracts define it.

use serde_json::Value;

use crate::app::run_cli;

fn lint(args: &[&str], stdin: &str) -> (Option<i32>, String) {
    run_cli(&[&["securitytxt", "lint"], args].concat(), stdin)
}

fn expires_next_month() -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::days(30);
    at.replace_nanosecond(0)
        .expect("valid")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formatted")
}

#[test]
fn a_valid_file_exits_0_and_an_invalid_one_1_with_line_numbers() {
    let valid = format!(
        "Contact: mailto:security@example.org\nExpires: {}\n",
        expires_next_month()
    );
    let (code, out) = lint(&["-"], &valid);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("valid: 0 errors"), "{out}");

    let invalid = "# no contact here\nExpires: yesterday\nPolicy: http://example.org/policy\n";
    let (code, out) = lint(&["--json", "-"], invalid);
    assert_eq!(code, Some(1));
    let report: Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(report["valid"], false);
    let findings = report["findings"].as_array().expect("findings");
    let expires = findings
        .iter()
        .find(|f| f["field"] == "Expires")
        .expect("Expires finding");
    assert_eq!(expires["line"], 2);
    assert_eq!(expires["severity"], "error");
    assert!(
        findings
            .iter()
            .any(|f| f["field"] == "Policy" && f["line"] == 3),
        "{out}"
    );
    assert!(findings
        .iter()
        .all(|f| f["message"].as_str().is_some_and(|m| !m.is_empty())));
}

#[test]
fn an_unreadable_file_exits_2() {
    let (code, _) = lint(&["/nonexistent/security.txt"], "");
    assert_eq!(code, Some(2));
}
