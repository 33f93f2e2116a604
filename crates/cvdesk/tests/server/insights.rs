//! The dashboards through the real server: the page with its charts and tables, each table
//! as CSV, the numbers as JSON, and what a member of another team and bad queries get.
//! The exact figures are worked out by hand in the store's story (`insights`).

use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};

use crate::app::{anonymous_report, TestApp};
use crate::staff::{
    api_token, cli, create_first_admin, sign_in, signed_in_account, ADMIN_EMAIL, ADMIN_PASSWORD,
};

async fn stats(app: &TestApp, token: &str, query: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.at(&format!("/api/v1/stats{query}")))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn received_from(stats: &Value, source: &str) -> u64 {
    stats["arrivals_by_source"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|series| series["name"] == source)
        .expect("source listed")["values"]
        .as_array()
        .expect("weeks")
        .iter()
        .map(|count| count.as_u64().expect("count"))
        .sum()
}

#[tokio::test]
async fn dashboards_count_reports_as_they_arrive_and_are_answered() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    for (name, host) in [("Shop", "shop.example.org"), ("Blog", "blog.example.org")] {
        let (code, out) = cli(
            &app,
            &[
                "product",
                "add",
                "--name",
                name,
                "--team",
                name,
                "--hostname",
                host,
            ],
        );
        assert_eq!(code, Some(0), "{out}");
    }
    let token = api_token(&app, ADMIN_EMAIL);
    // One from a finder through the API, one filed by staff with a token, on the shop.
    let mut report = anonymous_report();
    report["asset"] = json!("https://shop.example.org/login");
    report["weakness"] = json!("CWE-601");
    let reference = app.submit(&report).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let filed = app
        .client
        .post(app.at("/api/v1/reports"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&anonymous_report())
        .send()
        .await
        .expect("sent");
    assert_eq!(filed.status(), 201);

    let (status, before) = stats(&app, &token, "").await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["outcomes"]["received"], 2);
    assert_eq!(received_from(&before, "api"), 1);
    assert_eq!(received_from(&before, "staff"), 1);
    assert_eq!(before["durations"][0]["clock"], "first_response");
    assert_eq!(before["durations"][0]["overall"]["count"], 0);
    assert_eq!(
        before["weaknesses"],
        json!([{"name": "CWE-601", "count": 1}])
    );
    assert_eq!(
        before["open_by_state"][0]["values"]
            .as_array()
            .and_then(|weeks| weeks.last())
            .cloned(),
        Some(json!(2)),
        "both are new at the end of this week"
    );

    // Answering the finder stops the first-response clock, within its deadline.
    let answered = app
        .client
        .post(app.at(&format!("/api/v1/reports/{reference}/messages")))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&json!({"body": "Thank you, we are looking into it."}))
        .send()
        .await
        .expect("sent");
    assert_eq!(answered.status().as_u16() / 100, 2);
    let (_, after) = stats(&app, &token, "").await;
    let response = &after["durations"][0]["overall"];
    assert_eq!(response["count"], 1, "{after}");
    assert!(response["median_seconds"].as_f64().expect("median") < 60.0);
    assert_eq!(after["compliance"][0]["met"], 1);
    assert_eq!(after["compliance"][0]["share"], 1.0);

    // The shop's dashboard, and the page with its charts and tables.
    let (_, shop) = stats(&app, &token, "?product=1").await;
    assert_eq!(shop["outcomes"]["received"], 1);
    let (admin, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = admin
        .get(app.at("/staff/insights?product=1"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("Dashboard: Shop"));
    assert_eq!(
        html.matches("<svg role=\"img\"").count(),
        11,
        "a chart per panel"
    );
    assert!(html.contains("<caption>Reports received each week, by source (numbers)</caption>"));
    assert!(html.contains("/staff/insights/tables/arrivals.csv?from="));

    let csv = admin
        .get(app.at("/staff/insights/tables/weaknesses.csv"))
        .send()
        .await
        .expect("sent");
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()["content-type"].to_str().expect("type"),
        "text/csv; charset=utf-8"
    );
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .expect("disposition")
        .starts_with("attachment; filename=\"weaknesses-"));
    assert_eq!(
        csv.text().await.expect("csv"),
        "Weakness,Reports\r\nCWE-601,1\r\n"
    );
    let unknown = admin
        .get(app.at("/staff/insights/tables/passwords.csv"))
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown.status(), 404);

    // Bad queries name the parameter; nothing is counted for them.
    for (query, parameter) in [
        ("?from=yesterday", "from"),
        ("?from=2026-02-01&to=2026-01-01", "from"),
        ("?to=2026-13-01", "to"),
        ("?product=shop", "product"),
    ] {
        let (status, refused) = stats(&app, &token, query).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(refused["error"]["code"], "invalid_query");
        assert!(
            refused["error"]["message"]
                .as_str()
                .expect("message")
                .starts_with(parameter),
            "{refused}"
        );
    }
    let bad_page = admin
        .get(app.at("/staff/insights?from=soon"))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad_page.status(), 400);
    assert_eq!(stats(&app, &token, "?product=99").await.0, 404);

    // A member of the blog's team sees the blog's reports only, and not the shop at all.
    let member = signed_in_account(&app, "blogger@example.org", "member", &["Blog"]).await;
    let members_token = api_token(&app, "blogger@example.org");
    let (_, theirs) = stats(&app, &members_token, "").await;
    assert_eq!(theirs["outcomes"]["received"], 0);
    assert_eq!(stats(&app, &members_token, "?product=1").await.0, 404);
    let hidden = member
        .get(app.at("/staff/insights?product=1"))
        .send()
        .await
        .expect("sent");
    assert_eq!(hidden.status(), 404);
}
