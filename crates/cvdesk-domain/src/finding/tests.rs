use serde_json::json;

use super::*;
use crate::draft::TextLimits;

const HEADER: &str = "source,title,summary,steps_to_reproduce,impact,product,external_id,weakness";

#[test]
fn only_finding_sources_are_taken() {
    assert_eq!(finding_source("pentest"), Ok(ReportSource::Pentest));
    assert_eq!(finding_source(" bug_bounty "), Ok(ReportSource::BugBounty));
    for refused in ["form", "api", "staff", "", "Pentest"] {
        let message = finding_source(refused).expect_err(refused);
        assert!(message.contains("internal, pentest, scanner"), "{message}");
    }
}

#[test]
fn csv_rows_become_findings() {
    let text = format!(
        "{HEADER}\r\npentest,SQL injection in search,The q parameter,\"GET /search?q='\",Data read,3,PT-7,CWE-89\r\n\
         internal,Debug page open,Shows settings,Open /debug,Secrets shown,,,\r\n"
    );
    let findings = from_csv(&text, TextLimits::default()).expect("valid table");
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0].source, ReportSource::Pentest);
    assert_eq!(findings[0].product, Some(ProductId(3)));
    assert_eq!(findings[0].draft.steps_to_reproduce, "GET /search?q='");
    assert_eq!(
        findings[0].draft.weakness.map(|w| w.to_string()).as_deref(),
        Some("CWE-89")
    );
    assert_eq!(findings[0].origin, "row 2");
    assert!(findings[0].fingerprint.is_some());
    assert_eq!(
        findings[1].fingerprint, None,
        "no external id, nothing to recognise it by"
    );
    assert_eq!(findings[1].product, None);
}

#[test]
fn the_same_external_id_of_the_same_source_is_the_same_finding() {
    let row = |source: &str, id: &str| format!("{source},T,S,R,I,,{id},");
    let text = format!(
        "{HEADER}\n{}\n{}\n{}\n",
        row("pentest", "A-1"),
        row("pentest", "A-1"),
        row("supplier", "A-1")
    );
    let findings = from_csv(&text, TextLimits::default()).expect("valid");
    assert_eq!(findings.len(), 2, "the repeated row is imported once");
    assert_ne!(findings[0].fingerprint, findings[1].fingerprint);
}

#[test]
fn csv_problems_name_their_row_and_column() {
    let cases: [(String, &str, &str); 8] = [
        (String::new(), "", "empty"),
        ("title,summary\n".to_owned(), "row 1", "'source' is missing"),
        (
            format!("{HEADER},colour\n"),
            "row 1",
            "'colour' is not a column",
        ),
        (format!("{HEADER},title\n"), "row 1", "named twice"),
        (
            format!("{HEADER}\npentest,T,S,R\n"),
            "row 2",
            "4 fields; the header names 8",
        ),
        (
            format!("{HEADER}\nform,T,S,R,I,,,\n"),
            "row 2",
            "source: 'form' is not a finding source",
        ),
        (format!("{HEADER}\npentest,,S,R,I,,,\n"), "row 2", "title:"),
        (
            format!("{HEADER}\npentest,T,S,R,I,x1,,\n"),
            "row 2",
            "product: 'x1'",
        ),
    ];
    for (text, place, words) in cases {
        let problems = from_csv(&text, TextLimits::default()).expect_err(&text);
        assert!(
            problems
                .iter()
                .any(|p| p.place == place && p.message.contains(words)),
            "{text:?}: {problems:?}"
        );
    }
}

#[test]
fn every_bad_row_is_named_at_once() {
    let text = format!("{HEADER}\nx,T,S,R,I,,,\npentest,T,S,R,I,,,CWE-0\npentest,T,S,R,I,,,\n");
    let problems = from_csv(&text, TextLimits::default()).expect_err("two bad rows");
    let places: Vec<&str> = problems.iter().map(|p| p.place.as_str()).collect();
    assert_eq!(places, vec!["row 2", "row 3"]);
}

fn sarif_log(results: serde_json::Value) -> String {
    json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "Bandit", "rules": [
                {"id": "B608", "shortDescription": {"text": "Possible SQL injection"},
                 "helpUri": "https://example.org/b608",
                 "properties": {"tags": ["external/cwe/cwe-89", "CWE-999999"]}}
            ]}},
            "results": results
        }]
    })
    .to_string()
}

#[test]
fn sarif_results_become_scanner_findings_of_the_product() {
    let log = sarif_log(json!([
        {"ruleId": "B608", "level": "error", "message": {"text": "Query built with +"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/db.py"},
                        "region": {"startLine": 9, "startColumn": 2}}}]},
        {"ruleId": "B608", "level": "error", "message": {"text": "Same place again"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/db.py"},
                        "region": {"startLine": 9, "startColumn": 2}}}]},
        {"ruleId": "B608", "kind": "pass", "message": {"text": "fine"}}
    ]));
    let read = from_sarif(&log, Some(ProductId(4)), TextLimits::default()).expect("valid");
    assert_eq!(read.findings.len(), 1);
    assert_eq!(read.left_out, 2, "one not a failure, one repeated");
    let finding = &read.findings[0];
    assert_eq!(finding.source, ReportSource::Scanner);
    assert_eq!(finding.product, Some(ProductId(4)));
    assert_eq!(
        finding.draft.title,
        "B608: Possible SQL injection (app/db.py:9:2)"
    );
    assert_eq!(finding.draft.summary, "Query built with +");
    assert_eq!(finding.draft.asset.as_deref(), Some("app/db.py"));
    assert_eq!(
        finding.draft.weakness.map(|w| w.to_string()).as_deref(),
        Some("CWE-89")
    );
    assert!(finding
        .draft
        .steps_to_reproduce
        .contains("https://example.org/b608"));
    assert!(finding.draft.impact.contains("'error'"));
    assert_eq!(finding.origin, "/runs/0/results/0");
}

#[test]
fn a_result_too_long_for_the_title_is_cut_not_refused() {
    let long_rule = "R".repeat(300);
    let log = sarif_log(json!([{"ruleId": long_rule, "message": {"text": "m"}}]));
    let read = from_sarif(&log, None, TextLimits::default()).expect("cut to fit");
    assert_eq!(read.findings[0].draft.title.chars().count(), 200);
    assert!(read.findings[0].draft.title.ends_with('…'));
}

#[test]
fn sarif_problems_keep_their_json_pointer() {
    let log = sarif_log(json!([{"ruleId": "B608", "message": {"text": "bad \u{7} bell"}}]));
    let problems = from_sarif(&log, None, TextLimits::default()).expect_err("control character");
    assert_eq!(problems[0].place, "/runs/0/results/0");
    assert!(problems[0].message.starts_with("summary:"), "{problems:?}");
    let problems = from_sarif("[]", None, TextLimits::default()).expect_err("not a log");
    assert_eq!(problems[0].place, "/version");
}
