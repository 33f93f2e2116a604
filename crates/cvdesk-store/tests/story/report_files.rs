//! Files over a report's life: a reply's files are counted against what the report may
//! receive and refused once it is closed, in the transaction that would store them; a
//! report closed as spam is purged with its files, its audit entry in the same
//! transaction, and bytes another report names stay.

use cvdesk_domain::attachment::{AttachmentError, AttachmentName};
use cvdesk_domain::report::ReportState;
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{NewAttachment, NewReport, PurgedReport, Store, StoreError};
use time::macros::datetime;
use time::OffsetDateTime;

use crate::backends::backends;
use crate::staff::triager;

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

async fn report(store: &dyn Store, seed: u8, files: &[NewAttachment]) -> i64 {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some("Win a free phone".into()),
            summary: Some("Click here".into()),
            steps_to_reproduce: Some("Click".into()),
            impact: Some("Prizes".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: NOW,
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

async fn file(store: &dyn Store, name: &str, content: &[u8]) -> NewAttachment {
    NewAttachment {
        name: AttachmentName::sanitize(name),
        blob: store.stage_blob(content).await.expect("staged"),
    }
}

async fn close(store: &dyn Store, id: i64, to: ReportState, reason: &str) {
    let close = Transition {
        from: ReportState::New,
        to,
        reason: Some(reason.to_owned()),
        duplicate_of: None,
    };
    store
        .transition_report(id, &close, &triager(), &[], NOW)
        .await
        .expect("closed");
}

pub fn purge_entry(purged: &PurgedReport) -> cvdesk_domain::audit::AuditEvent {
    cvdesk_domain::audit::AuditEvent {
        action: "report.purged".to_owned(),
        detail: format!("{} files, {} bytes", purged.files, purged.bytes),
        ..triager()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_files_count_against_the_report_and_stop_when_it_closes() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let intake = file(&*store, "form.bin", &[1; 600]).await;
        let id = report(&*store, 1, &[intake]).await;
        assert_eq!(store.attachment_bytes(id).await.expect("read"), 600);

        let fits = file(&*store, "fits.bin", &[2; 400]).await;
        store
            .add_finder_message(id, "fits", &[fits], 1000, &[], NOW)
            .await
            .expect("within the limit");
        assert_eq!(store.attachment_bytes(id).await.expect("read"), 1000);

        let over = file(&*store, "over.bin", &[3; 1]).await;
        let refused = store
            .add_finder_message(id, "one byte too many", &[over], 1000, &[], NOW)
            .await;
        assert!(
            matches!(
                refused,
                Err(StoreError::FilesRefused(AttachmentError::ReportFull { .. }))
            ),
            "{name}: {refused:?}"
        );

        close(&*store, id, ReportState::Informative, "by design").await;
        let late = file(&*store, "late.bin", &[4; 10]).await;
        let refused = store
            .add_finder_message(id, "after closing", &[late], u64::MAX, &[], NOW)
            .await;
        assert!(
            matches!(
                refused,
                Err(StoreError::FilesRefused(AttachmentError::ReportClosed))
            ),
            "{name}: {refused:?}"
        );
        store
            .add_finder_message(id, "words still go", &[], 1000, &[], NOW)
            .await
            .expect("text alone");
        let bodies: Vec<String> = store
            .messages(id)
            .await
            .expect("read")
            .into_iter()
            .map(|message| message.body)
            .collect();
        assert_eq!(bodies, ["fits", "words still go"], "{name}");
        assert_eq!(store.attachment_bytes(id).await.expect("read"), 1000);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spam_report_is_purged_with_its_files() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let own = file(&*store, "casino.html", b"only in the spam").await;
        let shared = file(&*store, "shot.png", b"in both reports").await;
        let spam = report(&*store, 2, &[own, shared]).await;
        let reply = file(&*store, "more.html", b"sent with a reply").await;
        store
            .add_finder_message(spam, "buy now", &[reply], u64::MAX, &[], NOW)
            .await
            .expect("reply");
        let kept = file(&*store, "shot.png", b"in both reports").await;
        let real = report(&*store, 3, &[kept]).await;

        let open = store.purge_spam_report(spam, &purge_entry).await;
        assert!(
            matches!(open, Err(StoreError::Conflict(_))),
            "{name}: {open:?}"
        );
        close(&*store, spam, ReportState::NotApplicable, "Spam").await;
        let before = store.audit_head().await.expect("head").count;

        let purged = store
            .purge_spam_report(spam, &purge_entry)
            .await
            .expect("purged");
        assert_eq!(
            purged,
            PurgedReport {
                files: 3,
                bytes: (b"only in the spam".len()
                    + b"in both reports".len()
                    + b"sent with a reply".len()) as u64,
            },
            "{name}"
        );
        assert!(store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([2; 32]).hash())
            .await
            .expect("read")
            .is_none());
        assert!(store.messages(spam).await.expect("read").is_empty());
        let head = store.audit_head().await.expect("head");
        assert_eq!(head.count, before + 1, "{name}: one entry for the purge");
        let missing = store.purge_spam_report(spam, &purge_entry).await;
        assert!(matches!(missing, Err(StoreError::Missing(_))), "{name}");

        // The bytes only the spam named are gone; the shared ones stay for the other report.
        let swept = store.sweep_blobs(NOW).await.expect("swept");
        assert_eq!(
            swept.unreferenced, 0,
            "{name}: the purge removed them already"
        );
        let real_report = store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([3; 32]).hash())
            .await
            .expect("read")
            .expect("found");
        let stored = store
            .attachment(real, real_report.attachments[0].id)
            .await
            .expect("read")
            .expect("present");
        assert_eq!(stored.content, b"in both reports", "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_whose_audit_entry_fails_deletes_nothing() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let own = file(&*store, "casino.html", b"spam bytes").await;
        let spam = report(&*store, 4, &[own]).await;
        close(&*store, spam, ReportState::NotApplicable, "spam").await;
        store.append_audit(triager()).await.expect("entry");
        backend
            .execute_behind_the_store(
                "DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log)",
            )
            .await;
        let outcome = store.purge_spam_report(spam, &purge_entry).await;
        assert!(
            matches!(outcome, Err(StoreError::Corrupt(_))),
            "{name}: {outcome:?}"
        );
        let still = store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([4; 32]).hash())
            .await
            .expect("read")
            .expect("the report is still there");
        let stored = store
            .attachment(spam, still.attachments[0].id)
            .await
            .expect("read")
            .expect("its file too");
        assert_eq!(stored.content, b"spam bytes", "{name}");
    }
}
