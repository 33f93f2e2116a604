//! The admin pages: the product inventory and the audit log.

use serde_json::json;

use crate::app::{anonymous_report, TestApp};
use crate::staff::{create_first_admin, csrf_token, sign_in, ADMIN_EMAIL, ADMIN_PASSWORD};

#[tokio::test]
async fn admins_keep_the_inventory_that_routes_reports() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let (admin, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = admin
        .get(app.at("/staff/products"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    let token = csrf_token(&page.text().await.expect("html"));
    let bad = admin
        .post(app.at("/staff/products"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Router"),
            ("criticality", "extreme"),
            ("hostnames", "https://not a host/"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.expect("html");
    assert!(
        html.contains("href=\"#criticality\"") && html.contains("href=\"#hostnames\""),
        "each field named"
    );
    assert!(html.contains("value=\"Router\""), "input kept");
    let refused = admin
        .post(app.at("/staff/products"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Router"),
            ("team", "Firmware"),
            ("criticality", "extreme"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 422);
    assert!(
        !refused
            .text()
            .await
            .expect("html")
            .contains("<option value=\"Firmware\">"),
        "a refused product creates no team"
    );
    let long_team = "t".repeat(101);
    let refused = admin
        .post(app.at("/staff/products"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Router"),
            ("team", long_team.as_str()),
            ("criticality", "high"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .expect("html")
        .contains("href=\"#team\""));
    let good = admin
        .post(app.at("/staff/products"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Router"),
            ("team", "Firmware"),
            ("criticality", "critical"),
            ("aliases", "X200 router"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(good.status(), 303);

    let mut report = anonymous_report();
    report["title"] = json!("Command injection in the X200 router admin page");
    let reference = app.submit(&report).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let page = admin
        .get(app.at(&format!("/staff/reports/{reference}")))
        .send()
        .await
        .expect("sent");
    let html = page.text().await.expect("html");
    assert!(html.contains("id=\"product\">Router<"), "routed by alias");
    assert!(
        html.contains("asset criticality critical") || html.contains("critical"),
        "criticality feeds priority"
    );
}

#[tokio::test]
async fn admins_read_and_verify_the_audit_log() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let (admin, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = admin
        .get(app.at("/staff/audit"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("user.login") && html.contains("user.create_first_admin"));
    let verified = admin
        .post(app.at("/staff/audit/verify"))
        .form(&[("csrf_token", csrf_token(&html))])
        .send()
        .await
        .expect("sent");
    assert_eq!(verified.status(), 200);
    assert!(verified
        .text()
        .await
        .expect("html")
        .contains("The chain is intact"));
}
