//! `GET /api/v1/openapi.json` against the real server: the document is OpenAPI 3.1, it
//! lists exactly the routes the API serves, every operation it lists answers, and every
//! answer, success or error, has a status and a body shape the document describes. The
//! property-based run against the document (tests/oracle/api_fuzz.sh) found what the last
//! test here keeps fixed.

use std::collections::{BTreeMap, BTreeSet};

use cvdesk_server::registered_routes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::app::{full_report, TestApp};
use crate::staff::{api_token, cli, create_first_admin, ADMIN_EMAIL};

const INTAKE: (&str, &str) = ("post", "/api/v1/reports");
const QUEUE: (&str, &str) = ("get", "/api/v1/reports");
const REPORT: (&str, &str) = ("get", "/api/v1/reports/{reference}");
const TRANSITION: (&str, &str) = ("post", "/api/v1/reports/{reference}/transition");
const NEEDS_INFO: (&str, &str) = ("post", "/api/v1/reports/{reference}/needs-info");
const PRODUCT: (&str, &str) = ("post", "/api/v1/reports/{reference}/product");
const CLASSIFICATION: (&str, &str) = ("post", "/api/v1/reports/{reference}/classification");
const ASSESSMENT: (&str, &str) = ("post", "/api/v1/reports/{reference}/assessment");
const NOTES: (&str, &str) = ("post", "/api/v1/reports/{reference}/notes");
const HISTORY: (&str, &str) = ("get", "/api/v1/reports/{reference}/history");
const TRACK: (&str, &str) = ("get", "/api/v1/track/{token}");

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[tokio::test]
async fn the_document_is_openapi_3_1_and_lists_every_route() {
    let app = TestApp::start();
    let document = fetch_document(&app).await;
    let version = document["openapi"].as_str().expect("an openapi field");
    assert!(version.starts_with("3.1."), "openapi is {version}");

    let listed = operations(&document);
    // What the router registers under the API prefix, so a new route cannot be left out.
    let served: BTreeSet<(String, String)> = registered_routes()
        .into_iter()
        .filter(|route| route.path.starts_with("/api/v1/"))
        .map(|route| (route.method.as_str().to_ascii_lowercase(), route.path))
        .collect();
    let unlisted: Vec<_> = served.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&served).collect();
    assert!(
        unlisted.is_empty(),
        "routes missing from the document: {unlisted:?}"
    );
    assert!(unknown.is_empty(), "documented but not served: {unknown:?}");

    let scheme = &document["components"]["securitySchemes"]["bearerToken"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    for (method, path) in &listed {
        let operation = &document["paths"][path.as_str()][method.as_str()];
        assert!(operation["operationId"].is_string(), "{method} {path}");
        assert!(
            operation["security"].is_array(),
            "{method} {path}: say who may call it"
        );
    }
}

/// The README's staff API table names every operation that needs a staff token, so a new
/// route cannot be served and documented here but left out of the manual.
#[test]
fn the_readme_lists_every_staff_operation() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let document: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../cvdesk-server/openapi.json"
        ))
        .expect("openapi.json"),
    )
    .expect("JSON");
    let section = readme
        .split("\n### Staff API\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Staff API section");
    // `POST /api/v1/x/{id}` in a table cell, with any parameter name and no query.
    let listed: BTreeSet<String> = section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|code| {
            let (method, path) = code.split_once(' ')?;
            let path = path.split('?').next()?;
            (HTTP_METHODS.contains(&method.to_ascii_lowercase().as_str())
                && path.starts_with("/api/v1/"))
            .then(|| format!("{method} {}", without_parameter_names(path)))
        })
        .collect();
    let staff: BTreeSet<String> = operations(&document)
        .into_iter()
        .filter(|(method, path)| {
            document["paths"][path.as_str()][method.as_str()]["security"]
                .as_array()
                .is_some_and(|requirements| !requirements.is_empty())
        })
        .map(|(method, path)| {
            format!(
                "{} {}",
                method.to_ascii_uppercase(),
                without_parameter_names(&path)
            )
        })
        .collect();
    let missing: Vec<_> = staff.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "staff operations missing from the README's Staff API table: {missing:?}"
    );
    let unknown: Vec<_> = listed.difference(&staff).collect();
    assert!(
        unknown.is_empty(),
        "the README's Staff API table names operations the API does not have: {unknown:?}"
    );
}

/// `/api/v1/vendors/{id}` and `/api/v1/vendors/{vendor}` are the same route.
fn without_parameter_names(path: &str) -> String {
    path.split('/')
        .map(|part| {
            if part.starts_with('{') && part.ends_with('}') {
                "{}"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    // The researcher the inquiry names, so a case can be sent.
    let config = researcher_config();
    let app = TestApp::start_with(&["--config", config.path().to_str().expect("utf-8 path")]);
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    // Vendor 1, a draft for the operations on one case, and a fixed case to publish.
    let (draft_case, fixed_case) = outbound_cases(&app, &token).await;
    // Product 1, for `postProduct`'s sample body.
    add_product(&app, "Shop", "shop.example.org");
    // The form is the way to send a file, so the report read below has an attachment.
    let form = Form::new()
        .text("title", "Reflected XSS in search")
        .text("summary", "The q parameter is echoed unescaped.")
        .text(
            "steps_to_reproduce",
            "Open /search?q=<script>alert(1)</script>",
        )
        .text("impact", "Script runs in a victim's session.")
        .text("severity", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")
        .part(
            "attachments",
            Part::bytes(b"<script>".to_vec()).file_name("poc.html"),
        );
    let with_file = app
        .client
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(with_file.status(), 201);
    let created = app.submit(&full_report()).await;
    let tracking_token = created["tracking_token"].as_str().expect("token");
    // The form's report came first, so it has the year's first number.
    let api_reference = created["reference"].as_str().expect("reference");
    let (prefix_and_year, _) = api_reference.rsplit_once('-').expect("a reference");
    let reference = format!("{prefix_and_year}-0001");
    // A report closed as spam for the one operation that deletes the report it is given,
    // so every other operation still has its own.
    let spam = app.submit(&full_report()).await;
    let spam_reference = spam["reference"].as_str().expect("reference").to_owned();
    let closed = app
        .client
        .post(app.at(&format!("/api/v1/reports/{spam_reference}/transition")))
        .bearer_auth(&token)
        .json(&json!({"to": "not_applicable", "reason": "spam"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(closed.status(), 200);
    let document = fetch_document(&app).await;
    // A draft for the operations on one advisory (read, patched, published, withdrawn).
    let drafted = app
        .client
        .post(app.at("/api/v1/advisories"))
        .bearer_auth(&token)
        .json(&advisory_request())
        .send()
        .await
        .expect("sent");
    assert_eq!(drafted.status(), 201);
    let drafted: Value = drafted.json().await.expect("json");
    let advisory = drafted["id"].as_str().expect("id").to_owned();

    let coordination = coordination(&app, &token, &reference).await;

    let mut answers = BTreeMap::new();
    for (method, path) in operations(&document) {
        let operation = &document["paths"][path.as_str()][method.as_str()];
        let operation_id = operation["operationId"].as_str().unwrap_or_default();
        let body = if operation.get("requestBody").is_some() {
            let body = sample_body(operation_id)
                .unwrap_or_else(|| panic!("give {operation_id} a sample body in this test"));
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            assert_conforms(&document, schema, &body, &format!("{operation_id} request"));
            Body::Json(body)
        } else {
            Body::None
        };
        let subject = if operation_id == "postPurge" {
            &spam_reference
        } else {
            &reference
        };
        let case = if operation_id == "postCasePublish" {
            &fixed_case
        } else {
            &draft_case
        };
        let url = path
            .replace("{reference}", subject)
            .replace("{token}", tracking_token)
            .replace("{participant_token}", &coordination.token)
            .replace("{participant}", &coordination.participant)
            .replace("{status}", &coordination.status)
            .replace("{case_id}", case)
            .replace("{advisory}", &advisory)
            .replace("{attachment_id}", "1")
            .replace("{id}", "1");
        let call = Call {
            method: method.to_uppercase().parse().expect("an HTTP method"),
            path: url,
            bearer: Some(token.clone()),
            body,
        };
        let (status, body) = call.send_and_check(&app, &document, &method, &path).await;
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} answered {status}"
        );
        assert!(status.is_success(), "{method} {path} answered {status}");
        answers.insert(operation_id.to_owned(), body);

        let secured = operation["security"]
            .as_array()
            .is_some_and(|requirements| !requirements.is_empty());
        if secured {
            let anonymous = Call {
                bearer: None,
                ..call
            };
            let status = anonymous
                .send_and_check(&app, &document, &method, &path)
                .await
                .0;
            assert_eq!(status, 401, "{method} {path} without a token");
        }
    }
    // The optional parts of the schemas were exercised, not only their nulls.
    let report = &answers["getReport"];
    assert!(report["severity"].is_object(), "{report}");
    assert!(report["attachments"][0].is_object(), "{report}");
    assert!(answers["listReports"]["items"][0]["score"].is_number());
    assert!(answers["postReport"]["reference"].is_string());
    assert_eq!(answers["postNeedsInfo"]["needs_info"], true);
    assert_eq!(answers["postProduct"]["product_id"], 1);
    assert_eq!(answers["postClassification"]["severity"]["version"], "4.0");
    assert!(answers["postAssessment"]["priority_override"].is_object());
    assert!(answers["postNote"]["id"].is_i64());
    assert_eq!(answers["postMessage"]["internal"], false);
    assert!(answers["postReply"]["id"].is_i64());
    assert_eq!(
        answers["getAttachment"], "<script>",
        "the form's file, as sent"
    );
    assert!(answers["getReport"]["deadlines"][0]["due_at"].is_string());
    assert!(answers["getReport"]["priority"]["factors"][0].is_string());
    assert!(answers["getStats"]["durations"][0]["overall"]["count"].is_u64());

    // The history was read before the changes above (GET sorts before POST); read it
    // again so its events, with and without states, and its notes meet the schema.
    let history = Call {
        method: Method::GET,
        path: format!("/api/v1/reports/{reference}/history"),
        bearer: Some(token.clone()),
        body: Body::None,
    };
    let (method, path) = HISTORY;
    let (status, history) = history.send_and_check(&app, &document, method, path).await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "assessment",
            "classification",
            "message.sent",
            "needs_info.set",
            "product",
            "transition"
        ],
        "{history}"
    );
    assert_eq!(history["events"][5]["to_state"], "triaged");
    assert_eq!(history["notes"][0]["id"], answers["postNote"]["id"]);
}

#[tokio::test]
async fn documented_errors_have_the_documented_shapes() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let admin = api_token(&app, ADMIN_EMAIL);
    let (code, out) = cli(
        &app,
        &[
            "user",
            "add",
            "--email",
            "viewer@example.org",
            "--role",
            "viewer",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let viewer = api_token(&app, "viewer@example.org");
    // The report is routed to Shop by its asset; the member works on Shop only.
    add_product(&app, "Shop", "shop.example.org");
    add_product(&app, "App", "app.example.org");
    let (code, out) = cli(
        &app,
        &[
            "user",
            "add",
            "--email",
            "member@example.org",
            "--role",
            "member",
            "--product",
            "Shop",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let member = api_token(&app, "member@example.org");
    let reference = app.submit(&full_report()).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let closed = app.submit(&full_report()).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let close = app
        .client
        .post(app.at(&format!("/api/v1/reports/{closed}/transition")))
        .bearer_auth(&admin)
        .json(&json!({"to": "informative", "reason": "Works as designed."}))
        .send()
        .await
        .expect("sent");
    assert_eq!(close.status(), 200);
    let document = fetch_document(&app).await;
    let transition = format!("/api/v1/reports/{reference}/transition");
    let needs_info = format!("/api/v1/reports/{reference}/needs-info");
    let closed_needs_info = format!("/api/v1/reports/{closed}/needs-info");
    let unknown_needs_info = "/api/v1/reports/CVD-1999-0001/needs-info";
    let product = format!("/api/v1/reports/{reference}/product");
    let classification = format!("/api/v1/reports/{reference}/classification");
    let assessment = format!("/api/v1/reports/{reference}/assessment");
    let notes = format!("/api/v1/reports/{reference}/notes");
    let history = format!("/api/v1/reports/{reference}/history");
    let unknown_history = "/api/v1/reports/CVD-1999-0001/history";
    let unknown_token = format!("/api/v1/track/{}", "A".repeat(43));
    let raw_json = |text: &str| Body::Raw("application/json", text.as_bytes().to_vec());
    let to = |state: &str| Body::Json(json!({ "to": state }));
    let oversized = || Body::Raw("application/json", vec![b' '; 3 * 1024 * 1024]);
    let plain = || Body::Raw("text/plain", b"to=triaged".to_vec());
    let flag = || Body::Json(json!({"needs_info": true}));
    let note = |text: &str| Body::Json(json!({ "body": text }));
    let (admin, viewer, member) = (
        Some(admin.as_str()),
        Some(viewer.as_str()),
        Some(member.as_str()),
    );

    let cases = [
        (INTAKE, "/api/v1/reports", None, Body::Json(json!({})), 422),
        (
            INTAKE,
            "/api/v1/reports",
            None,
            raw_json("{\"title\": "),
            400,
        ),
        (
            INTAKE,
            "/api/v1/reports",
            None,
            raw_json("{\"colour\": 1}"),
            400,
        ),
        (INTAKE, "/api/v1/reports", None, plain(), 415),
        (INTAKE, "/api/v1/reports", None, oversized(), 413),
        (QUEUE, "/api/v1/reports?sort=up", admin, Body::None, 400),
        (
            QUEUE,
            "/api/v1/reports?state=new&state=all",
            admin,
            Body::None,
            400,
        ),
        (
            QUEUE,
            "/api/v1/reports",
            Some("not-a-token"),
            Body::None,
            401,
        ),
        (
            REPORT,
            "/api/v1/reports/CVD-1999-0001",
            admin,
            Body::None,
            404,
        ),
        (
            REPORT,
            "/api/v1/reports/not-a-reference",
            admin,
            Body::None,
            404,
        ),
        (TRANSITION, transition.as_str(), admin, to("sideways"), 400),
        (
            TRANSITION,
            transition.as_str(),
            admin,
            to("informative"),
            409,
        ),
        (TRANSITION, transition.as_str(), viewer, to("triaged"), 403),
        (TRANSITION, transition.as_str(), admin, plain(), 415),
        (
            NEEDS_INFO,
            needs_info.as_str(),
            admin,
            raw_json("{\"needs_info\": \"yes\"}"),
            400,
        ),
        (
            NEEDS_INFO,
            needs_info.as_str(),
            Some("not-a-token"),
            flag(),
            401,
        ),
        (NEEDS_INFO, needs_info.as_str(), viewer, flag(), 403),
        (NEEDS_INFO, unknown_needs_info, admin, flag(), 404),
        (NEEDS_INFO, closed_needs_info.as_str(), admin, flag(), 409),
        (NEEDS_INFO, needs_info.as_str(), admin, oversized(), 413),
        (NEEDS_INFO, needs_info.as_str(), admin, plain(), 415),
        (
            PRODUCT,
            product.as_str(),
            admin,
            raw_json("{\"product_id\": \"1\"}"),
            400,
        ),
        (
            PRODUCT,
            product.as_str(),
            member,
            Body::Json(json!({"product_id": 2})),
            403,
        ),
        (
            PRODUCT,
            product.as_str(),
            viewer,
            Body::Json(json!({"product_id": 1})),
            403,
        ),
        (
            PRODUCT,
            product.as_str(),
            admin,
            Body::Json(json!({"product_id": 999})),
            422,
        ),
        (
            CLASSIFICATION,
            classification.as_str(),
            admin,
            raw_json("{\"cwe\": \"CWE-79\"}"),
            400,
        ),
        (
            CLASSIFICATION,
            classification.as_str(),
            viewer,
            Body::Json(json!({"weakness": "CWE-79"})),
            403,
        ),
        (
            CLASSIFICATION,
            classification.as_str(),
            admin,
            Body::Json(json!({"weakness": "CWE-99999999"})),
            422,
        ),
        (
            CLASSIFICATION,
            classification.as_str(),
            admin,
            Body::Json(json!({"severity": "CVSS:3.1/AV:N"})),
            422,
        ),
        (
            ASSESSMENT,
            assessment.as_str(),
            viewer,
            Body::Json(json!({"exploitability": "functional"})),
            403,
        ),
        (
            ASSESSMENT,
            assessment.as_str(),
            admin,
            Body::Json(json!({"priority_override": "P1"})),
            422,
        ),
        (
            ASSESSMENT,
            assessment.as_str(),
            admin,
            Body::Json(json!({"exploitability": "likely"})),
            422,
        ),
        (NOTES, notes.as_str(), admin, raw_json("{}"), 400),
        (NOTES, notes.as_str(), viewer, note("A viewer's note."), 403),
        (NOTES, notes.as_str(), admin, note("   "), 422),
        (NOTES, notes.as_str(), admin, note(&"n".repeat(20_001)), 422),
        (NOTES, notes.as_str(), admin, plain(), 415),
        (
            HISTORY,
            history.as_str(),
            Some("not-a-token"),
            Body::None,
            401,
        ),
        (HISTORY, unknown_history, admin, Body::None, 404),
        (TRACK, unknown_token.as_str(), None, Body::None, 404),
    ];
    for ((method, path), url, bearer, body, expected) in cases {
        let call = Call {
            method: method.to_uppercase().parse().expect("an HTTP method"),
            path: url.to_owned(),
            bearer: bearer.map(str::to_owned),
            body,
        };
        let (status, _) = call.send_and_check(&app, &document, method, path).await;
        assert_eq!(status, expected, "{method} {url}");
    }

    // What the document's introduction promises for paths and methods it does not list.
    let unknown = app.get("/api/v1/nothing-here").await;
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.expect("json");
    let error = json!({"$ref": "#/components/schemas/Error"});
    assert_conforms(&document, &error, &body, "unknown path");
    let wrong_method = app
        .client
        .delete(app.at("/api/v1/reports"))
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong_method.status(), 405);
    assert!(wrong_method.bytes().await.expect("body").is_empty());
}

enum Body {
    None,
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

struct Call {
    method: Method,
    path: String,
    bearer: Option<String>,
    body: Body,
}

impl Call {
    /// Sends the call and checks that the document lists the answer's status for the
    /// operation `method path`, with the answer's media type and body shape.
    async fn send_and_check(
        &self,
        app: &TestApp,
        document: &Value,
        method: &str,
        path: &str,
    ) -> (StatusCode, Value) {
        // A connection of its own: after refusing an oversized body the server closes the
        // connection, and a pooled client could send the next call into it.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut request = client.request(self.method.clone(), app.at(&self.path));
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        request = match &self.body {
            Body::None => request,
            Body::Json(value) => request.json(value),
            Body::Raw(media_type, bytes) => request
                .header(CONTENT_TYPE, *media_type)
                .body(bytes.clone()),
        };
        let response = request.send().await.expect("sent");
        let status = response.status();
        let media_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .unwrap_or_default()
            .trim()
            .to_owned();
        let bytes = response.bytes().await.expect("body");
        let what = format!("{method} {path} ({}) answered {status}", self.path);

        let operation = &document["paths"][path][method];
        let answer = operation["responses"]
            .get(status.as_str())
            .map(|answer| resolve(document, answer))
            .unwrap_or_else(|| panic!("{what}, which the document does not list"));
        let schema = &answer["content"][media_type.as_str()]["schema"];
        assert!(
            !schema.is_null(),
            "{what} as {media_type:?}, which the document does not list"
        );
        let body: Value = if media_type == "application/json" {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"))
        } else {
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        };
        assert_conforms(document, schema, &body, &what);
        (status, body)
    }
}

async fn fetch_document(app: &TestApp) -> Value {
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    response.json().await.expect("the document is JSON")
}

/// Every (method, path) the document lists.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item");
            item.keys()
                .filter(|key| HTTP_METHODS.contains(&key.as_str()))
                .map(|method| (method.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A body the server accepts for each operation that takes one.
/// What the coordination operations are called with: vendor 1 forwarded the report under
/// its link with a status stated, vendor 2 in the directory, and an embargo set.
struct Coordination {
    token: String,
    participant: String,
    status: String,
}

async fn coordination(app: &TestApp, token: &str, reference: &str) -> Coordination {
    let send = |method: Method, path: String, body: Value, bearer: bool| {
        let mut request = app.client.request(method, app.at(&path)).json(&body);
        if bearer {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let vendor = send(
        Method::POST,
        "/api/v1/vendors".to_owned(),
        json!({"name": "Initrode", "contacts": [{"kind": "email", "value": "psirt@initrode.example"}]}),
        true,
    )
    .await
    .expect("sent");
    assert_eq!(vendor.status(), 201);
    let added = send(
        Method::POST,
        format!("/api/v1/reports/{reference}/participants"),
        json!({"vendor_id": 1, "shared": ["summary", "attachments"]}),
        true,
    )
    .await
    .expect("sent");
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.expect("json");
    let link = added["participant_url"].as_str().expect("link");
    let link_token = link.rsplit('/').next().expect("token").to_owned();
    let embargo = send(
        Method::PUT,
        format!("/api/v1/reports/{reference}/embargo"),
        json!({"ends_at": "2028-01-10T17:00:00+01:00", "time_zone": "Europe/Berlin"}),
        true,
    )
    .await
    .expect("sent");
    assert_eq!(embargo.status(), 200);
    let stated = send(
        Method::POST,
        format!("/api/v1/participate/{link_token}/status"),
        json!({"product": "Acme Router", "status": "affected"}),
        false,
    )
    .await
    .expect("sent");
    assert_eq!(stated.status(), 201);
    let stated: Value = stated.json().await.expect("json");
    Coordination {
        token: link_token,
        participant: added["id"].to_string(),
        status: stated["statuses"][0]["id"].to_string(),
    }
}

fn sample_body(operation_id: &str) -> Option<Value> {
    match operation_id {
        "postReport" => Some(full_report()),
        // Vendor 2: vendor 1 takes part already.
        "postParticipant" => {
            Some(json!({"vendor_id": 2, "shared": ["summary"], "tlp": "TLP:AMBER"}))
        }
        "postParticipantContact" | "postParticipantContactAnswer" => {
            Some(json!({"contact": "acknowledged"}))
        }
        "putEmbargo" => {
            Some(json!({"ends_at": "2028-02-10T17:00:00+01:00", "time_zone": "Europe/Berlin"}))
        }
        "postCoordinationMessage" => Some(json!({"body": "The fix is planned for 5.0."})),
        "postParticipantStatus" => Some(json!({"product": "Acme Router", "status": "fixed",
            "fixed_version": "5.0", "statement": "Fixed in 5.0."})),
        "postParticipantMessage" => Some(json!({"body": "We are looking into it."})),
        "postEmbargoProposal" => Some(json!({"ends_at": "2028-03-10T17:00:00+01:00",
            "time_zone": "Europe/Berlin", "reason": "Our release train needs a month."})),
        "postNomination" => Some(json!({"vendor_name": "Initech",
            "email": "psirt@initech.example", "reason": "They ship the same library."})),
        "postAdvisory" => Some(advisory_request()),
        "patchAdvisory" => Some(json!({"title": "Example Shop: SQL injection in search"})),
        "publishAdvisory" => Some(json!({"summary": "Initial version."})),
        "withdrawAdvisory" => Some(json!({"reason": "The product named is not affected."})),
        "putFinderPoints" => Some(json!({"enabled": true, "points": {"critical": 40}})),
        "postTransition" => Some(json!({"to": "triaged"})),
        "postNeedsInfo" => Some(json!({"needs_info": true})),
        "postProduct" => Some(json!({"product_id": 1})),
        "postClassification" => Some(json!({
            "weakness": "CWE-79",
            "severity": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:L/VA:N/SC:L/SI:L/SA:N"
        })),
        "postAssessment" => Some(json!({
            "exploitability": "proof_of_concept",
            "priority_override": "P2",
            "reason": "Only reachable from the staff network."
        })),
        "postNote" => Some(json!({"body": "Reproduced on staging."})),
        "postMessage" => Some(json!({"body": "Thank you: **reproduced**, fix in progress."})),
        "postReply" => Some(json!({"body": "Happy to retest."})),
        "postVendor" => Some(json!({
            "name": "Globex",
            "domains": ["globex.example"],
            "contacts": [{"kind": "email", "value": "security@globex.example"}]
        })),
        "patchVendor" => Some(json!({"notes": "Prefers encrypted mail."})),
        "postDiscover" => Some(json!({})),
        "postCase" => Some(case_request()),
        "postCaseSend" => Some(json!({"confirm_unencrypted": true})),
        "postCaseEvent" => Some(json!({"kind": "note", "body": "Called the main number."})),
        "postCaseTransition" => Some(json!({"to": "acknowledged"})),
        "postCasePublish" => Some(json!({"include_communication": true})),
        "postFinding" => Some(json!({
            "source": "pentest",
            "title": "Session cookie without Secure",
            "summary": "The session cookie is also sent over plain HTTP.",
            "steps_to_reproduce": "Open http://shop.example.org and read the cookie.",
            "impact": "A network attacker can take over sessions.",
            "product_id": 1
        })),
        "postImport" => Some(json!({
            "format": "csv",
            "content": "source,title,summary,steps_to_reproduce,impact,external_id\nscanner,Outdated TLS,TLS 1.0 offered,Run a TLS scan,Downgrade,SCAN-1\n",
            "product_id": 1
        })),
        "postRootCause" => Some(json!({
            "category": "implementation",
            "detail": "The search term reached the page without escaping.",
            "lessons_learned": "Render through the template engine only."
        })),
        _ => None,
    }
}

fn advisory_request() -> Value {
    json!({
        "title": "Shop: SQL injection in product search",
        "summary": "The search box exposes the customer database.",
        "description": "The `q` parameter is concatenated into SQL.",
        "impact": "Read access to customer data.",
        "remediation": "Upgrade to 4.2.1.",
        "tlp": "TLP:CLEAR",
        "vulnerabilities": [{
            "cwe": "CWE-89",
            "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            "cves": ["CVE-2026-12345"],
            "products": [{"product_id": 1, "affected": ["< 4.2.1"], "fixed": ["4.2.1"]}]
        }]
    })
}

fn case_request() -> Value {
    json!({
        "vendor_id": 1,
        "title": "Remote code execution in the upload handler",
        "product": "Acme Router",
        "versions_tested": ["4.2.1"],
        "vulnerability_type": "Remote Code Execution",
        "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "attack_vector": "An unauthenticated POST to /upload.",
        "ease_of_exploitation": "Trivial: one request.",
        "technical_details": "The file name reaches a shell."
    })
}

/// A configuration naming the researcher, which sending an inquiry needs.
fn researcher_config() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        file.path(),
        "[outbound]\nresearcher_name = \"Ada Lovelace\"\nresearcher_email = \"ada@research.example\"\n",
    )
    .expect("written");
    file
}

/// Vendor 1 (without a key), a draft case and a case sent in clear whose fix was released.
async fn outbound_cases(app: &TestApp, token: &str) -> (String, String) {
    let vendor = app
        .client
        .post(app.at("/api/v1/vendors"))
        .bearer_auth(token)
        .json(&json!({
            "name": "Acme",
            "domains": ["acme.example"],
            "contacts": [{"kind": "email", "value": "psirt@acme.example"}]
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(vendor.status(), 201);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let created = app
            .client
            .post(app.at("/api/v1/cases"))
            .bearer_auth(token)
            .json(&case_request())
            .send()
            .await
            .expect("sent");
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.expect("json");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    let fixed = ids[1].clone();
    for (step, body) in [
        ("send", json!({"confirm_unencrypted": true})),
        (
            "events",
            json!({"kind": "fix_released", "version": "4.2.2"}),
        ),
    ] {
        let response = app
            .client
            .post(app.at(&format!("/api/v1/cases/{fixed}/{step}")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert!(
            response.status().is_success(),
            "{step}: {}",
            response.status()
        );
    }
    (ids[0].clone(), fixed)
}

fn add_product(app: &TestApp, name: &str, hostname: &str) {
    let (code, out) = cli(
        app,
        &[
            "product",
            "add",
            "--name",
            name,
            "--team",
            name,
            "--hostname",
            hostname,
        ],
    );
    assert_eq!(code, Some(0), "{out}");
}

fn resolve<'a>(document: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let target = document
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{reference} resolves"));
            resolve(document, target)
        }
        None => node,
    }
}

fn assert_conforms(document: &Value, schema: &Value, value: &Value, what: &str) {
    let mut problems = Vec::new();
    conform(document, schema, value, "$", &mut problems);
    assert!(
        problems.is_empty(),
        "{what}: {problems:#?}\nbody: {value:#}"
    );
}

/// The part of JSON Schema the document uses: `$ref`, `type`, `enum`, `const`, `oneOf`,
/// `required`, `properties`, `additionalProperties`, `propertyNames`, `items`,
/// `maxItems`, `minimum`, `maximum`. Patterns and formats are left to the review.
fn conform(document: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    let schema = resolve(document, schema);
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = options
            .iter()
            .filter(|option| {
                let mut found = Vec::new();
                conform(document, option, value, at, &mut found);
                found.is_empty()
            })
            .count();
        if matching != 1 {
            problems.push(format!("{at}: matches {matching} of the oneOf options"));
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(name)) => vec![name.as_str()],
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|name| has_type(value, name)) {
        problems.push(format!("{at}: {value} is not of type {types:?}"));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            problems.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(constant) = schema.get("const") {
        if constant != value {
            problems.push(format!("{at}: {value} is not {constant}"));
        }
    }
    if let Some(number) = value.as_f64() {
        let below = schema["minimum"].as_f64().is_some_and(|min| number < min);
        let above = schema["maximum"].as_f64().is_some_and(|max| number > max);
        if below || above {
            problems.push(format!("{at}: {number} is out of range"));
        }
    }
    if let Some(items) = value.as_array() {
        if let Some(max) = schema["maxItems"].as_u64() {
            if items.len() as u64 > max {
                problems.push(format!("{at}: more than {max} items"));
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (index, item) in items.iter().enumerate() {
                conform(
                    document,
                    item_schema,
                    item,
                    &format!("{at}[{index}]"),
                    problems,
                );
            }
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                problems.push(format!("{at}: {name} is missing"));
            }
        }
        for (name, property) in object {
            let here = format!("{at}.{name}");
            if let Some(names) = schema.get("propertyNames") {
                conform(
                    document,
                    names,
                    &Value::String(name.clone()),
                    &here,
                    problems,
                );
            }
            match (
                schema["properties"].get(name),
                schema.get("additionalProperties"),
            ) {
                (Some(property_schema), _) => {
                    conform(document, property_schema, property, &here, problems);
                }
                (None, Some(Value::Bool(false))) => {
                    problems.push(format!("{here} is not in the document"));
                }
                (None, Some(additional)) if additional.is_object() => {
                    conform(document, additional, property, &here, problems);
                }
                (None, _) => {}
            }
        }
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => false,
    }
}

/// The answers only a desk with its challenge and rate limits on gives: 403 without a
/// solved challenge, 201 with one, 429 past the limit, each as documented.
#[tokio::test]
async fn challenge_and_rate_limit_answers_are_documented() {
    let app = TestApp::start_with(&[
        "--intake-challenge",
        "on",
        "--challenge-difficulty",
        "8",
        // The refused attempt below counts too.
        "--rate-limit-reports",
        "2/hour",
        "--rate-limit-tracking",
        "2/minute",
    ]);
    let document = fetch_document(&app).await;
    let check = |response: reqwest::Response, method: &'static str, path: &'static str| {
        let document = document.clone();
        async move {
            let status = response.status();
            let body: Value = response.json().await.expect("json");
            let answer = resolve(
                &document,
                &document["paths"][path][method]["responses"][status.as_str()],
            );
            let schema = &answer["content"]["application/json"]["schema"];
            assert!(
                !schema.is_null(),
                "{method} {path} {status} is not documented"
            );
            assert_conforms(
                &document,
                schema,
                &body,
                &format!("{method} {path} {status}"),
            );
            (status, body)
        }
    };
    let offer = app.get("/api/v1/challenge").await;
    let (status, offer) = check(offer, "get", "/api/v1/challenge").await;
    assert_eq!(status, 200);
    let token = offer["token"].as_str().expect("token").to_owned();
    let counter = cvdesk_domain::challenge::solve(&token, 8);

    let missing = app.post_json("/api/v1/reports", &full_report()).await;
    let (status, body) = check(missing, "post", "/api/v1/reports").await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (403, Some("challenge_required"))
    );
    let solved = app
        .client
        .post(app.at("/api/v1/reports"))
        .header("cvdesk-challenge", &token)
        .header("cvdesk-challenge-solution", &counter)
        .json(&full_report())
        .send()
        .await
        .expect("sent");
    assert_eq!(check(solved, "post", "/api/v1/reports").await.0, 201);
    let limited = app.post_json("/api/v1/reports", &full_report()).await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(check(limited, "post", "/api/v1/reports").await.0, 429);

    for _ in 0..2 {
        app.get("/api/v1/track/unknown").await;
    }
    let limited = app.get("/api/v1/track/unknown").await;
    assert_eq!(check(limited, "get", "/api/v1/track/{token}").await.0, 429);
}

/// What the property-based run against the document found: each answered otherwise before.
#[tokio::test]
async fn what_the_api_fuzzer_found_stays_fixed() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    add_product(&app, "Shop", "shop.example.org");
    let token = api_token(&app, ADMIN_EMAIL);
    let created = app.submit(&full_report()).await;
    let reference = created["reference"].as_str().expect("reference");
    let send = |method: Method, path: String, body: Option<&str>| {
        let mut request = app
            .client
            .request(method, app.at(&path))
            .header(AUTHORIZATION, format!("Bearer {token}"));
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_owned());
        }
        request.send()
    };
    let status_and_code = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("json");
        (
            status,
            body["error"]["code"].as_str().unwrap_or("").to_owned(),
        )
    };

    // A NUL in the search words reached the full-text query and failed there (500).
    for query in ["q=a%00b", "from=%00", "q=%1B"] {
        let answer = send(Method::GET, format!("/api/v1/reports?{query}"), None)
            .await
            .expect("sent");
        assert_eq!(
            status_and_code(answer).await,
            (400, "invalid_query".to_owned()),
            "{query}"
        );
    }
    // Tabs and line breaks are words' whitespace, not control characters to refuse.
    let answer = send(Method::GET, "/api/v1/reports?q=a%09b".into(), None)
        .await
        .expect("sent");
    assert_eq!(answer.status(), 200);

    // Cursors and product filters other than the digits the server writes were read
    // leniently (a sign, an exponent); blank stays the same as leaving them out.
    for query in [
        "cursor=%2B1",
        "cursor=-1",
        "cursor=1.1e1",
        "product=%2B1",
        "product=-1",
    ] {
        let answer = send(Method::GET, format!("/api/v1/reports?{query}"), None)
            .await
            .expect("sent");
        assert_eq!(answer.status(), 400, "{query}");
    }
    let answer = send(
        Method::GET,
        "/api/v1/reports?cursor=&product=&limit=&state=".into(),
        None,
    )
    .await
    .expect("sent");
    assert_eq!(answer.status(), 200);

    // serde read a JSON array into a body's fields in order.
    let classification = format!("/api/v1/reports/{reference}/classification");
    let answer = send(Method::POST, classification, Some("[null, null]"))
        .await
        .expect("sent");
    assert_eq!(
        status_and_code(answer).await,
        (400, "malformed_json".to_owned())
    );

    // Notes and reasons took control characters, which every other text refuses (and
    // PostgreSQL cannot store a NUL).
    let notes = format!("/api/v1/reports/{reference}/notes");
    let answer = send(Method::POST, notes.clone(), Some(r#"{"body": "a\u009eb"}"#))
        .await
        .expect("sent");
    assert_eq!(
        status_and_code(answer).await,
        (422, "invalid_change".to_owned())
    );
    let answer = send(
        Method::POST,
        notes,
        Some(r#"{"body": "line\r\nnext\tcell"}"#),
    )
    .await
    .expect("sent");
    assert_eq!(answer.status(), 201, "line breaks and tabs are text");
    let assessment = format!("/api/v1/reports/{reference}/assessment");
    let answer = send(
        Method::POST,
        assessment,
        Some(r#"{"priority_override": "P1", "reason": "bell\u0007"}"#),
    )
    .await
    .expect("sent");
    assert_eq!(
        status_and_code(answer).await,
        (422, "invalid_change".to_owned())
    );
    let transition = format!("/api/v1/reports/{reference}/transition");
    let answer = send(
        Method::POST,
        transition,
        Some(r#"{"to": "informative", "reason": "nul\u0000"}"#),
    )
    .await
    .expect("sent");
    assert_eq!(
        status_and_code(answer).await,
        (400, "invalid_transition".to_owned())
    );

    // JSON Schema's integers include 1.0, which serde refused as a float.
    let product = format!("/api/v1/reports/{reference}/product");
    let answer = send(
        Method::POST,
        product.clone(),
        Some(r#"{"product_id": 1.0}"#),
    )
    .await
    .expect("sent");
    assert_eq!(answer.status(), 200);
    let report: Value = answer.json().await.expect("json");
    assert_eq!(report["product_id"], 1);
    let answer = send(Method::POST, product, Some(r#"{"product_id": 1.5}"#))
        .await
        .expect("sent");
    assert_eq!(answer.status(), 400);
}

/// The stateful phase of the property-based run follows links: a created report must lead
/// to every operation that takes its reference number or its tracking token, or that
/// operation is only ever called with made-up values.
#[tokio::test]
async fn a_created_report_links_to_every_operation_on_it() {
    let app = TestApp::start();
    let document = fetch_document(&app).await;
    let links = document["paths"]["/api/v1/reports"]["post"]["responses"]["201"]["links"]
        .as_object()
        .expect("links from a created report");
    let linked: BTreeSet<(String, String)> = links
        .values()
        .flat_map(|link| {
            let operation = link["operationId"]
                .as_str()
                .expect("operationId")
                .to_owned();
            link["parameters"]
                .as_object()
                .expect("parameters")
                .iter()
                .map(move |(name, value)| {
                    let source = value.as_str().expect("an expression");
                    let field = match name.as_str() {
                        "reference" => "$response.body#/reference",
                        "token" => "$response.body#/tracking_token",
                        other => panic!("{operation}: a link sets {other}"),
                    };
                    assert_eq!(source, field, "{operation}: {name}");
                    (operation.clone(), name.clone())
                })
        })
        .collect();
    // Reading an embargo answers 404 until one is set, so it is linked from setting it.
    let embargo_set = &document["paths"]["/api/v1/reports/{reference}/embargo"]["put"]["responses"]
        ["200"]["links"]["GetEmbargo"];
    assert_eq!(embargo_set["operationId"], "getEmbargo");
    assert_eq!(
        embargo_set["parameters"]["reference"],
        "$request.path.reference"
    );
    for (method, path) in operations(&document) {
        let operation = &document["paths"][path.as_str()][method.as_str()];
        let id = operation["operationId"].as_str().expect("operationId");
        if id == "getEmbargo" {
            continue;
        }
        for name in ["reference", "token"] {
            if path.contains(&format!("{{{name}}}")) {
                assert!(
                    linked.contains(&(id.to_owned(), name.to_owned())),
                    "{method} {path}: no link from a created report sets {name}"
                );
            }
        }
    }
}
