//! The conversation on a report: the finder writes from the tracking page or the API, staff
//! answer from the report page or the API, internal notes stay internal, markup stays
//! harmless, a reply clears needs-info, and replies are rate-limited per address.

use reqwest::Client;
use serde_json::{json, Value};

use crate::app::{anonymous_report, TestApp};
use crate::staff::{api_token, csrf_token, signed_in_account};

async fn html(client: &Client, url: String) -> String {
    let response = client.get(url).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    response.text().await.expect("html")
}

#[tokio::test]
async fn finder_and_staff_talk_and_notes_stay_internal() {
    let app = TestApp::start();
    let created = app.submit(&anonymous_report()).await;
    let token = created["tracking_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let reference = created["reference"].as_str().expect("reference").to_owned();
    let finder = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let track = app.at(&format!("/track/{token}"));

    let triager = signed_in_account(&app, "tri@example.org", "triager", &[]).await;
    let report_url = app.at(&format!("/staff/reports/{reference}"));
    let page = html(&triager, report_url.clone()).await;
    let csrf = csrf_token(&page);
    let flagged = triager
        .post(app.at(&format!("/staff/reports/{reference}/needs-info")))
        .form(&[("csrf_token", csrf.as_str()), ("value", "yes")])
        .send()
        .await
        .expect("sent");
    assert_eq!(flagged.status(), 303);
    let asked = triager
        .post(app.at(&format!("/staff/reports/{reference}/messages")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            (
                "body",
                "Which **browser** did you use? <script>alert(1)</script>",
            ),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(asked.status(), 303);

    let seen = html(&finder, track.clone()).await;
    assert!(
        seen.contains("Which <strong>browser</strong> did you use?"),
        "{seen}"
    );
    assert!(!seen.contains("<script>alert(1)"), "markup is cleaned");
    assert!(seen.contains("Security team"), "{seen}");
    assert!(
        !seen.contains("tri@example.org"),
        "staff are not named to the finder"
    );

    let replied = finder
        .post(app.at(&format!("/track/{token}/messages")))
        .form(&[("body", "Firefox 140 on Linux.")])
        .send()
        .await
        .expect("sent");
    assert_eq!(replied.status(), 303);
    let empty = finder
        .post(app.at(&format!("/track/{token}/messages")))
        .form(&[("body", "   ")])
        .send()
        .await
        .expect("sent");
    assert_eq!(empty.status(), 422);
    assert!(empty
        .text()
        .await
        .expect("html")
        .contains("id=\"body-error\""));

    let page = html(&triager, report_url.clone()).await;
    assert!(
        page.contains("Firefox 140 on Linux."),
        "staff see the reply"
    );
    assert!(
        !page.contains("needs info</span>"),
        "the reply cleared needs-info: {page}"
    );

    // The API: a staff message and an internal note, then the finder's view as JSON.
    let bearer = api_token(&app, "tri@example.org");
    for (body, internal) in [
        ("Fixed in 2.4.1, please retest.", false),
        ("Patched by Bob.", true),
    ] {
        let response = Client::new()
            .post(app.at(&format!("/api/v1/reports/{reference}/messages")))
            .bearer_auth(&bearer)
            .json(&json!({"body": body, "internal": internal}))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201);
    }
    let reply = Client::new()
        .post(app.at(&format!("/api/v1/track/{token}/messages")))
        .json(&json!({"body": "Retested: fixed."}))
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), 201);
    let tracked: Value = app
        .get(&format!("/api/v1/track/{token}"))
        .await
        .json()
        .await
        .expect("json");
    let thread: Vec<(&str, &str)> = tracked["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (
                m["from"].as_str().expect("from"),
                m["body"].as_str().expect("body"),
            )
        })
        .collect();
    assert_eq!(
        thread,
        [
            (
                "security_team",
                "Which **browser** did you use? <script>alert(1)</script>"
            ),
            ("finder", "Firefox 140 on Linux."),
            ("security_team", "Fixed in 2.4.1, please retest."),
            ("finder", "Retested: fixed.")
        ]
    );
    assert!(
        !tracked.to_string().contains("Patched by Bob"),
        "notes stay internal"
    );
    let bad = Client::new()
        .post(app.at(&format!("/api/v1/track/{token}/messages")))
        .json(&json!({"body": ""}))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.expect("json");
    assert_eq!(body["error"]["code"], "invalid_message");
    let unknown = Client::new()
        .post(app.at("/api/v1/track/not-a-token/messages"))
        .json(&json!({"body": "hi"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown.status(), 404);

    // A viewer reads the conversation but cannot write to the finder.
    let viewer = signed_in_account(&app, "view@example.org", "viewer", &[]).await;
    let page = html(&viewer, report_url).await;
    assert!(page.contains("Retested: fixed."));
    assert!(!page.contains("message-body"), "no form for a viewer");
    let refused = viewer
        .post(app.at(&format!("/staff/reports/{reference}/messages")))
        .form(&[("csrf_token", csrf_token(&page).as_str()), ("body", "hi")])
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn replies_are_limited_per_address_and_keep_the_text() {
    let app = TestApp::start_with(&["--rate-limit-replies", "2/hour"]);
    let created = app.submit(&anonymous_report()).await;
    let token = created["tracking_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let from = |address: &str| {
        Client::builder()
            .local_address(address.parse::<std::net::IpAddr>().expect("ip"))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    };
    let first = from("127.0.0.1");
    let send = |client: &Client, body: &'static str| {
        client
            .post(app.at(&format!("/track/{token}/messages")))
            .form(&[("body", body)])
            .send()
    };
    for _ in 0..2 {
        assert_eq!(
            send(&first, "one more thing").await.expect("sent").status(),
            303
        );
    }
    let limited = send(&first, "A third thought worth keeping")
        .await
        .expect("sent");
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    let page = limited.text().await.expect("html");
    assert!(
        page.contains("A third thought worth keeping"),
        "the text is kept"
    );
    assert!(page.contains("Too many requests"), "{page}");
    assert_eq!(
        send(&from("127.0.0.2"), "from elsewhere")
            .await
            .expect("sent")
            .status(),
        303
    );
}
