use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

fn log(results: Value) -> Value {
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {
                "name": "Bandit",
                "rules": [
                    {"id": "B105", "name": "hardcoded_password_string",
                     "shortDescription": {"text": "Possible hardcoded password"},
                     "helpUri": "https://bandit.readthedocs.io/en/latest/plugins/b105.html",
                     "properties": {"tags": ["security", "external/cwe/cwe-259"]},
                     "messageStrings": {"default": {"text": "Password {0} in {1}"}}},
                    {"id": "B608", "defaultConfiguration": {"level": "error"}}
                ]
            }},
            "artifacts": [{"location": {"uri": "src/db.py"}}],
            "results": results
        }]
    })
}

fn read_value(value: &Value) -> Result<SarifLog, Vec<SarifProblem>> {
    read(&value.to_string())
}

#[test]
fn reads_each_failing_result_with_rule_place_and_words() {
    let value = log(json!([
        {"ruleId": "B105", "level": "note", "message": {"text": "Possible hardcoded password: 'hunter2'"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/app.py"},
                        "region": {"startLine": 12, "startColumn": 5}}}]},
        {"ruleIndex": 1, "message": {"text": "SQL built from strings"},
         "locations": [{"physicalLocation": {"artifactLocation": {"index": 0},
                        "region": {"startLine": 40}}}]},
        {"ruleId": "B105", "message": {"id": "default", "arguments": ["'x'", "settings"]}}
    ]));
    let read = read_value(&value).expect("valid log");
    assert_eq!(read.skipped, 0);
    assert_eq!(read.results.len(), 3);
    let first = &read.results[0];
    assert_eq!(first.pointer, "/runs/0/results/0");
    assert_eq!(first.tool, "Bandit");
    assert_eq!(first.rule_id, "B105");
    assert_eq!(
        first.rule_name.as_deref(),
        Some("Possible hardcoded password")
    );
    assert_eq!(first.level, Level::Note);
    assert_eq!(
        first.location.as_ref().map(Location::display).as_deref(),
        Some("src/app.py:12:5")
    );
    assert_eq!(first.cwe_numbers(), vec![259]);
    assert!(first.help_uri.is_some());
    let second = &read.results[1];
    assert_eq!(second.rule_id, "B608");
    assert_eq!(second.level, Level::Error, "the rule's default level");
    assert_eq!(
        second.location.as_ref().map(Location::display).as_deref(),
        Some("src/db.py:40")
    );
    assert_eq!(read.results[2].message, "Password 'x' in settings");
    assert_eq!(
        read.results[2].level,
        Level::Warning,
        "SARIF's default level"
    );
    assert!(read.results[2].location.is_none());
}

#[test]
fn results_that_are_not_failures_are_left_out_and_counted() {
    let value = log(json!([
        {"ruleId": "B105", "kind": "pass", "message": {"text": "fine"}},
        {"ruleId": "B105", "message": {"text": "waived"},
         "suppressions": [{"kind": "inSource"}]},
        {"ruleId": "B105", "message": {"text": "still open"},
         "suppressions": [{"kind": "external", "status": "rejected"}]}
    ]));
    let read = read_value(&value).expect("valid log");
    assert_eq!(read.skipped, 2);
    assert_eq!(read.results.len(), 1);
    assert_eq!(read.results[0].message, "still open");
}

#[test]
fn refusals_name_the_place_in_the_log() {
    let cases: [(&str, &str, &str); 5] = [
        ("{\"version\": ", "", "not JSON (line 1"),
        (r#"{"version": "2.0.0", "runs": []}"#, "/version", "2.1.0"),
        (r#"{"version": "2.1.0"}"#, "", "runs"),
        (
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
               "results": [{"ruleId": "a", "level": "fatal", "message": {"text": "m"}}]}]}"#,
            "/runs/0/results/0/level",
            "fatal",
        ),
        (
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
               "results": [{"message": {"text": "m"}}]}]}"#,
            "/runs/0/results/0",
            "names no rule",
        ),
    ];
    for (text, pointer, words) in cases {
        let problems = read(text).expect_err(text);
        assert!(
            problems
                .iter()
                .any(|p| p.pointer == pointer && p.message.contains(words)),
            "{text}: {problems:?}"
        );
    }
}

#[test]
fn a_message_without_words_is_refused_at_the_message() {
    let value = log(json!([{"ruleId": "B608", "message": {"id": "unknown"}}]));
    let problems = read_value(&value).expect_err("no text");
    assert_eq!(problems[0].pointer, "/runs/0/results/0/message");
    assert_eq!(
        problems[0].to_string(),
        "/runs/0/results/0/message: the message has no text, nor an id the rule's messageStrings explain"
    );
}

#[test]
fn too_many_results_are_refused() {
    let one = json!({"ruleId": "B105", "message": {"text": "m"}});
    let value = log(Value::Array(vec![one; MAX_RESULTS + 1]));
    let problems = read_value(&value).expect_err("too many");
    assert!(problems[0].message.contains("at most"), "{problems:?}");
}

#[test]
fn the_same_rule_and_place_is_the_same_identity() {
    let value = log(json!([
        {"ruleId": "B105", "message": {"text": "one"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 3}}}]},
        {"ruleId": "B105", "message": {"text": "reworded"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 3}}}]},
        {"ruleId": "B105", "message": {"text": "elsewhere"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 4}}}]}
    ]));
    let results = read_value(&value).expect("valid").results;
    assert_eq!(results[0].identity(), results[1].identity());
    assert_ne!(results[0].identity(), results[2].identity());
}

fn arbitrary_result() -> impl Strategy<Value = (String, String, u64, u64, String)> {
    (
        "[A-Z][0-9]{2,4}",
        "[a-z]{1,8}/[a-z]{1,8}\\.(py|js|rs)",
        1u64..5_000,
        1u64..200,
        "[!-~][ -~]{0,59}",
    )
}

proptest! {
    #[test]
    fn arbitrary_text_is_refused_or_read_never_a_panic(text in "\\PC{0,400}") {
        let _ = read(&text);
    }

    #[test]
    fn arbitrary_json_is_refused_or_read_never_a_panic(
        results in proptest::collection::vec(
            prop_oneof![
                Just(json!({})),
                Just(json!({"ruleId": 3})),
                Just(json!({"ruleIndex": 99, "message": {"text": "m"}})),
                Just(json!({"ruleId": "x", "message": {"id": "default"}})),
                "[ -~]{0,20}".prop_map(|text| json!({"ruleId": text, "message": {"text": text}})),
            ],
            0..6,
        )
    ) {
        let _ = read_value(&log(Value::Array(results)));
    }

    #[test]
    fn every_generated_result_is_read_back(results in proptest::collection::vec(arbitrary_result(), 1..20)) {
        let written: Vec<Value> = results
            .iter()
            .map(|(rule, uri, line, column, message)| json!({
                "ruleId": rule,
                "message": {"text": message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": line, "startColumn": column}
                }}]
            }))
            .collect();
        let read = read_value(&log(Value::Array(written))).expect("generated logs are valid");
        prop_assert_eq!(read.results.len(), results.len());
        for (index, (found, (rule, uri, line, column, message))) in read.results.iter().zip(&results).enumerate() {
            prop_assert_eq!(&found.pointer, &format!("/runs/0/results/{index}"));
            prop_assert_eq!(&found.rule_id, rule);
            prop_assert_eq!(&found.message, message.trim());
            let location = found.location.as_ref().expect("located");
            prop_assert_eq!(&location.uri, uri);
            prop_assert_eq!(location.start_line, Some(*line));
            prop_assert_eq!(location.start_column, Some(*column));
        }
        for (a, first) in results.iter().enumerate() {
            for (b, second) in results.iter().enumerate() {
                let same_place = first.0 == second.0 && first.1 == second.1 && first.2 == second.2 && first.3 == second.3;
                prop_assert_eq!(read.results[a].identity() == read.results[b].identity(), same_place);
            }
        }
    }
}
