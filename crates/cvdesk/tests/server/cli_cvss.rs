//! `cvdesk cvss` as the contracts define it.

use serde_json::Value;

use crate::app::run_cli;

fn cvss(args: &[&str], stdin: &str) -> (bool, String) {
    let (code, out) = run_cli(&[&["cvss"], args].concat(), stdin);
    (code == Some(0), out)
}

#[test]
fn json_lines_for_every_version() {
    let (ok, out) = cvss(
        &[
            "--json",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:F/RL:OF/RC:C",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        ],
        "",
    );
    assert!(ok);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["version"], "3.1");
    assert_eq!(lines[0]["base_score"], 9.8);
    assert_eq!(lines[0]["temporal_score"], Value::Null);
    assert_eq!(lines[0]["score"], 9.8);
    assert_eq!(lines[0]["severity"], "critical");
    assert_eq!(lines[1]["version"], "2.0");
    assert_eq!(lines[1]["base_score"], 7.5);
    assert_eq!(lines[1]["temporal_score"], 6.2);
    assert_eq!(lines[1]["score"], 6.2);
    assert_eq!(lines[2]["version"], "4.0");
    assert_eq!(lines[2]["score"], 9.3);
}

#[test]
fn stdin_and_invalid_vectors() {
    let (ok, out) = cvss(
        &["--json"],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n\nCVSS:3.1/AV:N\n",
    );
    assert!(!ok, "exit 1 when any vector is invalid");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["vector"], "CVSS:3.1/AV:N");
    assert!(lines[1]["error"]
        .as_str()
        .is_some_and(|e| e.contains("missing")));
    let (ok, out) = cvss(&["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], "");
    assert!(ok);
    assert!(out.contains("9.8 critical"));
}
