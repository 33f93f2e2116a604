//! The CVE Services client against a stand-in that answers as CVE Services' OpenAPI
//! document says (axum on a loopback port): it checks the three account headers on every
//! call, validates each posted container against the vendored CVE JSON 5.2 CNA schema, and
//! answers with the documented shapes, errors included. Staff reserve an ID (recorded on
//! the advisory's vulnerability), publish the record and update it; with a wrong key the
//! page shows the service's own error and nothing changes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use cvdesk_formats::conformance::{violations, Schema};
use serde_json::{json, Value};

use crate::advisories::{advisory_body, publisher_desk, Publisher};
use crate::staff::{csrf_token, sign_in, ADMIN_EMAIL, ADMIN_PASSWORD};

const ORG: &str = "example";
const USER: &str = "desk@example.org";
const KEY: &str = "a-good-key";
const ORG_ID: &str = "b3476cb9-2e3d-41a6-98d0-0f47421a65b6";

#[derive(Default)]
struct Service {
    /// The IDs reserved, in order.
    reserved: Vec<String>,
    /// Each published record's CNA container.
    records: BTreeMap<String, Value>,
    /// How many times a container was accepted (publish or update).
    accepted: u32,
    calls: u32,
}

type Shared = Arc<Mutex<Service>>;
type Answer = (StatusCode, Json<Value>);

fn error(status: StatusCode, name: &str, message: &str) -> Answer {
    (status, Json(json!({"error": name, "message": message})))
}

/// The account headers CVE Services requires on every call.
fn authenticated(headers: &HeaderMap) -> Result<(), Answer> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if header("CVE-API-ORG") == Some(ORG)
        && header("CVE-API-USER") == Some(USER)
        && header("CVE-API-KEY") == Some(KEY)
    {
        Ok(())
    } else {
        Err(error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Unauthorized",
        ))
    }
}

async fn reserve(
    State(service): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Answer {
    service.lock().expect("lock").calls += 1;
    if let Err(refused) = authenticated(&headers) {
        return refused;
    }
    let year = query.get("cve_year").cloned().unwrap_or_default();
    if query.get("amount").map(String::as_str) != Some("1")
        || query.get("short_name").map(String::as_str) != Some(ORG)
        || year.len() != 4
        || query.contains_key("batch_type")
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"error": "BAD_INPUT", "message": "Parameters were invalid",
                "details": [{"msg": "Invalid value", "param": "amount", "location": "query"}]}),
            ),
        );
    }
    let mut service = service.lock().expect("lock");
    let id = format!("CVE-{year}-{}", 1000 + service.reserved.len());
    service.reserved.push(id.clone());
    (
        StatusCode::OK,
        Json(json!({
            "cve_ids": [{"cve_id": id, "cve_year": year, "owning_cna": ORG, "state": "RESERVED",
                "requested_by": {"cna": ORG, "user": USER}, "reserved": "2026-12-06T04:00:00.000Z"}],
            "meta": {"remaining_quota": 99}
        })),
    )
}

/// `POST` (create) or `PUT` (update) `/cve/{id}/cna`.
fn record(service: &Shared, headers: &HeaderMap, id: &str, body: &Value, create: bool) -> Answer {
    let mut service = service.lock().expect("lock");
    service.calls += 1;
    if let Err(refused) = authenticated(headers) {
        return refused;
    }
    if !service.reserved.iter().any(|reserved| reserved == id) {
        return error(
            StatusCode::FORBIDDEN,
            "CVEID_DNE",
            "The cve id does not exist.",
        );
    }
    match (create, service.records.contains_key(id)) {
        (true, true) => {
            return error(
                StatusCode::BAD_REQUEST,
                "CVE_RECORD_EXISTS",
                "The cve record for the cve id already exists.",
            )
        }
        (false, false) => {
            return error(
                StatusCode::FORBIDDEN,
                "CVE_RECORD_DNE",
                "The cve record for the cve id does not exist.",
            )
        }
        _ => {}
    }
    let problems = violations(Schema::CveCnaUpload, body);
    if !problems.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "INVALID_JSON_SCHEMA",
                "message": "CVE cnaContainer JSON schema validation FAILED.",
                "details": {"errors": problems}})),
        );
    }
    let container = body["cnaContainer"].clone();
    service.records.insert(id.to_owned(), container.clone());
    service.accepted += 1;
    let (verb, key) = if create {
        ("created", "created")
    } else {
        ("updated", "updated")
    };
    (
        StatusCode::OK,
        Json(json!({
            "message": format!("{id} record was successfully {verb}."),
            key: {"dataType": "CVE_RECORD", "dataVersion": "5.2",
                "cveMetadata": {"cveId": id, "state": "PUBLISHED"},
                "containers": {"cna": container}}
        })),
    )
}

async fn create(
    State(service): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Answer {
    record(&service, &headers, &id, &body, true)
}

async fn update(
    State(service): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Answer {
    record(&service, &headers, &id, &body, false)
}

/// The stand-in, listening on a loopback port; its base URL ends in `/api`.
async fn stand_in() -> (String, Shared) {
    let service: Shared = Arc::default();
    let router = Router::new()
        .route("/api/cve-id", post(reserve))
        .route("/api/cve/{id}/cna", post(create).put(update))
        .with_state(Arc::clone(&service));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serves");
    });
    (format!("http://{address}/api"), service)
}

/// A desk whose CVE Services account uses `key`.
async fn desk_with_key(url: &str, key: &str) -> (Publisher, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let key_file = dir.path().join("cve-api-key");
    std::fs::write(&key_file, format!("{key}\n")).expect("key file");
    let config = dir.path().join("cvdesk.toml");
    std::fs::write(
        &config,
        format!(
            "[advisories]\ncna_org_id = \"{ORG_ID}\"\ncna_short_name = \"{ORG}\"\n\
             cve_services_url = \"{url}\"\ncve_services_user = \"{USER}\"\n\
             cve_services_api_key_file = \"{}\"\n",
            key_file.display()
        ),
    )
    .expect("config");
    let desk = publisher_desk(&["--config", config.to_str().expect("utf-8")]).await;
    (desk, dir)
}

/// A published advisory whose one vulnerability has no CVE ID yet.
async fn advisory(desk: &Publisher) -> String {
    let mut body = advisory_body(&desk.reference);
    body["vulnerabilities"][0]["cves"] = json!([]);
    let (status, created) = desk.api("POST", "/api/v1/advisories", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().expect("id").to_owned()
}

async fn staff_post(desk: &Publisher, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let page = desk
        .browser
        .get(
            desk.app.at(path
                .rsplit_once("/cve-services")
                .map_or(path, |(base, _)| base)),
        )
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let csrf = csrf_token(&page);
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    let response = desk
        .browser
        .post(desk.app.at(path))
        .form(&form)
        .send()
        .await
        .expect("sent");
    (
        response.status().as_u16(),
        response.text().await.expect("html"),
    )
}

#[tokio::test]
async fn staff_reserve_publish_and_update_through_cve_services() {
    let (url, service) = stand_in().await;
    let (desk, _dir) = desk_with_key(&url, KEY).await;
    let id = advisory(&desk).await;
    let page = format!("/staff/advisories/{id}/cve-services");

    // Reserve: the ID is recorded on the vulnerability.
    let (status, html) =
        staff_post(&desk, &format!("{page}/reserve"), &[("vulnerability", "1")]).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("CVE-2026-1000 is reserved at CVE Services and recorded on vulnerability 1."),
        "{html}"
    );
    let (_, advisory) = desk
        .api("GET", &format!("/api/v1/advisories/{id}"), None)
        .await;
    assert_eq!(
        advisory["vulnerabilities"][0]["cves"],
        json!(["CVE-2026-1000"])
    );
    let (status, html) =
        staff_post(&desk, &format!("{page}/reserve"), &[("vulnerability", "2")]).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Choose a vulnerability from 1 to 1, not &#x27;2&#x27;.")
            || html.contains("Choose a vulnerability from 1 to 1, not &#39;2&#39;."),
        "{html}"
    );

    // Publishing the record needs the advisory published first.
    let (status, html) = staff_post(&desk, &format!("{page}/CVE-2026-1000/publish"), &[]).await;
    assert_eq!(status, 409);
    assert!(html.contains("Publish the advisory first"), "{html}");
    let (status, published) = desk
        .api(
            "POST",
            &format!("/api/v1/advisories/{id}/publish"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{published}");

    // Publish: the stand-in validated the container against the 5.2 schema.
    let (status, html) = staff_post(&desk, &format!("{page}/CVE-2026-1000/publish"), &[]).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("CVE Services: CVE-2026-1000 record was successfully created."),
        "{html}"
    );
    {
        let service = service.lock().expect("lock");
        let container = &service.records["CVE-2026-1000"];
        assert_eq!(container["providerMetadata"]["orgId"], ORG_ID);
        assert_eq!(container["title"], "Shop: SQL injection in product search");
        assert_eq!(service.accepted, 1);
    }
    // Publishing twice is refused by the service, in its words.
    let (status, html) = staff_post(&desk, &format!("{page}/CVE-2026-1000/publish"), &[]).await;
    assert_eq!(status, 502);
    assert!(html.contains("CVE Services answered 400 CVE_RECORD_EXISTS: The cve record for the cve id already exists."), "{html}");

    // Update after a revision: the new text reaches the service.
    let (status, patched) = desk
        .api(
            "PATCH",
            &format!("/api/v1/advisories/{id}"),
            Some(json!({"title": "Shop: SQL injection in product search (all versions before 4.2.1)"})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    let (status, revised) = desk
        .api(
            "POST",
            &format!("/api/v1/advisories/{id}/publish"),
            Some(json!({"summary": "Names the versions."})),
        )
        .await;
    assert_eq!(status, 200, "{revised}");
    let (status, html) = staff_post(&desk, &format!("{page}/CVE-2026-1000/update"), &[]).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("CVE-2026-1000 record was successfully updated."),
        "{html}"
    );
    {
        let service = service.lock().expect("lock");
        assert_eq!(
            service.records["CVE-2026-1000"]["title"],
            "Shop: SQL injection in product search (all versions before 4.2.1)"
        );
        assert_eq!(service.accepted, 2);
    }

    // Each success is in the audit log.
    let (admin, status) = sign_in(&desk.app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let audit = admin
        .get(desk.app.at("/staff/audit"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    for action in ["cve.reserve", "cve.publish", "cve.update"] {
        assert!(audit.contains(action), "{action}: {audit}");
    }
}

#[tokio::test]
async fn a_wrong_key_shows_the_service_error_and_changes_nothing() {
    let (url, service) = stand_in().await;
    let (desk, _dir) = desk_with_key(&url, "a-revoked-key").await;
    let id = advisory(&desk).await;
    let page = format!("/staff/advisories/{id}/cve-services");
    let (status, html) =
        staff_post(&desk, &format!("{page}/reserve"), &[("vulnerability", "1")]).await;
    assert_eq!(status, 502);
    assert!(
        html.contains("CVE Services answered 401 UNAUTHORIZED: Unauthorized"),
        "{html}"
    );
    assert!(!html.contains("a-revoked-key"), "the key is never shown");
    let (_, advisory) = desk
        .api("GET", &format!("/api/v1/advisories/{id}"), None)
        .await;
    assert_eq!(
        advisory["vulnerabilities"][0]["cves"],
        json!([]),
        "nothing recorded"
    );
    let service = service.lock().expect("lock");
    assert_eq!(service.calls, 1, "the call reached the service");
    assert!(service.reserved.is_empty());
}

#[tokio::test]
async fn without_an_account_the_record_is_offered_for_upload() {
    let desk = publisher_desk(&[]).await;
    let id = advisory(&desk).await;
    let page = format!("/staff/advisories/{id}/cve-services");
    let html = desk
        .browser
        .get(desk.app.at(&page))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"cve-not-configured\""), "{html}");
    assert!(!html.contains("reserve-form"));
    let (status, html) =
        staff_post(&desk, &format!("{page}/reserve"), &[("vulnerability", "1")]).await;
    assert_eq!(status, 409);
    assert!(
        html.contains("No CVE Services account is configured"),
        "{html}"
    );
}
