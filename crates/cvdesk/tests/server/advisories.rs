//! Advisories through the real server: the staff API (bad input refused with a message per
//! field and nothing stored; draft, edit, publish, revise, withdraw), the public pages and
//! feeds, and the CSAF trusted provider's files checked with sha256sum, sha512sum and gpg.

use std::process::Command;

use reqwest::header::AUTHORIZATION;
use reqwest::{Client, Response};
use serde_json::{json, Value};

use crate::app::{full_report, TestApp};
use crate::gnupg::Gpg;
use crate::staff::{api_token, cli, create_first_admin, signed_in_account};

pub fn advisory_body(reference: &str) -> Value {
    json!({
        "title": "Shop: SQL injection in product search",
        "summary": "The search box lets an attacker read the customer database.",
        "description": "The `q` parameter is concatenated into SQL.",
        "impact": "Full read access to the customer database.",
        "remediation": "Upgrade the shop to 4.2.1.",
        "tlp": "TLP:CLEAR",
        "reports": [reference],
        "vulnerabilities": [{
            "cwe": "CWE-89",
            "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "cves": ["CVE-2026-12345"],
            "products": [{"name": "Example Shop", "affected": ["< 4.2.1"], "fixed": ["4.2.1"]}]
        }]
    })
}

pub struct Publisher {
    pub app: TestApp,
    pub token: String,
    pub browser: Client,
    pub reference: String,
    pub tracking_token: String,
}

/// A desk with an organization key, a publisher and a finder's report.
pub async fn publisher_desk(args: &[&str]) -> Publisher {
    let app = TestApp::start_with(args);
    create_first_admin(&app).await;
    let (code, out) = cli(
        &app,
        &[
            "pgp",
            "generate",
            "--name",
            "Example Security",
            "--email",
            "security@example.org",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let browser = signed_in_account(&app, "publisher@example.org", "publisher", &[]).await;
    let token = api_token(&app, "publisher@example.org");
    let report = app.submit(&full_report()).await;
    Publisher {
        reference: report["reference"].as_str().expect("reference").to_owned(),
        tracking_token: report["tracking_token"].as_str().expect("token").to_owned(),
        app,
        token,
        browser,
    }
}

impl Publisher {
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .app
            .client
            .request(method, self.app.at(path))
            .header(AUTHORIZATION, format!("Bearer {}", self.token));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> Response {
        self.app
            .client
            .get(self.app.at(path))
            .send()
            .await
            .expect("sent")
    }

    pub async fn text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        (
            response.status().as_u16(),
            response.text().await.expect("body"),
        )
    }
}

#[tokio::test]
async fn bad_advisories_are_refused_field_by_field_and_nothing_is_stored() {
    let desk = publisher_desk(&[]).await;
    let mut body = advisory_body(&desk.reference);
    body["title"] = json!("");
    body["tlp"] = json!("TLP:WHITE");
    body["vulnerabilities"][0]["cwe"] = json!("CWE-999999");
    body["vulnerabilities"][0]["cves"] = json!(["CVE-26-1"]);
    body["vulnerabilities"][0]["products"][0]["affected"] = json!(["> 4"]);
    body["reports"] = json!(["CVD-2026-9999"]);
    let (status, refused) = desk.api("POST", "/api/v1/advisories", Some(body)).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid_advisory");
    let fields = refused["error"]["fields"].as_object().expect("fields");
    for field in [
        "title",
        "tlp",
        "vulnerabilities[0].cwe",
        "vulnerabilities[0].cves[0]",
        "vulnerabilities[0].products[0].affected[0]",
    ] {
        assert!(fields.contains_key(field), "{field}: {refused}");
    }
    // A report that does not exist is named too, and takes no advisory number.
    let mut unknown = advisory_body("CVD-2026-9999");
    unknown["reports"] = json!(["CVD-2026-9999"]);
    let (status, refused) = desk.api("POST", "/api/v1/advisories", Some(unknown)).await;
    assert_eq!(status, 422, "{refused}");
    for bad in [json!([1, 2]), json!("text")] {
        let (status, _) = desk.api("POST", "/api/v1/advisories", Some(bad)).await;
        assert!(matches!(status, 400 | 422), "{status}");
    }
    let (_, listed) = desk.api("GET", "/api/v1/advisories", None).await;
    assert_eq!(listed["items"], json!([]), "nothing stored");
    let (status, created) = desk
        .api(
            "POST",
            "/api/v1/advisories",
            Some(advisory_body(&desk.reference)),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["id"],
        json!(format!("CVD-SA-{}-0001", &desk.reference[4..8]))
    );
    // Nothing of it is public yet.
    let id = created["id"].as_str().expect("id");
    assert_eq!(desk.get(&format!("/advisories/{id}")).await.status(), 404);
    assert!(!desk.text("/advisories").await.1.contains(id));
    let (status, _) = desk
        .api("GET", "/api/v1/advisories/CVD-SA-2026-9999", None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = desk.api("GET", "/api/v1/advisories/not-an-id", None).await;
    assert_eq!(status, 404);
    let (status, refused) = desk
        .api(
            "POST",
            &format!("/api/v1/advisories/{id}/withdraw"),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(status, 409, "a draft is not withdrawn: {refused}");
}

fn check_sums(dir: &std::path::Path, file: &str, json: &[u8], sums: &[(&str, String)]) {
    std::fs::write(dir.join(file), json).expect("written");
    for (tool, content) in sums {
        let sum_file = dir.join(format!("{file}.{tool}"));
        std::fs::write(&sum_file, content).expect("written");
        let checked = Command::new(format!("{tool}sum"))
            .arg("-c")
            .arg(&sum_file)
            .current_dir(dir)
            .output()
            .expect("runs");
        assert!(checked.status.success(), "{tool}: {checked:?}");
    }
}

#[tokio::test]
async fn a_published_advisory_is_served_in_every_format_and_revised_in_place() {
    let desk = publisher_desk(&[]).await;
    let (_, created) = desk
        .api(
            "POST",
            "/api/v1/advisories",
            Some(advisory_body(&desk.reference)),
        )
        .await;
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, patched) = desk
        .api(
            "PATCH",
            &format!("/api/v1/advisories/{id}"),
            Some(json!({"title": "Example Shop: SQL injection in product search"})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        patched["title"],
        "Example Shop: SQL injection in product search"
    );
    assert_eq!(patched["reports"], json!([desk.reference]));
    let (status, published) = desk
        .api(
            "POST",
            &format!("/api/v1/advisories/{id}/publish"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["version"], 1);
    let html_url = published["urls"]["html"].as_str().expect("html");
    assert_eq!(html_url, desk.app.at(&format!("/advisories/{id}")));
    let csaf_url = published["urls"]["csaf"].as_str().expect("csaf").to_owned();
    assert!(
        csaf_url.starts_with(&desk.app.at("/.well-known/csaf/white/")),
        "{csaf_url}"
    );
    assert!(published["urls"]["osv"]
        .as_str()
        .expect("osv")
        .starts_with("http"));

    let (status, page) = desk.text(&format!("/advisories/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Example Shop: SQL injection") && page.contains("CVE-2026-12345"));
    assert!(page.contains("<code>q</code>"), "Markdown rendered");
    assert!(desk.text("/advisories").await.1.contains(&id));
    let (_, atom) = desk.text("/advisories.atom").await;
    assert!(atom.contains(&format!("<id>{html_url}</id>")), "{atom}");
    let osv: Value = desk
        .get(&format!("/advisories/{id}/osv.json"))
        .await
        .json()
        .await
        .expect("osv");
    assert_eq!(osv["id"], json!(format!("x_{id}")));
    assert_eq!(osv["aliases"], json!(["CVE-2026-12345"]));
    // Without a CNA id the desk writes no CVE record.
    assert_eq!(
        desk.get(&format!("/advisories/{id}/cve/CVE-2026-12345.json"))
            .await
            .status(),
        404
    );

    // The CSAF provider: metadata, index, changes, feed, the document and its files.
    let metadata: Value = desk
        .get("/.well-known/csaf/provider-metadata.json")
        .await
        .json()
        .await
        .expect("metadata");
    assert_eq!(metadata["role"], "csaf_trusted_provider");
    let key = &metadata["public_openpgp_keys"][0];
    let fingerprint = key["fingerprint"].as_str().expect("fingerprint").to_owned();
    let path = csaf_url.split("/white/").nth(1).expect("path").to_owned();
    let (_, index) = desk.text("/.well-known/csaf/white/index.txt").await;
    assert_eq!(index, format!("{path}\n"));
    let (_, changes) = desk.text("/.well-known/csaf/white/changes.csv").await;
    assert!(changes.starts_with(&format!("{path},")), "{changes}");
    let feed: Value = desk
        .get("/.well-known/csaf/white/csaf-feed-tlp-white.json")
        .await
        .json()
        .await
        .expect("feed");
    assert_eq!(feed["feed"]["entry"][0]["id"], json!(id));
    let document = desk.get(&format!("/.well-known/csaf/white/{path}")).await;
    assert_eq!(
        document
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().ok()),
        Some(Some("*"))
    );
    let json = document.bytes().await.expect("document").to_vec();
    let parsed: Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(parsed["document"]["tracking"]["id"], json!(id));
    let dir = tempfile::tempdir().expect("dir");
    let file = path.rsplit('/').next().expect("file");
    let sums = [
        (
            "sha256",
            desk.text(&format!("/.well-known/csaf/white/{path}.sha256"))
                .await
                .1,
        ),
        (
            "sha512",
            desk.text(&format!("/.well-known/csaf/white/{path}.sha512"))
                .await
                .1,
        ),
    ];
    check_sums(dir.path(), file, &json, &sums);
    let (status, signature) = desk
        .text(&format!("/.well-known/csaf/white/{path}.asc"))
        .await;
    assert_eq!(status, 200, "{signature}");
    let (status, public_key) = desk
        .text(&format!("/.well-known/csaf/openpgp/{fingerprint}.asc"))
        .await;
    assert_eq!(status, 200);
    if let Some(gpg) = Gpg::new() {
        gpg.ok(&["--import"], public_key.as_bytes());
        std::fs::write(dir.path().join(format!("{file}.asc")), &signature).expect("written");
        let verified = gpg.run(
            &[
                "--verify",
                &dir.path().join(format!("{file}.asc")).to_string_lossy(),
                &dir.path().join(file).to_string_lossy(),
            ],
            b"",
        );
        assert!(verified.status.success(), "{verified:?}");
    }
    let (_, security_txt) = desk.text("/.well-known/security.txt").await;
    assert!(security_txt.contains("CSAF: ") && security_txt.contains("provider-metadata.json"));

    // A revision needs its summary, replaces the document in place and shows its diff.
    let (status, refused) = desk
        .api(
            "POST",
            &format!("/api/v1/advisories/{id}/publish"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"]["fields"]["summary"].is_string());
    desk.api(
        "PATCH",
        &format!("/api/v1/advisories/{id}"),
        Some(json!({"impact": "Full read access to the customer and order databases."})),
    )
    .await;
    let (status, revised) = desk
        .api(
            "POST",
            &format!("/api/v1/advisories/{id}/publish"),
            Some(json!({"summary": "The order database is exposed too."})),
        )
        .await;
    assert_eq!(status, 200, "{revised}");
    assert_eq!(revised["version"], 2);
    assert_eq!(revised["urls"]["csaf"], json!(csaf_url), "the same place");
    let (_, page) = desk.text(&format!("/advisories/{id}")).await;
    assert!(page.contains("The order database is exposed too."));
    assert!(
        page.contains("<ins>and order </ins>") || page.contains("<ins>"),
        "{page}"
    );
    let revised_document: Value = desk
        .get(&format!("/.well-known/csaf/white/{path}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(revised_document["document"]["tracking"]["version"], "2");
    // The directory's list files are kept between requests; the revision renders them
    // again with its date.
    let (_, revised_changes) = desk.text("/.well-known/csaf/white/changes.csv").await;
    assert_eq!(revised_changes.lines().count(), 1);
    assert_ne!(revised_changes, changes, "the revision's date");
    let revised_date = revised_document["document"]["tracking"]["current_release_date"]
        .as_str()
        .expect("date");
    assert_eq!(revised_changes.trim_end(), format!("{path},{revised_date}"));
    let revised_feed: Value = desk
        .get("/.well-known/csaf/white/csaf-feed-tlp-white.json")
        .await
        .json()
        .await
        .expect("feed");
    assert_ne!(
        revised_feed["feed"]["entry"][0]["updated"],
        feed["feed"]["entry"][0]["updated"]
    );

    let (status, withdrawn) = desk
        .api(
            "POST",
            &format!("/api/v1/advisories/{id}/withdraw"),
            Some(json!({"reason": ""})),
        )
        .await;
    assert_eq!(status, 422, "{withdrawn}");
    let (status, withdrawn) = desk
        .api(
            "POST",
            &format!("/api/v1/advisories/{id}/withdraw"),
            Some(json!({"reason": "The product named is not affected."})),
        )
        .await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(withdrawn["state"], "withdrawn");
    let (_, page) = desk.text(&format!("/advisories/{id}")).await;
    assert!(page.contains("This advisory was withdrawn"));
    let osv: Value = desk
        .get(&format!("/advisories/{id}/osv.json"))
        .await
        .json()
        .await
        .expect("osv");
    assert!(osv["withdrawn"].is_string());
}

#[tokio::test]
async fn the_csaf_files_are_served_to_anyone_without_limits() {
    // As shipped: rate limits and the intake challenge on.
    let app = TestApp::start_with_defaults();
    for _ in 0..60 {
        for path in [
            "/.well-known/csaf/provider-metadata.json",
            "/.well-known/csaf/white/index.txt",
            "/.well-known/csaf/white/changes.csv",
            "/.well-known/csaf/white/csaf-feed-tlp-white.json",
        ] {
            let response = app.get(path).await;
            assert_eq!(response.status(), 200, "{path}");
            assert_eq!(
                response.headers()["access-control-allow-origin"],
                "*",
                "{path}"
            );
        }
    }
    assert_eq!(
        app.get("/.well-known/csaf/white/2026/nothing.json")
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get("/.well-known/csaf/openpgp/ABC.asc").await.status(),
        404
    );
}
