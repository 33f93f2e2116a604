//! Retention against the real binary: `cvdesk retention run` with and without
//! `--dry-run`, its settings refused when out of range, the hourly job registered; and a
//! finder's request from the tracking page to remove their contact details, confirmed by
//! staff. (What each rule removes, with the clock held, is the store story's.)

use serde_json::{json, Value};

use crate::app::{full_report, TestApp};
use crate::staff::{
    api_token, cli, create_first_admin, csrf_token, sign_in, ADMIN_EMAIL, ADMIN_PASSWORD,
};

#[tokio::test]
async fn the_command_shows_and_applies_the_rules() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let (code, out) = cli(&app, &["retention", "run", "--dry-run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Expired sessions: 0"), "{out}");
    assert!(out.contains("Dry run: nothing was removed."), "{out}");
    let (code, out) = cli(&app, &["retention", "run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("Client addresses of closed reports (removed): 0"),
        "{out}"
    );

    let config = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(config.path(), "[retention]\nspent_days = 0\n").expect("written");
    let path = config.path().to_str().expect("utf-8");
    let (code, _) = cli(&app, &["retention", "run", "--config", path]);
    assert_ne!(code, Some(0), "a day count of 0 is refused");

    let (browser, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let jobs = browser
        .get(app.at("/staff/jobs"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        jobs.contains("retention"),
        "the hourly job is registered: {jobs}"
    );
}

#[tokio::test]
async fn a_finder_has_their_contact_details_removed_once_staff_confirm() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let created = app.submit(&full_report()).await;
    let reference = created["reference"].as_str().expect("reference").to_owned();
    let tracking = created["tracking_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let track = format!("/track/{tracking}");

    // Open: not offered, and refused when asked anyway.
    let page = app.get(&track).await.text().await.expect("html");
    assert!(
        !page.contains("Remove my contact details"),
        "open reports do not offer it"
    );
    let early = app
        .client
        .post(app.at(&format!("{track}/contact-removal")))
        .send()
        .await
        .expect("sent");
    assert_eq!(early.status(), 409);

    let closed = app
        .client
        .post(app.at(&format!("/api/v1/reports/{reference}/transition")))
        .bearer_auth(&token)
        .json(&json!({"to": "informative", "reason": "Known and accepted."}))
        .send()
        .await
        .expect("sent");
    assert_eq!(closed.status(), 200);
    let page = app.get(&track).await.text().await.expect("html");
    assert!(page.contains("Remove my contact details"), "{page}");
    let asked = app
        .client
        .post(app.at(&format!("{track}/contact-removal")))
        .send()
        .await
        .expect("sent");
    assert_eq!(asked.status(), 303);
    let page = app.get(&track).await.text().await.expect("html");
    assert!(
        page.contains("You asked us to remove your contact details"),
        "{page}"
    );

    let (browser, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let staff_page = browser
        .get(app.at(&format!("/staff/reports/{reference}")))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(staff_page.contains("asked on"), "staff see the request");
    let csrf = csrf_token(&staff_page);
    let confirm = |csrf: String| {
        browser
            .post(app.at(&format!("/staff/reports/{reference}/contact-removal")))
            .form(&[("csrf_token", csrf)])
            .send()
    };
    assert_eq!(confirm(csrf.clone()).await.expect("sent").status(), 303);
    let report: Value = app
        .client
        .get(app.at(&format!("/api/v1/reports/{reference}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(report["contact"]["email"].is_null(), "{report}");
    assert!(report["contact"]["name"].is_null(), "{report}");
    assert_eq!(
        confirm(csrf).await.expect("sent").status(),
        409,
        "nothing waits any more"
    );
    let page = app.get(&track).await.text().await.expect("html");
    assert!(page.contains("You reported anonymously"), "{page}");

    let audit = browser
        .get(app.at("/staff/audit"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(audit.contains("report.contact_removal_requested"));
    assert!(audit.contains("report.contact_removed"));
}
