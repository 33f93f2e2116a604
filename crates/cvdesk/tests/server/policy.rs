//! The disclosure policy and security.txt over HTTP: versions, bad edits that keep the
//! text and publish nothing, and the file for configured and unknown host names.

use reqwest::Client;

use crate::app::TestApp;
use crate::staff::{csrf_token, signed_in_account};

async fn text(client: &Client, url: String) -> (u16, String) {
    let response = client.get(url).send().await.expect("sent");
    (
        response.status().as_u16(),
        response.text().await.expect("text"),
    )
}

#[tokio::test]
async fn edits_publish_versions_and_bad_ones_publish_nothing() {
    let app = TestApp::start();
    let anyone = Client::new();
    let (status, page) = text(&anyone, app.at("/policy")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Version 1, published"), "{page}");
    assert!(page.contains("within 5 working days"), "{page}");

    let admin = signed_in_account(&app, "admin@example.org", "admin", &[]).await;
    let (_, form) = text(&admin, app.at("/staff/policy")).await;
    let csrf = csrf_token(&form);
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let mut body = vec![("csrf_token", csrf.as_str())];
        body.extend(fields);
        admin.post(app.at("/staff/policy")).form(&body).send()
    };
    let refused = post(vec![
        ("introduction", "We <3 finders."),
        ("contact_channels", "http://example.org/contact"),
        ("response_days", "0"),
        ("triage_days", "10"),
        ("remediation_days", "90"),
        ("hiring_url", "jobs"),
    ])
    .await
    .expect("sent");
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.expect("html");
    for id in [
        "contact_channels-error",
        "response_days-error",
        "hiring_url-error",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
    }
    assert!(
        html.contains("We &#60;3 finders."),
        "the typed text is kept"
    );
    let (_, page) = text(&anyone, app.at("/policy")).await;
    assert!(
        page.contains("Version 1, published"),
        "nothing was published"
    );

    let published = post(vec![
        ("introduction", "We welcome reports."),
        ("contact_channels", "mailto:security@example.org"),
        ("response_days", "3"),
        ("triage_days", "7"),
        ("remediation_days", "60"),
        ("languages", "en, fr"),
        ("rewards", "yes"),
    ])
    .await
    .expect("sent");
    assert_eq!(published.status(), 303);
    let (_, page) = text(&anyone, app.at("/policy")).await;
    assert!(page.contains("Version 2, published"), "{page}");
    assert!(page.contains("within 3 working days"));
    assert!(page.contains("mailto:security@example.org"));
    let (status, old) = text(&anyone, app.at("/policy/versions/1")).await;
    assert_eq!(status, 200);
    assert!(old.contains("earlier version") && old.contains("within 5 working days"));
    for missing in ["/policy/versions/3", "/policy/versions/x"] {
        assert_eq!(text(&anyone, app.at(missing)).await.0, 404, "{missing}");
    }
    let (_, audit) = text(&admin, app.at("/staff/audit")).await;
    assert!(audit.contains("policy.publish"), "{audit}");

    let (_, file) = text(&anyone, app.at("/.well-known/security.txt")).await;
    assert!(
        file.contains("Contact: mailto:security@example.org\n"),
        "{file}"
    );
    assert!(file.contains("Preferred-Languages: en, fr\n"), "{file}");
}

#[tokio::test]
async fn security_txt_names_itself_only_for_configured_hosts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("cvdesk.toml");
    std::fs::write(&config, "security_txt_hosts = [\"www.example.org\"]\n").expect("written");
    let app = TestApp::start_with(&[
        "--public-url",
        "https://security.example.org",
        "--config",
        config.to_str().expect("utf-8"),
    ]);
    let fetch = |host: &'static str| {
        Client::new()
            .get(app.at("/.well-known/security.txt"))
            .header("host", host)
            .send()
    };
    for (host, canonical) in [
        ("www.example.org", Some("www.example.org")),
        ("SECURITY.example.org:443", Some("security.example.org")),
        ("attacker.example", None),
    ] {
        let response = fetch(host).await.expect("sent");
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        let file = response.text().await.expect("text");
        assert!(
            file.starts_with("Contact: https://security.example.org/report\n"),
            "{file}"
        );
        match canonical {
            Some(name) => assert!(
                file.contains(&format!(
                    "Canonical: https://{name}/.well-known/security.txt\n"
                )),
                "{host}: {file}"
            ),
            None => assert!(!file.contains("Canonical"), "{host}: {file}"),
        }
        let (code, report) = crate::app::run_cli(&["securitytxt", "lint", "-"], &file);
        assert_eq!(code, Some(0), "{host}: {report}");
    }
    let redirect = app.get("/security.txt").await;
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/.well-known/security.txt");
}

#[tokio::test]
async fn a_bad_policy_in_the_configuration_stops_the_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("cvdesk.toml");
    std::fs::write(
        &config,
        "[policy]\ncontact_channels = [\"http://example.org\"]\n",
    )
    .expect("written");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(&config)
        .env_remove("CVDESK_DATABASE_URL")
        .output()
        .expect("ran");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("policy.contact_channels"), "{stderr}");
}

#[tokio::test]
async fn a_fixed_report_names_no_one_until_its_finder_agrees_to_a_credit() {
    let app = TestApp::start();
    // The report is routed to a product, as being assigned requires.
    let (code, out) = crate::staff::cli(
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
    let created = app.submit(&crate::app::full_report()).await;
    let reference = created["reference"].as_str().expect("reference").to_owned();
    app.submit(&crate::app::anonymous_report()).await;
    let anyone = Client::new();
    let (status, page) = text(&anyone, app.at("/thanks")).await;
    assert_eq!(status, 200);
    assert!(page.contains("No one to thank by name yet"), "{page}");

    crate::staff::create_first_admin(&app).await;
    let token = crate::staff::api_token(&app, crate::staff::ADMIN_EMAIL);
    for to in ["triaged", "assigned", "remediated"] {
        let response = anyone
            .post(app.at(&format!("/api/v1/reports/{reference}/transition")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"to": to}))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{to}");
    }
    // Asking for credit on the form is not consent to a name on the page: the finder
    // agrees to a credit proposed with an advisory (tests/server/advisories_flow.rs).
    let (_, page) = text(&anyone, app.at("/thanks")).await;
    assert!(page.contains("No one to thank by name yet"), "{page}");
    assert!(!page.contains("Ada"), "{page}");
    let (_, file) = text(&anyone, app.at("/.well-known/security.txt")).await;
    assert!(file.contains("/thanks\n"), "{file}");

    // A policy that thanks no one by name has no such page and no such field.
    let admin = signed_in_account(&app, "boss@example.org", "admin", &[]).await;
    let (_, form) = text(&admin, app.at("/staff/policy")).await;
    let csrf = csrf_token(&form);
    let published = admin
        .post(app.at("/staff/policy"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("introduction", "We welcome reports."),
            ("response_days", "5"),
            ("triage_days", "10"),
            ("remediation_days", "90"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(published.status(), 303);
    assert_eq!(text(&anyone, app.at("/thanks")).await.0, 404);
    let (_, file) = text(&anyone, app.at("/.well-known/security.txt")).await;
    assert!(!file.contains("Acknowledgments"), "{file}");
}
