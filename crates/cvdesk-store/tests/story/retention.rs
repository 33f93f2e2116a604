//! Retention with the clock held still: everything the rules find due is removed, and
//! nothing else; the count a dry run gives is what the run removes; and a finder's request
//! to have their contact details removed is confirmed by staff.

use cvdesk_domain::report::ReportState;
use cvdesk_domain::retention::{RetentionCounts, RetentionSettings};
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{NewReport, PurgedReport, Store, StoreError};
use time::macros::datetime;
use time::OffsetDateTime;

use crate::backends::backends;
use crate::staff::triager;

const NOW: OffsetDateTime = datetime!(2026-09-01 00:00 UTC);

/// Rows the rules look at, written behind the store's back with their times. The
/// cutoffs at NOW with the default settings: client addresses and sent mail before
/// 2026-06-03, spent records and spam before 2026-08-02.
const ROWS: &[&str] = &[
    "INSERT INTO users (email, role, created_at) VALUES ('staff@example.org', 'triager', '2026-01-01T00:00:00.000000Z')",
    "INSERT INTO sessions (token_hash, user_id, csrf_token, second_factor, created_at, last_seen_at, expires_at) VALUES \
     ('due', (SELECT id FROM users WHERE email = 'staff@example.org'), 'c', FALSE, '2026-07-01T00:00:00.000000Z', '2026-07-01T00:00:00.000000Z', '2026-08-01T23:59:59.999999Z'), \
     ('on-the-cutoff', (SELECT id FROM users WHERE email = 'staff@example.org'), 'c', FALSE, '2026-07-01T00:00:00.000000Z', '2026-07-01T00:00:00.000000Z', '2026-08-02T00:00:00.000000Z'), \
     ('current', (SELECT id FROM users WHERE email = 'staff@example.org'), 'c', FALSE, '2026-08-31T00:00:00.000000Z', '2026-08-31T00:00:00.000000Z', '2026-09-30T00:00:00.000000Z')",
    "INSERT INTO password_links (token_hash, user_id, expires_at, used_at) VALUES \
     ('used-long-ago', (SELECT id FROM users WHERE email = 'staff@example.org'), '2026-10-01T00:00:00.000000Z', '2026-07-01T00:00:00.000000Z'), \
     ('expired-long-ago', (SELECT id FROM users WHERE email = 'staff@example.org'), '2026-07-15T00:00:00.000000Z', NULL), \
     ('unused', (SELECT id FROM users WHERE email = 'staff@example.org'), '2026-10-01T00:00:00.000000Z', NULL), \
     ('used-lately', (SELECT id FROM users WHERE email = 'staff@example.org'), '2026-10-01T00:00:00.000000Z', '2026-08-20T00:00:00.000000Z')",
    "INSERT INTO setup_links (token_hash, expires_at, used_at) VALUES \
     ('old-setup', '2026-01-01T00:00:00.000000Z', NULL), ('new-setup', '2026-09-02T00:00:00.000000Z', NULL)",
    "INSERT INTO spent_challenges (nonce, expires_at) VALUES \
     ('old', '2026-07-01T00:00:00.000000Z'), ('recent', '2026-08-30T00:00:00.000000Z')",
    "INSERT INTO outbox (created_at, kind, recipient, subject, format, body, next_attempt_at, sent_at) VALUES \
     ('2026-05-01T00:00:00.000000Z', 'test', 'a@example.org', 's', 'plain', 'old', '2026-05-01T00:00:00.000000Z', '2026-05-01T00:00:00.000000Z'), \
     ('2026-08-01T00:00:00.000000Z', 'test', 'b@example.org', 's', 'plain', 'recent', '2026-08-01T00:00:00.000000Z', '2026-08-01T00:00:00.000000Z'), \
     ('2026-01-01T00:00:00.000000Z', 'test', 'c@example.org', 's', 'plain', 'unsent', '2026-01-01T00:00:00.000000Z', NULL)",
];

async fn report(store: &dyn Store, seed: u8, email: Option<&str>) -> i64 {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some(format!("Report {seed}")),
            summary: Some("Summary".into()),
            steps_to_reproduce: Some("Steps".into()),
            impact: Some("Impact".into()),
            contact_email: email.map(str::to_owned),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: datetime!(2026-01-01 00:00 UTC),
            tracking_token_hash: &TrackingToken::from_random_bytes([seed; 32]).hash(),
            content: &draft,
            attachments: &[],
            product: None,
            received_from: Some("203.0.113.0/24"),
            challenge: None,
            source: cvdesk_domain::report_source::ReportSource::Form,
        })
        .await
        .expect("stored")
        .id
}

async fn close(store: &dyn Store, id: i64, to: ReportState, reason: &str, at: OffsetDateTime) {
    let transition = Transition {
        from: ReportState::New,
        to,
        reason: Some(reason.to_owned()),
        duplicate_of: None,
    };
    store
        .transition_report(id, &transition, &triager(), &[], at)
        .await
        .expect("closed");
}

async fn received_from(store: &dyn Store, seed: u8) -> Option<String> {
    let hash = TrackingToken::from_random_bytes([seed; 32]).hash();
    store
        .report_by_tracking_token(&hash)
        .await
        .expect("read")
        .expect("stored")
        .received_from
}

/// What the rules would find due long after every row here expired, was sent or closed:
/// the rows that are still there.
async fn remaining(store: &dyn Store) -> RetentionCounts {
    let far_future = RetentionSettings::default().cutoffs(datetime!(2040-01-01 00:00 UTC));
    store.retention_due(&far_future).await.expect("counted")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_due_goes_and_nothing_else() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        for sql in ROWS {
            backend.execute_behind_the_store(sql).await;
        }
        // 1 closed long ago, 2 closed lately, 3 open, 4 spam long ago, 5 spam lately.
        let ids = [
            report(&*store, 1, None).await,
            report(&*store, 2, None).await,
            report(&*store, 3, None).await,
            report(&*store, 4, None).await,
            report(&*store, 5, None).await,
        ];
        close(
            &*store,
            ids[0],
            ReportState::Informative,
            "known",
            datetime!(2026-05-01 00:00 UTC),
        )
        .await;
        close(
            &*store,
            ids[1],
            ReportState::Informative,
            "known",
            datetime!(2026-08-01 00:00 UTC),
        )
        .await;
        close(
            &*store,
            ids[3],
            ReportState::NotApplicable,
            "spam",
            datetime!(2026-07-01 00:00 UTC),
        )
        .await;
        close(
            &*store,
            ids[4],
            ReportState::NotApplicable,
            "spam",
            datetime!(2026-08-20 00:00 UTC),
        )
        .await;

        let cutoffs = RetentionSettings::default().cutoffs(NOW);
        let due = store.retention_due(&cutoffs).await.expect("dry run");
        let expected = RetentionCounts {
            client_addresses: 1,
            spam_reports: 1,
            sessions: 1,
            links: 3,
            challenges: 1,
            sent_mail: 1,
        };
        assert_eq!(due, expected, "{name}: the dry run");
        assert_eq!(
            store.retention_due(&cutoffs).await.expect("again"),
            expected,
            "{name}: a dry run removes nothing"
        );

        let entry = |counts: &RetentionCounts| {
            let mut event = triager();
            event.action = "retention.applied".into();
            event.detail = counts.to_string();
            event
        };
        let applied = store
            .apply_retention(&cutoffs, &entry)
            .await
            .expect("applied");
        assert_eq!(
            applied,
            RetentionCounts {
                spam_reports: 0,
                ..expected
            },
            "{name}"
        );
        let spam = store
            .spam_reports_due(cutoffs.spam_before)
            .await
            .expect("spam");
        assert_eq!(spam, vec![ids[3]], "{name}");
        let purged = |_: &PurgedReport| triager();
        store
            .purge_spam_report(ids[3], &purged)
            .await
            .expect("purged");

        assert!(
            store
                .retention_due(&cutoffs)
                .await
                .expect("after")
                .is_empty(),
            "{name}: nothing due is left"
        );
        assert_eq!(
            remaining(&*store).await,
            RetentionCounts {
                client_addresses: 2,
                spam_reports: 1,
                sessions: 2,
                links: 3,
                challenges: 1,
                sent_mail: 1,
            },
            "{name}: everything not yet due is kept"
        );
        assert_eq!(received_from(&*store, 1).await, None, "{name}");
        for seed in [2, 3, 5] {
            assert!(
                received_from(&*store, seed).await.is_some(),
                "{name}: report {seed}"
            );
        }
        let log = store.audit_entries_before(None, 5).await.expect("audit");
        assert!(
            log.iter()
                .any(|entry| entry.event.action == "retention.applied"
                    && entry.event.detail.contains("sessions: 1")),
            "{name}: the run is in the audit log with its counts"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finders_contact_details_go_when_staff_confirm_their_request() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let id = report(&*store, 7, Some("ada@example.org")).await;
        let asked = datetime!(2026-08-01 10:00 UTC);
        assert!(
            matches!(
                store.request_contact_removal(id, asked).await,
                Err(StoreError::Conflict(_))
            ),
            "{name}: only once the report is closed"
        );
        close(
            &*store,
            id,
            ReportState::Informative,
            "known",
            datetime!(2026-07-01 00:00 UTC),
        )
        .await;
        store
            .request_contact_removal(id, asked)
            .await
            .expect("asked");
        store
            .request_contact_removal(id, datetime!(2026-08-02 10:00 UTC))
            .await
            .expect("asked again");
        assert_eq!(
            store.contact_removal_requested(id).await.expect("read"),
            Some(asked),
            "{name}: the first request counts"
        );
        store.remove_contact(id, &triager()).await.expect("removed");
        let hash = TrackingToken::from_random_bytes([7; 32]).hash();
        let stored = store
            .report_by_tracking_token(&hash)
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(stored.content.contact, Default::default(), "{name}");
        assert_eq!(stored.received_from, None, "{name}");
        assert_eq!(
            store.contact_removal_requested(id).await.expect("read"),
            None
        );
        assert!(
            matches!(
                store.remove_contact(id, &triager()).await,
                Err(StoreError::Conflict(_))
            ),
            "{name}: nothing waits any more"
        );
        assert!(
            matches!(
                store.request_contact_removal(id, asked).await,
                Err(StoreError::Conflict(_))
            ),
            "{name}: nothing is left to remove"
        );
    }
}
