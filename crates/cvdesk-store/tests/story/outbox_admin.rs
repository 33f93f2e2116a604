//! The admins' outbox: states as the rows say, a given-up mail queued again with a fresh
//! window, a mail discarded for good, each with its audit entry or not at all, the finder's
//! undelivered mail on a report, and the health the metrics read.

use cvdesk_domain::report::Report;
use cvdesk_domain::report_source::ReportSource;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{Failure, MailBody, MailKind, NewMail, NewReport, OutboxState, Retry, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::backends::backends;
use crate::staff::triager;

const T0: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);
const LEASE: Duration = Duration::minutes(5);

async fn report_with_acknowledgement(store: &dyn Store) -> Report {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some("Stored XSS".into()),
            summary: Some("Summary".into()),
            steps_to_reproduce: Some("Steps".into()),
            impact: Some("Impact".into()),
            contact_email: Some("ada@example.org".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    store
        .create_report_with_mail(
            NewReport {
                prefix: &ReferencePrefix::default(),
                received_at: T0,
                tracking_token_hash: &TrackingToken::from_random_bytes([7; 32]).hash(),
                content: &draft,
                attachments: &[],
                product: None,
                received_from: None,
                challenge: None,
                source: ReportSource::Form,
            },
            &|report| {
                vec![
                    NewMail {
                        kind: MailKind::FinderAcknowledgement,
                        report_id: Some(report.id),
                        recipient: "ada@example.org".into(),
                        subject: format!("[{}] Report received", report.reference),
                        body: MailBody::Plain("Thank you".into()),
                    },
                    NewMail {
                        kind: MailKind::StaffNewReport,
                        report_id: Some(report.id),
                        recipient: "security@example.org".into(),
                        subject: "New report".into(),
                        body: MailBody::Plain("New".into()),
                    },
                ]
            },
        )
        .await
        .expect("stored")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_queue_given_up_mail_again_or_discard_it() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let report = report_with_acknowledgement(&*store).await;
        let health = store
            .outbox_health(T0 + Duration::minutes(10))
            .await
            .expect("health");
        assert_eq!((health.waiting, health.given_up), (2, 0), "{name}");
        assert_eq!(health.oldest_waiting, Some(Duration::minutes(10)), "{name}");

        // The finder's mail is refused for good; the staff notice fails once.
        let claimed = store.claim_mail(T0, LEASE, 10).await.expect("claimed");
        assert_eq!(claimed.len(), 2, "{name}");
        for mail in &claimed {
            let failure = match mail.kind {
                MailKind::FinderAcknowledgement => Failure::Permanent,
                _ => Failure::Transient,
            };
            store
                .mark_mail_failed(mail, failure, "550 mailbox unavailable", T0)
                .await
                .expect("failed");
        }
        let ack = claimed
            .iter()
            .find(|m| m.kind == MailKind::FinderAcknowledgement)
            .expect("acknowledgement");
        let notice = claimed
            .iter()
            .find(|m| m.kind == MailKind::StaffNewReport)
            .expect("notice");
        let given_up = store
            .outbox_items(Some(OutboxState::GivenUp), None, 10)
            .await
            .expect("given up");
        assert_eq!(given_up.len(), 1, "{name}");
        assert_eq!(
            given_up[0].last_error.as_deref(),
            Some("550 mailbox unavailable")
        );
        let retrying = store
            .outbox_items(Some(OutboxState::Retrying), None, 10)
            .await
            .expect("retrying");
        assert_eq!(
            retrying.iter().map(|m| m.id).collect::<Vec<_>>(),
            [notice.id],
            "{name}"
        );
        let undelivered = store
            .undelivered_finder_mail(report.id)
            .await
            .expect("undelivered");
        assert_eq!(
            undelivered.iter().map(|m| m.id).collect::<Vec<_>>(),
            [ack.id],
            "{name}"
        );

        // Queued again long after it was first queued: it is due now and has three days.
        let later = T0 + Duration::days(5);
        let event = triager();
        assert!(
            !store
                .requeue_mail(notice.id, &event, later)
                .await
                .expect("asked"),
            "{name}"
        );
        assert!(
            store
                .requeue_mail(ack.id, &event, later)
                .await
                .expect("requeued"),
            "{name}"
        );
        assert!(
            !store
                .requeue_mail(ack.id, &event, later)
                .await
                .expect("again"),
            "{name}"
        );
        let again = store.claim_mail(later, LEASE, 10).await.expect("claimed");
        let retried = again.iter().find(|m| m.id == ack.id).expect("due again");
        assert_eq!(retried.attempts, 1, "{name}");
        assert!(
            matches!(
                store
                    .mark_mail_failed(retried, Failure::Transient, "421 try later", later)
                    .await
                    .expect("failed"),
                Retry::At(_)
            ),
            "{name}"
        );
        assert!(store
            .undelivered_finder_mail(report.id)
            .await
            .expect("read")
            .is_empty());

        // Discarded: never claimed again, kept for the record, once.
        assert!(
            store
                .discard_mail(ack.id, &event, later)
                .await
                .expect("discarded"),
            "{name}"
        );
        assert!(
            !store
                .discard_mail(ack.id, &event, later)
                .await
                .expect("again"),
            "{name}"
        );
        let item = store
            .outbox_item(ack.id)
            .await
            .expect("read")
            .expect("kept");
        assert_eq!(item.state, OutboxState::Discarded, "{name}");
        let due = store
            .claim_mail(later + Duration::days(1), LEASE, 10)
            .await
            .expect("claimed");
        assert!(due.iter().all(|m| m.id != ack.id), "{name}");
        assert_eq!(
            store
                .undelivered_finder_mail(report.id)
                .await
                .expect("read")
                .len(),
            1,
            "{name}: discarded mail was not delivered either"
        );
        let audited = store.audit_entries_after(0, 10).await.expect("audit");
        assert_eq!(
            audited.len(),
            2,
            "{name}: one entry per change, none for a refusal"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outbox_action_that_cannot_be_audited_does_not_happen() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        report_with_acknowledgement(&*store).await;
        let claimed = store.claim_mail(T0, LEASE, 10).await.expect("claimed");
        for mail in &claimed {
            store
                .mark_mail_failed(mail, Failure::Permanent, "550", T0)
                .await
                .expect("failed");
        }
        store.append_audit(triager()).await.expect("first entry");
        backend
            .execute_behind_the_store(
                "DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log)",
            )
            .await;
        let id = claimed[0].id;
        assert!(
            store.requeue_mail(id, &triager(), T0).await.is_err(),
            "{name}"
        );
        assert!(
            store.discard_mail(id, &triager(), T0).await.is_err(),
            "{name}"
        );
        let item = store.outbox_item(id).await.expect("read").expect("kept");
        assert_eq!(item.state, OutboxState::GivenUp, "{name}: nothing changed");
    }
}
