//! Triage through the staff pages and the staff API.

use serde_json::{json, Value};

use crate::app::{anonymous_report, TestApp};
use crate::staff::{
    api_token, cli, create_first_admin, csrf_token, sign_in, ADMIN_EMAIL, ADMIN_PASSWORD,
};

async fn page(client: &reqwest::Client, url: String) -> (u16, String) {
    let response = client.get(url).send().await.expect("sent");
    (
        response.status().as_u16(),
        response.text().await.expect("html"),
    )
}

#[tokio::test]
async fn a_triager_moves_reports_and_marks_a_duplicate() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let (code, out) = cli(
        &app,
        &[
            "product",
            "add",
            "--name",
            "Shop",
            "--team",
            "Web",
            "--hostname",
            "shop.example.org",
            "--criticality",
            "high",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let mut first = anonymous_report();
    first["asset"] = json!("https://shop.example.org/login");
    first["severity"] = json!("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    let first = app.submit(&first).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let second = app.submit(&anonymous_report()).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned();

    let (admin, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, queue) = page(&admin, app.at("/staff")).await;
    assert_eq!(status, 200);
    assert!(queue.contains(&first) && queue.contains(&second));
    let (_, searched) = page(&admin, app.at("/staff?q=redirect&state=all")).await;
    assert!(
        searched.contains(&first),
        "full-text search finds the title"
    );
    let (status, _) = page(&admin, app.at("/staff?state=bogus")).await;
    assert_eq!(status, 400, "a bad filter is named, not a 500");

    let (status, html) = page(&admin, app.at(&format!("/staff/reports/{first}"))).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"product\">Shop<"),
        "routed to its product by host name"
    );
    assert!(
        html.contains("P1") || html.contains("P2"),
        "priority computed"
    );
    let token = csrf_token(&html);
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let admin = admin.clone();
        let url = app.at(&path);
        async move { admin.post(url).form(&form).send().await.expect("sent") }
    };

    let moved = post(
        format!("/staff/reports/{first}/transition"),
        vec![("csrf_token", token.clone()), ("to", "triaged".into())],
    )
    .await;
    assert_eq!(moved.status(), 303);
    let refused = post(
        format!("/staff/reports/{first}/transition"),
        vec![("csrf_token", token.clone()), ("to", "remediated".into())],
    )
    .await;
    assert_eq!(refused.status(), 409);
    assert!(
        refused.text().await.expect("html").contains("assigned"),
        "says what must come first"
    );
    let assigned = post(
        format!("/staff/reports/{first}/transition"),
        vec![("csrf_token", token.clone()), ("to", "assigned".into())],
    )
    .await;
    assert_eq!(assigned.status(), 303);

    let bad_vector = post(
        format!("/staff/reports/{first}/classification"),
        vec![
            ("csrf_token", token.clone()),
            ("severity", "CVSS:3.1/AV:N".into()),
        ],
    )
    .await;
    assert_eq!(bad_vector.status(), 422);
    let no_reason = post(
        format!("/staff/reports/{first}/assessment"),
        vec![
            ("csrf_token", token.clone()),
            ("exploitability", "functional".into()),
            ("priority_override", "P1".into()),
        ],
    )
    .await;
    assert_eq!(no_reason.status(), 422, "an override needs a reason");
    let note = post(
        format!("/staff/reports/{first}/notes"),
        vec![
            ("csrf_token", token.clone()),
            ("body", "checked with the web team".into()),
        ],
    )
    .await;
    assert_eq!(note.status(), 303);
    let forged = post(
        format!("/staff/reports/{first}/notes"),
        vec![("csrf_token", "forged".into()), ("body", "x".into())],
    )
    .await;
    assert_eq!(forged.status(), 403);

    let duplicate = post(
        format!("/staff/reports/{second}/transition"),
        vec![
            ("csrf_token", token.clone()),
            ("to", "duplicate".into()),
            ("duplicate_of", first.clone()),
        ],
    )
    .await;
    assert_eq!(duplicate.status(), 303);
    let (_, html) = page(&admin, app.at(&format!("/staff/reports/{second}"))).await;
    assert!(html.contains("data-state=\"duplicate\""));
    assert!(
        html.contains(&format!("href=\"/staff/reports/{first}\"")),
        "links the original"
    );

    let (_, html) = page(&admin, app.at(&format!("/staff/reports/{first}"))).await;
    assert!(html.contains("data-state=\"assigned\""));
    assert!(html.contains("checked with the web team"));
    assert!(
        html.contains("new → triaged") || html.contains("transition → triaged"),
        "history"
    );

    let (code, out) = cli(&app, &["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}");

    let scored: Value = admin
        .get(app.at(
            "/staff/cvss?vector=CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        ))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (scored["score"].as_f64(), scored["severity"].as_str()),
        (Some(9.3), Some("critical"))
    );
    let refused: Value = admin
        .get(app.at("/staff/cvss?vector=CVSS:3.1/AV:N"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(refused["error"]
        .as_str()
        .is_some_and(|e| e.contains("missing")));
    let anonymous = crate::staff::browser()
        .get(app.at("/staff/cvss?vector=x"))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 303);
}

#[tokio::test]
async fn the_staff_api_lists_reads_and_moves_reports() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let reference = app.submit(&anonymous_report()).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let bearer = format!("Bearer {token}");

    let unauthenticated = app.get("/api/v1/reports").await;
    assert_eq!(unauthenticated.status(), 401);
    let lower_case = app
        .client
        .get(app.at("/api/v1/reports"))
        .header("authorization", format!("bearer {token}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        lower_case.status(),
        200,
        "the scheme name is case-insensitive"
    );
    let repeated = app
        .client
        .get(app.at("/api/v1/reports?state=new&state=triaged"))
        .header("authorization", &bearer)
        .send()
        .await
        .expect("sent");
    assert_eq!(repeated.status(), 400);
    let body: Value = repeated.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "invalid_query");
    let list: Value = app
        .client
        .get(app.at("/api/v1/reports?state=open"))
        .header("authorization", &bearer)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"][0]["reference"], reference.as_str());
    assert_eq!(list["next"], Value::Null);

    let one: Value = app
        .client
        .get(app.at(&format!("/api/v1/reports/{reference}")))
        .header("authorization", &bearer)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(one["state"], "new");
    assert_eq!(one["title"], "Open redirect on login");
    assert!(one["allowed_transitions"]
        .as_array()
        .is_some_and(|a| a.contains(&json!("triaged"))));

    let transition = |body: Value| {
        let client = app.client.clone();
        let url = app.at(&format!("/api/v1/reports/{reference}/transition"));
        let bearer = bearer.clone();
        async move {
            client
                .post(url)
                .header("authorization", bearer)
                .json(&body)
                .send()
                .await
                .expect("sent")
        }
    };
    let moved = transition(json!({"to": "triaged"})).await;
    assert_eq!(moved.status(), 200);
    assert_eq!(
        moved.json::<Value>().await.expect("json")["state"],
        "triaged"
    );
    let refused = transition(json!({"to": "informative"})).await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "conflict");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("reason")),
        "{body}"
    );
    assert_eq!(
        transition(json!({"to": "duplicate", "duplicate_of": "CVD-1999-0001"}))
            .await
            .status(),
        409
    );
    assert_eq!(transition(json!({"to": "sideways"})).await.status(), 400);
    assert_eq!(
        transition(json!({"to": "informative", "reason": "by design"}))
            .await
            .status(),
        200
    );

    let missing = app
        .client
        .get(app.at("/api/v1/reports/CVD-2026-9999"))
        .header("authorization", &bearer)
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), 404);
}

/// A member may only call a report a duplicate of one they can see, and a report of another
/// team answers exactly as one that does not exist.
#[tokio::test]
async fn a_member_learns_nothing_of_other_teams_reports_through_duplicates() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    for (name, team, host) in [
        ("Shop", "Web", "shop.example.org"),
        ("Blog", "Content", "blog.example.org"),
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
                host,
            ],
        );
        assert_eq!(code, Some(0), "{out}");
    }
    let on = |host: &str| {
        let mut report = anonymous_report();
        report["asset"] = json!(format!("https://{host}/login"));
        report
    };
    let shop = app.submit(&on("shop.example.org")).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let shop_original = app.submit(&on("shop.example.org")).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let blog = app.submit(&on("blog.example.org")).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    crate::staff::signed_in_account(&app, "shop@example.org", "member", &["Shop"]).await;
    let bearer = format!("Bearer {}", api_token(&app, "shop@example.org"));
    let mark = |original: String| {
        let client = app.client.clone();
        let url = app.at(&format!("/api/v1/reports/{shop}/transition"));
        let bearer = bearer.clone();
        async move {
            let response = client
                .post(url)
                .header("authorization", bearer)
                .json(&json!({"to": "duplicate", "duplicate_of": original}))
                .send()
                .await
                .expect("sent");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("json");
            (
                status,
                body["error"]["message"].as_str().unwrap_or("").to_owned(),
            )
        }
    };
    let (hidden_status, hidden) = mark(blog.clone()).await;
    let (missing_status, missing) = mark("CVD-2026-9999".to_owned()).await;
    assert_eq!((hidden_status, missing_status), (409, 409));
    assert_eq!(
        hidden.replace(&blog, "REF"),
        missing.replace("CVD-2026-9999", "REF"),
        "another team's report and a missing one answer alike"
    );
    let (status, _) = mark(shop_original).await;
    assert_eq!(
        status, 200,
        "a report of the member's own team can be the original"
    );
}
