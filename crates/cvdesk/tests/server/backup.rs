//! Backups on the command line: a backup taken while the desk accepts reports restores into
//! a new folder with every report, message, file and audit entry as the snapshot saw them,
//! the audit chain intact and queued mail still queued; the restored desk serves the files.
//! A damaged or cut archive and a store that holds data are refused, changing nothing.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use sqlx::Connection;

use crate::app::{anonymous_report, TestApp};
use crate::staff::{api_token, create_first_admin, ADMIN_EMAIL};

/// Tables whose rows are only ever added while the test writes, compared row by row.
const APPEND_ONLY: [&str; 5] = [
    "reports",
    "messages",
    "attachments",
    "audit_log",
    "report_events",
];

/// `cvdesk ARGS…`: exit code, standard output and standard error.
pub fn cvdesk(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args(args)
        .env_remove("CVDESK_DATABASE_URL")
        .env_remove("CVDESK_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn path(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A report with `files` through the form; its tracking link.
pub async fn report_with_files(app: &TestApp, title: &str, files: &[Vec<u8>]) -> String {
    let mut form = Form::new()
        .text("title", title.to_owned())
        .text("summary", "Backups keep this.")
        .text("steps_to_reproduce", "Restore it.")
        .text("impact", "None once restored.");
    for (index, content) in files.iter().enumerate() {
        form = form.part(
            "attachments",
            Part::bytes(content.clone()).file_name(format!("evidence-{index}.bin")),
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
    let marker = "id=\"tracking-url\" href=\"";
    let start = receipt.find(marker).expect("tracking link") + marker.len();
    receipt[start..].chars().take_while(|c| *c != '"').collect()
}

/// The finder replies from the tracking page with a file.
pub async fn reply_with_file(app: &TestApp, link: &str, content: Vec<u8>) {
    let form = Form::new()
        .text("body", "Here is one more file.")
        .part("attachments", Part::bytes(content).file_name("more.bin"));
    let response = app
        .client
        .post(format!("{link}/messages"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 303);
}

/// Every row of `table` as text, in the order written.
async fn rows(connection: &mut sqlx::SqliteConnection, table: &str) -> Vec<String> {
    let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
        .bind(table)
        .fetch_all(&mut *connection)
        .await
        .expect("columns");
    let quoted = columns
        .iter()
        .map(|column| format!("quote(\"{column}\")"))
        .collect::<Vec<_>>()
        .join(" || '|' || ");
    sqlx::query_scalar(&format!("SELECT {quoted} FROM {table} ORDER BY rowid"))
        .fetch_all(&mut *connection)
        .await
        .expect("rows")
}

async fn open(data: &Path) -> sqlx::SqliteConnection {
    let url = format!("sqlite://{}?mode=ro", data.join("cvdesk.db").display());
    sqlx::SqliteConnection::connect(&url).await.expect("opened")
}

/// `size` bytes that differ with `seed`.
pub fn content(seed: usize, size: usize) -> Vec<u8> {
    (0..size)
        .map(|i| ((i * 31 + seed * 7) % 251) as u8)
        .collect()
}

#[tokio::test]
async fn a_backup_taken_while_reports_arrive_restores_everything_it_saw() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let shared = content(0, 70_000);
    let mut links = Vec::new();
    for index in 1..=4 {
        let files = vec![content(index, 1_000 * index), shared.clone()];
        links.push(report_with_files(&app, &format!("Finding {index}"), &files).await);
    }
    reply_with_file(&app, &links[0], content(9, 300_000)).await;
    let created = app
        .submit(&json!({
            "title": "Stored XSS in comments",
            "summary": "Comments render HTML.",
            "steps_to_reproduce": "Post <b>x</b>",
            "impact": "Session theft.",
            "contact": {"email": "finder@example.org"}
        }))
        .await;
    let reference = created["reference"].as_str().expect("reference");
    let answered = app
        .client
        .post(app.at(&format!("/api/v1/reports/{reference}/messages")))
        .bearer_auth(&token)
        .json(&json!({"body": "Thank you, we are looking into it.", "internal": false}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        answered.status(),
        201,
        "{}",
        answered.text().await.unwrap_or_default()
    );

    // Finders keep sending reports while the backup runs.
    let writing = Arc::new(AtomicBool::new(true));
    let accepted = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (client, url) = (app.client.clone(), app.at("/api/v1/reports"));
        let (writing, accepted) = (Arc::clone(&writing), Arc::clone(&accepted));
        tokio::spawn(async move {
            while writing.load(Ordering::SeqCst) {
                let response = client
                    .post(&url)
                    .json(&anonymous_report())
                    .send()
                    .await
                    .expect("sent");
                assert_eq!(response.status(), 201);
                accepted.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while accepted.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let archive = work.path().join("desk.tar.gz");
    let data = app.data_dir().to_path_buf();
    let before_backup = accepted.load(Ordering::SeqCst);
    let backup = {
        let (data, archive) = (data.clone(), archive.clone());
        tokio::task::spawn_blocking(move || {
            cvdesk(&["backup", "--data", path(&data), "--to", path(&archive)])
        })
        .await
        .expect("backup ran")
    };
    let after_backup = accepted.load(Ordering::SeqCst);
    writing.store(false, Ordering::SeqCst);
    writer.await.expect("writer stopped");
    assert_eq!(backup.0, Some(0), "{} {}", backup.1, backup.2);
    assert!(backup.1.contains("Backed up the store in"), "{}", backup.1);
    assert!(
        after_backup > before_backup,
        "reports were accepted while the backup ran"
    );
    let again = cvdesk(&["backup", "--data", path(&data), "--to", path(&archive)]);
    assert_eq!(again.0, Some(1), "an existing archive is never overwritten");
    assert!(again.2.contains("never overwrites"), "{}", again.2);

    let restored = work.path().join("restored");
    let (code, out, err) = cvdesk(&[
        "restore",
        "--from",
        path(&archive),
        "--data",
        path(&restored),
    ]);
    assert_eq!(code, Some(0), "{out} {err}");
    assert!(out.contains("Audit log intact"), "{out}");
    assert!(out.contains("will be sent"), "{out}");
    let (code, out, _) = cvdesk(&["audit", "verify", "--data", path(&restored)]);
    assert_eq!(code, Some(0), "{out}");

    let mut source = open(&data).await;
    let mut copy = open(&restored).await;
    for table in APPEND_ONLY {
        let (before, after) = (rows(&mut source, table).await, rows(&mut copy, table).await);
        assert!(!after.is_empty(), "{table} restored empty");
        assert!(after.len() <= before.len(), "{table}");
        assert_eq!(after[..], before[..after.len()], "{table} differs");
    }
    let reports = rows(&mut copy, "reports").await.len();
    assert!(
        reports >= 5 + before_backup,
        "the reports sent before the backup are in it: {reports}"
    );
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(&mut copy)
        .await
        .expect("outbox");
    assert!(queued >= 1, "the mail to the finder is kept, to be sent");
    let hashes: Vec<String> = sqlx::query_scalar("SELECT DISTINCT sha256 FROM attachments")
        .fetch_all(&mut copy)
        .await
        .expect("hashes");
    assert_eq!(
        hashes.len(),
        6,
        "four files, one shared by four reports, one reply"
    );
    for sha256 in &hashes {
        let name = Path::new("blobs").join(&sha256[..2]).join(sha256);
        let bytes = std::fs::read(restored.join(&name)).expect("restored file");
        assert_eq!(
            bytes,
            std::fs::read(data.join(&name)).expect("original file")
        );
    }
    drop((source, copy));
    drop(app);

    // The restored desk serves the finder's file as it was sent.
    let served = TestApp::start_on(&restored);
    let tracking = links[0].rsplit('/').next().expect("token");
    let tracked: Value = served
        .get(&format!("/api/v1/track/{tracking}"))
        .await
        .json()
        .await
        .expect("json");
    let id = tracked["messages"][0]["attachments"][0]["id"]
        .as_i64()
        .expect("the reply's file");
    let file = served
        .get(&format!("/track/{tracking}/attachments/{id}"))
        .await
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(file.to_vec(), content(9, 300_000));
    drop(served);

    // A store that holds data is only replaced when asked to.
    let (code, _, err) = cvdesk(&[
        "restore",
        "--from",
        path(&archive),
        "--data",
        path(&restored),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("holds data") && err.contains("--force"),
        "{err}"
    );
    let (code, out, err) = cvdesk(&[
        "restore",
        "--from",
        path(&archive),
        "--data",
        path(&restored),
        "--force",
    ]);
    assert_eq!(code, Some(0), "{out} {err}");
}

#[tokio::test]
async fn a_damaged_or_cut_archive_restores_nothing() {
    let app = TestApp::start();
    let link = report_with_files(&app, "Weak TLS", &[content(3, 200_000)]).await;
    assert!(link.contains("/track/"));
    let work = tempfile::tempdir().expect("temp dir");
    let archive = work.path().join("desk.tar");
    let (code, out, err) = cvdesk(&[
        "backup",
        "--data",
        path(app.data_dir()),
        "--to",
        path(&archive),
    ]);
    assert_eq!(code, Some(0), "{out} {err}");
    let whole = std::fs::read(&archive).expect("archive");
    assert_eq!(&whole[..13], b"manifest.json", "the manifest comes first");

    let mut damaged = whole.clone();
    // Inside the last member's bytes: the attachment file.
    damaged[whole.len() - 4096] ^= 0x55;
    let cut = whole[..whole.len() * 2 / 3].to_vec();
    for (name, bytes) in [("damaged.tar", damaged), ("cut.tar", cut)] {
        let file = work.path().join(name);
        std::fs::write(&file, bytes).expect("written");
        let target = work.path().join(format!("into-{name}"));
        let (code, _, err) = cvdesk(&["restore", "--from", path(&file), "--data", path(&target)]);
        assert_eq!(code, Some(1), "{name}");
        assert!(err.contains("not a usable cvdesk backup"), "{name}: {err}");
        assert!(
            !target.join("cvdesk.db").exists(),
            "{name} restored a database"
        );
    }
}

#[test]
fn backup_on_postgresql_names_pg_dump() {
    let (code, _, err) = cvdesk(&[
        "backup",
        "--database-url",
        "postgres://cvdesk@127.0.0.1:1/cvdesk",
        "--to",
        "/nonexistent/desk.tar",
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("pg_dump --format=custom"), "{err}");
    assert!(err.contains("Backup and restore"), "{err}");
}
