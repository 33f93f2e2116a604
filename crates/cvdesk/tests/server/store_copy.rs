//! Moving a desk to PostgreSQL and back (`cvdesk store copy`), when
//! `CVDESK_TEST_POSTGRES_URL` is set: a desk seeded through the real server (reports with
//! files, a reply, staff messages and transitions, accounts and tokens, the audit log) goes
//! from SQLite to a fresh PostgreSQL database and from there into a new data folder, where
//! every row of every table and every file is as it was; the PostgreSQL desk serves the
//! files and takes new reports after the copied ones; a target that holds data is refused.

use std::path::Path;

use serde_json::{json, Value};
use sqlx::Connection;

use crate::app::TestApp;
use crate::backup::{content, cvdesk, path, reply_with_file, report_with_files};
use crate::staff::{api_token, create_first_admin, ADMIN_EMAIL};

/// Every row of every table of the SQLite store in `data`, as text, in the order written.
async fn every_row(data: &Path) -> Vec<(String, Vec<String>)> {
    let url = format!("sqlite://{}?mode=ro", data.join("cvdesk.db").display());
    let mut connection = sqlx::SqliteConnection::connect(&url).await.expect("opened");
    let mut tables = Vec::new();
    for table in cvdesk_store::tables::DATA_TABLES {
        let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
            .bind(table)
            .fetch_all(&mut connection)
            .await
            .expect("columns");
        let quoted = columns
            .iter()
            .map(|column| format!("quote(\"{column}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows = sqlx::query_scalar(&format!("SELECT {quoted} FROM {table} ORDER BY rowid"))
            .fetch_all(&mut connection)
            .await
            .expect("rows");
        tables.push(((*table).to_owned(), rows));
    }
    tables
}

/// Seeds a desk through the server; the tracking link of the report with a reply.
async fn seed(app: &TestApp) -> String {
    create_first_admin(app).await;
    let token = api_token(app, ADMIN_EMAIL);
    let shared = content(0, 50_000);
    let link = report_with_files(app, "Finding 1", &[content(1, 5_000), shared.clone()]).await;
    report_with_files(app, "Finding 2", &[shared]).await;
    reply_with_file(app, &link, content(2, 300_000)).await;
    let created = app
        .submit(&json!({
            "title": "Stored XSS in comments",
            "summary": "Comments render HTML.",
            "steps_to_reproduce": "Post <b>x</b>",
            "impact": "Session theft.",
            "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
            "contact": {"name": "Ada", "email": "finder@example.org"},
            "credit": true
        }))
        .await;
    let reference = created["reference"].as_str().expect("reference");
    let api = |method: reqwest::Method, path: String, body: Value| {
        app.client
            .request(method, app.at(&path))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let answered = api(
        reqwest::Method::POST,
        format!("/api/v1/reports/{reference}/messages"),
        json!({"body": "Thank you, we are looking into it.", "internal": false}),
    )
    .await
    .expect("sent");
    assert_eq!(answered.status(), 201);
    let moved = api(
        reqwest::Method::POST,
        format!("/api/v1/reports/{reference}/transition"),
        json!({"to": "triaged", "reason": "Reproduced."}),
    )
    .await
    .expect("sent");
    assert_eq!(
        moved.status(),
        200,
        "{}",
        moved.text().await.unwrap_or_default()
    );
    link
}

#[tokio::test]
async fn a_desk_moves_to_postgresql_and_back_unchanged() {
    let Ok(server_url) = std::env::var("CVDESK_TEST_POSTGRES_URL") else {
        eprintln!("CVDESK_TEST_POSTGRES_URL not set: store copy to PostgreSQL skipped");
        return;
    };
    let postgres = cvdesk_store::testing::fresh_postgres_database(&server_url).await;
    let mut app = TestApp::start();
    let link = seed(&app).await;
    let data = app.data_dir().to_path_buf();
    assert!(
        app.terminate_within(std::time::Duration::from_secs(10)),
        "stopped"
    );

    let (code, out, err) = cvdesk(&["store", "copy", "--data", path(&data), "--to", &postgres]);
    assert_eq!(code, Some(0), "{out} {err}");
    assert!(out.contains("audit chain verifies"), "{out}");
    // The one table list names every table PostgreSQL's schema has.
    let mut connection = sqlx::PgConnection::connect(&postgres)
        .await
        .expect("connected");
    let mut schema: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::TEXT FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut connection)
    .await
    .expect("tables");
    schema.sort();
    let mut listed: Vec<String> = cvdesk_store::tables::DATA_TABLES
        .iter()
        .chain(cvdesk_store::tables::BLOB_TABLES)
        .chain(cvdesk_store::tables::DERIVED_TABLES)
        .map(|table| (*table).to_owned())
        .collect();
    listed.sort();
    assert_eq!(schema, listed);
    drop(connection);
    let (code, out, err) = cvdesk(&["audit", "verify", "--database-url", &postgres]);
    assert_eq!(code, Some(0), "{out} {err}");
    let (code, _, err) = cvdesk(&["store", "copy", "--data", path(&data), "--to", &postgres]);
    assert_eq!(
        code,
        Some(1),
        "a second copy into the same database is refused"
    );
    assert!(err.contains("holds data"), "{err}");

    let work = tempfile::tempdir().expect("temp dir");
    let back = work.path().join("back");
    let to_back = format!("sqlite:{}", path(&back));
    let (code, out, err) = cvdesk(&[
        "store",
        "copy",
        "--database-url",
        &postgres,
        "--to",
        &to_back,
    ]);
    assert_eq!(code, Some(0), "{out} {err}");

    let (original, returned) = (every_row(&data).await, every_row(&back).await);
    for ((table, before), (_, after)) in original.iter().zip(&returned) {
        assert_eq!(before, after, "{table} changed on the way");
    }
    let reports = &original
        .iter()
        .find(|(t, _)| t == "reports")
        .expect("reports")
        .1;
    assert_eq!(reports.len(), 3);
    for (_, rows) in original.iter().filter(|(t, _)| t == "attachments") {
        assert_eq!(rows.len(), 4, "three files of reports and one of a reply");
    }
    let files = |root: &Path| -> Vec<(String, Vec<u8>)> {
        let mut found = Vec::new();
        for folder in std::fs::read_dir(root.join("blobs")).expect("blobs") {
            let folder = folder.expect("entry").path();
            if folder.file_name().is_some_and(|n| n == ".incoming") {
                continue;
            }
            for file in std::fs::read_dir(&folder).expect("folder") {
                let file = file.expect("entry").path();
                let name = file
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned();
                found.push((name, std::fs::read(&file).expect("bytes")));
            }
        }
        found.sort();
        found
    };
    assert_eq!(files(&data), files(&back));
    assert_eq!(files(&back).len(), 3);

    // The PostgreSQL desk serves the copied file and numbers new reports after the copied.
    let served = TestApp::start_with(&["--database-url", &postgres]);
    let tracking = link.rsplit('/').next().expect("token");
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
    assert_eq!(file.to_vec(), content(2, 300_000));
    let newer = served.submit(&crate::app::anonymous_report()).await;
    let reference = newer["reference"].as_str().expect("reference");
    let sequence: u32 = reference
        .rsplit('-')
        .next()
        .and_then(|digits| digits.parse().ok())
        .expect("a sequence number");
    assert_eq!(sequence, 4, "{reference}");
}
