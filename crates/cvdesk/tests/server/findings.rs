//! Findings against the real server: filed through the API and the staff pages without a
//! finder, imported from a real scanner's SARIF log (bandit, installed by scripts/test) and
//! from CSV, once only, with malformed files refused by their JSON pointer or row; and a
//! report's root cause analysis written on the page and read through the API.

use std::path::Path;
use std::process::Command;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::app::TestApp;
use crate::staff::{
    api_token, cli, create_first_admin, csrf_token, sign_in, ADMIN_EMAIL, ADMIN_PASSWORD,
};

fn add_product(app: &TestApp, name: &str) {
    let (code, out) = cli(app, &["product", "add", "--name", name, "--team", name]);
    assert_eq!(code, Some(0), "{out}");
}

async fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.at(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    app.client
        .get(app.at(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

async fn report_count(app: &TestApp, token: &str) -> usize {
    get(app, token, "/api/v1/reports").await["items"]
        .as_array()
        .expect("items")
        .len()
}

#[tokio::test]
async fn staff_file_a_finding_through_the_api_without_a_finder() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    add_product(&app, "Shop");
    let (status, created) = post(
        &app,
        &token,
        "/api/v1/findings",
        &json!({
            "source": "pentest",
            "title": "Session cookie without Secure",
            "summary": "Sent over plain HTTP too.",
            "steps_to_reproduce": "Open http://shop.example.org",
            "impact": "Session theft on open networks.",
            "product_id": 1
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["source"], "pentest");
    assert_eq!(created["status"], "new");
    let reference = created["reference"].as_str().expect("reference");
    let report = get(&app, &token, &format!("/api/v1/reports/{reference}")).await;
    assert_eq!(report["state"], "new");
    assert_eq!(report["product_id"], 1);
    assert!(report["contact"]["email"].is_null(), "{report}");

    // A finder's source, a missing text and an unknown product are refused by field.
    let (status, refused) = post(
        &app,
        &token,
        "/api/v1/findings",
        &json!({"source": "form", "title": "T", "summary": "S", "steps_to_reproduce": "R"}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid_finding");
    assert!(
        refused["error"]["fields"]["source"].is_string(),
        "{refused}"
    );
    assert!(
        refused["error"]["fields"]["impact"].is_string(),
        "{refused}"
    );
    let (status, refused) = post(
        &app,
        &token,
        "/api/v1/findings",
        &json!({"source": "internal", "title": "T", "summary": "S",
                "steps_to_reproduce": "R", "impact": "I", "product_id": 99}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["product_id"].is_string(),
        "{refused}"
    );
    assert_eq!(
        report_count(&app, &token).await,
        1,
        "nothing refused was stored"
    );
}

/// Whether bandit (PyPI, in tests/oracle/requirements.txt) is here; without it the test
/// is skipped loudly, or fails under `CVDESK_TEST_SCANNER` (set by scripts/test).
fn bandit_available() -> bool {
    let found = Command::new("bandit")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        assert!(
            std::env::var_os("CVDESK_TEST_SCANNER").is_none(),
            "bandit is missing, and CVDESK_TEST_SCANNER is set"
        );
        eprintln!("!!! SKIPPED: bandit is not installed; scripts/test installs it");
    }
    found
}

/// A small Python program with three kinds of mistakes, scanned by bandit into SARIF.
fn scan_with_bandit(folder: &Path) -> String {
    std::fs::write(
        folder.join("app.py"),
        "import subprocess\n\nPASSWORD = \"hunter2\"\n\n\
         def run(cmd):\n    return subprocess.call(cmd, shell=True)\n\n\
         def find(db, name):\n    return db.execute(\"SELECT * FROM users WHERE name = '\" + name + \"'\")\n",
    )
    .expect("written");
    let output = folder.join("out.sarif");
    let status = Command::new("bandit")
        .current_dir(folder)
        .args(["-q", "-f", "sarif", "-o"])
        .arg(&output)
        .arg("app.py")
        .status()
        .expect("bandit runs");
    // bandit exits 1 when it found something, which it must have.
    assert_eq!(status.code(), Some(1), "bandit found nothing");
    std::fs::read_to_string(output).expect("bandit wrote SARIF")
}

#[tokio::test]
async fn a_scanners_sarif_log_is_imported_once() {
    if !bandit_available() {
        return;
    }
    let app = TestApp::start();
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    add_product(&app, "Backend");
    let folder = tempfile::tempdir().expect("temp dir");
    let sarif = scan_with_bandit(folder.path());
    let results = serde_json::from_str::<Value>(&sarif).expect("JSON")["runs"][0]["results"]
        .as_array()
        .expect("results")
        .len();
    assert!(results >= 3, "{sarif}");
    let file = folder.path().join("out.sarif");
    let file = file.to_str().expect("utf-8 path");

    let (code, preview) = cli(
        &app,
        &["import", "sarif", file, "--product", "1", "--dry-run"],
    );
    assert_eq!(code, Some(0), "{preview}");
    assert_eq!(
        preview
            .lines()
            .filter(|line| line.starts_with("new\t"))
            .count(),
        results
    );
    assert!(preview.contains("nothing was stored"), "{preview}");
    assert_eq!(
        report_count(&app, &token).await,
        0,
        "a dry run stores nothing"
    );

    let (code, out) = cli(&app, &["import", "sarif", file, "--product", "1"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("Imported: {results} stored, 0 already stored.")),
        "{out}"
    );
    assert_eq!(report_count(&app, &token).await, results);
    let reports = get(&app, &token, "/api/v1/reports").await;
    let titles: Vec<&str> = reports["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["title"].as_str())
        .collect();
    assert!(
        titles
            .iter()
            .any(|title| title.starts_with("B608: ") && title.contains("app.py:")),
        "{titles:?}"
    );
    let sql_injection = reports["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| {
            item["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("B608"))
        })
        .expect("the SQL finding");
    let reference = sql_injection["reference"].as_str().expect("reference");
    let report = get(&app, &token, &format!("/api/v1/reports/{reference}")).await;
    assert_eq!(report["weakness"], "CWE-89", "{report}");
    assert_eq!(report["product_id"], 1);

    // The same file again, by the CLI and by the API: nothing new.
    let (code, out) = cli(&app, &["import", "sarif", file, "--product", "1"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("Imported: 0 stored, {results} already stored.")),
        "{out}"
    );
    let (status, again) = post(
        &app,
        &token,
        "/api/v1/imports",
        &json!({"format": "sarif", "content": sarif, "product_id": 1}),
    )
    .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["new"], 0);
    assert_eq!(again["already_stored"], results);
    assert_eq!(report_count(&app, &token).await, results);
}

#[tokio::test]
async fn malformed_files_are_refused_with_their_place() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let bad_level = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
        "results": [{"ruleId": "R1", "level": "fatal", "message": {"text": "m"}}]}]});
    let (status, refused) = post(
        &app,
        &token,
        "/api/v1/imports",
        &json!({"format": "sarif", "content": bad_level.to_string()}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid_import");
    assert!(
        refused["error"]["fields"]["/runs/0/results/0/level"].is_string(),
        "{refused}"
    );

    let table = "source,title,summary,steps_to_reproduce,impact\n\
                 internal,Fine,S,R,I\n\
                 vendor,Bad source,S,R,I\n\
                 pentest,,S,R,I\n";
    let (status, refused) = post(
        &app,
        &token,
        "/api/v1/imports",
        &json!({"format": "csv", "content": table}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let fields = &refused["error"]["fields"];
    assert!(
        fields["row 3"]
            .as_str()
            .is_some_and(|m| m.contains("source")),
        "{refused}"
    );
    assert!(
        fields["row 4"]
            .as_str()
            .is_some_and(|m| m.contains("title")),
        "{refused}"
    );
    assert!(fields.get("row 2").is_none(), "{refused}");
    assert_eq!(
        report_count(&app, &token).await,
        0,
        "a refused file stores nothing"
    );

    let folder = tempfile::tempdir().expect("temp dir");
    let file = folder.path().join("broken.sarif");
    std::fs::write(&file, "{\"version\": \"2.1.0\", \"runs\": [").expect("written");
    let (code, _) = cli(&app, &["import", "sarif", file.to_str().expect("utf-8")]);
    assert_eq!(code, Some(1), "a broken log fails the command");
    assert_eq!(report_count(&app, &token).await, 0);
}

#[tokio::test]
async fn the_staff_pages_file_import_and_analyse() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    add_product(&app, "Shop");
    let (browser, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let page = browser
        .get(app.at("/staff/findings/new"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let csrf = csrf_token(&page);
    assert!(page.contains("Penetration test"), "the sources are offered");

    let refused = browser
        .post(app.at("/staff/findings"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("source", "supplier"),
            ("title", "No summary"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .expect("html")
        .contains("value=\"No summary\""));

    let filed = browser
        .post(app.at("/staff/findings"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("source", "supplier"),
            ("product_id", "1"),
            ("title", "Library ships a debug endpoint"),
            ("summary", "The supplier's notice says /debug is open."),
            ("steps_to_reproduce", "GET /debug"),
            ("impact", "Configuration disclosed."),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(filed.status(), 303);
    let location = filed.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(location.starts_with("/staff/reports/CVD-"), "{location}");
    let reference = location.trim_start_matches("/staff/reports/").to_owned();

    // Import a table: preview first, nothing stored, then confirm.
    let table = "source,title,summary,steps_to_reproduce,impact,external_id\n\
                 scanner,Outdated TLS,TLS 1.0 offered,Run a TLS scan,Downgrade,SCAN-1\n";
    let form = Form::new()
        .text("csrf_token", csrf.clone())
        .text("format", "csv")
        .text("product_id", "1")
        .part("file", Part::text(table).file_name("findings.csv"));
    let preview = browser
        .post(app.at("/staff/imports/preview"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(preview.status(), 200);
    let preview = preview.text().await.expect("html");
    assert!(
        preview.contains("Outdated TLS") && preview.contains(">new<"),
        "{preview}"
    );
    assert_eq!(
        report_count(&app, &token).await,
        1,
        "the preview stores nothing"
    );
    let confirmed = browser
        .post(app.at("/staff/imports"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("format", "csv"),
            ("product_id", "1"),
            ("content", table),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(confirmed.status(), 303);
    let notice = browser
        .get(app.at(confirmed.headers()["location"].to_str().expect("ascii")))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        notice.contains("1 finding imported, 0 already stored"),
        "{notice}"
    );
    assert_eq!(report_count(&app, &token).await, 2);

    // The root cause, written on the report page and read back through the API.
    let report_page = browser
        .get(app.at(&location))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        report_page.contains("id=\"root-cause\""),
        "the page offers the analysis"
    );
    let saved = browser
        .post(app.at(&format!("{location}/root-cause")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("root_cause", "dependency"),
            (
                "root_cause_detail",
                "The library enables /debug by default.",
            ),
            ("lessons_learned", "Review defaults of new dependencies."),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(saved.status(), 303);
    let analysis = get(
        &app,
        &token,
        &format!("/api/v1/reports/{reference}/root-cause"),
    )
    .await;
    assert_eq!(analysis["category"], "dependency");
    assert_eq!(
        analysis["lessons_learned"],
        "Review defaults of new dependencies."
    );
    let refused = browser
        .post(app.at(&format!("{location}/root-cause")))
        .form(&[("csrf_token", csrf.as_str()), ("root_cause", "luck")])
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 422);
    let unchanged = get(
        &app,
        &token,
        &format!("/api/v1/reports/{reference}/root-cause"),
    )
    .await;
    assert_eq!(
        unchanged["category"], "dependency",
        "a refused analysis changes nothing"
    );

    let audit = browser
        .get(app.at("/staff/audit"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    for action in ["finding.create", "findings.import", "report.root_cause"] {
        assert!(audit.contains(action), "{action} is in the audit log");
    }
}
