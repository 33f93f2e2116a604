//! A finder's OpenPGP key that cannot be used is refused in words, together with every
//! other problem of the same submission, on the form and through the API.

use reqwest::multipart::Form;
use serde_json::{json, Value};

use crate::app::{full_report, TestApp};

/// The desk's own sort of key, cut off after its first half: armoured, but not whole.
fn damaged_key() -> String {
    let key = include_str!("../../../../e2e/fixtures/finder-public-key.asc");
    let lines: Vec<&str> = key.lines().collect();
    let mut kept: Vec<&str> = lines[..lines.len() / 2].to_vec();
    kept.push("-----END PGP PUBLIC KEY BLOCK-----");
    kept.join("\n")
}

/// What the parser's own messages look like; none may reach a finder.
fn assert_in_words(message: &str) {
    for internal in ["Error(", "input:", "code:", "armor footer", "[1"] {
        assert!(!message.contains(internal), "{message}");
    }
    assert!(
        message.starts_with("This OpenPGP key cannot be used: the key cannot be read: "),
        "{message}"
    );
}

#[tokio::test]
async fn the_api_names_a_bad_key_with_the_other_problems_in_one_answer() {
    let app = TestApp::start();
    let mut report = full_report();
    report["weakness"] = json!("CWE-7777777");
    report["severity"] = json!("CVSS:3.1/AV:N");
    report["contact"]["pgp_key"] = json!(damaged_key());
    let response = app.post_json("/api/v1/reports", &report).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    let fields = body["error"]["fields"].as_object().expect("fields");
    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(names, ["contact.pgp_key", "severity", "weakness"], "{body}");
    assert_in_words(fields["contact.pgp_key"].as_str().expect("message"));

    // A key that is not armoured at all is named as such by the same rules.
    report["contact"]["pgp_key"] = json!("mQINBGZZZZZZ");
    let response = app.post_json("/api/v1/reports", &report).await;
    let body: Value = response.json().await.expect("json");
    let message = body["error"]["fields"]["contact.pgp_key"]
        .as_str()
        .expect("message");
    assert!(message.contains("not an ASCII-armoured"), "{message}");
}

#[tokio::test]
async fn the_form_names_a_bad_key_with_the_other_problems_in_one_answer() {
    let app = TestApp::start();
    let form = Form::new()
        .text("title", "Stored XSS in comments")
        .text("summary", "Comments are rendered without escaping.")
        .text("steps_to_reproduce", "Post <script>alert(1)</script>")
        .text("impact", "Account takeover.")
        .text("weakness", "CWE-7777777")
        .text("severity", "CVSS:3.1/AV:N")
        .text("contact_pgp_key", damaged_key());
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("html");
    assert!(html.contains("CWE-7777777"), "{html}");
    assert!(html.contains("This is not a valid CVSS vector"), "{html}");
    let start = html
        .find("This OpenPGP key cannot be used")
        .unwrap_or_else(|| panic!("the key's problem in {html}"));
    let message = &html[start..];
    let message = &message[..message.find('<').unwrap_or(message.len())];
    assert_in_words(message);
    let beside_fields: Vec<&str> = html
        .split("<p class=\"error-message\" id=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(
        beside_fields,
        ["weakness-error", "severity-error", "contact_pgp_key-error"],
        "every problem at once"
    );
}
