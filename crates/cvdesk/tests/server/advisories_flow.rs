//! Advisories through the staff pages and the finder's tracking page: a draft from a
//! report, a refused form that keeps its input, a credit the finder accepts, publication,
//! the hall of fame; and scheduled publication happening exactly once when two instances
//! share one PostgreSQL database.

use std::time::Duration;

use reqwest::header::AUTHORIZATION;
use reqwest::Client;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

use crate::advisories::publisher_desk;
use crate::app::{full_report, run_cli, TestApp};
use crate::staff::{api_token, browser, csrf_token, sign_in, ADMIN_EMAIL};

async fn page(client: &Client, url: String) -> (u16, String) {
    let response = client.get(url).send().await.expect("sent");
    (
        response.status().as_u16(),
        response.text().await.expect("html"),
    )
}

/// The value of the input named `name` in `html`.
fn input_value(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\"")).expect("the input");
    let rest = &html[at..];
    let start = rest.find("value=\"").expect("a value") + 7;
    rest[start..].chars().take_while(|c| *c != '"').collect()
}

#[tokio::test]
async fn a_finder_agrees_to_the_credit_before_it_is_published() {
    let desk = publisher_desk(&[]).await;
    let app = &desk.app;
    let staff = &desk.browser;
    // The report page offers the draft, and the draft starts from the report.
    let (status, report_page) =
        page(staff, app.at(&format!("/staff/reports/{}", desk.reference))).await;
    assert_eq!(status, 200);
    assert!(
        report_page.contains("draft-advisory"),
        "the Draft advisory button"
    );
    let (status, editor) = page(
        staff,
        app.at(&format!("/staff/advisories/new?report={}", desk.reference)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        input_value(&editor, "title"),
        "SQL injection in product search"
    );
    assert_eq!(input_value(&editor, "v0_cwe"), "CWE-89");
    let csrf = csrf_token(&editor);

    // A refused form keeps what was typed and says what is wrong beside the field.
    let mut form = vec![
        ("csrf_token", csrf.clone()),
        ("title", "Shop: SQL injection in search".to_owned()),
        (
            "summary",
            "The search box exposes customer data.".to_owned(),
        ),
        (
            "description",
            "The q parameter is concatenated into SQL.".to_owned(),
        ),
        ("impact", "Read access to customer data.".to_owned()),
        ("remediation", "Upgrade to 4.2.1.".to_owned()),
        ("tlp", "TLP:CLEAR".to_owned()),
        ("reports", desk.reference.clone()),
        ("vulnerability_slots", "1".to_owned()),
        ("v0_product_slots", "1".to_owned()),
        ("v0_cwe", "CWE-89".to_owned()),
        (
            "v0_severity",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".to_owned(),
        ),
        ("v0_p0_name", "Example Shop".to_owned()),
        ("v0_p0_affected", "> 4".to_owned()),
    ];
    let refused = staff
        .post(app.at("/staff/advisories"))
        .form(&form)
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.expect("html");
    assert!(refused.contains("is not a version range"), "the message");
    assert_eq!(
        input_value(&refused, "title"),
        "Shop: SQL injection in search"
    );
    let without_csrf = staff
        .post(app.at("/staff/advisories"))
        .form(&[("title", "x")])
        .send()
        .await
        .expect("sent");
    assert_eq!(without_csrf.status(), 403);

    form.retain(|(name, _)| *name != "v0_p0_affected");
    form.push(("v0_p0_affected", "< 4.2.1".to_owned()));
    let saved = staff
        .post(app.at("/staff/advisories"))
        .form(&form)
        .send()
        .await
        .expect("sent");
    assert_eq!(saved.status(), 303);
    let location = saved.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let id = location
        .trim_start_matches("/staff/advisories/")
        .split('?')
        .next()
        .expect("id")
        .to_owned();

    // The finder asked to be credited: the credit form starts with the name they gave.
    let (_, advisory_page) = page(staff, app.at(&format!("/staff/advisories/{id}"))).await;
    assert_eq!(input_value(&advisory_page, "name"), "Ada");
    // Staff propose a credit; the finder sees it on the tracking page and accepts it.
    let proposed = staff
        .post(app.at(&format!("/staff/advisories/{id}/credits")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("report", desk.reference.as_str()),
            ("name", "Ada"),
            ("organization", "Example Research"),
            ("url", ""),
            ("role", "finder"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(proposed.status(), 200);
    let finder = browser();
    let (_, tracking) = page(&finder, app.at(&format!("/track/{}", desk.tracking_token))).await;
    assert!(
        tracking.contains("How we would like to thank you"),
        "{tracking}"
    );
    let credit_id: String = {
        let at = tracking.find("/credits/").expect("a credit form") + 9;
        tracking[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect()
    };
    let (status, unpublished) = page(&finder, app.at(&format!("/advisories/{id}"))).await;
    assert_eq!(status, 404, "not public before publication: {unpublished}");
    let stranger = finder
        .post(app.at(&format!("/track/not-a-token/credits/{credit_id}")))
        .form(&[("answer", "accept")])
        .send()
        .await
        .expect("sent");
    assert_eq!(stranger.status(), 404);
    let accepted = finder
        .post(app.at(&format!(
            "/track/{}/credits/{credit_id}",
            desk.tracking_token
        )))
        .form(&[("answer", "accept")])
        .send()
        .await
        .expect("sent");
    assert_eq!(accepted.status(), 303);
    let again = finder
        .post(app.at(&format!(
            "/track/{}/credits/{credit_id}",
            desk.tracking_token
        )))
        .form(&[("answer", "decline")])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        again.status(),
        400,
        "an accepted credit is withdrawn, not declined"
    );

    // The preview, then publication: the credit the finder agreed to is on the page.
    let (status, preview) = page(staff, app.at(&format!("/staff/advisories/{id}/preview"))).await;
    assert_eq!(status, 200);
    assert!(preview.contains("preview-notice") && preview.contains("Ada"));
    let published = staff
        .post(app.at(&format!("/staff/advisories/{id}/publish")))
        .form(&[("csrf_token", csrf.as_str()), ("summary", "")])
        .send()
        .await
        .expect("sent");
    assert_eq!(published.status(), 200);
    assert!(published
        .text()
        .await
        .expect("html")
        .contains("Version 1 is published."));
    let (_, public) = page(&finder, app.at(&format!("/advisories/{id}"))).await;
    assert!(
        public.contains("Ada") && public.contains("Example Research"),
        "{public}"
    );
    let (status, thanks) = page(&finder, app.at("/thanks")).await;
    assert_eq!(status, 200);
    assert!(thanks.contains("Ada") && thanks.contains(&id), "{thanks}");
    assert!(!thanks.contains("ada@example.org"), "never an address");
    let osv: Value = finder
        .get(app.at(&format!("/advisories/{id}/osv.json")))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(osv["credits"][0]["name"], "Ada");
}

#[tokio::test]
async fn a_scheduled_advisory_is_published_once_by_two_instances() {
    let Ok(server_url) = std::env::var("CVDESK_TEST_POSTGRES_URL") else {
        eprintln!("CVDESK_TEST_POSTGRES_URL not set: scheduled publication on PostgreSQL skipped");
        return;
    };
    let url = cvdesk_store::testing::fresh_postgres_database(&server_url).await;
    let first = TestApp::start_with(&["--database-url", &url]);
    let second = TestApp::start_with(&["--database-url", &url]);
    let (code, out) = run_cli(
        &[
            "user",
            "add",
            "--email",
            "publisher@example.org",
            "--role",
            "publisher",
            "--database-url",
            &url,
        ],
        "",
    );
    assert_eq!(code, Some(0), "{out}");
    let link = out.lines().last().expect("link").trim().to_owned();
    let path = &link[link.find("/staff/").expect("path")..];
    let password = "a long enough password";
    let set = browser()
        .post(first.at(path))
        .form(&[("password", password), ("confirmation", password)])
        .send()
        .await
        .expect("sent");
    assert_eq!(set.status(), 303);
    let (staff, status) = sign_in(&first, "publisher@example.org", password).await;
    assert_eq!(status, 303);
    let (code, out) = run_cli(
        &[
            "token",
            "create",
            "--email",
            "publisher@example.org",
            "--database-url",
            &url,
        ],
        "",
    );
    assert_eq!(code, Some(0), "{out}");
    let token = out.lines().last().expect("token").trim().to_owned();
    let report = first.submit(&full_report()).await;
    let reference = report["reference"].as_str().expect("reference");
    let drafted: Value = first
        .client
        .post(first.at("/api/v1/advisories"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&crate::advisories::advisory_body(reference))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let id = drafted["id"].as_str().expect("an id").to_owned();
    let (_, html) = page(&staff, first.at(&format!("/staff/advisories/{id}"))).await;
    let csrf = csrf_token(&html);
    // In three seconds, given in UTC with seconds.
    let at = (time::OffsetDateTime::now_utc() + time::Duration::seconds(3))
        .replace_nanosecond(0)
        .expect("valid")
        .format(&Rfc3339)
        .expect("formatted");
    let local = at.trim_end_matches('Z').to_owned();
    let scheduled = staff
        .post(first.at(&format!("/staff/advisories/{id}/schedule")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("at", local.as_str()),
            ("time_zone", "UTC"),
        ])
        .send()
        .await
        .expect("sent");
    let scheduled_page = scheduled.text().await.expect("html");
    assert!(
        scheduled_page.contains("Publication is scheduled."),
        "{scheduled_page}"
    );
    let mut state = Value::Null;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let read: Value = second
            .client
            .get(second.at(&format!("/api/v1/advisories/{id}")))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        if read["state"] == "published" {
            state = read;
            break;
        }
    }
    assert_eq!(
        state["state"], "published",
        "published by one of the instances"
    );
    // Give the other instance's runner time to find nothing left to do.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let read: Value = first
        .client
        .get(first.at(&format!("/api/v1/advisories/{id}")))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        read["revisions"].as_array().expect("revisions").len(),
        1,
        "{read}"
    );
    assert_eq!(read["version"], 1);
}

#[tokio::test]
async fn an_embargo_set_after_the_schedule_holds_the_publication_back() {
    let desk = publisher_desk(&[]).await;
    let app = &desk.app;
    let (status, drafted) = desk
        .api(
            "POST",
            "/api/v1/advisories",
            Some(crate::advisories::advisory_body(&desk.reference)),
        )
        .await;
    assert_eq!(status, 201, "{drafted}");
    let id = drafted["id"].as_str().expect("an id").to_owned();
    let (_, html) = page(&desk.browser, app.at(&format!("/staff/advisories/{id}"))).await;
    let csrf = csrf_token(&html);
    // In three seconds, given in UTC with seconds; no embargo holds yet.
    let at = (time::OffsetDateTime::now_utc() + time::Duration::seconds(3))
        .replace_nanosecond(0)
        .expect("valid")
        .format(&Rfc3339)
        .expect("formatted");
    let local = at.trim_end_matches('Z').to_owned();
    let scheduled = desk
        .browser
        .post(app.at(&format!("/staff/advisories/{id}/schedule")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("at", local.as_str()),
            ("time_zone", "UTC"),
        ])
        .send()
        .await
        .expect("sent");
    let scheduled_page = scheduled.text().await.expect("html");
    assert!(
        scheduled_page.contains("Publication is scheduled."),
        "{scheduled_page}"
    );
    // Then the coordinator agrees an embargo with the vendors that ends in 2028.
    let admin = api_token(app, ADMIN_EMAIL);
    let embargo = app
        .client
        .put(app.at(&format!("/api/v1/reports/{}/embargo", desk.reference)))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .json(&serde_json::json!({"ends_at": "2028-02-10T17:00:00+01:00", "time_zone": "Europe/Berlin"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(embargo.status().as_u16(), 200);
    let mut read = Value::Null;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (_, advisory) = desk
            .api("GET", &format!("/api/v1/advisories/{id}"), None)
            .await;
        read = advisory;
        if read["state"] != "scheduled" {
            break;
        }
    }
    assert_eq!(read["state"], "draft", "held back, not published: {read}");
    assert_eq!(read["revisions"], serde_json::json!([]), "{read}");
    let audit = browser_for_admin(app).await;
    let (_, log) = page(&audit, app.at("/staff/audit")).await;
    assert!(log.contains("held back by an embargo"), "{log}");
}

async fn browser_for_admin(app: &TestApp) -> Client {
    let (client, status) = sign_in(app, ADMIN_EMAIL, crate::staff::ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    client
}
