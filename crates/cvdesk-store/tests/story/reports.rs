//! Reports: intake writes, numbering, lookups, attachments, durability.

use std::collections::BTreeSet;
use std::sync::Arc;

use cvdesk_domain::attachment::AttachmentName;
use cvdesk_domain::report::ReportState;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{NewAttachment, NewReport, Store};

use crate::backends::backends;
use time::macros::datetime;
use time::OffsetDateTime;

fn draft(title: &str) -> ReportDraft {
    ReportDraft::parse(
        &ReportInput {
            title: Some(title.to_owned()),
            summary: Some("Summary".into()),
            steps_to_reproduce: Some("1. Open\n2. Inject".into()),
            impact: Some("Impact".into()),
            weakness: Some("CWE-89".into()),
            severity: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
            contact_name: Some("Ada".into()),
            credit: true,
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid draft")
}

fn token(seed: u8) -> TrackingToken {
    TrackingToken::from_random_bytes([seed; 32])
}

/// A supporting file, its bytes staged in `store`.
async fn file(store: &dyn Store, name: &str, content: &[u8]) -> NewAttachment {
    NewAttachment {
        name: AttachmentName::sanitize(name),
        blob: store.stage_blob(content).await.expect("staged"),
    }
}

async fn create(
    store: &dyn Store,
    prefix: &ReferencePrefix,
    at: OffsetDateTime,
    token: &TrackingToken,
    attachments: &[NewAttachment],
) -> cvdesk_domain::report::Report {
    store
        .create_report(NewReport {
            prefix,
            received_at: at,
            tracking_token_hash: &token.hash(),
            content: &draft("SQL injection in search"),
            attachments,
            product: None,
            received_from: None,
            challenge: None,
            source: cvdesk_domain::report_source::ReportSource::Form,
        })
        .await
        .expect("report stored")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_report_reads_back_as_it_was_written() {
    for backend in backends().await {
        let store = backend.open().await;
        let prefix = ReferencePrefix::default();
        let files = [
            file(&*store, "poc.py", b"print('pwned')").await,
            file(&*store, "empty.txt", b"").await,
        ];
        let at = datetime!(2026-03-04 05:06:07 UTC);
        let created = create(&*store, &prefix, at, &token(1), &files).await;
        assert_eq!(
            created.reference.to_string(),
            "CVD-2026-0001",
            "{}",
            backend.name
        );
        assert_eq!(created.state, ReportState::New);

        let by_token = store
            .report_by_tracking_token(&token(1).hash())
            .await
            .expect("lookup")
            .expect("found by token");
        assert_eq!(by_token, created, "{}", backend.name);
        let by_reference = store
            .report_by_reference(&created.reference)
            .await
            .expect("lookup")
            .expect("found by reference");
        assert_eq!(by_reference, created, "{}", backend.name);
        assert_eq!(
            by_token.content.severity.as_ref().map(|s| s.score),
            Some(9.8)
        );

        let first = &created.attachments[0];
        let content = store
            .attachment(created.id, first.id)
            .await
            .expect("read")
            .expect("attachment of this report");
        assert_eq!(content.content, b"print('pwned')");
        assert_eq!(content.meta.file_name, "poc.py");
        assert_eq!(content.meta.size_bytes, 14);
        assert_eq!(
            store
                .attachment(created.id + 1, first.id)
                .await
                .expect("read")
                .map(|a| a.meta),
            None,
            "{}: a file is only reachable through its own report",
            backend.name
        );
        assert!(store
            .report_by_tracking_token(&token(2).hash())
            .await
            .expect("lookup")
            .is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_submissions_get_gap_free_unique_numbers() {
    const SUBMISSIONS: u8 = 64;
    for backend in backends().await {
        let store = backend.open().await;
        let prefix = ReferencePrefix::default();
        let tasks: Vec<_> = (0..SUBMISSIONS)
            .map(|seed| {
                let store = Arc::clone(&store);
                let prefix = prefix.clone();
                tokio::spawn(async move {
                    let at = datetime!(2026-06-01 12:00 UTC);
                    create(&*store, &prefix, at, &token(seed), &[])
                        .await
                        .reference
                })
            })
            .collect();
        let mut sequences = BTreeSet::new();
        for task in tasks {
            let reference = task.await.expect("task finished");
            assert!(
                sequences.insert(reference.sequence),
                "{}: duplicate number",
                backend.name
            );
        }
        let expected: BTreeSet<u32> = (1..=u32::from(SUBMISSIONS)).collect();
        assert_eq!(sequences, expected, "{}: numbers have gaps", backend.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sequences_restart_each_year_and_per_prefix() {
    for backend in backends().await {
        let store = backend.open().await;
        let cvd = ReferencePrefix::default();
        let other: ReferencePrefix = "PSIRT".parse().expect("prefix");
        let new_years_eve = datetime!(2026-12-31 23:59:59 UTC);
        let new_year = datetime!(2027-01-01 00:00:00 UTC);
        let a = create(&*store, &cvd, new_years_eve, &token(1), &[]).await;
        let b = create(&*store, &cvd, new_years_eve, &token(2), &[]).await;
        let c = create(&*store, &cvd, new_year, &token(3), &[]).await;
        let d = create(&*store, &other, new_year, &token(4), &[]).await;
        let numbers: Vec<String> = [a, b, c, d]
            .iter()
            .map(|r| r.reference.to_string())
            .collect();
        assert_eq!(
            numbers,
            [
                "CVD-2026-0001",
                "CVD-2026-0002",
                "CVD-2027-0001",
                "PSIRT-2027-0001"
            ],
            "{}",
            backend.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_files_are_stored_once_and_stay_readable() {
    for backend in backends().await {
        let store = backend.open().await;
        let prefix = ReferencePrefix::default();
        let same = || file(&*store, "same.bin", &[0xAB; 4096]);
        let at = datetime!(2026-02-02 02:02 UTC);
        let first = create(&*store, &prefix, at, &token(1), &[same().await]).await;
        let second = create(
            &*store,
            &prefix,
            at,
            &token(2),
            &[same().await, same().await],
        )
        .await;
        assert_eq!(first.attachments[0].sha256, second.attachments[1].sha256);
        for report in [&first, &second] {
            for meta in &report.attachments {
                let stored = store
                    .attachment(report.id, meta.id)
                    .await
                    .expect("read")
                    .expect("present");
                assert_eq!(stored.content, vec![0xAB; 4096], "{}", backend.name);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reports_survive_reopening_the_store() {
    for backend in backends().await {
        let prefix = ReferencePrefix::default();
        let at = datetime!(2026-08-08 08:08 UTC);
        let created = {
            let store = backend.open().await;
            create(&*store, &prefix, at, &token(9), &[]).await
        };
        let store = backend.open().await;
        let found = store
            .report_by_tracking_token(&token(9).hash())
            .await
            .expect("lookup")
            .expect("still there");
        assert_eq!(found, created, "{}", backend.name);
        let next = create(&*store, &prefix, at, &token(10), &[]).await;
        assert_eq!(next.reference.sequence, 2, "{}", backend.name);
    }
}
