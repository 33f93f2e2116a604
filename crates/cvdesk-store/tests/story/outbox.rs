//! The outbox: mail queued with its report or not at all, leased claims that never hand one
//! mail to two senders, back-off, giving up with the error kept, and a restart in between.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cvdesk_domain::report::Report;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{
    Failure, MailBody, MailKind, MailStatus, NewMail, NewReport, Retry, SpentChallenge, Store,
    StoreError,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::backends::backends;

const T0: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);
const LEASE: Duration = Duration::minutes(5);

fn draft() -> ReportDraft {
    ReportDraft::parse(
        &ReportInput {
            title: Some("Stored XSS in comments".into()),
            summary: Some("Summary".into()),
            steps_to_reproduce: Some("Steps".into()),
            impact: Some("Impact".into()),
            contact_email: Some("ada@example.org".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid draft")
}

fn mail(recipient: &str, subject: &str) -> NewMail {
    NewMail {
        kind: MailKind::StaffNewReport,
        report_id: None,
        recipient: recipient.to_owned(),
        subject: subject.to_owned(),
        body: MailBody::Plain(format!("{subject}\n")),
    }
}

/// The acknowledgement a desk would queue for `report`.
fn acknowledgement(report: &Report) -> Vec<NewMail> {
    vec![NewMail {
        kind: MailKind::FinderAcknowledgement,
        report_id: Some(report.id),
        recipient: report.content.contact.email.clone().unwrap_or_default(),
        subject: format!("[{}] Report received", report.reference),
        body: MailBody::PgpMime("-----BEGIN PGP MESSAGE-----\n…".into()),
    }]
}

async fn create(store: &dyn Store, seed: u8, nonce: &str) -> Result<Report, StoreError> {
    store
        .create_report_with_mail(
            NewReport {
                prefix: &ReferencePrefix::default(),
                received_at: T0,
                tracking_token_hash: &TrackingToken::from_random_bytes([seed; 32]).hash(),
                content: &draft(),
                attachments: &[],
                product: None,
                received_from: None,
                challenge: Some(SpentChallenge {
                    nonce,
                    expires_at: T0 + Duration::hours(1),
                }),
                source: cvdesk_domain::report_source::ReportSource::Form,
            },
            &acknowledgement,
        )
        .await
}

#[tokio::test]
async fn mail_about_a_report_commits_with_it_or_not_at_all() {
    for backend in backends().await {
        let store = backend.open().await;
        let report = create(store.as_ref(), 1, "nonce-a").await.expect("stored");
        let refused = create(store.as_ref(), 2, "nonce-a").await;
        assert!(
            matches!(refused, Err(StoreError::ChallengeSpent)),
            "{}",
            backend.name
        );
        let claimed = store.claim_mail(T0, LEASE, 10).await.expect("claim");
        assert_eq!(
            claimed.len(),
            1,
            "{}: only the stored report's",
            backend.name
        );
        let mail = &claimed[0];
        assert_eq!(mail.report_id, Some(report.id));
        assert_eq!(mail.kind, MailKind::FinderAcknowledgement);
        assert_eq!(mail.recipient, "ada@example.org");
        assert_eq!(mail.subject, "[CVD-2026-0001] Report received");
        assert_eq!(mail.body, acknowledgement(&report)[0].body);
        assert_eq!(
            (mail.attempts, mail.created_at),
            (1, T0),
            "{}",
            backend.name
        );
    }
}

#[tokio::test]
async fn a_lease_hides_a_claimed_mail_until_it_ends() {
    for backend in backends().await {
        let store = backend.open().await;
        let queued = [
            mail("a@example.org", "first"),
            mail("b@example.org", "second"),
        ];
        store.enqueue_mail(&queued, T0).await.expect("queued");
        store
            .enqueue_mail(&[mail("c@example.org", "third")], T0 + Duration::seconds(1))
            .await
            .expect("queued");
        assert!(
            store
                .claim_mail(T0 - Duration::seconds(1), LEASE, 10)
                .await
                .expect("claim")
                .is_empty(),
            "{}: nothing is due before it was queued",
            backend.name
        );
        let now = T0 + Duration::seconds(2);
        let first = store.claim_mail(now, LEASE, 2).await.expect("claim");
        let subjects: Vec<&str> = first.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(
            subjects,
            ["first", "second"],
            "{}: oldest first",
            backend.name
        );
        let rest = store.claim_mail(now, LEASE, 10).await.expect("claim");
        assert_eq!(rest.len(), 1, "{}", backend.name);
        assert_eq!(rest[0].subject, "third");
        assert!(store
            .claim_mail(now, LEASE, 10)
            .await
            .expect("claim")
            .is_empty());

        // The first is sent; the senders of the others died. Their leases end, they return.
        store.mark_mail_sent(first[0].id, now).await.expect("sent");
        let after_lease = now + LEASE;
        let again = store
            .claim_mail(after_lease, LEASE, 10)
            .await
            .expect("claim");
        let subjects: Vec<&str> = again.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(subjects, ["second", "third"], "{}", backend.name);
        assert!(again.iter().all(|m| m.attempts == 2), "{}", backend.name);
    }
}

#[tokio::test]
async fn failures_back_off_then_give_up_keeping_the_error() {
    for backend in backends().await {
        let store = backend.open().await;
        store
            .enqueue_mail(&[mail("a@example.org", "transient")], T0)
            .await
            .expect("queued");
        store
            .enqueue_mail(&[mail("b@example.org", "permanent")], T0)
            .await
            .expect("queued");
        let claimed = store.claim_mail(T0, LEASE, 10).await.expect("claim");
        let [transient, permanent] = claimed.as_slice() else {
            panic!("{}: two claimed", backend.name);
        };
        let retry = store
            .mark_mail_failed(transient, Failure::Transient, "connection refused", T0)
            .await
            .expect("recorded");
        assert_eq!(
            retry,
            Retry::At(T0 + Duration::seconds(30)),
            "{}",
            backend.name
        );
        let gone = store
            .mark_mail_failed(permanent, Failure::Permanent, "550 no such user", T0)
            .await
            .expect("recorded");
        assert_eq!(gone, Retry::GivenUp);

        let early = T0 + Duration::seconds(29);
        assert!(store
            .claim_mail(early, LEASE, 10)
            .await
            .expect("claim")
            .is_empty());
        let mut now = T0 + Duration::seconds(30);
        let mut waits = Vec::new();
        loop {
            let claimed = store.claim_mail(now, LEASE, 10).await.expect("claim");
            let [mail] = claimed.as_slice() else {
                panic!("{}: the transient one is due at {now}", backend.name);
            };
            assert_eq!(mail.subject, "transient");
            match store
                .mark_mail_failed(mail, Failure::Transient, "421 try later", now)
                .await
                .expect("recorded")
            {
                Retry::At(next) => {
                    waits.push((next - now).whole_seconds());
                    now = next;
                }
                Retry::GivenUp => break,
            }
        }
        assert_eq!(waits[..8], [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert!(
            now <= T0 + Duration::days(3),
            "{}: gave up by then",
            backend.name
        );
        assert!(now > T0 + Duration::days(3) - Duration::hours(1));
        assert!(store
            .claim_mail(now + Duration::days(30), LEASE, 10)
            .await
            .expect("claim")
            .is_empty());

        let entries = store.recent_mail(10).await.expect("listed");
        assert_eq!(entries.len(), 2, "{}", backend.name);
        assert!(entries
            .iter()
            .all(|e| matches!(e.status, MailStatus::GivenUp { .. })));
        assert_eq!(entries[0].last_error.as_deref(), Some("550 no such user"));
        assert_eq!(entries[1].last_error.as_deref(), Some("421 try later"));
        assert_eq!(entries[1].attempts, 2 + waits.len() as u32);
    }
}

#[tokio::test]
async fn queued_and_leased_mail_survives_a_restart() {
    for backend in backends().await {
        let store = backend.open().await;
        store
            .enqueue_mail(
                &[mail("a@example.org", "one"), mail("b@example.org", "two")],
                T0,
            )
            .await
            .expect("queued");
        let leased = store.claim_mail(T0, LEASE, 1).await.expect("claim");
        assert_eq!(leased.len(), 1);
        drop(store);

        let store = backend.open().await;
        let now = T0 + Duration::seconds(1);
        let due = store.claim_mail(now, LEASE, 10).await.expect("claim");
        assert_eq!(
            due.len(),
            1,
            "{}: the lease still holds the other",
            backend.name
        );
        store.mark_mail_sent(due[0].id, now).await.expect("sent");
        let returned = store
            .claim_mail(T0 + LEASE, LEASE, 10)
            .await
            .expect("claim");
        assert_eq!(returned.len(), 1, "{}", backend.name);
        assert_eq!(returned[0].id, leased[0].id);
        let entries = store.recent_mail(10).await.expect("listed");
        let sent = entries
            .iter()
            .filter(|e| matches!(e.status, MailStatus::Sent { .. }))
            .count();
        assert_eq!(sent, 1, "{}", backend.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_senders_never_claim_one_mail_twice() {
    const MAILS: usize = 60;
    for backend in backends().await {
        let store = backend.open().await;
        let queued: Vec<NewMail> = (0..MAILS)
            .map(|i| mail(&format!("s{i}@example.org"), &format!("mail {i}")))
            .collect();
        store.enqueue_mail(&queued, T0).await.expect("queued");
        let total = Arc::new(AtomicUsize::new(0));
        let senders: Vec<_> = (0..6)
            .map(|_| {
                let store = Arc::clone(&store);
                let total = Arc::clone(&total);
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    while total.load(Ordering::SeqCst) < MAILS {
                        let claimed = store.claim_mail(T0, LEASE, 3).await.expect("claim");
                        total.fetch_add(claimed.len(), Ordering::SeqCst);
                        if claimed.is_empty() {
                            tokio::task::yield_now().await;
                        }
                        mine.extend(claimed.into_iter().map(|m| m.id));
                    }
                    mine
                })
            })
            .collect();
        let mut ids = BTreeSet::new();
        let mut claims = 0;
        for sender in senders {
            for id in sender.await.expect("sender") {
                claims += 1;
                assert!(ids.insert(id), "{}: mail {id} claimed twice", backend.name);
            }
        }
        assert_eq!((claims, ids.len()), (MAILS, MAILS), "{}", backend.name);
        assert!(store
            .claim_mail(T0, LEASE, 10)
            .await
            .expect("claim")
            .is_empty());
    }
}

#[tokio::test]
async fn a_released_claim_is_due_at_once_without_counting_an_attempt() {
    for backend in backends().await {
        let store = backend.open().await;
        store
            .enqueue_mail(&[mail("a@example.org", "held")], T0)
            .await
            .expect("queued");
        let claimed = store.claim_mail(T0, LEASE, 10).await.expect("claim");
        assert_eq!(claimed.len(), 1, "{}", backend.name);
        let stop = T0 + Duration::seconds(3);
        assert!(
            !store
                .release_mail(&claimed[0], T0 + LEASE + Duration::seconds(1), stop)
                .await
                .expect("release"),
            "{}: not the lease it was claimed with",
            backend.name
        );
        assert!(
            store
                .release_mail(&claimed[0], T0 + LEASE, stop)
                .await
                .expect("release"),
            "{}",
            backend.name
        );
        // Due again at once, well inside the lease it was claimed with.
        let again = store.claim_mail(stop, LEASE, 10).await.expect("claim");
        assert_eq!(again.len(), 1, "{}: due at once", backend.name);
        assert_eq!(
            again[0].attempts, 1,
            "{}: the released claim was no attempt",
            backend.name
        );

        // That second claim's sender died; after its lease a third sender holds the mail,
        // and the second's late release must not free it.
        let after_lease = stop + LEASE;
        let taken_over = store
            .claim_mail(after_lease, LEASE, 10)
            .await
            .expect("claim");
        assert_eq!(taken_over[0].attempts, 2, "{}", backend.name);
        assert!(
            !store
                .release_mail(&again[0], stop + LEASE, after_lease)
                .await
                .expect("release"),
            "{}: the second sender no longer holds it",
            backend.name
        );
        assert!(
            store
                .claim_mail(after_lease, LEASE, 10)
                .await
                .expect("claim")
                .is_empty(),
            "{}: still held by its current sender",
            backend.name
        );

        // Sent mail is never released back into the queue.
        store
            .mark_mail_sent(taken_over[0].id, after_lease)
            .await
            .expect("sent");
        assert!(
            !store
                .release_mail(&taken_over[0], after_lease + LEASE, after_lease)
                .await
                .expect("release"),
            "{}",
            backend.name
        );
        assert!(
            store
                .claim_mail(after_lease + LEASE, LEASE, 10)
                .await
                .expect("claim")
                .is_empty(),
            "{}",
            backend.name
        );
    }
}
