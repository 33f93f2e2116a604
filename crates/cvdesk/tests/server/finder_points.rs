//! Finder points through the real server: off by default, so `/thanks` says nothing about
//! points; an admin turns them on with a table (refused field by field when malformed, and
//! audited); then `/thanks` shows the credited finder's total over the outcomes of every
//! report they sent, and nothing of a finder who was not credited.

use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};

use crate::advisories::{advisory_body, publisher_desk, Publisher};
use crate::app::full_report;
use crate::staff::{api_token, csrf_token, sign_in, ADMIN_EMAIL, ADMIN_PASSWORD};

async fn call(
    desk: &Publisher,
    token: &str,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = desk
        .app
        .client
        .request(method, desk.app.at(path))
        .header(AUTHORIZATION, format!("Bearer {token}"));
    if !body.is_null() {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn transition(desk: &Publisher, admin: &str, reference: &str, body: Value) {
    let (status, answer) = call(
        desk,
        admin,
        "POST",
        &format!("/api/v1/reports/{reference}/transition"),
        body,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
}

async fn report_from(desk: &Publisher, email: &str) -> String {
    let mut report = full_report();
    report["contact"]["email"] = json!(email);
    let created = desk.app.submit(&report).await;
    created["reference"].as_str().expect("reference").to_owned()
}

/// Publishes an advisory answering the desk's report with a credit its finder accepted.
async fn publish_with_accepted_credit(desk: &Publisher) {
    let (status, advisory) = desk
        .api(
            "POST",
            "/api/v1/advisories",
            Some(advisory_body(&desk.reference)),
        )
        .await;
    assert_eq!(status, 201, "{advisory}");
    let id = advisory["id"].as_str().expect("id").to_owned();
    let page = desk
        .browser
        .get(desk.app.at(&format!("/staff/advisories/{id}")))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let proposed = desk
        .browser
        .post(desk.app.at(&format!("/staff/advisories/{id}/credits")))
        .form(&[
            ("csrf_token", csrf_token(&page).as_str()),
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
    let tracking = desk
        .app
        .client
        .get(desk.app.at(&format!("/track/{}", desk.tracking_token)))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let at = tracking.find("/credits/").expect("a credit form") + 9;
    let credit: String = tracking[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let accepted = desk
        .app
        .client
        .post(
            desk.app
                .at(&format!("/track/{}/credits/{credit}", desk.tracking_token)),
        )
        .form(&[("answer", "accept")])
        .send()
        .await
        .expect("sent");
    assert_eq!(accepted.status(), 303);
    let (status, published) = desk
        .api(
            "POST",
            &format!("/api/v1/advisories/{id}/publish"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{published}");
}

#[tokio::test]
async fn points_are_shown_only_when_on_and_match_the_outcomes() {
    let desk = publisher_desk(&[]).await;
    let admin = api_token(&desk.app, ADMIN_EMAIL);
    // Ada's reports: the credited one triaged (rated critical), a duplicate of it, one
    // not applicable (sent with her address in capitals) and one not triaged yet. Grace's
    // report is informative and she is credited nowhere.
    transition(&desk, &admin, &desk.reference, json!({"to": "triaged"})).await;
    let duplicate = report_from(&desk, "ada@example.org").await;
    transition(
        &desk,
        &admin,
        &duplicate,
        json!({"to": "duplicate", "duplicate_of": desk.reference}),
    )
    .await;
    let not_applicable = report_from(&desk, "ADA@Example.org").await;
    transition(
        &desk,
        &admin,
        &not_applicable,
        json!({"to": "not_applicable", "reason": "out of scope"}),
    )
    .await;
    report_from(&desk, "ada@example.org").await;
    let other = report_from(&desk, "grace@example.org").await;
    transition(
        &desk,
        &admin,
        &other,
        json!({"to": "informative", "reason": "hardening advice"}),
    )
    .await;
    publish_with_accepted_credit(&desk).await;

    // Off by default: the hall of fame names Ada and says nothing about points.
    let (status, thanks) = desk.text("/thanks").await;
    assert_eq!(status, 200);
    assert!(thanks.contains("Ada"), "{thanks}");
    assert!(!thanks.to_lowercase().contains("point"), "{thanks}");
    let (status, setting) = call(&desk, &admin, "GET", "/api/v1/finder-points", Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(setting["enabled"], false);
    assert_eq!(setting["points"]["critical"], 50);

    // Only admins change it, and a malformed table is refused field by field.
    let table = json!({"enabled": true, "points": {"critical": 40, "duplicate": 3,
        "not_applicable": -2, "informative": 7}});
    let (status, _) = call(
        &desk,
        &desk.token,
        "PUT",
        "/api/v1/finder-points",
        table.clone(),
    )
    .await;
    assert_eq!(status, 403, "a publisher may not");
    let (status, refused) = call(
        &desk,
        &admin,
        "PUT",
        "/api/v1/finder-points",
        json!({"enabled": "yes", "points": {"critical": 1.5, "high": 5000, "bonus": 1}}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let fields = &refused["error"]["fields"];
    assert_eq!(fields["enabled"], "say true (points on) or false (off)");
    assert_eq!(
        fields["points.critical"],
        "the points for 'Valid, rated critical' must be a whole number, not '1.5'"
    );
    assert_eq!(
        fields["points.high"],
        "the points for 'Valid, rated high' must be from -1000 to 1000"
    );
    assert!(fields["points.bonus"]
        .as_str()
        .is_some_and(|m| m.starts_with("'bonus' is not an outcome")));
    let (_, unchanged) = call(&desk, &admin, "GET", "/api/v1/finder-points", Value::Null).await;
    assert_eq!(unchanged["enabled"], false, "nothing changed");

    let (status, saved) = call(&desk, &admin, "PUT", "/api/v1/finder-points", table).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["points"]["critical"], 40);
    assert_eq!(saved["points"]["high"], 30, "left out: the default");

    // On: Ada's total is 40 (critical, triaged) + 3 (duplicate) - 2 (not applicable) + 0
    // (not triaged yet); Grace is not credited and not listed.
    let (_, thanks) = desk.text("/thanks").await;
    let table = thanks
        .split("id=\"points\"")
        .nth(1)
        .unwrap_or_else(|| panic!("the points table: {thanks}"));
    let row = table
        .split("<tr>")
        .find(|row| row.contains("Ada (Example Research)"))
        .unwrap_or_else(|| panic!("Ada's points: {thanks}"));
    assert!(row.contains("<td>41</td>"), "{row}");
    assert!(!thanks.contains("Grace") && !thanks.contains("ada@example.org"));
    assert!(thanks.contains("How points are earned"), "{thanks}");

    // The admin's page: the change is in the audit log, a bad value is named beside its
    // field, and turning points off takes them off /thanks.
    let (staff, status) = sign_in(&desk.app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let audit = staff
        .get(desk.app.at("/staff/audit"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(audit.contains("finder_points.change"), "{audit}");
    let page = staff
        .get(desk.app.at("/staff/finder-points"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(page.contains("value=\"40\""), "{page}");
    let csrf = csrf_token(&page);
    let refused = staff
        .post(desk.app.at("/staff/finder-points"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("enabled", "yes"),
            ("low", "many"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.expect("html");
    assert!(
        refused.contains("the points for &#x27;Valid, rated low&#x27; must be a whole number")
            || refused.contains("the points for &#39;Valid, rated low&#39; must be a whole number"),
        "{refused}"
    );
    let forged = staff
        .post(desk.app.at("/staff/finder-points"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), 403);
    let off = staff
        .post(desk.app.at("/staff/finder-points"))
        .form(&[("csrf_token", csrf.as_str()), ("critical", "40")])
        .send()
        .await
        .expect("sent");
    assert_eq!(off.status(), 303);
    let (_, thanks) = desk.text("/thanks").await;
    assert!(thanks.contains("Ada"));
    assert!(!thanks.to_lowercase().contains("point"), "{thanks}");
}
