//! SQLite's write-ahead log is moved into the database file beside the writer, within
//! seconds of a write, and starts again from its beginning even under a steady stream of
//! reports.

use std::time::{Duration, Instant};

use cvdesk_domain::report_source::ReportSource;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{NewReport, ReportStore as _, SqliteStore};
use time::macros::datetime;

fn report(seed: u8, summary: &str) -> ReportDraft {
    ReportDraft::parse(
        &ReportInput {
            title: Some(format!("Report {seed}")),
            summary: Some(summary.to_owned()),
            steps_to_reproduce: Some("Steps".into()),
            impact: Some("Impact".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid draft")
}

async fn store_report(store: &SqliteStore, token: [u8; 32], draft: &ReportDraft) {
    store
        .create_report_with_mail(
            NewReport {
                prefix: &ReferencePrefix::default(),
                received_at: datetime!(2026-06-01 12:00 UTC),
                tracking_token_hash: &TrackingToken::from_random_bytes(token).hash(),
                content: draft,
                attachments: &[],
                product: None,
                received_from: None,
                challenge: None,
                source: ReportSource::Api,
            },
            &|_| Vec::new(),
        )
        .await
        .expect("stored");
}

fn log_bytes(data: &std::path::Path) -> u64 {
    std::fs::metadata(data.join("cvdesk.db-wal")).map_or(0, |file| file.len())
}

fn database_bytes(data: &std::path::Path) -> u64 {
    std::fs::metadata(data.join("cvdesk.db"))
        .expect("database file")
        .len()
}

#[tokio::test]
async fn reports_reach_the_database_file_within_seconds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    let store = SqliteStore::open(data).await.expect("opened");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let before = database_bytes(data);

    // About 300 pages of text, far fewer than the 1,000 at which SQLite's own
    // checkpoint would start.
    let words = "a finding described at length ".repeat(1_300);
    for seed in 0..30_u8 {
        store_report(&store, [seed; 32], &report(seed, &words)).await;
    }
    let written = Instant::now();
    while database_bytes(data) < before + 1_000_000 {
        assert!(
            written.elapsed() < Duration::from_secs(10),
            "the database file is still {} bytes ({before} before the reports)",
            database_bytes(data)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_log_starts_again_under_a_steady_stream_of_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_owned();
    let store = std::sync::Arc::new(SqliteStore::open(&data).await.expect("opened"));
    let words = "a finding described at length ".repeat(200);
    // Sixteen finders at once, so that each group of reports begins as the last one
    // commits and the writer is never idle.
    let started = Instant::now();
    let writers: Vec<_> = (0..16_u8)
        .map(|seed| {
            let (store, draft) = (std::sync::Arc::clone(&store), report(seed, &words));
            tokio::spawn(async move {
                let mut token = [seed; 32];
                for count in 0_u32.. {
                    if started.elapsed() >= Duration::from_millis(4_500) {
                        break;
                    }
                    token[..4].copy_from_slice(&count.to_le_bytes());
                    store_report(&store, token, &draft).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let early = log_bytes(&data);
    for writer in writers {
        writer.await.expect("writer");
    }
    let end = log_bytes(&data);
    // A log that never starts again grows with every report, to three times its length
    // at a third of the time. One that does is as long as the most written between two
    // starts (twice that when a start is missed because the checkpoints were busy).
    assert!(
        early > 0 && end < early * 2,
        "the log grew from {early} bytes after 1.5 s to {end} bytes after 4.5 s"
    );
}
