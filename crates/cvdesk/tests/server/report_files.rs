//! Files over a report's life: a tracking link adds files only while the report is open
//! and within what one report may receive, and admins purge a report closed as spam with
//! its files (bytes another report names stay).

use std::io::Write;
use std::path::Path;

use reqwest::multipart::{Form, Part};
use reqwest::Client;
use serde_json::json;

use crate::app::TestApp;
use crate::staff::{
    api_token, cli, create_first_admin, csrf_token, sign_in, ADMIN_EMAIL, ADMIN_PASSWORD,
};

/// A report sent with the form and `files`; its reference and tracking link.
async fn report_with(app: &TestApp, files: &[(&str, Vec<u8>)]) -> (String, String) {
    let mut form = Form::new()
        .text("title", "Directory listing on the CDN")
        .text("summary", "/assets/ lists every file.")
        .text("steps_to_reproduce", "GET /assets/")
        .text("impact", "Unpublished files are readable.");
    for (name, content) in files {
        form = form.part(
            "attachments",
            Part::bytes(content.clone()).file_name(name.to_string()),
        );
    }
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let receipt = response.text().await.expect("html");
    let value = |marker: &str, end: char| -> String {
        let start = receipt.find(marker).expect(marker) + marker.len();
        receipt[start..].chars().take_while(|c| *c != end).collect()
    };
    let link = value("id=\"tracking-url\" href=\"", '"');
    let reference_start = receipt.find("CVD-").expect("reference");
    let reference: String = receipt[reference_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (reference, link)
}

/// The finder's reply from the tracking page; the answer's status and page.
async fn reply(
    app: &TestApp,
    link: &str,
    text: &str,
    file: Option<(&str, Vec<u8>)>,
) -> (u16, String) {
    let mut form = Form::new().text("body", text.to_owned());
    if let Some((name, content)) = file {
        form = form.part(
            "attachments",
            Part::bytes(content).file_name(name.to_owned()),
        );
    }
    let response = app
        .client
        .post(format!("{link}/messages"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("html"))
}

async fn move_report(app: &TestApp, token: &str, reference: &str, to: &str, reason: &str) {
    let response = app
        .client
        .post(app.at(&format!("/api/v1/reports/{reference}/transition")))
        .bearer_auth(token)
        .json(&json!({"to": to, "reason": reason}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
}

/// The attachment files stored under the data folder.
fn stored_files(data: &Path) -> usize {
    fn count(folder: &Path) -> usize {
        std::fs::read_dir(folder).map_or(0, |entries| {
            entries
                .map(|entry| entry.expect("entry").path())
                .map(|path| if path.is_dir() { count(&path) } else { 1 })
                .sum()
        })
    }
    count(&data.join("blobs"))
}

async fn admin(app: &TestApp) -> (Client, String) {
    create_first_admin(app).await;
    let (browser, status) = sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    (browser, api_token(app, ADMIN_EMAIL))
}

#[tokio::test]
async fn a_closed_report_takes_no_more_files_but_still_takes_words() {
    let app = TestApp::start();
    let (_, token) = admin(&app).await;
    let (reference, link) = report_with(&app, &[]).await;
    move_report(
        &app,
        &token,
        &reference,
        "informative",
        "Known and accepted.",
    )
    .await;
    let page = app
        .client
        .get(&link)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        !page.contains("name=\"attachments\""),
        "no file field on a closed report"
    );
    assert!(page.contains("takes no more files"), "{page}");

    let (status, page) = reply(
        &app,
        &link,
        "Here is one more capture.",
        Some(("late.pcap", vec![9; 2048])),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("This report is closed and takes no more files"),
        "{page}"
    );
    assert!(
        page.contains("Here is one more capture."),
        "the text is kept"
    );
    assert_eq!(
        stored_files(app.data_dir()),
        0,
        "nothing of the file was kept"
    );

    let (status, _) = reply(&app, &link, "Thank you for looking at it.", None).await;
    assert_eq!(status, 303, "words alone still reach the team");
}

#[tokio::test]
async fn a_report_takes_files_up_to_its_limit_over_its_life() {
    let mut config = tempfile::NamedTempFile::new().expect("config");
    writeln!(
        config,
        "[attachments]\nmax_file_bytes = 20000\nmax_total_bytes = 20000\nmax_report_bytes = 30000"
    )
    .expect("written");
    let app = TestApp::start_with(&["--config", config.path().to_str().expect("path")]);
    let (_, link) = report_with(&app, &[("first.bin", vec![1; 15_000])]).await;

    let (status, _) = reply(&app, &link, "More.", Some(("second.bin", vec![2; 10_000]))).await;
    assert_eq!(status, 303);
    let (status, page) = reply(
        &app,
        &link,
        "Even more.",
        Some(("third.bin", vec![3; 10_000])),
    )
    .await;
    assert_eq!(
        status, 422,
        "15,000 + 10,000 + 10,000 bytes pass the 30,000 limit"
    );
    assert!(
        page.contains("has received its limit of 29 KiB of files"),
        "{page}"
    );
    assert!(page.contains("Even more."), "the text is kept");
    let (status, _) = reply(
        &app,
        &link,
        "The rest.",
        Some(("fourth.bin", vec![4; 5_000])),
    )
    .await;
    assert_eq!(status, 303, "what still fits is taken");
    assert_eq!(stored_files(app.data_dir()), 3);
}

#[tokio::test]
async fn an_admin_purges_a_spam_report_and_its_files() {
    let app = TestApp::start();
    let (browser, token) = admin(&app).await;
    let shared = b"the same screenshot in two reports".to_vec();
    let (spam, spam_link) = report_with(
        &app,
        &[
            ("casino.html", vec![7; 4096]),
            ("shared.png", shared.clone()),
        ],
    )
    .await;
    let (status, _) = reply(
        &app,
        &spam_link,
        "Buy now!",
        Some(("more.html", vec![8; 4096])),
    )
    .await;
    assert_eq!(status, 303);
    let (_, real_link) = report_with(&app, &[("shared.png", shared.clone())]).await;
    assert_eq!(
        stored_files(app.data_dir()),
        3,
        "the shared bytes are stored once"
    );

    // Open, or closed for another reason: refused, and nothing goes.
    let purge = |reference: &str| {
        app.client
            .post(app.at(&format!("/api/v1/reports/{reference}/purge")))
            .bearer_auth(&token)
            .send()
    };
    let refused = purge(&spam).await.expect("sent");
    assert_eq!(refused.status(), 409);
    let message = refused.text().await.expect("body");
    assert!(message.contains("closed as spam"), "{message}");

    move_report(&app, &token, &spam, "not_applicable", "spam").await;
    let url = app.at(&format!("/staff/reports/{spam}"));
    let page = browser
        .get(&url)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("id=\"purge-report\""),
        "admins see the button"
    );

    // A triager may close spam but not purge it.
    let (code, out) = cli(
        &app,
        &[
            "user",
            "add",
            "--email",
            "tri@example.org",
            "--role",
            "triager",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let triager = api_token(&app, "tri@example.org");
    let forbidden = app
        .client
        .post(app.at(&format!("/api/v1/reports/{spam}/purge")))
        .bearer_auth(&triager)
        .send()
        .await
        .expect("sent");
    assert_eq!(forbidden.status(), 403);

    // The box must be ticked.
    let unconfirmed = browser
        .post(format!("{url}/purge"))
        .form(&[("csrf_token", csrf_token(&page))])
        .send()
        .await
        .expect("sent");
    assert_eq!(unconfirmed.status(), 422);
    assert_eq!(stored_files(app.data_dir()), 3);

    let purged = browser
        .post(format!("{url}/purge"))
        .form(&[
            ("csrf_token", csrf_token(&page)),
            ("confirm", "yes".to_owned()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(purged.status(), 200);
    let done = purged.text().await.expect("html");
    assert!(done.contains(&format!("{spam} purged")), "{done}");
    assert!(done.contains("3 file(s)"), "{done}");

    assert_eq!(browser.get(&url).send().await.expect("sent").status(), 404);
    assert_eq!(
        app.client
            .get(&spam_link)
            .send()
            .await
            .expect("sent")
            .status(),
        404
    );
    assert_eq!(
        stored_files(app.data_dir()),
        1,
        "the spam's own files are gone, the bytes another report names stay"
    );
    let real = app
        .client
        .get(&real_link)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let start = real.find("/attachments/").expect("download link") + 13;
    let id: String = real[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let download = app
        .client
        .get(format!("{real_link}/attachments/{id}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        download.bytes().await.expect("bytes").as_ref(),
        shared.as_slice()
    );

    let audit = browser
        .get(app.at("/staff/audit"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(audit.contains("report.purged"), "{audit}");
    assert!(audit.contains(&spam), "{audit}");
    assert_eq!(
        purge(&spam).await.expect("sent").status(),
        404,
        "gone for good"
    );
}
