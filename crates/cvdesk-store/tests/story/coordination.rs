//! Coordination, on every backend: a report's third-party fields; participants with what
//! each sees, found by their link's hash only; the two axes kept apart (a status makes a
//! contacted vendor acknowledged, a silent one stays not checked); approvals that lapse
//! when the participant changes its status; the embargo and proposals decided once;
//! threads each participant reads; nominations; reminders once; suppliers' agreements; a
//! change outside the coordination (an embargo overridden) logged with its audit entry;
//! and nothing changed when the audit entry cannot be written.

use cvdesk_domain::coordination::{
    Affectedness, ContactStatus, CostBearer, Embargo, LogKind, ParticipantDeadlines,
    ParticipantToken, ProductStatus, ServiceAgreement, Share, StatusInput,
};
use cvdesk_domain::report::Report;
use cvdesk_domain::third_party::ThirdPartyInput;
use cvdesk_domain::vendor::{ContactKind, VendorContact, VendorDetails, VendorId};
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_formats::tlp::Tlp;
use cvdesk_store::{
    Change, ContactMove, Decision, LogEntry, MailBody, MailKind, NewCoordinationMessage, NewMail,
    NewNomination, NewParticipant, NewReport, Store, StoreError,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::backends::backends;
use crate::staff::triager;

const NOW: OffsetDateTime = datetime!(2027-01-05 09:00 UTC);

fn vendor(name: &str) -> VendorDetails {
    VendorDetails {
        name: name.into(),
        contacts: vec![VendorContact {
            kind: ContactKind::Email,
            value: format!("psirt@{}.example", name.to_lowercase()),
        }],
        ..VendorDetails::default()
    }
}

async fn report(store: &dyn Store) -> Report {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some("Deserialisation in the logging library".into()),
            summary: Some("A crafted header reaches the lookup.".into()),
            steps_to_reproduce: Some("1. Send the header".into()),
            impact: Some("Remote code execution".into()),
            third_party: ThirdPartyInput {
                component: Some("log4j-core".into()),
                version: Some("2.14.1".into()),
                supplier: Some("Apache Software Foundation".into()),
                known_cves: vec!["CVE-2021-44228".into(), "CVE-2021-45046".into()],
            },
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: NOW,
            tracking_token_hash: &TrackingToken::from_random_bytes([9; 32]).hash(),
            content: &draft,
            attachments: &[],
            product: None,
            received_from: None,
            challenge: None,
            source: cvdesk_domain::report_source::ReportSource::Form,
        })
        .await
        .expect("stored")
}

fn deadlines() -> ParticipantDeadlines {
    ParticipantDeadlines {
        acknowledge_by: NOW + Duration::days(7),
        status_by: NOW + Duration::days(14),
        fix_by: NOW + Duration::days(90),
    }
}

fn mail(to: &str) -> NewMail {
    NewMail {
        kind: MailKind::ParticipantInvitation,
        report_id: None,
        recipient: to.into(),
        subject: "[TLP:AMBER] invitation".into(),
        body: MailBody::Plain("link".into()),
    }
}

fn entry(kind: LogKind, text: &str) -> LogEntry {
    LogEntry {
        kind,
        participant_id: None,
        actor: "ada@example.org".into(),
        text: text.into(),
    }
}

fn change<'a>(
    kind: LogKind,
    mail: &'a [NewMail],
    audit: Option<&'a cvdesk_domain::audit::AuditEvent>,
) -> Change<'a> {
    Change {
        entry: entry(kind, "changed"),
        mail,
        audit,
        now: NOW,
    }
}

async fn add(
    store: &dyn Store,
    report: &Report,
    vendor: VendorId,
    token: &ParticipantToken,
    share: &Share,
) -> Result<cvdesk_store::Participant, StoreError> {
    let audit = triager();
    store
        .add_participant(
            NewParticipant {
                report_id: report.id,
                vendor_id: vendor,
                token_hash: &token.hash(),
                share,
                tlp: Tlp::Amber,
                contact: ContactStatus::Contacted,
                sees_participants: false,
                talks_to_all: false,
                time_zone: Some("America/New_York"),
                deadlines: deadlines(),
                nomination: None,
                created_by: "ada@example.org",
            },
            change(LogKind::ParticipantAdded, &[mail("psirt@x.example")], None),
            &|_| audit.clone(),
        )
        .await
}

fn status(product: &str, affectedness: &str) -> ProductStatus {
    ProductStatus::parse(&StatusInput {
        product: Some(product.into()),
        status: Some(affectedness.into()),
        statement: Some("Our statement.".into()),
        fixed_version: (affectedness == "fixed").then(|| "2.17.1".into()),
        ..StatusInput::default()
    })
    .expect("valid status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_vendors_one_answers_one_stays_silent() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let report = report(&*store).await;
        let read = store
            .report_by_reference(&report.reference)
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(
            read.content.third_party, report.content.third_party,
            "{name}"
        );
        assert_eq!(
            read.content.third_party.known_cves_text(),
            "CVE-2021-44228 CVE-2021-45046"
        );

        let acme = store
            .create_vendor(&vendor("Acme"), &|_| triager(), NOW)
            .await
            .expect("vendor");
        let globex = store
            .create_vendor(&vendor("Globex"), &|_| triager(), NOW)
            .await
            .expect("vendor");
        let summary = Share::summary_only();
        let acme_token = ParticipantToken::from_random_bytes([1; 32]);
        let globex_token = ParticipantToken::from_random_bytes([2; 32]);
        let first = add(&*store, &report, acme.id, &acme_token, &summary)
            .await
            .expect("added");
        let second = add(&*store, &report, globex.id, &globex_token, &summary)
            .await
            .expect("added");
        assert_eq!(first.vendor_name, "Acme");
        let again = add(
            &*store,
            &report,
            acme.id,
            &ParticipantToken::from_random_bytes([3; 32]),
            &summary,
        )
        .await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{name}: {again:?}"
        );
        let missing = add(
            &*store,
            &report,
            VendorId(999),
            &ParticipantToken::from_random_bytes([4; 32]),
            &summary,
        )
        .await;
        assert!(
            matches!(missing, Err(StoreError::Missing(_))),
            "{name}: {missing:?}"
        );

        let found = store
            .participant_by_token(&acme_token.hash())
            .await
            .expect("read")
            .expect("found by its hash");
        assert_eq!(found.id, first.id);
        assert_eq!(found.share, summary);
        assert_eq!(found.time_zone.as_deref(), Some("America/New_York"));
        assert!(store
            .participant_by_token(&ParticipantToken::from_random_bytes([5; 32]).hash())
            .await
            .expect("read")
            .is_none());

        // Acme answers affected: its contact moves to acknowledged with the answer.
        store
            .state_product(
                first.id,
                &status("Router X", "affected"),
                Some(ContactMove {
                    from: ContactStatus::Contacted,
                    to: ContactStatus::Acknowledged,
                }),
                change(LogKind::Status, &[], None),
            )
            .await
            .expect("stated");
        let participants = store.participants(report.id).await.expect("list");
        assert_eq!(participants.len(), 2, "{name}");
        let (acme_now, globex_now) = (&participants[0], &participants[1]);
        assert_eq!(acme_now.contact, ContactStatus::Acknowledged, "{name}");
        assert!(acme_now.answered_at.is_some() && acme_now.first_status_at.is_some());
        assert_eq!(acme_now.statuses.len(), 1);
        assert_eq!(acme_now.statuses[0].status.status, Affectedness::Affected);
        assert_eq!(globex_now.id, second.id);
        assert_eq!(
            globex_now.contact,
            ContactStatus::Contacted,
            "silence is not an answer"
        );
        assert!(
            globex_now.statuses.is_empty(),
            "{name}: nothing stated is not checked"
        );

        // An approval holds for the status as seen; a change lets it lapse.
        let stated = acme_now.statuses[0].clone();
        store
            .approve_status(
                first.id,
                stated.id,
                stated.stated_at,
                "ada@example.org",
                change(LogKind::StatusApproved, &[], Some(&triager())),
            )
            .await
            .expect("approved");
        let approved = store
            .participant(first.id)
            .await
            .expect("read")
            .expect("exists");
        assert!(approved.statuses[0].approved.is_some(), "{name}");
        let later = Change {
            now: NOW + Duration::hours(1),
            ..change(LogKind::Status, &[], None)
        };
        store
            .state_product(first.id, &status("Router X", "fixed"), None, later)
            .await
            .expect("stated again");
        let changed = store
            .participant(first.id)
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(
            changed.statuses.len(),
            1,
            "the same product replaces its status"
        );
        assert!(
            changed.statuses[0].approved.is_none(),
            "{name}: the approval lapsed"
        );
        assert!(
            changed.resolved_at.is_some(),
            "every stated product is fixed"
        );
        let stale = store
            .approve_status(
                first.id,
                stated.id,
                stated.stated_at,
                "ada@example.org",
                change(LogKind::StatusApproved, &[], Some(&triager())),
            )
            .await;
        assert!(
            matches!(stale, Err(StoreError::Conflict(_))),
            "{name}: {stale:?}"
        );

        // The deadline job: Globex becomes unresponsive once, with one reminder.
        let silent = Some(ContactMove {
            from: ContactStatus::Contacted,
            to: ContactStatus::Unresponsive,
        });
        for expected in [true, false] {
            let recorded = store
                .record_participant_reminder(
                    second.id,
                    "unresponsive",
                    silent,
                    change(LogKind::Reminder, &[], None),
                )
                .await
                .expect("recorded");
            assert_eq!(recorded, expected, "{name}");
        }
        let pending = store.participants_with_deadlines().await.expect("list");
        assert!(pending
            .iter()
            .any(|p| p.id == second.id && p.contact == ContactStatus::Unresponsive));
        let moved_twice = store
            .move_contact(
                second.id,
                ContactMove {
                    from: ContactStatus::Contacted,
                    to: ContactStatus::Declined,
                },
                change(LogKind::Contact, &[], Some(&triager())),
            )
            .await;
        assert!(
            matches!(moved_twice, Err(StoreError::Conflict(_))),
            "{name}: {moved_twice:?}"
        );

        let log = store.coordination_log(report.id).await.expect("log");
        assert!(log
            .iter()
            .any(|e| e.kind == LogKind::Reminder && e.participant_id.is_none()));
        assert_eq!(
            log.iter()
                .filter(|e| e.kind == LogKind::ParticipantAdded)
                .count(),
            2,
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embargo_threads_and_nominations() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let report = report(&*store).await;
        let acme = store
            .create_vendor(&vendor("Acme"), &|_| triager(), NOW)
            .await
            .expect("vendor");
        let globex = store
            .create_vendor(&vendor("Globex"), &|_| triager(), NOW)
            .await
            .expect("vendor");
        let a = add(
            &*store,
            &report,
            acme.id,
            &ParticipantToken::from_random_bytes([1; 32]),
            &Share::summary_only(),
        )
        .await
        .expect("added");
        let b = add(
            &*store,
            &report,
            globex.id,
            &ParticipantToken::from_random_bytes([2; 32]),
            &Share::summary_only(),
        )
        .await
        .expect("added");

        assert!(store.embargo(report.id).await.expect("read").is_none());
        let embargo =
            Embargo::parse("2027-02-10T17:00:00+01:00", "Europe/Berlin", NOW).expect("valid");
        store
            .set_embargo(
                report.id,
                &embargo,
                None,
                change(LogKind::EmbargoSet, &[], Some(&triager())),
            )
            .await
            .expect("set");
        let stored = store.embargo(report.id).await.expect("read").expect("set");
        assert_eq!(stored.ends_at(), datetime!(2027-02-10 16:00 UTC), "{name}");
        assert_eq!(stored.zone().name(), "Europe/Berlin");

        let later =
            Embargo::parse("2027-03-01T09:00:00-05:00", "America/New_York", NOW).expect("valid");
        let proposal = store
            .propose_embargo(
                report.id,
                a.id,
                &later,
                "Our fix ships in March.",
                change(LogKind::EmbargoProposed, &[], None),
            )
            .await
            .expect("proposed");
        let other = store
            .propose_embargo(
                report.id,
                b.id,
                &later,
                "Same.",
                change(LogKind::EmbargoProposed, &[], None),
            )
            .await
            .expect("proposed");
        store
            .set_embargo(
                report.id,
                &later,
                Some(proposal),
                change(LogKind::EmbargoSet, &[], Some(&triager())),
            )
            .await
            .expect("accepted");
        let twice = store
            .set_embargo(
                report.id,
                &later,
                Some(proposal),
                change(LogKind::EmbargoSet, &[], Some(&triager())),
            )
            .await;
        assert!(
            matches!(twice, Err(StoreError::Conflict(_))),
            "{name}: {twice:?}"
        );
        store
            .decline_embargo_proposal(
                report.id,
                other,
                change(LogKind::EmbargoProposalDeclined, &[], Some(&triager())),
            )
            .await
            .expect("declined");
        let proposals = store.embargo_proposals(report.id).await.expect("list");
        assert_eq!(
            proposals.iter().map(|p| p.decision).collect::<Vec<_>>(),
            [Decision::Accepted, Decision::Declined],
            "{name}"
        );
        assert_eq!(
            store
                .embargo(report.id)
                .await
                .expect("read")
                .expect("set")
                .ends_at(),
            datetime!(2027-03-01 14:00 UTC)
        );

        // Threads: each participant reads its own, and the thread of all only if allowed.
        for (thread, label) in [
            (Some(a.id), "to Acme"),
            (Some(b.id), "to Globex"),
            (None, "to all"),
        ] {
            store
                .post_coordination_message(
                    NewCoordinationMessage {
                        report_id: report.id,
                        thread,
                        author: None,
                        author_label: "Coordinator",
                        body: label,
                        tlp: Tlp::Amber,
                    },
                    None,
                    &[],
                    Some(&triager()),
                    NOW,
                )
                .await
                .expect("posted");
        }
        store
            .post_coordination_message(
                NewCoordinationMessage {
                    report_id: report.id,
                    thread: Some(b.id),
                    author: Some(b.id),
                    author_label: "Globex",
                    body: "We are looking.",
                    tlp: Tlp::Amber,
                },
                Some(ContactMove {
                    from: ContactStatus::Contacted,
                    to: ContactStatus::Acknowledged,
                }),
                &[],
                None,
                NOW,
            )
            .await
            .expect("posted");
        let bodies = |messages: Vec<cvdesk_store::CoordinationMessage>| {
            messages.into_iter().map(|m| m.body).collect::<Vec<_>>()
        };
        assert_eq!(
            bodies(
                store
                    .coordination_messages(report.id, Some((a.id, false)))
                    .await
                    .expect("read")
            ),
            ["to Acme"],
            "{name}"
        );
        assert_eq!(
            bodies(
                store
                    .coordination_messages(report.id, Some((a.id, true)))
                    .await
                    .expect("read")
            ),
            ["to Acme", "to all"]
        );
        assert_eq!(
            bodies(
                store
                    .coordination_messages(report.id, Some((b.id, false)))
                    .await
                    .expect("read")
            ),
            ["to Globex", "We are looking."]
        );
        assert_eq!(
            store
                .coordination_messages(report.id, None)
                .await
                .expect("read")
                .len(),
            4
        );
        let globex_now = store
            .participant(b.id)
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(
            globex_now.contact,
            ContactStatus::Acknowledged,
            "{name}: a message is an answer"
        );

        // A nomination is accepted by adding the vendor, once.
        let nomination = store
            .nominate(
                NewNomination {
                    report_id: report.id,
                    participant_id: a.id,
                    vendor_name: "Initech",
                    email: "security@initech.example",
                    reason: "They ship our library.",
                },
                change(LogKind::Nominated, &[], None),
            )
            .await
            .expect("nominated");
        let initech = store
            .create_vendor(&vendor("Initech"), &|_| triager(), NOW)
            .await
            .expect("vendor");
        let audit = triager();
        let share = Share::summary_only();
        let (first_hash, second_hash) = (
            ParticipantToken::from_random_bytes([6; 32]).hash(),
            ParticipantToken::from_random_bytes([7; 32]).hash(),
        );
        let new = |token_hash| NewParticipant {
            report_id: report.id,
            vendor_id: initech.id,
            token_hash,
            share: &share,
            tlp: Tlp::Amber,
            contact: ContactStatus::Contacted,
            sees_participants: true,
            talks_to_all: true,
            time_zone: None,
            deadlines: deadlines(),
            nomination: Some(nomination),
            created_by: "ada@example.org",
        };
        let joined = store
            .add_participant(
                new(&first_hash),
                change(LogKind::ParticipantAdded, &[], None),
                &|_| audit.clone(),
            )
            .await
            .expect("accepted");
        assert_eq!(joined.nominated_by, Some(a.id), "{name}");
        let twice = store
            .add_participant(
                new(&second_hash),
                change(LogKind::ParticipantAdded, &[], None),
                &|_| audit.clone(),
            )
            .await;
        assert!(
            matches!(twice, Err(StoreError::Conflict(_))),
            "{name}: {twice:?}"
        );
        let nominations = store.nominations(report.id).await.expect("list");
        assert_eq!(nominations[0].decision, Decision::Accepted);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supplier_agreements() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let supplier = store
            .create_vendor(&vendor("Hosting"), &|_| triager(), NOW)
            .await
            .expect("vendor");
        assert!(store
            .supplier_agreement(supplier.id)
            .await
            .expect("read")
            .is_none());
        let agreement = ServiceAgreement {
            cost_bearer: CostBearer::Supplier,
            mitigation_days: 30,
            acknowledge_business_days: Some(2),
            reference: Some("MSA §7.3".into()),
        };
        store
            .set_supplier_agreement(supplier.id, &agreement, &triager(), NOW)
            .await
            .expect("set");
        assert_eq!(
            store.supplier_agreement(supplier.id).await.expect("read"),
            Some(agreement.clone()),
            "{name}"
        );
        let replaced = ServiceAgreement {
            cost_bearer: CostBearer::Shared,
            acknowledge_business_days: None,
            ..agreement
        };
        store
            .set_supplier_agreement(supplier.id, &replaced, &triager(), NOW)
            .await
            .expect("replaced");
        assert_eq!(
            store.supplier_agreement(supplier.id).await.expect("read"),
            Some(replaced.clone())
        );
        let missing = store
            .set_supplier_agreement(VendorId(999), &replaced, &triager(), NOW)
            .await;
        assert!(
            matches!(missing, Err(StoreError::Missing(_))),
            "{name}: {missing:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_changes_when_the_audit_entry_cannot_be_written() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let report = report(&*store).await;
        let acme = store
            .create_vendor(&vendor("Acme"), &|_| triager(), NOW)
            .await
            .expect("vendor");
        backend
            .execute_behind_the_store(
                "DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log)",
            )
            .await;
        let added = add(
            &*store,
            &report,
            acme.id,
            &ParticipantToken::from_random_bytes([1; 32]),
            &Share::summary_only(),
        )
        .await;
        assert!(
            matches!(added, Err(StoreError::Corrupt(_))),
            "{name}: {added:?}"
        );
        assert!(
            store
                .participants(report.id)
                .await
                .expect("list")
                .is_empty(),
            "{name}"
        );
        let embargo = Embargo::parse("2027-02-10T16:00:00Z", "UTC", NOW).expect("valid");
        let set = store
            .set_embargo(
                report.id,
                &embargo,
                None,
                change(
                    LogKind::EmbargoSet,
                    &[mail("a@b.example")],
                    Some(&triager()),
                ),
            )
            .await;
        assert!(
            matches!(set, Err(StoreError::Corrupt(_))),
            "{name}: {set:?}"
        );
        assert!(
            store.embargo(report.id).await.expect("read").is_none(),
            "{name}"
        );
        assert!(
            store
                .coordination_log(report.id)
                .await
                .expect("log")
                .is_empty(),
            "{name}"
        );
        let agreement = ServiceAgreement {
            cost_bearer: CostBearer::Organization,
            mitigation_days: 10,
            acknowledge_business_days: None,
            reference: None,
        };
        let refused = store
            .set_supplier_agreement(acme.id, &agreement, &triager(), NOW)
            .await;
        assert!(
            matches!(refused, Err(StoreError::Corrupt(_))),
            "{name}: {refused:?}"
        );
        assert!(
            store
                .supplier_agreement(acme.id)
                .await
                .expect("read")
                .is_none(),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_outside_the_coordination_is_logged_with_its_audit_entry() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let report = report(&*store).await;
        store
            .record_coordination_change(
                report.id,
                change(LogKind::EmbargoOverridden, &[], Some(&triager())),
            )
            .await
            .expect("recorded");
        let log = store.coordination_log(report.id).await.expect("log");
        assert_eq!(log.len(), 1, "{name}");
        assert_eq!(log[0].kind, LogKind::EmbargoOverridden, "{name}");
        assert_eq!(log[0].actor, "ada@example.org", "{name}");
        backend
            .execute_behind_the_store(
                "DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log)",
            )
            .await;
        let refused = store
            .record_coordination_change(
                report.id,
                change(LogKind::EmbargoOverridden, &[], Some(&triager())),
            )
            .await;
        assert!(
            matches!(refused, Err(StoreError::Corrupt(_))),
            "{name}: {refused:?}"
        );
        assert_eq!(
            store.coordination_log(report.id).await.expect("log").len(),
            1,
            "{name}: nothing logged without its audit entry"
        );
    }
}
