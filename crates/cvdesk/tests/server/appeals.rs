//! Appeals against the real server: a finder contests an informative outcome once from
//! the tracking page; the person who closed the report may not decide; someone else
//! confirms with a reason the finder then reads, or reopens the report to triaged.

use reqwest::Client;
use serde_json::{json, Value};

use crate::app::{full_report, TestApp};
use crate::staff::{
    api_token, create_first_admin, csrf_token, sign_in, signed_in_account, ADMIN_EMAIL,
    ADMIN_PASSWORD,
};

/// A report from the finder, closed by the admin as `to`; its reference and tracking page.
async fn closed_report(app: &TestApp, admin_token: &str, to: &str) -> (String, String) {
    let created = app.submit(&full_report()).await;
    let reference = created["reference"].as_str().expect("reference").to_owned();
    let token = created["tracking_token"].as_str().expect("token");
    let closed = app
        .client
        .post(app.at(&format!("/api/v1/reports/{reference}/transition")))
        .bearer_auth(admin_token)
        .json(&json!({"to": to, "reason": "Works as designed."}))
        .send()
        .await
        .expect("sent");
    assert_eq!(closed.status(), 200);
    (reference, format!("/track/{token}"))
}

async fn appeal(app: &TestApp, track: &str, reason: &str) -> u16 {
    app.client
        .post(app.at(&format!("{track}/appeal")))
        .form(&[("reason", reason)])
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

async fn decide(
    app: &TestApp,
    staff: &Client,
    reference: &str,
    outcome: &str,
    reason: &str,
) -> u16 {
    let page = staff
        .get(app.at(&format!("/staff/reports/{reference}")))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let csrf = csrf_token(&page);
    staff
        .post(app.at(&format!("/staff/reports/{reference}/appeal")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("outcome", outcome),
            ("reason", reason),
        ])
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

async fn state_of(app: &TestApp, token: &str, reference: &str) -> Value {
    let report: Value = app
        .client
        .get(app.at(&format!("/api/v1/reports/{reference}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    report["state"].clone()
}

#[tokio::test]
async fn a_finder_contests_once_and_someone_else_decides() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let (reference, track) = closed_report(&app, &token, "informative").await;

    let page = app.get(&track).await.text().await.expect("html");
    assert!(page.contains("Contest the outcome"), "{page}");
    assert_eq!(appeal(&app, &track, "   ").await, 422, "a reason is needed");
    assert_eq!(
        appeal(&app, &track, "The token leaks to third parties.").await,
        303
    );
    assert_eq!(appeal(&app, &track, "Again").await, 409, "once only");
    let page = app.get(&track).await.text().await.expect("html");
    assert!(page.contains("You contested the outcome"), "{page}");
    assert!(page.contains("The token leaks to third parties."), "{page}");

    // The admin closed it: they may not decide.
    let (admin, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let admin_page = admin
        .get(app.at(&format!("/staff/reports/{reference}")))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        admin_page.contains("You closed this report"),
        "{admin_page}"
    );
    assert_eq!(
        decide(&app, &admin, &reference, "confirm", "Still fine.").await,
        403
    );

    let triager = signed_in_account(&app, "tri@example.org", "triager", &[]).await;
    assert_eq!(
        decide(&app, &triager, &reference, "confirm", "").await,
        422,
        "a reason to confirm"
    );
    assert_eq!(
        decide(
            &app,
            &triager,
            &reference,
            "confirm",
            "The token is scoped to the session."
        )
        .await,
        303
    );
    assert_eq!(state_of(&app, &token, &reference).await, "informative");
    let page = app.get(&track).await.text().await.expect("html");
    assert!(
        page.contains("The outcome was confirmed: The token is scoped to the session."),
        "{page}"
    );
    assert_eq!(
        decide(&app, &triager, &reference, "reopen", "").await,
        409,
        "decided once"
    );
}

#[tokio::test]
async fn an_upheld_appeal_reopens_the_report() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let (reference, track) = closed_report(&app, &token, "not_applicable").await;
    assert_eq!(
        appeal(&app, &track, "It is in scope: see the policy.").await,
        303
    );
    let triager = signed_in_account(&app, "tri@example.org", "triager", &[]).await;
    assert_eq!(decide(&app, &triager, &reference, "reopen", "").await, 303);
    assert_eq!(state_of(&app, &token, &reference).await, "triaged");
    let page = app.get(&track).await.text().await.expect("html");
    assert!(page.contains("Your appeal was upheld"), "{page}");

    // A report that is not closed as informative, duplicate or not applicable offers none.
    let (_, open_track) = closed_report(&app, &token, "triaged").await;
    let page = app.get(&open_track).await.text().await.expect("html");
    assert!(
        !page.contains("Contest the outcome"),
        "open reports offer no appeal"
    );
    assert_eq!(appeal(&app, &open_track, "Why?").await, 409);
}
