//! `POST /api/v1/reports` and `GET /api/v1/track/{token}` as the contracts define them.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::app::{anonymous_report, full_report, TestApp};

#[tokio::test]
async fn a_valid_report_is_accepted_and_trackable() {
    let app = TestApp::start();
    let created = app.submit(&full_report()).await;
    let reference = created["reference"].as_str().expect("reference");
    let year = time::OffsetDateTime::now_utc().year();
    assert_eq!(reference, format!("CVD-{year}-0001"));
    assert_eq!(created["status"], "new");
    let token = created["tracking_token"].as_str().expect("token");
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    assert_eq!(created["tracking_url"], app.at(&format!("/track/{token}")));

    let tracked: Value = app
        .get(&format!("/api/v1/track/{token}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(tracked["reference"], reference);
    assert_eq!(tracked["status"], "new");
    assert_eq!(tracked["messages"], json!([]));
    let created_at = tracked["created_at"].as_str().expect("created_at");
    time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 time");
}

#[tokio::test]
async fn an_anonymous_report_is_accepted() {
    let app = TestApp::start();
    let created = app.submit(&anonymous_report()).await;
    let page = app
        .get(&format!(
            "/track/{}",
            created["tracking_token"].as_str().expect("token")
        ))
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("You reported anonymously."));
    assert!(html.contains("Open redirect on login"));
}

async fn refused(app: &TestApp, body: &Value) -> Value {
    let response = app.post_json("/api/v1/reports", body).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "invalid_report");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    body["error"]["fields"].clone()
}

#[tokio::test]
async fn each_missing_mandatory_field_is_named_and_nothing_is_stored() {
    let app = TestApp::start();
    for field in ["title", "summary", "steps_to_reproduce", "impact"] {
        let mut report = full_report();
        report.as_object_mut().expect("object").remove(field);
        let fields = refused(&app, &report).await;
        assert!(fields[field].is_string(), "{field}: {fields}");
        assert_eq!(fields.as_object().map(|f| f.len()), Some(1), "{fields}");

        let mut blank = full_report();
        blank[field] = json!("   \n ");
        assert!(refused(&app, &blank).await[field].is_string());
    }
    let created = app.submit(&anonymous_report()).await;
    assert!(
        created["reference"]
            .as_str()
            .is_some_and(|r| r.ends_with("-0001")),
        "a refused report must not use up a number: {created}"
    );
}

#[tokio::test]
async fn bad_weakness_vector_email_and_key_are_explained() {
    let app = TestApp::start();
    let mut report = full_report();
    report["weakness"] = json!("CWE-7777777");
    report["severity"] = json!("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H");
    report["contact"] = json!({"email": "ada(at)example.org", "pgp_key": "not a key"});
    let fields = refused(&app, &report).await;
    assert!(
        fields["weakness"]
            .as_str()
            .is_some_and(|m| m.contains("CWE-7777777")),
        "{fields}"
    );
    assert!(
        fields["severity"]
            .as_str()
            .is_some_and(|m| m.contains("CVSS")),
        "{fields}"
    );
    assert!(fields["contact.email"].is_string(), "{fields}");
    assert!(fields["contact.pgp_key"].is_string(), "{fields}");
    assert!(
        fields["contact.name"].is_string(),
        "credit without a name: {fields}"
    );

    for bad in ["CWE-", "79x", "CWE 79", "javascript:alert(1)"] {
        let mut report = anonymous_report();
        report["weakness"] = json!(bad);
        assert!(
            refused(&app, &report).await["weakness"].is_string(),
            "{bad}"
        );
    }
    for bad in [
        "CVSS:3.1/AV:N",
        "AV:N/AC:L",
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "cvss:3.1/av:n/ac:l/pr:n/ui:n/s:u/c:h/i:h/a:h",
    ] {
        let mut report = anonymous_report();
        report["severity"] = json!(bad);
        assert!(
            refused(&app, &report).await["severity"].is_string(),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn oversize_fields_and_bodies_are_refused() {
    let app = TestApp::start();
    let mut report = anonymous_report();
    report["title"] = json!("x".repeat(201));
    report["summary"] = json!("y".repeat(50_001));
    let fields = refused(&app, &report).await;
    assert!(
        fields["title"].as_str().is_some_and(|m| m.contains("200")),
        "{fields}"
    );
    assert!(fields["summary"].is_string(), "{fields}");

    let mut huge = anonymous_report();
    huge["summary"] = json!("z".repeat(3 * 1024 * 1024));
    let response = app.post_json("/api/v1/reports", &huge).await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "payload_too_large");
}

#[tokio::test]
async fn malformed_bodies_get_400_or_415_with_a_message() {
    let app = TestApp::start();
    let url = app.at("/api/v1/reports");
    let cases: [(&str, &str, u16, &str); 5] = [
        ("application/json", "{\"title\": ", 400, "malformed_json"),
        ("application/json", "[1,2,3]", 400, "malformed_json"),
        (
            "application/json",
            "{\"titel\": \"typo\"}",
            400,
            "malformed_json",
        ),
        (
            "application/json",
            "{\"credit\": \"yes\"}",
            400,
            "malformed_json",
        ),
        ("text/plain", "{}", 415, "unsupported_media_type"),
    ];
    for (content_type, body, status, code) in cases {
        let response = app
            .client
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), status, "{body}");
        let json: Value = response.json().await.expect("json error");
        assert_eq!(json["error"]["code"], code, "{body}");
        let message = json["error"]["message"].as_str().expect("message");
        assert!(
            !message.is_empty() && !message.contains("panicked"),
            "{message}"
        );
    }
    let invalid_utf8 = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(vec![b'{', 0xff, 0xfe, b'}'])
        .send()
        .await
        .expect("sent");
    assert_eq!(invalid_utf8.status(), 400);
}

#[tokio::test]
async fn unknown_tracking_tokens_are_404() {
    let app = TestApp::start();
    app.submit(&anonymous_report()).await;
    for token in [
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "short",
        "%00",
        "..%2F..%2Fetc",
    ] {
        let api = app.get(&format!("/api/v1/track/{token}")).await;
        assert_eq!(api.status(), 404, "{token}");
        let body: Value = api.json().await.expect("json");
        assert_eq!(body["error"]["code"], "not_found");
        assert_eq!(
            app.get(&format!("/track/{token}")).await.status(),
            404,
            "{token}"
        );
        let download = app.get(&format!("/track/{token}/attachments/1")).await;
        assert_eq!(download.status(), 404, "{token}");
    }
}

#[tokio::test]
async fn parallel_submissions_get_unique_gap_free_numbers() {
    let app = Arc::new(TestApp::start());
    let tasks: Vec<_> = (0..48)
        .map(|_| {
            let app = Arc::clone(&app);
            tokio::spawn(async move { app.submit(&anonymous_report()).await })
        })
        .collect();
    let mut sequences = BTreeSet::new();
    for task in tasks {
        let created = task.await.expect("task");
        let reference = created["reference"].as_str().expect("reference").to_owned();
        let sequence: u32 = reference
            .rsplit('-')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("sequence");
        assert!(sequences.insert(sequence), "duplicate {reference}");
    }
    assert_eq!(sequences, (1..=48).collect::<BTreeSet<u32>>());
}

#[tokio::test]
async fn unknown_api_routes_answer_json_404() {
    let app = TestApp::start();
    let response = app.get("/api/v1/nothing-here").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_found");
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.expect("text"), "ok");
}

#[tokio::test]
async fn a_key_the_desk_cannot_encrypt_to_is_refused_at_intake() {
    let app = TestApp::start();
    let mut report = full_report();
    // Armoured like a key, but not one: caught now, not at the first mail.
    report["contact"]["pgp_key"] =
        json!("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGZZZZZZ\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----");
    let fields = refused(&app, &report).await;
    assert!(
        fields["contact.pgp_key"]
            .as_str()
            .is_some_and(|m| m.starts_with("This OpenPGP key cannot be used:")),
        "{fields}"
    );
    report["contact"]["pgp_key"] = json!(include_str!(
        "../../../../e2e/fixtures/finder-public-key.asc"
    ));
    let created = app.submit(&report).await;
    assert!(
        created["reference"].is_string(),
        "a current key with an encryption subkey: {created}"
    );
}
