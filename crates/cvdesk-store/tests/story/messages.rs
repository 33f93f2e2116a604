//! The conversation on a report: staff and finder messages in order, a finder's answer
//! clearing the needs-info flag with a line in the history, and the mail about each change
//! queued with it (none for a refused update request).

use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{Author, MailBody, MailKind, NewMail, NewReport};
use time::macros::datetime;
use time::Duration;

use crate::backends::backends;

const TRIAGER: Author<'static> = Author {
    id: None,
    label: "triager@example.org",
};

fn mail(kind: MailKind, report_id: i64) -> NewMail {
    NewMail {
        kind,
        report_id: Some(report_id),
        recipient: "triage@example.org".into(),
        subject: kind.as_str().into(),
        body: MailBody::Plain("There is news.".into()),
    }
}

#[tokio::test]
async fn both_sides_write_and_an_answer_clears_needs_info() {
    for backend in backends().await {
        let store = backend.open().await;
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
        let at = datetime!(2026-11-02 10:00 UTC);
        let id = store
            .create_report(NewReport {
                prefix: &ReferencePrefix::default(),
                received_at: at,
                tracking_token_hash: &TrackingToken::from_random_bytes([5; 32]).hash(),
                content: &draft,
                attachments: &[],
                product: None,
                received_from: None,
                challenge: None,
            })
            .await
            .expect("stored")
            .id;
        store
            .set_needs_info(id, true, TRIAGER, &[], at)
            .await
            .expect("flag");
        store
            .add_staff_message(
                id,
                "Which account did you use?",
                TRIAGER,
                &[mail(MailKind::FinderStaffMessage, id)],
                at + Duration::hours(1),
            )
            .await
            .expect("sent");
        store
            .add_finder_message(
                id,
                "My own test account.",
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
