//! SQLite's write-ahead log is moved into the database file beside the writer, within
//! seconds of a write, though the writer itself never checkpoints.

use std::time::{Duration, Instant};

use cvdesk_domain::report_source::ReportSource;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{NewReport, ReportStore as _, SqliteStore};
use time::macros::datetime;

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
        let draft = ReportDraft::parse(
            &ReportInput {
                title: Some(format!("Report {seed}")),
                summary: Some(words.clone()),
                steps_to_reproduce: Some("Steps".into()),
                impact: Some("Impact".into()),
                ..ReportInput::default()
            },
            TextLimits::default(),
        )
        .expect("valid draft");
        store
            .create_report_with_mail(
                NewReport {
                    prefix: &ReferencePrefix::default(),
                    received_at: datetime!(2026-06-01 12:00 UTC),
                    tracking_token_hash: &TrackingToken::from_random_bytes([seed; 32]).hash(),
                    content: &draft,
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
