//! The staff API's triage operations end to end: the needs-info flag, routing to a
//! product, classification, assessment, internal notes and the history, with every
//! refusal and its JSON shape.

use reqwest::Method;
use serde_json::{json, Value};

use crate::app::{anonymous_report, TestApp};
use crate::staff::{api_token, cli, create_first_admin, signed_in_account, ADMIN_EMAIL};

/// A CVSS 4.0 vector that scores 9.3, critical.
const CVSS_4: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";

/// Every write operation on a report, with a body it accepts from an admin.
fn writes() -> [(&'static str, Value); 5] {
    [
        ("needs-info", json!({"needs_info": true})),
        ("product", json!({"product_id": 1})),
        (
            "classification",
            json!({"weakness": "CWE-79", "severity": CVSS_4}),
        ),
        (
            "assessment",
            json!({"exploitability": "functional", "priority_override": "P1", "reason": "Exploited."}),
        ),
        ("notes", json!({"body": "Reproduced."})),
    ]
}

/// A desk with an admin, products Shop (id 1, shop.example.org) and App (id 2), and the
/// admin's API token.
async fn desk() -> (TestApp, String) {
    let app = TestApp::start();
    create_first_admin(&app).await;
    for (name, team, hostname) in [
        ("Shop", "Web", "shop.example.org"),
        ("App", "Mobile", "app.example.org"),
    ] {
        let (code, out) = cli(
            &app,
            &[
                "product",
                "add",
                "--name",
                name,
                "--team",
                team,
                "--hostname",
                hostname,
            ],
        );
        assert_eq!(code, Some(0), "{out}");
    }
    let token = api_token(&app, ADMIN_EMAIL);
    (app, token)
}

/// An account made on the command line, and its API token.
fn account(app: &TestApp, email: &str, role: &str, products: &[&str]) -> String {
    let mut args = vec!["user", "add", "--email", email, "--role", role];
    for product in products {
        args.extend(["--product", product]);
    }
    let (code, out) = cli(app, &args);
    assert_eq!(code, Some(0), "{out}");
    api_token(app, email)
}

/// Submits a report, on `asset` when given, and returns its reference.
async fn report_on(app: &TestApp, asset: Option<&str>) -> String {
    let mut report = anonymous_report();
    if let Some(asset) = asset {
        report["asset"] = json!(asset);
    }
    app.submit(&report).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned()
}

/// Sends a call and returns the status and the JSON body; every answer of these
/// operations is JSON.
async fn call(
    app: &TestApp,
    method: Method,
    token: Option<&str>,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = app.client.request(method, app.at(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "{path} answered {status}"
    );
    let body = response.json().await.expect("a JSON body");
    (status, body)
}

async fn post(
    app: &TestApp,
    token: &str,
    reference: &str,
    what: &str,
    body: Value,
) -> (u16, Value) {
    let path = format!("/api/v1/reports/{reference}/{what}");
    call(app, Method::POST, Some(token), &path, Some(&body)).await
}

async fn report(app: &TestApp, token: &str, reference: &str) -> Value {
    let path = format!("/api/v1/reports/{reference}");
    let (status, body) = call(app, Method::GET, Some(token), &path, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn history(app: &TestApp, token: &str, reference: &str) -> Value {
    let path = format!("/api/v1/reports/{reference}/history");
    let (status, body) = call(app, Method::GET, Some(token), &path, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The kinds of a history's events, in order.
fn kinds(history: &Value) -> Vec<String> {
    history["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| event["kind"].as_str().expect("kind").to_owned())
        .collect()
}

/// The answer is exactly `{"error": {"code", "message"}}`.
fn assert_error(body: &Value, code: &str, message: &str) {
    assert_eq!(
        body,
        &json!({"error": {"code": code, "message": message}}),
        "{body}"
    );
}

/// The answer is exactly `{"error": {"code": "invalid_change", "message", "fields": {}}}`
/// and the message contains `words`.
fn assert_invalid_change(body: &Value, words: &str) {
    let error = body["error"].as_object().expect("an error object");
    let mut keys: Vec<&str> = error.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "fields", "message"], "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    assert_eq!(error["code"], "invalid_change", "{body}");
    assert_eq!(error["fields"], json!({}), "{body}");
    let message = error["message"].as_str().expect("a message");
    assert!(message.contains(words), "{message:?} should say {words:?}");
    assert!(message.ends_with('.'), "a sentence: {message:?}");
}

#[tokio::test]
async fn the_needs_info_flag_is_set_and_cleared_while_the_report_is_open() {
    let (app, admin) = desk().await;
    let reference = report_on(&app, None).await;
    assert_eq!(report(&app, &admin, &reference).await["needs_info"], false);

    let (status, body) = post(
        &app,
        &admin,
        &reference,
        "needs-info",
        json!({"needs_info": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reference"], reference.as_str());
    assert_eq!(body["needs_info"], true);
    assert_eq!(report(&app, &admin, &reference).await["needs_info"], true);
    let (_, queue) = call(
        &app,
        Method::GET,
        Some(&admin),
        "/api/v1/reports?needs_info=yes",
        None,
    )
    .await;
    assert_eq!(
        queue["items"][0]["reference"],
        reference.as_str(),
        "{queue}"
    );
    assert_eq!(queue["items"][0]["needs_info"], true);

    let (status, body) = post(
        &app,
        &admin,
        &reference,
        "needs-info",
        json!({"needs_info": false}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["needs_info"], false);
    let (_, queue) = call(
        &app,
        Method::GET,
        Some(&admin),
        "/api/v1/reports?needs_info=yes",
        None,
    )
    .await;
    assert_eq!(queue["items"], json!([]), "{queue}");

    // Closing clears the flag, and a closed report takes it neither way.
    post(
        &app,
        &admin,
        &reference,
        "needs-info",
        json!({"needs_info": true}),
    )
    .await;
    let (status, closed) = post(
        &app,
        &admin,
        &reference,
        "transition",
        json!({"to": "informative", "reason": "Works as designed."}),
    )
    .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["needs_info"], false);
    for flag in [true, false] {
        let (status, body) = post(
            &app,
            &admin,
            &reference,
            "needs-info",
            json!({"needs_info": flag}),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert_error(
            &body,
            "conflict",
            "Only an open report can be marked as needing more information.",
        );
    }

    let history = history(&app, &admin, &reference).await;
    assert_eq!(
        kinds(&history),
        [
            "needs_info.set",
            "needs_info.cleared",
            "needs_info.set",
            "transition"
        ],
        "the refusals left no trace: {history}"
    );
    for event in history["events"].as_array().expect("events") {
        assert_eq!(event["actor"], ADMIN_EMAIL);
    }
    assert_eq!(history["events"][0]["from_state"], Value::Null);
    assert_eq!(history["events"][0]["detail"], "");
}

/// The form keeps the products it routes among in memory: one added by an admin command
/// while the desk runs routes reports within the public cache's bound (2 s, with room for
/// a loaded machine), never later.
#[tokio::test]
async fn a_product_added_while_the_desk_runs_routes_the_reports_that_follow() {
    let (app, admin) = desk().await;
    let before = report_on(&app, Some("https://docs.example.org/search")).await;
    assert_eq!(
        report(&app, &admin, &before).await["product_id"],
        Value::Null
    );
    let (code, out) = cli(
        &app,
        &[
            "product",
            "add",
            "--name",
            "Docs",
            "--hostname",
            "docs.example.org",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let started = std::time::Instant::now();
    loop {
        let reference = report_on(&app, Some("https://docs.example.org/search")).await;
        if report(&app, &admin, &reference).await["product_id"] == 3 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_millis(3_500),
            "a report on the new product's host was still not routed to it"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_report_is_routed_to_a_product_and_taken_off_it() {
    let (app, admin) = desk().await;
    let reference = report_on(&app, None).await;
    assert_eq!(
        report(&app, &admin, &reference).await["product_id"],
        Value::Null
    );

    let (status, body) = post(
        &app,
        &admin,
        &reference,
        "product",
        json!({"product_id": 2}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["product_id"], 2);
    assert_eq!(body["state"], "new", "routing is not a transition");
    let (_, queue) = call(
        &app,
        Method::GET,
        Some(&admin),
        "/api/v1/reports?product=2",
        None,
    )
    .await;
    assert_eq!(
        queue["items"][0]["reference"],
        reference.as_str(),
        "{queue}"
    );

    let (status, body) = post(
        &app,
        &admin,
        &reference,
        "product",
        json!({"product_id": null}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["product_id"], Value::Null);
    let (_, queue) = call(
        &app,
        Method::GET,
        Some(&admin),
        "/api/v1/reports?product=none",
        None,
    )
    .await;
    assert_eq!(
        queue["items"][0]["reference"],
        reference.as_str(),
        "{queue}"
    );

    let (status, body) = post(
        &app,
        &admin,
        &reference,
        "product",
        json!({"product_id": 999}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_invalid_change(&body, "There is no product 999.");
    assert_eq!(
        report(&app, &admin, &reference).await["product_id"],
        Value::Null
    );

    let history = history(&app, &admin, &reference).await;
    assert_eq!(kinds(&history), ["product", "product"], "{history}");
    assert_eq!(history["events"][0]["detail"], "2");
    assert_eq!(history["events"][1]["detail"], "none");
}

#[tokio::test]
async fn a_member_routes_only_within_their_own_products() {
    let (app, admin) = desk().await;
    let member = account(&app, "web@example.org", "member", &["Shop"]);
    let shop = report_on(&app, Some("https://shop.example.org/cart")).await;
    let unrouted = report_on(&app, None).await;
    assert_eq!(report(&app, &admin, &shop).await["product_id"], 1);

    for (product, message) in [
        (
            json!(2),
            "You may only assign reports to your own products.",
        ),
        (
            json!(999),
            "You may only assign reports to your own products.",
        ),
        (
            Value::Null,
            "Only a triager or an admin takes a report off its product.",
        ),
    ] {
        let (status, body) = post(
            &app,
            &member,
            &shop,
            "product",
            json!({"product_id": product}),
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert_error(&body, "forbidden", message);
    }
    assert_eq!(report(&app, &admin, &shop).await["product_id"], 1);
    // Their own report, within their own product, they may change.
    let (status, body) = post(&app, &member, &shop, "product", json!({"product_id": 1})).await;
    assert_eq!(status, 200, "{body}");

    // A report of no product is nobody's: hidden from a member, whatever the body.
    for (what, body) in writes() {
        let (status, answer) = post(&app, &member, &unrouted, what, body).await;
        assert_eq!(status, 404, "{what}: {answer}");
        assert_error(&answer, "not_found", "Nothing is here. Check the link.");
    }
    let path = format!("/api/v1/reports/{unrouted}/history");
    let (status, _) = call(&app, Method::GET, Some(&member), &path, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn classification_scores_a_cvss_4_vector() {
    let (app, admin) = desk().await;
    let reference = report_on(&app, None).await;

    let (status, body) = post(
        &app,
        &admin,
        &reference,
        "classification",
        json!({"weakness": "cwe-79", "severity": format!("  {CVSS_4}  ")}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["weakness"], "CWE-79");
    assert_eq!(
        body["severity"],
        json!({"vector": CVSS_4, "version": "4.0", "score": 9.3, "rating": "critical"})
    );
    let (_, queue) = call(
        &app,
        Method::GET,
        Some(&admin),
        "/api/v1/reports?min_score=9",
        None,
    )
    .await;
    assert_eq!(
        queue["items"][0]["reference"],
        reference.as_str(),
        "{queue}"
    );
    assert_eq!(queue["items"][0]["score"], 9.3);
    assert_eq!(queue["items"][0]["rating"], "critical");

    // Refusals name what is wrong and change nothing.
    let refusals = [
        (
            json!({"weakness": "CWE-99999999", "severity": CVSS_4}),
            "CWE-99999999",
        ),
        (
            json!({"weakness": "XSS", "severity": CVSS_4}),
            "'XSS' is not a CWE identifier",
        ),
        (
            json!({"weakness": "CWE-79", "severity": "CVSS:3.1/AV:N"}),
            "This is not a valid CVSS vector: metric AC missing.",
        ),
        (
            json!({"weakness": "CWE-79", "severity": "CVSS:4.0/AC:L/AV:N"}),
            "This is not a valid CVSS vector",
        ),
    ];
    for (request, words) in refusals {
        let (status, answer) = post(&app, &admin, &reference, "classification", request).await;
        assert_eq!(status, 422, "{answer}");
        assert_invalid_change(&answer, words);
    }
    let unchanged = report(&app, &admin, &reference).await;
    assert_eq!(unchanged["weakness"], "CWE-79");
    assert_eq!(unchanged["severity"]["score"], 9.3);

    // Both values are replaced, as documented: one left out is cleared.
    let (status, body) = post(
        &app,
        &admin,
        &reference,
        "classification",
        json!({"weakness": "89"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["weakness"], "CWE-89");
    assert_eq!(body["severity"], Value::Null);
    let (status, body) = post(
        &app,
        &admin,
        &reference,
        "classification",
        json!({"weakness": null, "severity": null}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["weakness"], &body["severity"]),
        (&Value::Null, &Value::Null)
    );

    let history = history(&app, &admin, &reference).await;
    assert_eq!(
        kinds(&history),
        ["classification", "classification", "classification"]
    );
    assert_eq!(
        history["events"][0]["detail"],
        format!("weakness: CWE-79; severity: {CVSS_4}")
    );
    assert_eq!(
        history["events"][2]["detail"],
        "weakness: none; severity: none"
    );
}

#[tokio::test]
async fn an_assessment_overrides_the_priority_with_a_reason() {
    let (app, admin) = desk().await;
    let reference = report_on(&app, None).await;

    let (status, body) = post(
        &app,
        &admin,
        &reference,
        "assessment",
        json!({
            "exploitability": "exploited_in_the_wild",
            "priority_override": "P1",
            "reason": "  Seen against a customer this morning.  "
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["exploitability"], "exploited_in_the_wild");
    assert_eq!(
        body["priority_override"],
        json!({"priority": "P1", "reason": "Seen against a customer this morning."})
    );

    let refusals = [
        (
            json!({"exploitability": "functional", "priority_override": "P2"}),
            "Give a reason for overriding the computed priority.",
        ),
        (
            json!({"priority_override": "P2", "reason": "   "}),
            "Give a reason for overriding the computed priority.",
        ),
        (
            json!({"priority_override": "P2", "reason": "x".repeat(2001)}),
            "The reason is longer than 2,000 characters.",
        ),
        (
            json!({"priority_override": "P5", "reason": "Why not."}),
            "'P5' is not a priority",
        ),
        (
            json!({"exploitability": "likely"}),
            "'likely' is not an exploitability",
        ),
    ];
    for (request, words) in refusals {
        let (status, answer) = post(&app, &admin, &reference, "assessment", request).await;
        assert_eq!(status, 422, "{answer}");
        assert_invalid_change(&answer, words);
    }
    let unchanged = report(&app, &admin, &reference).await;
    assert_eq!(unchanged["priority_override"]["priority"], "P1");
    assert_eq!(unchanged["exploitability"], "exploited_in_the_wild");

    let (status, body) = post(
        &app,
        &admin,
        &reference,
        "assessment",
        json!({"exploitability": "unproven", "priority_override": null, "reason": null}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["exploitability"], "unproven");
    assert_eq!(body["priority_override"], Value::Null);

    let history = history(&app, &admin, &reference).await;
    assert_eq!(kinds(&history), ["assessment", "assessment"]);
    assert_eq!(
        history["events"][0]["detail"],
        "exploitability: exploited_in_the_wild; priority override: P1 (Seen against a customer this morning.)"
    );
    assert_eq!(
        history["events"][1]["detail"],
        "exploitability: unproven; priority override: none"
    );
}

#[tokio::test]
async fn notes_are_read_back_in_the_history_with_the_events() {
    let (app, admin) = desk().await;
    let triager = account(&app, "tri@example.org", "triager", &[]);
    let reference = report_on(&app, Some("https://shop.example.org/login")).await;

    let (status, first) = post(
        &app,
        &admin,
        &reference,
        "notes",
        json!({"body": "  Reproduced on staging.\n"}),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let first_id = first["id"].as_i64().expect("an id");
    assert_eq!(first.as_object().map(|o| o.len()), Some(1), "{first}");
    let (status, _) = post(
        &app,
        &admin,
        &reference,
        "transition",
        json!({"to": "triaged"}),
    )
    .await;
    assert_eq!(status, 200);
    let longest = "n".repeat(20_000);
    let (status, second) = post(
        &app,
        &triager,
        &reference,
        "notes",
        json!({"body": longest}),
    )
    .await;
    assert_eq!(status, 201, "{second}");
    assert!(second["id"].as_i64().expect("an id") > first_id);

    for body in [
        json!(""),
        json!(" \n\t "),
        json!("n".repeat(20_001)),
        json!("a\u{0}b"),
    ] {
        let (status, answer) = post(&app, &admin, &reference, "notes", json!({"body": body})).await;
        assert_eq!(status, 422, "{answer}");
        assert_invalid_change(&answer, "Write a note of 1 to 20000 characters.");
    }

    let read = history(&app, &triager, &reference).await;
    let notes = read["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 2, "refused notes are not stored: {read}");
    assert_eq!(notes[0]["id"], first_id);
    assert_eq!(notes[0]["author"], ADMIN_EMAIL);
    assert_eq!(notes[0]["body"], "Reproduced on staging.", "trimmed");
    assert!(notes[0]["created_at"]
        .as_str()
        .is_some_and(|at| at.contains('T')));
    assert_eq!(notes[1]["author"], "tri@example.org");
    assert_eq!(notes[1]["body"], longest.as_str());
    assert_eq!(
        read["events"],
        json!([{
            "at": read["events"][0]["at"],
            "actor": ADMIN_EMAIL,
            "kind": "transition",
            "from_state": "new",
            "to_state": "triaged",
            "detail": ""
        }]),
        "notes are not events"
    );

    // A closed report still takes notes.
    post(
        &app,
        &admin,
        &reference,
        "transition",
        json!({"to": "informative", "reason": "Known."}),
    )
    .await;
    let (status, _) = post(
        &app,
        &admin,
        &reference,
        "notes",
        json!({"body": "Told the finder."}),
    )
    .await;
    assert_eq!(status, 201);
    let read = history(&app, &admin, &reference).await;
    assert_eq!(read["notes"].as_array().map(Vec::len), Some(3));
    assert_eq!(read["events"][1]["to_state"], "informative");
    assert_eq!(read["events"][1]["detail"], "Known.");
}

#[tokio::test]
async fn a_viewer_reads_but_every_write_is_forbidden() {
    let (app, admin) = desk().await;
    let viewer = account(&app, "viewer@example.org", "viewer", &[]);
    let reference = report_on(&app, Some("https://shop.example.org/")).await;
    let before = report(&app, &admin, &reference).await;

    for (what, body) in writes() {
        let (status, answer) = post(&app, &viewer, &reference, what, body).await;
        assert_eq!(status, 403, "{what}: {answer}");
        let verb = if what == "notes" {
            "add notes to"
        } else {
            "change"
        };
        assert_error(
            &answer,
            "forbidden",
            &format!("Your role (viewer) may not {verb} this report."),
        );
    }
    // The role is checked before the body is read.
    let path = format!("/api/v1/reports/{reference}/needs-info");
    let (status, _) = call(
        &app,
        Method::POST,
        Some(&viewer),
        &path,
        Some(&json!({"bogus": 1})),
    )
    .await;
    assert_eq!(status, 403);

    assert_eq!(
        report(&app, &admin, &reference).await,
        before,
        "nothing changed"
    );
    let seen = report(&app, &viewer, &reference).await;
    assert_eq!(seen["allowed_transitions"], json!([]), "{seen}");
    let history = history(&app, &viewer, &reference).await;
    assert_eq!(history, json!({"events": [], "notes": []}));
}

#[tokio::test]
async fn tokens_references_and_bodies_are_checked() {
    let (app, admin) = desk().await;
    let reference = report_on(&app, None).await;
    let unauthorized = "Sign in first: send an API token as `Authorization: Bearer TOKEN`.";

    for (what, body) in writes() {
        let path = format!("/api/v1/reports/{reference}/{what}");
        for token in [None, Some("not-a-token")] {
            let (status, answer) = call(&app, Method::POST, token, &path, Some(&body)).await;
            assert_eq!(status, 401, "{what}: {answer}");
            assert_error(&answer, "unauthorized", unauthorized);
        }
        for unknown in ["CVD-1999-0001", "not-a-reference"] {
            let (status, answer) = post(&app, &admin, unknown, what, body.clone()).await;
            assert_eq!(status, 404, "{what}: {answer}");
            assert_error(&answer, "not_found", "Nothing is here. Check the link.");
        }

        let mut extra = body.clone();
        extra["colour"] = json!("blue");
        let (status, answer) = post(&app, &admin, &reference, what, extra).await;
        assert_eq!(status, 400, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], "malformed_json");
        let message = answer["error"]["message"].as_str().expect("message");
        assert!(message.contains("unknown field `colour`"), "{message}");

        let plain = app
            .client
            .post(app.at(&path))
            .bearer_auth(&admin)
            .header("content-type", "text/plain")
            .body(body.to_string())
            .send()
            .await
            .expect("sent");
        assert_eq!(plain.status(), 415, "{what}");
        let answer: Value = plain.json().await.expect("json");
        assert_error(
            &answer,
            "unsupported_media_type",
            "Send the body as JSON with Content-Type: application/json.",
        );
    }

    let wrong_types = [
        ("needs-info", json!({"needs_info": "yes"})),
        ("needs-info", json!({})),
        ("product", json!({"product_id": "1"})),
        ("classification", json!({"weakness": 79})),
        ("assessment", json!({"priority_override": 1})),
        ("notes", json!({"body": null})),
    ];
    for (what, body) in wrong_types {
        let (status, answer) = post(&app, &admin, &reference, what, body).await;
        assert_eq!(status, 400, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], "malformed_json", "{answer}");
    }

    let path = format!("/api/v1/reports/{reference}/history");
    for token in [None, Some("not-a-token")] {
        let (status, answer) = call(&app, Method::GET, token, &path, None).await;
        assert_eq!(status, 401);
        assert_error(&answer, "unauthorized", unauthorized);
    }
    let (status, answer) = call(
        &app,
        Method::GET,
        Some(&admin),
        "/api/v1/reports/CVD-1999-0001/history",
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_error(&answer, "not_found", "Nothing is here. Check the link.");

    let untouched = history(&app, &admin, &reference).await;
    assert_eq!(untouched, json!({"events": [], "notes": []}));
}

#[tokio::test]
async fn changes_made_through_the_api_show_on_the_staff_page() {
    let (app, admin) = desk().await;
    let reference = report_on(&app, None).await;
    for (what, body) in writes() {
        let (status, answer) = post(&app, &admin, &reference, what, body).await;
        assert!(status == 200 || status == 201, "{what}: {answer}");
    }
    let browser = signed_in_account(&app, "tri@example.org", "triager", &[]).await;
    let page = browser
        .get(app.at(&format!("/staff/reports/{reference}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("needs info"), "the flag");
    assert!(html.contains("id=\"product\">Shop<"), "the product");
    assert!(
        html.contains(CVSS_4) && html.contains("9.3 (critical)"),
        "the severity"
    );
    assert!(html.contains("Reproduced."), "the note");
    assert!(html.contains("Exploited."), "the override's reason");
}
