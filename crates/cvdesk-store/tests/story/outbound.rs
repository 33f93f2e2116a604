//! Vendors, outbound cases and received mail, on every backend: case ids without gaps,
//! changes recorded only from the state they were decided in, evidence only from the
//! case's own log, reminders once, mail about a case naming it, nothing changed when the
//! audit entry cannot be written, and received mail kept before it is delivered.

use cvdesk_domain::outbound::log::{Channel, LogKind};
use cvdesk_domain::outbound::{CaseState, Preset};
use cvdesk_domain::vendor::{ContactKind, VendorContact, VendorDetails, VendorId};
use cvdesk_domain::ReferencePrefix;
use cvdesk_store::{
    CaseChange, CaseRecord, Delivery, MailBody, MailKind, NewCase, NewCaseFile, NewLogEntry,
    NewMail, NewReceivedMail, Store, StoreError,
};
use time::macros::{date, datetime};
use time::OffsetDateTime;

use crate::backends::backends;
use crate::staff::triager;

const NOW: OffsetDateTime = datetime!(2026-03-02 10:00 UTC);

fn acme() -> VendorDetails {
    VendorDetails {
        name: "Acme".into(),
        domains: vec!["acme.example".into()],
        contacts: vec![VendorContact {
            kind: ContactKind::Email,
            value: "psirt@acme.example".into(),
        }],
        languages: vec!["en".into()],
        ..VendorDetails::default()
    }
}

async fn new_case(store: &dyn Store, vendor: VendorId) -> cvdesk_store::StoredCase {
    store
        .create_case(
            NewCase {
                prefix: &ReferencePrefix::default(),
                vendor_id: vendor,
                form: "{}",
                preset: Preset::Standard,
                created_by: "ada@research.example",
                now: NOW,
            },
            &|_| triager(),
        )
        .await
        .expect("created")
}

fn inquiry_mail() -> NewMail {
    NewMail {
        kind: MailKind::VendorInquiry,
        report_id: None,
        recipient: "psirt@acme.example".into(),
        subject: "Security vulnerability".into(),
        body: MailBody::Plain("details".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_from_draft_to_agreed_date() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let vendor = store
            .create_vendor(&acme(), &|_| triager(), NOW)
            .await
            .expect("vendor");
        assert_eq!(
            store.vendor(vendor.id).await.expect("read"),
            Some(vendor.clone())
        );
        let mut changed = acme();
        changed.notes = Some("Prefers encrypted mail".into());
        let updated = store
            .update_vendor(vendor.id, &changed, &triager(), NOW)
            .await
            .expect("update")
            .expect("exists");
        assert_eq!(
            updated.details.notes.as_deref(),
            Some("Prefers encrypted mail")
        );
        assert!(store
            .update_vendor(VendorId(999), &changed, &triager(), NOW)
            .await
            .expect("update")
            .is_none());
        assert_eq!(store.vendors().await.expect("list").len(), 1, "{name}");

        let first = new_case(&*store, vendor.id).await;
        let second = new_case(&*store, vendor.id).await;
        assert_eq!(first.id.to_string(), "CVD-OUT-2026-0001", "{name}");
        assert_eq!(second.id.to_string(), "CVD-OUT-2026-0002", "{name}");
        assert_eq!(
            store.case_by_id(&first.id).await.expect("read"),
            Some(first.clone())
        );

        let mut sent = NewLogEntry::new(LogKind::Sent, NOW, "ada@research.example", "inquiry");
        sent.channel = Some(Channel::Email);
        sent.encrypted = Some(true);
        let ids = store
            .record_case(
                first.row_id,
                CaseRecord {
                    expected: CaseState::Draft,
                    change: CaseChange {
                        state: Some(CaseState::Reported),
                        reported_at: Some(NOW),
                        ..CaseChange::default()
                    },
                    entries: std::slice::from_ref(&sent),
                    mail: &[inquiry_mail()],
                    audit: Some(&triager()),
                    now: NOW,
                },
            )
            .await
            .expect("sent");
        // A second send decided from the draft finds the case reported.
        let again = store
            .record_case(
                first.row_id,
                CaseRecord {
                    expected: CaseState::Draft,
                    change: CaseChange::default(),
                    entries: std::slice::from_ref(&sent),
                    mail: &[inquiry_mail()],
                    audit: Some(&triager()),
                    now: NOW,
                },
            )
            .await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{name}: {again:?}"
        );
        let claimed = store
            .claim_mail(NOW, time::Duration::minutes(10), 10)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 1, "{name}: one inquiry queued");
        assert_eq!(claimed[0].case_id, Some(first.row_id));
        assert_eq!(
            store.case_of_sent_mail(claimed[0].id).await.expect("read"),
            Some((Some(first.row_id), None, "psirt@acme.example".to_owned()))
        );

        let mut reply = NewLogEntry::new(LogKind::VendorReply, NOW, "mail", "We agree to 15 July.");
        reply.files.push(NewCaseFile {
            file_name: "plan.pdf".into(),
            content: b"%PDF-".to_vec(),
        });
        let reply_ids = store
            .record_case(
                first.row_id,
                CaseRecord {
                    expected: CaseState::Reported,
                    change: CaseChange {
                        state: Some(CaseState::Acknowledged),
                        ..CaseChange::default()
                    },
                    entries: std::slice::from_ref(&reply),
                    mail: &[],
                    audit: None,
                    now: NOW,
                },
            )
            .await
            .expect("reply");
        // Evidence from another case's log is refused.
        let foreign = store
            .record_case(
                second.row_id,
                CaseRecord {
                    expected: CaseState::Draft,
                    change: CaseChange {
                        agreed: Some((date!(2026 - 07 - 15), reply_ids[0])),
                        ..CaseChange::default()
                    },
                    entries: &[],
                    mail: &[],
                    audit: Some(&triager()),
                    now: NOW,
                },
            )
            .await;
        assert!(
            matches!(foreign, Err(StoreError::Missing(_))),
            "{name}: {foreign:?}"
        );
        let mut agreed = NewLogEntry::new(LogKind::DeadlineAgreed, NOW, "ada", "agreed");
        agreed.announce_by = Some(date!(2026 - 07 - 15));
        agreed.evidence = Some(reply_ids[0]);
        store
            .record_case(
                first.row_id,
                CaseRecord {
                    expected: CaseState::Acknowledged,
                    change: CaseChange {
                        agreed: Some((date!(2026 - 07 - 15), reply_ids[0])),
                        ..CaseChange::default()
                    },
                    entries: &[agreed],
                    mail: &[],
                    audit: Some(&triager()),
                    now: NOW,
                },
            )
            .await
            .expect("agreed");
        let case = store
            .case_by_row(first.row_id)
            .await
            .expect("read")
            .expect("there");
        assert_eq!(case.state, CaseState::Acknowledged);
        assert_eq!(case.reported_at, Some(NOW));
        assert_eq!(case.agreed_announce_by, Some(date!(2026 - 07 - 15)));
        assert_eq!(case.agreed_evidence, Some(reply_ids[0]));
        let log = store.case_log(first.row_id).await.expect("log");
        let kinds: Vec<LogKind> = log.iter().map(|entry| entry.kind).collect();
        assert_eq!(
            kinds,
            [
                LogKind::Created,
                LogKind::Sent,
                LogKind::VendorReply,
                LogKind::DeadlineAgreed
            ],
            "{name}"
        );
        assert_eq!(log[1].id, ids[0]);
        assert_eq!(log[1].encrypted, Some(true));
        assert_eq!(log[2].attachments.len(), 1);
        let file = store
            .case_file(first.row_id, log[2].attachments[0].id)
            .await
            .expect("read");
        assert_eq!(file, Some(("plan.pdf".to_owned(), b"%PDF-".to_vec())));
        assert_eq!(
            store
                .case_file(second.row_id, log[2].attachments[0].id)
                .await
                .expect("read"),
            None
        );

        let reminder = NewLogEntry::new(LogKind::Reminder, NOW, "desk", "verification soon");
        for expected in [true, false] {
            assert_eq!(
                store
                    .record_case_reminder(first.row_id, "verification_soon_1", &reminder, &[], NOW)
                    .await
                    .expect("reminder"),
                expected,
                "{name}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_change_whose_audit_entry_fails_does_not_happen() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let vendor = store
            .create_vendor(&acme(), &|_| triager(), NOW)
            .await
            .expect("vendor");
        let case = new_case(&*store, vendor.id).await;
        backend
            .execute_behind_the_store(
                "DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log)",
            )
            .await;
        let sent = NewLogEntry::new(LogKind::Sent, NOW, "ada", "inquiry");
        let outcome = store
            .record_case(
                case.row_id,
                CaseRecord {
                    expected: CaseState::Draft,
                    change: CaseChange {
                        state: Some(CaseState::Reported),
                        reported_at: Some(NOW),
                        ..CaseChange::default()
                    },
                    entries: std::slice::from_ref(&sent),
                    mail: &[inquiry_mail()],
                    audit: Some(&triager()),
                    now: NOW,
                },
            )
            .await;
        assert!(
            matches!(outcome, Err(StoreError::Corrupt(_))),
            "{name}: {outcome:?}"
        );
        let unchanged = store
            .case_by_row(case.row_id)
            .await
            .expect("read")
            .expect("there");
        assert_eq!(unchanged.state, CaseState::Draft, "{name}");
        assert_eq!(
            store.case_log(case.row_id).await.expect("log").len(),
            1,
            "{name}"
        );
        assert!(store
            .claim_mail(NOW, time::Duration::minutes(10), 10)
            .await
            .expect("claim")
            .is_empty());
        let vendor_refused = store.create_vendor(&acme(), &|_| triager(), NOW).await;
        assert!(
            matches!(vendor_refused, Err(StoreError::Corrupt(_))),
            "{name}"
        );
        assert_eq!(store.vendors().await.expect("list").len(), 1, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn received_mail_is_kept_before_it_goes_anywhere() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let raw = b"From: a@b.example\r\n\r\n\0binary\xff";
        let id = store
            .keep_received_mail(NewReceivedMail {
                received_at: NOW,
                reason: None,
                sender: Some("a@b.example"),
                subject: "hello",
                message_id: Some("m1@b.example"),
                size_bytes: raw.len() as u64,
                raw,
            })
            .await
            .expect("kept");
        let quarantined = store.quarantined_mail(10).await.expect("list");
        assert_eq!(quarantined.len(), 1, "{name}");
        assert_eq!(quarantined[0].delivery, Delivery::Quarantined);
        assert_eq!(
            store.received_mail_raw(id).await.expect("raw"),
            Some(raw.to_vec())
        );
        store
            .deliver_received_mail(id, Delivery::Quarantined, Some("no reply token"))
            .await
            .expect("reason");
        let listed = store.quarantined_mail(10).await.expect("list");
        assert_eq!(
            listed[0].reason.as_deref(),
            Some("no reply token"),
            "{name}"
        );
    }
}
