//! The conversation on a report: the finder writes from the tracking page or the API, staff
//! answer from the report page or the API, internal notes stay internal, markup stays
//! harmless, a reply clears needs-info, and replies are rate-limited per address. Files
//! sent with a reply are downloaded by both sides, only as attachments, only through
//! their own report, and within the intake limits.

use reqwest::multipart::{Form, Part};
use reqwest::Client;
use serde_json::{json, Value};

use crate::app::{anonymous_report, TestApp};
use crate::staff::{api_token, csrf_token, signed_in_account};

/// The tracking page's reply form, as a browser sends it.
fn reply(body: &'static str) -> Form {
    Form::new().text("body", body)
}

fn no_redirects() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn tracking_token(app: &TestApp) -> (String, String) {
    let created = app.submit(&anonymous_report()).await;
    (
        created["tracking_token"]
            .as_str()
            .expect("token")
            .to_owned(),
        created["reference"].as_str().expect("reference").to_owned(),
    )
}

async fn html(client: &Client, url: String) -> String {
    let response = client.get(url).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    response.text().await.expect("html")
}

#[tokio::test]
async fn finder_and_staff_talk_and_notes_stay_internal() {
    let app = TestApp::start();
    let (token, reference) = tracking_token(&app).await;
    let finder = no_redirects();
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
        .multipart(reply("Firefox 140 on Linux."))
        .send()
        .await
        .expect("sent");
    assert_eq!(replied.status(), 303);
    let empty = finder
        .post(app.at(&format!("/track/{token}/messages")))
        .multipart(reply("   "))
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
            .multipart(reply(body))
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

#[tokio::test]
async fn files_sent_with_a_reply_download_as_attachments_from_their_report_only() {
    let app = TestApp::start();
    let (token, reference) = tracking_token(&app).await;
    let (other_token, other_reference) = tracking_token(&app).await;
    let finder = no_redirects();
    let poc = "<script>alert(document.domain)</script>";
    let sent = finder
        .post(app.at(&format!("/track/{token}/messages")))
        .multipart(reply("The proof of concept is attached.").part(
            "attachments",
            Part::bytes(poc.as_bytes().to_vec()).file_name("../../poc.html"),
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status(), 303);

    let tracked: Value = app
        .get(&format!("/api/v1/track/{token}"))
        .await
        .json()
        .await
        .expect("json");
    let file = &tracked["messages"][0]["attachments"][0];
    assert_eq!(file["file_name"], "poc.html", "the name is sanitized");
    assert_eq!(file["size_bytes"], poc.len());
    let id = file["id"].as_i64().expect("an id");

    let page = html(&finder, app.at(&format!("/track/{token}"))).await;
    assert!(
        page.contains(&format!("/track/{token}/attachments/{id}")),
        "{page}"
    );
    let downloaded = finder
        .get(app.at(&format!("/track/{token}/attachments/{id}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(downloaded.status(), 200);
    assert_eq!(
        downloaded.headers()["content-type"],
        "application/octet-stream"
    );
    assert!(downloaded.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .starts_with("attachment; filename=\"poc.html\""));
    assert_eq!(downloaded.text().await.expect("bytes"), poc);

    let triager = signed_in_account(&app, "tri@example.org", "triager", &[]).await;
    let page = html(&triager, app.at(&format!("/staff/reports/{reference}"))).await;
    assert!(page.contains("The proof of concept is attached."));
    let staff_link = format!("/staff/reports/{reference}/attachments/{id}");
    assert!(page.contains(&staff_link), "staff see the file: {page}");
    let downloaded = triager.get(app.at(&staff_link)).send().await.expect("sent");
    assert_eq!(downloaded.status(), 200);
    assert_eq!(
        downloaded.headers()["content-type"],
        "application/octet-stream"
    );
    assert!(downloaded.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .starts_with("attachment;"));
    assert_eq!(downloaded.text().await.expect("bytes"), poc);

    // The file belongs to its report: another report's link does not reach it.
    let elsewhere = finder
        .get(app.at(&format!("/track/{other_token}/attachments/{id}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(elsewhere.status(), 404);
    let elsewhere = triager
        .get(app.at(&format!(
            "/staff/reports/{other_reference}/attachments/{id}"
        )))
        .send()
        .await
        .expect("sent");
    assert_eq!(elsewhere.status(), 404);
}

#[tokio::test]
async fn a_refused_file_keeps_the_text_and_a_body_over_the_hard_limit_gets_413() {
    let app = TestApp::start_with(&[
        "--attachment-max-file-bytes",
        "1024",
        "--attachment-max-total-bytes",
        "1024",
    ]);
    let (token, _) = tracking_token(&app).await;
    let finder = no_redirects();
    let refused = finder
        .post(app.at(&format!("/track/{token}/messages")))
        .multipart(reply("A reply worth keeping").part(
            "attachments",
            Part::bytes(vec![b'A'; 4096]).file_name("dump.bin"),
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.expect("html");
    assert!(page.contains("id=\"attachments-error\""), "{page}");
    assert!(page.contains("dump.bin"), "the file is named");
    assert!(page.contains("1 KiB"), "the limit is stated");
    assert!(
        page.contains("A reply worth keeping</textarea>"),
        "the text is kept"
    );
    let tracked: Value = app
        .get(&format!("/api/v1/track/{token}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(tracked["messages"], json!([]), "nothing was stored");

    // A client of its own: the server refuses the body unread and closes the connection,
    // which may also cut the upload short (then there is no status to read).
    let oversized = Client::new()
        .post(app.at(&format!("/track/{token}/messages")))
        .multipart(reply("Too big").part(
            "attachments",
            Part::bytes(vec![0u8; 3 * 1024 * 1024]).file_name("big.bin"),
        ))
        .send()
        .await;
    if let Ok(response) = oversized {
        assert_eq!(response.status(), 413);
    }
}
