//! The public pages kept in memory: a change is shown at once by the desk that made it, and
//! within `FRESH_FOR` (2 s) by a desk that did not (an admin command on the same SQLite
//! store, another instance on the same PostgreSQL database).

use std::time::{Duration, Instant};

use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};

use crate::advisories::{advisory_body, publisher_desk};
use crate::app::{full_report, run_cli, TestApp};
use crate::staff::{cli, csrf_token, signed_in_account};

/// The longest another writer's change may take to show, with room for a loaded machine
/// to answer the last request.
const BOUND: Duration = Duration::from_millis(2_000 + 1_500);
const TITLE: &str = "Shop: SQL injection in product search";
/// What the report form says once there is a key to encrypt to.
const ENCRYPTION_HINT: &str = "summary-encryption";

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.expect("body")
}

/// Asks for `path` until it contains `needle`; returns how long that took.
async fn shown_within(app: &TestApp, path: &str, needle: &str) -> Duration {
    let started = Instant::now();
    loop {
        if page(app, path).await.contains(needle) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < BOUND,
            "{path} did not show {needle:?} within {BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_published_advisory_is_listed_at_once_by_the_desk_that_published_it() {
    let desk = publisher_desk(&[]).await;
    assert!(!page(&desk.app, "/advisories").await.contains(TITLE));
    let (status, created) = desk
        .api(
            "POST",
            "/api/v1/advisories",
            Some(advisory_body(&desk.reference)),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, published) = desk
        .api(
            "POST",
            &format!("/api/v1/advisories/{id}/publish"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{published}");
    let listed = page(&desk.app, "/advisories").await;
    assert!(listed.contains(TITLE) && listed.contains(&id), "{listed}");

    let (status, withdrawn) = desk
        .api(
            "POST",
            &format!("/api/v1/advisories/{id}/withdraw"),
            Some(json!({"reason": "Published by mistake."})),
        )
        .await;
    assert_eq!(status, 200, "{withdrawn}");
    let listed = page(&desk.app, "/advisories").await;
    assert!(listed.contains("ithdrawn"), "{listed}");
}

#[tokio::test]
async fn a_key_made_by_an_admin_command_is_offered_within_the_bound() {
    let app = TestApp::start();
    assert!(!page(&app, "/report").await.contains(ENCRYPTION_HINT));
    assert!(page(&app, "/policy").await.contains("/policy"));
    assert!(!page(&app, "/.well-known/security.txt")
        .await
        .contains("Encryption:"));
    let (code, out) = cli(
        &app,
        &[
            "pgp",
            "generate",
            "--name",
            "Example Security",
            "--email",
            "security@example.org",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let took = shown_within(&app, "/report", ENCRYPTION_HINT).await;
    eprintln!("the key was offered {took:?} after the command");
    shown_within(&app, "/policy", "/pgp-key.txt").await;
    shown_within(&app, "/.well-known/security.txt", "Encryption:").await;
}

#[tokio::test]
async fn another_instance_lists_a_published_advisory_within_the_bound() {
    let Ok(server_url) = std::env::var("CVDESK_TEST_POSTGRES_URL") else {
        eprintln!("CVDESK_TEST_POSTGRES_URL not set: two instances on PostgreSQL skipped");
        return;
    };
    let url = cvdesk_store::testing::fresh_postgres_database(&server_url).await;
    let first = TestApp::start_with(&["--database-url", &url]);
    let second = TestApp::start_with(&["--database-url", &url]);
    let with_store = |args: &[&str]| {
        let mut full = args.to_vec();
        full.extend(["--database-url", url.as_str()]);
        let (code, out) = run_cli(&full, "");
        assert_eq!(code, Some(0), "{out}");
        out
    };
    with_store(&[
        "user",
        "add",
        "--email",
        "publisher@example.org",
        "--role",
        "publisher",
    ]);
    let token = with_store(&["token", "create", "--email", "publisher@example.org"])
        .lines()
        .last()
        .expect("token")
        .trim()
        .to_owned();
    let report = first.submit(&full_report()).await;
    let reference = report["reference"].as_str().expect("reference");
    // Both desks have read the list, and keep it.
    for desk in [&first, &second] {
        assert!(!page(desk, "/advisories").await.contains(TITLE));
    }

    let api = |path: String, body: Value| {
        first
            .client
            .post(first.at(&path))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&body)
            .send()
    };
    let created: Value = api("/api/v1/advisories".into(), advisory_body(reference))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    let published = api(format!("/api/v1/advisories/{id}/publish"), json!({}))
        .await
        .expect("sent");
    assert_eq!(published.status(), 200);
    assert!(page(&first, "/advisories").await.contains(TITLE));
    let took = shown_within(&second, "/advisories", TITLE).await;
    eprintln!("the other instance listed it {took:?} later");
}

/// The headers of a security.txt response but its date and length, which differ between
/// any two answers.
fn lasting_headers(response: &reqwest::Response) -> Vec<(String, String)> {
    let mut headers: Vec<_> = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "content-length"))
        .map(|(name, value)| {
            let value = value.to_str().expect("visible ASCII").to_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    headers.sort();
    headers
}

/// Publishes a policy naming `contact` through the staff page, as `admin`.
async fn publish_policy(app: &TestApp, admin: &reqwest::Client, contact: &str) {
    let form = admin
        .get(app.at("/staff/policy"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("form");
    let csrf = csrf_token(&form);
    let published = admin
        .post(app.at("/staff/policy"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("introduction", "We welcome reports."),
            ("contact_channels", contact),
            ("response_days", "5"),
            ("triage_days", "10"),
            ("remediation_days", "90"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(published.status(), 303, "{contact}");
}

#[tokio::test]
async fn a_policy_changed_through_the_desk_is_in_security_txt_at_once() {
    const FILE: &str = "/.well-known/security.txt";
    let app = TestApp::start();
    let first = app.get(FILE).await;
    assert_eq!(first.status(), 200);
    let headers = lasting_headers(&first);
    assert!(
        headers.contains(&("content-type".into(), "text/plain; charset=utf-8".into())),
        "{headers:?}"
    );
    assert!(
        headers.contains(&("cache-control".into(), "public, max-age=3600".into())),
        "{headers:?}"
    );
    let before = first.text().await.expect("body");
    // Asked again, the file is the same: it is kept.
    assert_eq!(page(&app, FILE).await, before);

    let admin = signed_in_account(&app, "admin@example.org", "admin", &[]).await;
    publish_policy(&app, &admin, "mailto:first@example.org").await;
    let changed = app.get(FILE).await;
    assert_eq!(lasting_headers(&changed), headers, "the same headers");
    let changed = changed.text().await.expect("body");
    assert!(
        changed.contains("Contact: mailto:first@example.org\n"),
        "{changed}"
    );

    // With a key (made by an admin command, so seen within the bound) the file is signed,
    // and a change through the desk is in the signed file at once too.
    let (code, out) = cli(
        &app,
        &[
            "pgp",
            "generate",
            "--name",
            "Example Security",
            "--email",
            "security@example.org",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    shown_within(&app, FILE, "-----BEGIN PGP SIGNED MESSAGE-----").await;
    publish_policy(&app, &admin, "mailto:second@example.org").await;
    let signed = app.get(FILE).await;
    assert_eq!(lasting_headers(&signed), headers, "the same headers");
    let signed = signed.text().await.expect("body");
    assert!(
        signed.starts_with("-----BEGIN PGP SIGNED MESSAGE-----"),
        "{signed}"
    );
    assert!(
        signed.contains("Contact: mailto:second@example.org\n") && !signed.contains("first@"),
        "{signed}"
    );
}
