//! E-mail as a report moves on, through the loopback SMTP server of `mail.rs`: the finder
//! hears of a message, a request for more information, the triage outcome, remediation and
//! closing; staff hear of the finder's reply and update request. Each arrives once at the
//! right address, plain mail carries no details, and a message to a finder with a key is
//! PGP/MIME that gpg opens.

use std::collections::BTreeMap;

use reqwest::Client;
use serde_json::{json, Value};

use crate::app::{full_report, TestApp};
use crate::mail::{
    as_strs, assert_no_details, mail_args, text, tools_present, FinderGpg, Received, SmtpSink,
    FINDER, STAFF,
};
use crate::staff::{api_token, cli, create_first_admin, ADMIN_EMAIL};

const MESSAGE: &str = "Which search filters did you combine?";
const REPLY: &str = "Only the category filter.";
const REASON: &str = "The search runs on a read-only replica.";

/// Does a staff action through the API and expects `status`.
async fn staff_post(app: &TestApp, bearer: &str, path: &str, body: Value, status: u16) {
    let response = Client::new()
        .post(app.at(path))
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), status, "{path} {body}");
}

fn no_redirects() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn each_change_mails_its_news_once_without_details() {
    if !tools_present(false) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let sink = SmtpSink::start(&dir.path().join("inbox"), 0);
    let app = TestApp::start_with(&as_strs(&mail_args(sink.port)));
    // Routed to a product, as being assigned (before remediation) requires.
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
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let fixed = app.submit(&full_report()).await;
    let closed = app.submit(&full_report()).await;
    let fixed_ref = text(&fixed, "reference");
    let closed_ref = text(&closed, "reference");
    let token = text(&fixed, "tracking_token");
    create_first_admin(&app).await;
    let bearer = api_token(&app, ADMIN_EMAIL);
    let on = |reference: &str, action: &str| format!("/api/v1/reports/{reference}/{action}");

    let needs_info = json!({"needs_info": true});
    staff_post(
        &app,
        &bearer,
        &on(&fixed_ref, "needs-info"),
        needs_info.clone(),
        200,
    )
    .await;
    staff_post(
        &app,
        &bearer,
        &on(&fixed_ref, "needs-info"),
        needs_info,
        200,
    )
    .await;
    let message = json!({"body": MESSAGE, "internal": false});
    staff_post(&app, &bearer, &on(&fixed_ref, "messages"), message, 201).await;
    let note = json!({"body": "Internal only.", "internal": true});
    staff_post(&app, &bearer, &on(&fixed_ref, "messages"), note, 201).await;
    let reply = Client::new()
        .post(app.at(&format!("/api/v1/track/{token}/messages")))
        .json(&json!({"body": REPLY}))
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), 201);
    let update_request = app.at(&format!("/track/{token}/update-request"));
    for expected in [303, 409] {
        let asked = no_redirects()
            .post(&update_request)
            .send()
            .await
            .expect("sent");
        assert_eq!(asked.status(), expected, "the second request is too soon");
    }
    for to in ["triaged", "assigned", "remediated"] {
        staff_post(
            &app,
            &bearer,
            &on(&fixed_ref, "transition"),
            json!({"to": to}),
            200,
        )
        .await;
    }
    let triaged = json!({"to": "triaged"});
    staff_post(&app, &bearer, &on(&closed_ref, "transition"), triaged, 200).await;
    let informative = json!({"to": "informative", "reason": REASON});
    staff_post(
        &app,
        &bearer,
        &on(&closed_ref, "transition"),
        informative,
        200,
    )
    .await;

    let mail = sink.wait_for(12).await;
    let mut delivered: BTreeMap<(String, String), Vec<&Received>> = BTreeMap::new();
    for one in &mail {
        let key = (one.header("To"), one.header("Subject"));
        delivered.entry(key).or_default().push(one);
    }
    let to = |recipient: &str, reference: &str, subject: &str| {
        (recipient.to_owned(), format!("[{reference}] {subject}"))
    };
    let expected = [
        to(FINDER, &fixed_ref, "We received your report"),
        to(FINDER, &closed_ref, "We received your report"),
        to(STAFF, &fixed_ref, "New vulnerability report"),
        to(STAFF, &closed_ref, "New vulnerability report"),
        to(
            FINDER,
            &fixed_ref,
            "We need more information about your report",
        ),
        to(FINDER, &fixed_ref, "A new message about your report"),
        to(STAFF, &fixed_ref, "The finder replied"),
        to(STAFF, &fixed_ref, "The finder asked for an update"),
        to(FINDER, &fixed_ref, "The triage of your report is done"),
        to(FINDER, &fixed_ref, "The issue you reported is remediated"),
        to(FINDER, &closed_ref, "The triage of your report is done"),
        to(FINDER, &closed_ref, "Your report is closed"),
    ];
    assert_eq!(mail.len(), expected.len(), "{:?}", delivered.keys());
    for key in &expected {
        let arrived = delivered.get(key).map_or(0, Vec::len);
        assert_eq!(arrived, 1, "{key:?} arrived {arrived} times");
    }

    let closed_token = text(&closed, "tracking_token");
    for one in &mail {
        assert!(
            one.header("Content-Type").starts_with("text/plain"),
            "{}",
            one.raw
        );
        assert_no_details(one, &token);
        assert_no_details(one, &closed_token);
        for secret in [MESSAGE, REPLY, REASON, "Internal only."] {
            assert!(!one.text.contains(secret), "{secret:?} in\n{}", one.text);
        }
    }
    let body = |recipient: &str, reference: &str, subject: &str| {
        delivered[&to(recipient, reference, subject)][0]
            .text
            .clone()
    };
    let staff_link = format!("{}/staff/reports/{fixed_ref}", app.url);
    for subject in ["The finder replied", "The finder asked for an update"] {
        let notice = body(STAFF, &fixed_ref, subject);
        assert!(notice.contains(&staff_link), "{notice}");
        assert!(!notice.contains("Ada"), "{notice}");
    }
    let asked = body(
        FINDER,
        &fixed_ref,
        "We need more information about your report",
    );
    assert!(asked.contains("we need some more information"), "{asked}");
    let triage = body(FINDER, &fixed_ref, "The triage of your report is done");
    assert!(triage.contains("The outcome: triaged."), "{triage}");
    let fix = body(FINDER, &fixed_ref, "The issue you reported is remediated");
    assert!(fix.contains("retest"), "{fix}");
    let closing = body(FINDER, &closed_ref, "Your report is closed");
    assert!(
        closing.contains("The outcome: closed as informative."),
        "{closing}"
    );
}

#[tokio::test]
async fn a_message_to_a_finder_with_a_key_is_pgp_mime_that_gpg_opens() {
    if !tools_present(true) {
        return;
    }
    let gpg = FinderGpg::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let sink = SmtpSink::start(&dir.path().join("inbox"), 0);
    let app = TestApp::start_with(&as_strs(&mail_args(sink.port)));
    let mut report = full_report();
    report["contact"]["pgp_key"] = Value::String(gpg.public_key());
    let created = app.submit(&report).await;
    let reference = text(&created, "reference");
    let token = text(&created, "tracking_token");
    create_first_admin(&app).await;
    let bearer = api_token(&app, ADMIN_EMAIL);
    let message = json!({"body": MESSAGE, "internal": false});
    let path = format!("/api/v1/reports/{reference}/messages");
    staff_post(&app, &bearer, &path, message, 201).await;

    let mail = sink.wait_for(3).await;
    assert_eq!(mail.len(), 3, "acknowledgement, staff notice, message");
    let subject = format!("[{reference}] A new message about your report");
    let news: Vec<&Received> = mail
        .iter()
        .filter(|m| m.header("Subject") == subject)
        .collect();
    let [news] = news.as_slice() else {
        panic!("{} mails about the message", news.len());
    };
    assert_eq!(news.header("To"), FINDER);
    assert!(news
        .header("Content-Type")
        .starts_with("multipart/encrypted;"));
    assert_no_details(news, &token);
    assert!(!news.raw.contains(MESSAGE), "{}", news.raw);
    let decrypted = Received::parse(&gpg.decrypt(news.armored_message()));
    for expected in [
        MESSAGE,
        "SQL injection in product search",
        &reference,
        "encrypted to the OpenPGP key you gave",
    ] {
        assert!(
            decrypted.text.contains(expected),
            "{expected:?} in\n{}",
            decrypted.text
        );
    }
}
