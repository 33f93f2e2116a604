//! Reports written while others are being committed: grouped into one transaction on
//! SQLite, one transaction each on PostgreSQL. Either way a report the database refuses
//! fails alone, every other report is stored with its mail, and reference numbers stay
//! unique and gap-free.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use cvdesk_domain::report::Report;
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{
    ComposeMail, MailBody, MailKind, NewMail, NewReport, SpentChallenge, Store, StoreError,
};
use time::macros::datetime;

use crate::backends::backends;

const SUBMISSIONS: u8 = 60;
/// Submissions the store must refuse: a product that does not exist (a foreign key).
const UNKNOWN_PRODUCT: [u8; 3] = [7, 29, 51];
/// A submission replaying the challenge `CHALLENGE_FIRST` spent.
const CHALLENGE_FIRST: u8 = 12;
const CHALLENGE_REPLAY: u8 = 13;

fn draft(title: &str) -> ReportDraft {
    ReportDraft::parse(
        &ReportInput {
            title: Some(title.to_owned()),
            summary: Some("Summary".into()),
            steps_to_reproduce: Some("1. Open\n2. Inject".into()),
            impact: Some("Impact".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid draft")
}

fn acknowledgement(report: &Report) -> Vec<NewMail> {
    vec![NewMail {
        kind: MailKind::FinderAcknowledgement,
        report_id: Some(report.id),
        recipient: "finder@example.org".to_owned(),
        subject: format!("Received {}", report.reference),
        body: MailBody::Plain(format!("Your report is {}.\n", report.reference)),
    }]
}

async fn submit(store: &dyn Store, seed: u8) -> Result<Report, StoreError> {
    submit_composed(store, seed, &acknowledgement).await
}

async fn submit_composed(
    store: &dyn Store,
    seed: u8,
    compose: &ComposeMail<'_>,
) -> Result<Report, StoreError> {
    let title = format!("Submission {seed}");
    let product = UNKNOWN_PRODUCT
        .contains(&seed)
        .then_some(ProductId(9_000 + i64::from(seed)));
    let challenge = [CHALLENGE_FIRST, CHALLENGE_REPLAY]
        .contains(&seed)
        .then_some(SpentChallenge {
            nonce: "one-nonce-for-two-submissions",
            expires_at: datetime!(2026-06-01 13:00 UTC),
        });
    store
        .create_report_with_mail(
            NewReport {
                prefix: &ReferencePrefix::default(),
                received_at: datetime!(2026-06-01 12:00 UTC),
                tracking_token_hash: &TrackingToken::from_random_bytes([seed; 32]).hash(),
                content: &draft(&title),
                attachments: &[],
                product,
                received_from: None,
                challenge,
                source: cvdesk_domain::report_source::ReportSource::Api,
            },
            compose,
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_report_fails_alone_and_the_rest_are_stored_with_their_mail() {
    for backend in backends().await {
        let store = backend.open().await;
        let tasks: Vec<_> = (0..SUBMISSIONS)
            .map(|seed| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { (seed, submit(&*store, seed).await) })
            })
            .collect();
        let mut stored = BTreeMap::new();
        let mut refused = BTreeSet::new();
        let mut challenge_spent = 0;
        for task in tasks {
            match task.await.expect("task finished") {
                (seed, Ok(report)) => {
                    assert!(
                        stored
                            .insert(report.reference.sequence, (seed, report))
                            .is_none(),
                        "{}: a reference number given twice",
                        backend.name
                    );
                }
                (seed, Err(StoreError::ChallengeSpent)) => {
                    assert!([CHALLENGE_FIRST, CHALLENGE_REPLAY].contains(&seed));
                    challenge_spent += 1;
                }
                (seed, Err(error)) => {
                    assert!(
                        UNKNOWN_PRODUCT.contains(&seed),
                        "{}: submission {seed} refused: {error}",
                        backend.name
                    );
                    refused.insert(seed);
                }
            }
        }
        assert_eq!(refused, UNKNOWN_PRODUCT.into(), "{}", backend.name);
        assert_eq!(challenge_spent, 1, "{}: one replay refused", backend.name);
        let expected = usize::from(SUBMISSIONS) - UNKNOWN_PRODUCT.len() - 1;
        let numbers: BTreeSet<u32> = stored.keys().copied().collect();
        let gap_free: BTreeSet<u32> = (1..=u32::try_from(expected).expect("small")).collect();
        assert_eq!(numbers, gap_free, "{}: numbers have gaps", backend.name);

        // Each stored report reads back under its number with its own words, and its
        // acknowledgement, and only its, is in the outbox.
        let reopened = backend.open().await;
        for (seed, report) in stored.values() {
            let read = reopened
                .report_by_reference(&report.reference)
                .await
                .expect("lookup")
                .unwrap_or_else(|| panic!("{}: {} lost", backend.name, report.reference));
            assert_eq!(
                read.content.title,
                format!("Submission {seed}"),
                "{}",
                backend.name
            );
        }
        let mail = reopened
            .claim_mail(
                datetime!(2026-06-01 12:01 UTC),
                time::Duration::minutes(1),
                1_000,
            )
            .await
            .expect("claim");
        let mailed: BTreeMap<i64, String> = mail
            .into_iter()
            .map(|mail| (mail.report_id.expect("about a report"), mail.subject))
            .collect();
        let expected_mail: BTreeMap<i64, String> = stored
            .values()
            .map(|(_, report)| (report.id, format!("Received {}", report.reference)))
            .collect();
        assert_eq!(mailed, expected_mail, "{}", backend.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn submissions_given_up_midway_hold_no_one_else_back() {
    for backend in backends().await {
        let store = backend.open().await;
        let tasks: Vec<_> = (100..164u8)
            .map(|seed| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { submit(&*store, seed).await })
            })
            .collect();
        // A finder who hangs up: their submission's future is dropped wherever it is.
        for (index, task) in tasks.iter().enumerate() {
            if index % 4 == 0 {
                task.abort();
            }
        }
        let mut stored = BTreeSet::new();
        for task in tasks {
            match tokio::time::timeout(Duration::from_secs(30), task).await {
                Ok(Ok(created)) => {
                    let report = created.unwrap_or_else(|e| panic!("{}: {e}", backend.name));
                    stored.insert(report.reference.sequence);
                }
                Ok(Err(aborted)) => assert!(aborted.is_cancelled(), "{}", backend.name),
                Err(_) => panic!("{}: a submission waited 30 s", backend.name),
            }
        }
        assert!(
            stored.len() >= 48,
            "{}: {} stored",
            backend.name,
            stored.len()
        );
        // Whatever the hung-up submissions left behind, the next report still gets the
        // next number and nothing is numbered twice.
        let next = tokio::time::timeout(Duration::from_secs(30), submit(&*store, 200))
            .await
            .unwrap_or_else(|_| panic!("{}: the store is stuck", backend.name))
            .unwrap_or_else(|e| panic!("{}: {e}", backend.name));
        assert!(
            !stored.contains(&next.reference.sequence),
            "{}",
            backend.name
        );
        for sequence in 1..=next.reference.sequence {
            let reference = cvdesk_domain::Reference {
                sequence,
                ..next.reference.clone()
            };
            assert!(
                store
                    .report_by_reference(&reference)
                    .await
                    .expect("lookup")
                    .is_some(),
                "{}: no report numbered {reference}",
                backend.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_submission_whose_mail_cannot_be_composed_holds_no_one_else_back() {
    /// The submission whose acknowledgement panics (a broken template, say).
    const BROKEN: u8 = 80;
    for backend in backends().await {
        let store = backend.open().await;
        // Written first, so that the others are numbered from the queue.
        let first = submit(&*store, 1)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", backend.name));
        // Clear of the seeds other tests refuse (unknown products, the replayed challenge).
        let tasks: Vec<_> = (61..99u8)
            .map(|seed| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let compose = move |report: &Report| {
                        if seed == BROKEN {
                            panic!("the acknowledgement could not be written");
                        }
                        acknowledgement(report)
                    };
                    submit_composed(&*store, seed, &compose).await
                })
            })
            .collect();
        let mut stored = BTreeSet::from([first.reference.sequence]);
        let mut panicked = 0;
        for task in tasks {
            match tokio::time::timeout(Duration::from_secs(30), task).await {
                Ok(Ok(created)) => {
                    let report = created.unwrap_or_else(|e| panic!("{}: {e}", backend.name));
                    assert!(
                        stored.insert(report.reference.sequence),
                        "{}: a number given twice",
                        backend.name
                    );
                }
                Ok(Err(failed)) => {
                    assert!(failed.is_panic(), "{}", backend.name);
                    panicked += 1;
                }
                Err(_) => panic!("{}: a submission waited 30 s", backend.name),
            }
        }
        assert_eq!(panicked, 1, "{}", backend.name);
        let gap_free: BTreeSet<u32> = (1..=38).collect();
        assert_eq!(stored, gap_free, "{}: numbers have gaps", backend.name);
        let next = tokio::time::timeout(Duration::from_secs(30), submit(&*store, 200))
            .await
            .unwrap_or_else(|_| panic!("{}: the store is stuck", backend.name))
            .unwrap_or_else(|e| panic!("{}: {e}", backend.name));
        assert_eq!(next.reference.sequence, 39, "{}", backend.name);
    }
}
