//! Spam handling for staff: where each report came from, every report from one address,
//! one-click spam, and closing many reports at once, each checked and audited.

use reqwest::Client;
use serde_json::Value;

use crate::app::{anonymous_report, TestApp};
use crate::staff::{csrf_token, signed_in_account};

async fn submit_from(app: &TestApp, address: &str, title: &str) -> String {
    let client = Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().expect("address"))
        .build()
        .expect("client");
    let mut report = anonymous_report();
    report["title"] = Value::from(title);
    let response = client
        .post(app.at("/api/v1/reports"))
        .json(&report)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    body["reference"].as_str().expect("reference").to_owned()
}

async fn page(client: &Client, url: String) -> String {
    let response = client.get(url).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    response.text().await.expect("html")
}

#[tokio::test]
async fn staff_see_the_source_and_close_spam_alone_or_in_bulk() {
    let app = TestApp::start();
    let spam: Vec<String> = {
        let mut references = Vec::new();
        for n in 0..3 {
            references.push(submit_from(&app, "127.0.0.2", &format!("Cheap pills {n}")).await);
        }
        references
    };
    let real = submit_from(&app, "127.0.0.3", "Stored XSS in comments").await;
    let triager = signed_in_account(&app, "tri@example.org", "triager", &[]).await;

    let html = page(&triager, app.at(&format!("/staff/reports/{}", spam[0]))).await;
    assert!(
        html.contains("href=\"/staff?state=all&amp;from=127.0.0.2\""),
        "{html}"
    );
    let from = page(&triager, app.at("/staff?state=all&from=127.0.0.2")).await;
    for reference in &spam {
        assert!(from.contains(reference.as_str()), "{from}");
    }
    assert!(!from.contains(real.as_str()), "only that address");

    // One click: closed as not applicable with the reason spam.
    let csrf = csrf_token(&html);
    let response = triager
        .post(app.at(&format!("/staff/reports/{}/transition", spam[0])))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("to", "not_applicable"),
            ("reason", "spam"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 303);
    let html = page(&triager, app.at(&format!("/staff/reports/{}", spam[0]))).await;
    assert!(html.contains("data-state=\"not_applicable\""), "{html}");
    assert!(html.contains("spam"), "the reason is in the history");

    // The rest at once; the already closed one is reported, not an error page.
    let queue = page(&triager, app.at("/staff?state=all&from=127.0.0.2")).await;
    assert!(queue.contains("form=\"bulk-close\""), "{queue}");
    let mut form = vec![
        ("csrf_token".to_owned(), csrf_token(&queue)),
        ("to".to_owned(), "not_applicable".to_owned()),
        ("reason".to_owned(), "spam".to_owned()),
    ];
    for reference in &spam {
        form.push(("reference".to_owned(), reference.clone()));
    }
    form.push(("reference".to_owned(), "CVD-1999-9999".to_owned()));
    let response = triager
        .post(app.at("/staff/reports/bulk-close"))
        .form(&form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 409, "some could not be closed");
    let result = response.text().await.expect("html");
    assert_eq!(
        result.matches("Closed (new → not_applicable).").count(),
        2,
        "{result}"
    );
    assert!(result.contains("Not closed:"), "{result}");
    assert!(
        result.contains("No such report that you may see."),
        "{result}"
    );
    let open = page(&triager, app.at("/staff?state=open")).await;
    assert!(open.contains(real.as_str()));
    for reference in &spam {
        assert!(!open.contains(reference.as_str()), "{reference} still open");
    }

    // A wrong CSRF token or a state that does not close is refused as a whole.
    let forged = triager
        .post(app.at("/staff/reports/bulk-close"))
        .form(&[
            ("csrf_token", "forged"),
            ("to", "not_applicable"),
            ("reason", "spam"),
            ("reference", real.as_str()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), 403);
    let token = csrf_token(&open);
    let reopen = triager
        .post(app.at("/staff/reports/bulk-close"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("to", "triaged"),
            ("reason", "x"),
            ("reference", real.as_str()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(reopen.status(), 422);

    // A viewer sees no bulk form and cannot close anything.
    let viewer = signed_in_account(&app, "view@example.org", "viewer", &[]).await;
    let queue = page(&viewer, app.at("/staff")).await;
    assert!(!queue.contains("bulk-close"));
    let response = viewer
        .post(app.at("/staff/reports/bulk-close"))
        .form(&[
            ("csrf_token", csrf_token(&queue).as_str()),
            ("to", "not_applicable"),
            ("reason", "spam"),
            ("reference", real.as_str()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 403);

    // Every close is in the audit log.
    let admin = signed_in_account(&app, "boss@example.org", "admin", &[]).await;
    let audit = page(&admin, app.at("/staff/audit")).await;
    assert!(audit.matches("report.transition").count() >= 3, "{audit}");
}

#[tokio::test]
async fn a_report_named_twice_in_a_bulk_close_is_closed_once() {
    let app = TestApp::start();
    let first = submit_from(&app, "127.0.0.4", "Cheap pills").await;
    let second = submit_from(&app, "127.0.0.4", "Cheap watches").await;
    let triager = signed_in_account(&app, "tri@example.org", "triager", &[]).await;
    let queue = page(&triager, app.at("/staff?state=all&from=127.0.0.4")).await;
    let csrf = csrf_token(&queue);
    // The same report again after another one, not beside itself.
    let response = triager
        .post(app.at("/staff/reports/bulk-close"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("to", "informative"),
            ("reason", "spam"),
            ("reference", first.as_str()),
            ("reference", second.as_str()),
            ("reference", &first.to_lowercase()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200, "every report named was closed");
    let result = response.text().await.expect("html");
    assert_eq!(
        result.matches("Closed (new → informative).").count(),
        2,
        "{result}"
    );
    assert!(!result.contains("Not closed:"), "{result}");
}
