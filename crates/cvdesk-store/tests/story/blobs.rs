//! Attachment bytes: staged a chunk at a time, linked by the report that names them, read
//! back whole, and swept when nothing names them.

use cvdesk_domain::attachment::AttachmentName;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{BlobSweep, NewAttachment, NewReport, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::backends::backends;

async fn report_with(store: &dyn Store, seed: u8, files: &[NewAttachment]) -> i64 {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some("Backup files are public".into()),
            summary: Some("/backup.tar is served.".into()),
            steps_to_reproduce: Some("GET /backup.tar".into()),
            impact: Some("Everything.".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: datetime!(2026-05-05 05:05 UTC),
            tracking_token_hash: &TrackingToken::from_random_bytes([seed; 32]).hash(),
            content: &draft,
            attachments: files,
            product: None,
            received_from: None,
            challenge: None,
            source: cvdesk_domain::report_source::ReportSource::Form,
        })
        .await
        .expect("stored")
        .id
}

/// Bytes that differ from chunk to chunk, so a chunk out of place would show.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i / 1000 % 251) as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_file_written_in_pieces_reads_back_whole() {
    for backend in backends().await {
        let store = backend.open().await;
        let content = pattern(700_000);
        let mut writer = store.begin_blob().await.expect("begun");
        for piece in content.chunks(65_536) {
            writer.write(piece).await.expect("written");
        }
        let blob = writer.finish().await.expect("finished");
        assert_eq!(blob.size_bytes(), 700_000);
        let file = NewAttachment {
            name: AttachmentName::sanitize("dump.bin"),
            blob,
        };
        let id = report_with(store.as_ref(), 1, &[file]).await;
        let report = store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([1; 32]).hash())
            .await
            .expect("read")
            .expect("found");
        let stored = store
            .attachment(id, report.attachments[0].id)
            .await
            .expect("read")
            .expect("present");
        assert!(stored.content == content, "{}: the bytes", backend.name);
        assert_eq!(
            store.attachment_bytes(id).await.expect("counted"),
            700_000,
            "{}",
            backend.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staged_bytes_nothing_names_are_swept_once_stale() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = OffsetDateTime::now_utc();
        let abandoned = store
            .stage_blob(b"an upload refused halfway")
            .await
            .expect("staged");
        let kept = NewAttachment {
            name: AttachmentName::sanitize("kept.txt"),
            blob: store
                .stage_blob(b"named by a report")
                .await
                .expect("staged"),
        };
        let id = report_with(store.as_ref(), 2, &[kept]).await;
        assert_eq!(
            store.sweep_blobs(now).await.expect("swept"),
            BlobSweep::default(),
            "{}: an upload still running keeps its bytes",
            backend.name
        );
        let later = store
            .sweep_blobs(now + Duration::hours(2))
            .await
            .expect("swept");
        assert_eq!(later.stale_staged, 1, "{}", backend.name);
        assert_eq!(later.unreferenced, 0, "{}", backend.name);
        drop(abandoned);
        let report = store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([2; 32]).hash())
            .await
            .expect("read")
            .expect("found");
        let stored = store
            .attachment(id, report.attachments[0].id)
            .await
            .expect("read")
            .expect("present");
        assert_eq!(stored.content, b"named by a report", "{}", backend.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stored_bytes_no_attachment_names_are_swept() {
    for backend in backends().await {
        let store = backend.open().await;
        let orphan = NewAttachment {
            name: AttachmentName::sanitize("orphan.txt"),
            blob: store.stage_blob(b"its row is gone").await.expect("staged"),
        };
        let shared = || async {
            NewAttachment {
                name: AttachmentName::sanitize("shared.txt"),
                blob: store.stage_blob(b"named twice").await.expect("staged"),
            }
        };
        report_with(store.as_ref(), 3, &[orphan, shared().await]).await;
        let other = report_with(store.as_ref(), 4, &[shared().await]).await;
        // As a transaction that failed after its files were linked would leave them.
        backend
            .execute_behind_the_store(&format!(
                "DELETE FROM attachments WHERE report_id <> {other}"
            ))
            .await;
        let swept = store
            .sweep_blobs(OffsetDateTime::now_utc())
            .await
            .expect("swept");
        assert_eq!(
            swept.unreferenced, 1,
            "{}: the orphan goes, the blob another report names stays",
            backend.name
        );
        let report = store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([4; 32]).hash())
            .await
            .expect("read")
            .expect("found");
        let stored = store
            .attachment(other, report.attachments[0].id)
            .await
            .expect("read")
            .expect("present");
        assert_eq!(stored.content, b"named twice", "{}", backend.name);
        assert_eq!(
            store
                .sweep_blobs(OffsetDateTime::now_utc())
                .await
                .expect("swept"),
            BlobSweep::default()
        );
    }
}
