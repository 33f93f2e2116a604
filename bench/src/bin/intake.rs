//! Intake throughput: durable report submissions per second and p99 latency with 64
//! concurrent clients against the real server, next to a raw SQLite insert loop with the
//! same durability settings (WAL, synchronous=FULL) measured in the same run.
//!
//! Usage: intake CVDESK_BINARY [SECONDS] [CLIENTS]
//!
//! The last line gives the ratio to the raw loop and the p99 against their goals (at
//! least 1.0x, under 50 ms), so a slip shows in a short run (`scripts/bench` starts with
//! a 3-second one).

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use cvdesk_bench::{Server, Summary};
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

/// Intake's goals at 64 clients: at least the raw loop's rate, and a p99 under 50 ms.
const GOAL_RATIO: f64 = 1.0;
const GOAL_P99_MS: f64 = 50.0;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(
        args.next()
            .context("usage: intake CVDESK_BINARY [SECONDS] [CLIENTS]")?,
    );
    let seconds: u64 = args.next().map_or(Ok(10), |s| s.parse())?;
    let clients: usize = args.next().map_or(Ok(64), |s| s.parse())?;
    let duration = Duration::from_secs(seconds);

    let raw = raw_sqlite_inserts(duration).await?;
    let served = submissions(&binary, duration, clients).await?;
    println!(
        "{}",
        raw.line("raw SQLite insert loop (WAL, synchronous=FULL)")
    );
    println!(
        "{}",
        served.line(&format!("cvdesk POST /api/v1/reports, {clients} clients"))
    );
    let ratio = served.per_second / raw.per_second;
    let verdict = if ratio >= GOAL_RATIO && served.p99_ms < GOAL_P99_MS {
        "meets the goals"
    } else {
        "BELOW THE GOALS"
    };
    println!(
        "ratio cvdesk / raw loop: {ratio:.2}x (goal >= {GOAL_RATIO:.1}x), p99 {:.1} ms (goal < \
         {GOAL_P99_MS:.0} ms): {verdict}",
        served.p99_ms
    );
    Ok(())
}

async fn raw_sqlite_inserts(duration: Duration) -> anyhow::Result<Summary> {
    let dir = tempfile::tempdir()?;
    let mut connection = SqliteConnectOptions::from_str("sqlite:")?
        .filename(dir.path().join("raw.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await?;
    sqlx::query("CREATE TABLE reports (id INTEGER PRIMARY KEY, title TEXT, summary TEXT, steps TEXT, impact TEXT)")
        .execute(&mut connection)
        .await?;
    let mut latencies = Vec::new();
    let started = Instant::now();
    while started.elapsed() < duration {
        let begun = Instant::now();
        let mut tx = connection.begin().await?;
        sqlx::query("INSERT INTO reports (title, summary, steps, impact) VALUES ($1, $2, $3, $4)")
            .bind("Open redirect on login")
            .bind("next= accepts any URL.")
            .bind("Visit /login?next=https://evil.example")
            .bind("Phishing.")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        latencies.push(begun.elapsed());
    }
    Ok(Summary::of(latencies, started.elapsed()))
}

async fn submissions(
    binary: &std::path::Path,
    duration: Duration,
    clients: usize,
) -> anyhow::Result<Summary> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(binary, &dir.path().join("data"), &[])?;
    let url = Arc::new(format!("{}/api/v1/reports", server.url));
    let body = Arc::new(json!({
        "title": "Open redirect on login",
        "summary": "next= accepts any URL.",
        "steps_to_reproduce": "Visit /login?next=https://evil.example",
        "impact": "Phishing.",
        "weakness": "CWE-601",
        "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"
    }));
    let client = reqwest::Client::new();
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url, body) = (client.clone(), Arc::clone(&url), Arc::clone(&body));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < duration {
                    let begun = Instant::now();
                    let response = client.post(url.as_str()).json(&*body).send().await?;
                    anyhow::ensure!(response.status() == 201, "status {}", response.status());
                    latencies.push(begun.elapsed());
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(Summary::of(latencies, started.elapsed()))
}
