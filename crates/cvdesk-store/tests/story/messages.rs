//! The conversation on a report: staff and finder messages in order, a finder's answer
//! clearing the needs-info flag with a line in the history, and the mail about each change
//! queued with it (none for a refused update request); files sent with a reply belong to
//! that message and to no other report.

use cvdesk_domain::{
    AttachmentName, ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken,
};
use cvdesk_store::{MailBody, MailKind, NewAttachment, NewMail, NewReport, Store};
use time::macros::datetime;
use time::Duration;

use crate::backends::backends;
use crate::staff::triager;

fn mail(kind: MailKind, report_id: i64) -> NewMail {
    NewMail {
        kind,
        report_id: Some(report_id),
        recipient: "triage@example.org".into(),
        subject: kind.as_str().into(),
        body: MailBody::Plain("There is news.".into()),
    }
}

/// A report with the given token bytes and intake files; returns its id.
async fn report(store: &dyn Store, token: u8, attachments: &[NewAttachment]) -> i64 {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some("IDOR".into()),
            summary: Some("Summary".into()),
            steps_to_reproduce: Some("Steps".into()),
            impact: Some("Impact".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: datetime!(2026-11-02 10:00 UTC),
            tracking_token_hash: &TrackingToken::from_random_bytes([token; 32]).hash(),
            content: &draft,
            attachments,
            product: None,
            received_from: None,
            challenge: None,
            source: cvdesk_domain::report_source::ReportSource::Form,
        })
        .await
        .expect("stored")
        .id
}

/// What a report may receive in files over its life, as the desk's default.
const MAX_REPORT_BYTES: u64 = 100 * 1024 * 1024;

async fn file(store: &dyn Store, name: &str, content: &[u8]) -> NewAttachment {
    NewAttachment {
        name: AttachmentName::sanitize(name),
        blob: store.stage_blob(content).await.expect("staged"),
    }
}

#[tokio::test]
async fn both_sides_write_and_an_answer_clears_needs_info() {
    for backend in backends().await {
        let store = backend.open().await;
        let at = datetime!(2026-11-02 10:00 UTC);
        let id = report(store.as_ref(), 5, &[]).await;
        store
            .set_needs_info(id, true, &triager(), &[], at)
            .await
            .expect("flag");
        store
            .add_staff_message(
                id,
                "Which account did you use?",
                &triager(),
                &[mail(MailKind::FinderStaffMessage, id)],
                at + Duration::hours(1),
            )
            .await
            .expect("sent");
        store
            .add_finder_message(
                id,
                "My own test account.",
                &[],
                MAX_REPORT_BYTES,
                &[mail(MailKind::StaffFinderReplied, id)],
                at + Duration::hours(2),
            )
            .await
            .expect("received");
        let messages = store.messages(id).await.expect("read");
        let seen: Vec<(bool, &str, &str)> = messages
            .iter()
            .map(|m| (m.from_finder, m.author_label.as_str(), m.body.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (false, "triager@example.org", "Which account did you use?"),
                (true, "finder", "My own test account.")
            ],
            "{}",
            backend.name
        );
        let report = store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([5; 32]).hash())
            .await
            .expect("read")
            .expect("found");
        assert!(
            !report.needs_info,
            "{}: the answer clears the flag",
            backend.name
        );
        let kinds: Vec<String> = store
            .report_events(id)
            .await
            .expect("history")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "needs_info.set",
                "message.sent",
                "message.received",
                "needs_info.cleared"
            ],
            "{}",
            backend.name
        );
        // A second answer leaves the history alone: the flag is already clear.
        store
            .add_finder_message(
                id,
                "Also: it works on mobile.",
                &[],
                MAX_REPORT_BYTES,
                &[],
                at + Duration::hours(3),
            )
            .await
            .expect("received");
        assert_eq!(store.report_events(id).await.expect("history").len(), 5);

        // The clocks: a message to the finder is a response; nothing left `new` yet.
        let times = store.open_report_times(10).await.expect("times");
        assert_eq!(times.len(), 1);
        assert_eq!(times[0].received_at, at);
        assert_eq!(
            times[0].responded_at,
            Some(at + Duration::hours(1)),
            "{}",
            backend.name
        );
        assert_eq!(times[0].triaged_at, None);

        // Update requests: once per period, atomically.
        let first = at + Duration::days(1);
        let period = Duration::days(14);
        assert_eq!(store.last_update_request(id).await.expect("read"), None);
        assert_eq!(
            store
                .request_update(
                    id,
                    &[mail(MailKind::StaffUpdateRequested, id)],
                    first,
                    first - period
                )
                .await
                .expect("ask"),
            None
        );
        let soon = first + Duration::days(3);
        assert_eq!(
            store
                .request_update(
                    id,
                    &[mail(MailKind::StaffUpdateRequested, id)],
                    soon,
                    soon - period
                )
                .await
                .expect("ask"),
            Some(first),
            "{}: too soon",
            backend.name
        );
        let later = first + period;
        assert_eq!(
            store
                .request_update(
                    id,
                    &[mail(MailKind::StaffUpdateRequested, id)],
                    later,
                    later - period
                )
                .await
                .expect("ask"),
            None
        );
        assert_eq!(
            store.last_update_request(id).await.expect("read"),
            Some(later)
        );
        let requests = store
            .report_events(id)
            .await
            .expect("history")
            .into_iter()
            .filter(|e| e.kind == "update.requested")
            .count();
        assert_eq!(requests, 2, "{}", backend.name);
        let mut queued: Vec<&str> = Vec::new();
        let outbox = store.recent_mail(10).await.expect("outbox");
        for entry in &outbox {
            assert_eq!(entry.report_id, Some(id));
            queued.push(entry.kind.as_str());
        }
        assert_eq!(
            queued,
            [
                "staff_update_requested",
                "staff_update_requested",
                "staff_finder_replied",
                "finder_staff_message"
            ],
            "{}: newest first, none for the refused request",
            backend.name
        );
    }
}

#[tokio::test]
async fn files_sent_with_a_reply_belong_to_the_message() {
    for backend in backends().await {
        let store = backend.open().await;
        let at = datetime!(2026-11-03 09:00 UTC);
        let intake = file(store.as_ref(), "intake.txt", b"from the form").await;
        let id = report(store.as_ref(), 6, &[intake]).await;
        let other = report(store.as_ref(), 7, &[]).await;
        store
            .add_finder_message(id, "No files here.", &[], MAX_REPORT_BYTES, &[], at)
            .await
            .expect("received");
        let with_files = store
            .add_finder_message(
                id,
                "The proof of concept, and the form's file again.",
                &[
                    file(store.as_ref(), "poc.py", b"print('pwned')").await,
                    file(store.as_ref(), "again.txt", b"from the form").await,
                ],
                MAX_REPORT_BYTES,
                &[mail(MailKind::StaffFinderReplied, id)],
                at + Duration::minutes(5),
            )
            .await
            .expect("received");

        let messages = store.messages(id).await.expect("read");
        assert!(messages[0].attachments.is_empty(), "{}", backend.name);
        assert_eq!(messages[1].id, with_files);
        let files: Vec<(&str, u64)> = messages[1]
            .attachments
            .iter()
            .map(|meta| (meta.file_name.as_str(), meta.size_bytes))
            .collect();
        assert_eq!(
            files,
            [("poc.py", 14), ("again.txt", 13)],
            "{}",
            backend.name
        );
        let report = store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([6; 32]).hash())
            .await
            .expect("read")
            .expect("found");
        let intake: Vec<&str> = report
            .attachments
            .iter()
            .map(|meta| meta.file_name.as_str())
            .collect();
        assert_eq!(
            intake,
            ["intake.txt"],
            "{}: the report's own files are those of the form",
            backend.name
        );
        assert_eq!(
            messages[1].attachments[1].sha256, report.attachments[0].sha256,
            "{}: the same bytes are one blob",
            backend.name
        );

        let poc = &messages[1].attachments[0];
        let stored = store
            .attachment(id, poc.id)
            .await
            .expect("read")
            .expect("a file of this report");
        assert_eq!(stored.content, b"print('pwned')", "{}", backend.name);
        assert_eq!(stored.meta, *poc);
        assert!(
            store
                .attachment(other, poc.id)
                .await
                .expect("read")
                .is_none(),
            "{}: not a file of the other report",
            backend.name
        );
        assert!(store
            .messages(other)
            .await
            .expect("read")
            .iter()
            .all(|m| m.attachments.is_empty()));
    }
}
