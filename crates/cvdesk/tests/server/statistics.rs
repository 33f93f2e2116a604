//! Table statistics are gathered after the desk listens: on a store whose table grew
//! many-fold the desk listens, and `/healthz` answers while another connection holds
//! SQLite's write lock (no analysis can be written then); once the lock is let go the
//! refresh after start analyses the grown table's indexes and logs how long it took.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use sqlx::{Connection, Executor};

use crate::app::{run_cli, TestApp};

fn log_has(log: &std::path::Path, needle: &str) -> bool {
    std::fs::read_to_string(log).is_ok_and(|text| text.contains(needle))
}

#[tokio::test]
async fn the_desk_answers_while_a_grown_table_is_analysed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    TestApp::create_store(&data);
    // An account, so the start has no set-up link to write.
    let data_arg = data.to_str().expect("utf-8 path");
    let (code, _) = run_cli(
        &[
            "user",
            "add",
            "--data",
            data_arg,
            "--email",
            "a@example.org",
            "--role",
            "admin",
        ],
        "",
    );
    assert_eq!(code, Some(0));

    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(data.join("cvdesk.db"));
    let mut grow = sqlx::sqlite::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    grow.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000) \
         INSERT INTO spent_challenges (nonce, expires_at) \
         SELECT 'nonce-' || i, '2099-01-01T00:00:00.000000Z' FROM n",
    )
    .await
    .expect("table grown");
    grow.close().await.expect("closed");

    let log = dir.path().join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data", data_arg])
        .env_remove("CVDESK_DATABASE_URL")
        .env_remove("CVDESK_CONFIG")
        .env_remove("CVDESK_LOG_FORMAT")
        .env("CVDESK_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    let url = first
        .trim()
        .strip_prefix("cvdesk listening on ")
        .unwrap_or_else(|| {
            panic!(
                "{first:?}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        })
        .to_owned();
    // Any analysis under way waits for this lock (or this for it); /healthz does not.
    let mut lock = sqlx::sqlite::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    lock.execute("BEGIN IMMEDIATE")
        .await
        .expect("write lock held");
    let health = reqwest::get(format!("{url}/healthz"))
        .await
        .expect("answers");
    assert_eq!(health.status(), 200);

    lock.execute("COMMIT").await.expect("lock let go");
    let mut refreshed = false;
    for _ in 0..200 {
        if log_has(&log, "table statistics refreshed occasion=\"start\"") {
            refreshed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().expect("killed");
    child.wait().expect("reaped");
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(refreshed, "{text}");
    let line = text
        .lines()
        .find(|line| line.contains("table statistics refreshed occasion=\"start\""))
        .expect("the line");
    assert!(
        line.contains("occasion=\"start\"") || line.contains("occasion=start"),
        "{line}"
    );
    assert!(line.contains("elapsed_ms="), "{line}");
    assert!(line.contains("spent_challenges"), "{line}");
    let mut reader = sqlx::sqlite::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    let stats: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'spent_challenges'")
            .fetch_one(&mut reader)
            .await
            .expect("statistics");
    assert_eq!(stats, 2, "both indexes analysed: {text}");
}
