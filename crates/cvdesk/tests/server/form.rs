//! The HTML report form: multipart with attachments, and bad input that keeps the
//! finder's text.

use reqwest::multipart::{Form, Part};

use crate::app::TestApp;

fn filled_form() -> Form {
    Form::new()
        .text("title", "Stored XSS in <comments>")
        .text("asset", "support.example.org")
        .text("weakness", "CWE-79")
        .text("severity", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")
        .text("summary", "Comments are rendered without escaping.")
        .text(
            "steps_to_reproduce",
            "1. Post <script>alert(1)</script>\r\n2. Reload",
        )
        .text("impact", "Account takeover of support staff.")
        .text("mitigation", "Escape on output.")
        .text("contact_name", "Grace")
        .text("contact_email", "grace@example.org")
        .text("credit", "yes")
}

fn tracking_link(html: &str) -> String {
    let start = html
        .find("id=\"tracking-url\" href=\"")
        .expect("tracking link")
        + 24;
    let end = html[start..].find('"').expect("end of link") + start;
    html[start..end].to_owned()
}

#[tokio::test]
async fn a_form_with_an_attachment_is_stored_and_downloadable() {
    let app = TestApp::start();
    let poc = "<html><script>alert(document.domain)</script></html>";
    let form = filled_form().part(
        "attachments",
        Part::bytes(poc.as_bytes().to_vec())
            .file_name("../poc.html")
            .mime_str("text/html")
            .expect("mime"),
    );
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let receipt = response.text().await.expect("html");
    assert!(receipt.contains("-0001"), "reference shown");
    let link = tracking_link(&receipt);
    assert!(link.starts_with(&app.url));

    let page = app.client.get(&link).send().await.expect("sent");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("Stored XSS in &#60;comments&#62;")
            || html.contains("Stored XSS in &lt;comments&gt;"),
        "title escaped"
    );
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "finder text is escaped"
    );
    assert!(html.contains("poc.html"));
    let href_start = html.find("/attachments/").expect("download link");
    let id: String = html[href_start + 13..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();

    let download = app
        .client
        .get(format!("{link}/attachments/{id}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.headers()["content-type"],
        "application/octet-stream"
    );
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .expect("ascii");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("poc.html") && !disposition.contains(".."),
        "{disposition}"
    );
    assert_eq!(download.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        download.bytes().await.expect("bytes").as_ref(),
        poc.as_bytes()
    );
}

#[tokio::test]
async fn a_missing_field_re_renders_the_form_with_everything_kept() {
    let app = TestApp::start();
    let form = Form::new()
        .text("title", "Token leak in \"logs\"")
        .text("summary", "Secrets are logged.")
        .text("steps_to_reproduce", "Read the logs.")
        .text("weakness", "CWE-abc")
        .text("contact_email", "x@example.org")
        .text("credit", "yes")
        .text("contact_name", "Linus");
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("html");
    assert!(html.contains("class=\"error-summary\""));
    assert!(html.contains("id=\"impact-error\""));
    assert!(html.contains("id=\"weakness-error\""));
    assert!(
        html.contains("value=\"Token leak in &#34;logs&#34;\"")
            || html.contains("value=\"Token leak in &quot;logs&quot;\""),
        "title kept"
    );
    assert!(html.contains("\nSecrets are logged.</textarea>"));
    assert!(html.contains("\nRead the logs.</textarea>"));
    assert!(html.contains("value=\"CWE-abc\""));
    assert!(html.contains("value=\"x@example.org\""));
    assert!(html.contains("value=\"Linus\""));
    assert!(html.contains("value=\"yes\" checked"));
    let api = app
        .get("/api/v1/track/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await;
    assert_eq!(api.status(), 404);
}

#[tokio::test]
async fn an_oversized_file_keeps_the_text_and_names_the_file() {
    let app = TestApp::start_with(&["--attachment-max-file-bytes", "1024"]);
    let form = filled_form().part(
        "attachments",
        Part::bytes(vec![b'A'; 4096]).file_name("dump.bin"),
    );
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("html");
    assert!(html.contains("id=\"attachments-error\""));
    assert!(html.contains("dump.bin"), "the file is named");
    assert!(html.contains("1 KiB"), "the limit is stated");
    assert!(html.contains("\nComments are rendered without escaping.</textarea>"));
    assert!(html.contains("attach them again"));

    let too_many = (0..3).fold(filled_form(), |form, i| {
        form.part(
            "attachments",
            Part::bytes(vec![b'B'; 10]).file_name(format!("f{i}.txt")),
        )
    });
    let app = TestApp::start_with(&["--attachment-max-files", "2"]);
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(too_many)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    assert!(response
        .text()
        .await
        .expect("html")
        .contains("At most 2 files"));
}

#[tokio::test]
async fn a_body_over_the_hard_limit_gets_413_and_malformed_multipart_400() {
    let app = TestApp::start_with(&["--attachment-max-total-bytes", "1024"]);
    let form = filled_form().part(
        "attachments",
        Part::bytes(vec![0u8; 3 * 1024 * 1024]).file_name("big.bin"),
    );
    // A client of its own: the server refuses the body unread and closes the connection,
    // which may also cut the upload short (then there is no status to read).
    let response = reqwest::Client::new()
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await;
    if let Ok(response) = response {
        assert_eq!(response.status(), 413);
    }

    let response = app
        .client
        .post(app.at("/report"))
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nunterminated")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
    let html = response.text().await.expect("html");
    assert!(html.contains("could not be read"));

    let response = app
        .client
        .post(app.at("/report"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("title=x")
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_client_error(), "{}", response.status());

    let created = app.submit(&crate::app::anonymous_report()).await;
    assert!(created["reference"]
        .as_str()
        .is_some_and(|r| r.ends_with("-0001")));
}

#[tokio::test]
async fn the_empty_form_has_every_template_field_with_a_label() {
    let app = TestApp::start();
    let html = app.get("/report").await.text().await.expect("html");
    for name in [
        "title",
        "asset",
        "weakness",
        "severity",
        "summary",
        "steps_to_reproduce",
        "impact",
        "mitigation",
        "attachments",
        "contact_name",
        "contact_email",
        "contact_pgp_key",
        "credit",
    ] {
        assert!(html.contains(&format!("name=\"{name}\"")), "field {name}");
        assert!(
            html.contains(&format!("<label for=\"{name}\"")),
            "label for {name}"
        );
    }
    assert!(html.contains("enctype=\"multipart/form-data\""));
    assert!(
        html.contains("<option value=\"CWE-79\">"),
        "weakness picker"
    );
}
