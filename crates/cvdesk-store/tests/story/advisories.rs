//! Advisories: gap-free ids per year, the working copy, schedules with their job, immutable
//! revisions, credits with the finder's answer, and every change with its audit entry.

use std::sync::Arc;

use cvdesk_domain::advisory::credit::{publishable, CreditTextInput};
use cvdesk_domain::advisory::{
    AdvisoryContent, AdvisoryId, AdvisoryInput, AdvisoryState, Consent, Credit, CreditRole,
    CreditText, RevisionHistory,
};
use cvdesk_domain::report::Report;
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_formats::tlp::Tlp;
use cvdesk_store::{
    NewAdvisory, NewCredit, NewReport, NewRevision, Schedule, Store, StoreError, Withdrawal,
    PUBLISH_JOB,
};
use time::macros::datetime;
use time::OffsetDateTime;

use crate::backends::backends;
use crate::staff::triager;

const NOW: OffsetDateTime = datetime!(2026-11-01 09:00 UTC);

async fn report(store: &dyn Store, token: u8) -> Report {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some("Stored XSS in comments".into()),
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
            received_at: datetime!(2026-04-01 00:00 UTC),
            tracking_token_hash: &TrackingToken::from_random_bytes([token; 32]).hash(),
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

fn content(title: &str, reports: &[&Report], product: Option<i64>) -> AdvisoryContent {
    let mut input: AdvisoryInput = serde_json::from_value(serde_json::json!({
        "title": title,
        "summary": "Comments run script in other users' sessions.",
        "description": "The comment field is not escaped.",
        "impact": "Session takeover.",
        "remediation": "Upgrade to 4.2.1.",
        "tlp": "TLP:CLEAR",
        "vulnerabilities": [{
            "cwe": "CWE-79",
            "severity": "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
            "cves": ["CVE-2026-12345"],
            "products": [{"name": "Example Portal", "affected": ["< 4.2.1"], "fixed": ["4.2.1"]}]
        }]
    }))
    .expect("input");
    input.reports = reports.iter().map(|r| r.reference.to_string()).collect();
    if let Some(id) = product {
        input.vulnerabilities[0].products[0].name = None;
        input.vulnerabilities[0].products[0].product_id = Some(id);
    }
    AdvisoryContent::parse(&input, &|p| Some(format!("Product {}", p.0))).expect("valid")
}

async fn create(store: &dyn Store, content: &AdvisoryContent, now: OffsetDateTime) -> AdvisoryId {
    store
        .create_advisory(
            NewAdvisory {
                prefix: &ReferencePrefix::default(),
                content,
                created_by: "publisher@example.org",
                now,
            },
            &|_| triager(),
        )
        .await
        .expect("created")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_gap_free_per_year_even_when_created_at_once() {
    for backend in backends().await {
        let store = backend.open().await;
        let draft = content("XSS", &[], None);
        let first = create(&*store, &draft, NOW).await;
        assert_eq!(first.to_string(), "CVD-SA-2026-0001", "{}", backend.name);
        // A draft naming a report that does not exist is refused and takes no number.
        let ghost: cvdesk_domain::Reference = "CVD-2026-0999".parse().expect("reference");
        let mut broken = draft.clone();
        broken.reports = vec![ghost];
        let refused = store
            .create_advisory(
                NewAdvisory {
                    prefix: &ReferencePrefix::default(),
                    content: &broken,
                    created_by: "publisher@example.org",
                    now: NOW,
                },
                &|_| triager(),
            )
            .await;
        assert!(
            matches!(refused, Err(StoreError::Missing(_))),
            "{refused:?}"
        );
        let store: Arc<dyn Store> = store;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let store = Arc::clone(&store);
            let draft = draft.clone();
            tasks.push(tokio::spawn(
                async move { create(&*store, &draft, NOW).await },
            ));
        }
        let mut sequences = Vec::new();
        for task in tasks {
            sequences.push(task.await.expect("task").sequence);
        }
        sequences.sort_unstable();
        assert_eq!(sequences, (2..=9).collect::<Vec<_>>(), "{}", backend.name);
        let next_year = create(&*store, &draft, datetime!(2027-01-01 00:00 UTC)).await;
        assert_eq!(next_year.to_string(), "CVD-SA-2027-0001");
        assert_eq!(store.advisories(None, 100).await.expect("list").len(), 10);
    }
}

#[tokio::test]
async fn drafts_change_only_in_the_state_expected_and_members_see_their_products() {
    for backend in backends().await {
        let store = backend.open().await;
        let finder_report = report(&*store, 1).await;
        let id = create(&*store, &content("XSS", &[&finder_report], Some(7)), NOW).await;
        let stored = store.advisory(&id).await.expect("read").expect("exists");
        assert_eq!(stored.state, AdvisoryState::Draft);
        assert_eq!(stored.content, content("XSS", &[&finder_report], Some(7)));
        assert_eq!(
            store
                .advisories_of_report(finder_report.id)
                .await
                .expect("linked"),
            std::slice::from_ref(&id)
        );
        let edited = content("Stored XSS", &[&finder_report], None);
        let later = NOW + time::Duration::hours(1);
        store
            .update_advisory(&id, AdvisoryState::Draft, &edited, &triager(), later)
            .await
            .expect("edited");
        let refused = store
            .update_advisory(&id, AdvisoryState::Published, &edited, &triager(), later)
            .await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
        let missing: AdvisoryId = "CVD-SA-2026-0099".parse().expect("id");
        let refused = store
            .update_advisory(&missing, AdvisoryState::Draft, &edited, &triager(), later)
            .await;
        assert!(
            matches!(refused, Err(StoreError::Missing(_))),
            "{refused:?}"
        );
        let stored = store.advisory(&id).await.expect("read").expect("exists");
        assert_eq!(
            (stored.content.title.as_str(), stored.updated_at),
            ("Stored XSS", later)
        );

        let shop = create(&*store, &content("Shop", &[], Some(7)), NOW).await;
        let listed = store
            .advisories(Some(&[ProductId(7)]), 10)
            .await
            .expect("list");
        assert_eq!(
            listed.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
            [shop]
        );
        assert!(store
            .advisories(Some(&[]), 10)
            .await
            .expect("list")
            .is_empty());
    }
}

#[tokio::test]
async fn a_schedule_queues_its_job_and_publication_keeps_every_revision() {
    for backend in backends().await {
        let store = backend.open().await;
        let draft = content("XSS", &[], None);
        let id = create(&*store, &draft, NOW).await;
        let schedule = Schedule {
            at: datetime!(2026-11-02 09:00 UTC),
            zone: "Europe/Berlin".to_owned(),
            embargo_override: Some("the vendor published first".to_owned()),
        };
        store
            .schedule_advisory(&id, AdvisoryState::Draft, &schedule, &triager(), NOW)
            .await
            .expect("scheduled");
        let stored = store.advisory(&id).await.expect("read").expect("exists");
        assert_eq!(
            (stored.state, stored.schedule),
            (AdvisoryState::Scheduled, Some(schedule.clone()))
        );
        let job = |jobs: Vec<cvdesk_store::JobEntry>| {
            jobs.into_iter()
                .find(|job| job.kind == PUBLISH_JOB && job.subject == id.to_string())
        };
        let queued = job(store.jobs(10).await.expect("jobs")).expect("queued");
        assert_eq!(queued.run_at, schedule.at);
        store
            .unschedule_advisory(&id, &triager(), NOW)
            .await
            .expect("called off");
        assert!(
            job(store.jobs(10).await.expect("jobs")).is_none(),
            "{}",
            backend.name
        );
        store
            .schedule_advisory(&id, AdvisoryState::Draft, &schedule, &triager(), NOW)
            .await
            .expect("scheduled again");

        let mut history = RevisionHistory::default();
        let first = history
            .publish(draft.clone(), Vec::new(), "Initial version.", schedule.at)
            .expect("revision")
            .clone();
        let publication = |expected, next, revision| NewRevision {
            expected,
            next,
            revision,
            withdrawal: None,
        };
        store
            .publish_advisory(
                &id,
                publication(AdvisoryState::Scheduled, AdvisoryState::Published, &first),
                &triager(),
            )
            .await
            .expect("published");
        // The same publication a second time (another instance's job) changes nothing.
        let again = store
            .publish_advisory(
                &id,
                publication(AdvisoryState::Scheduled, AdvisoryState::Published, &first),
                &triager(),
            )
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        assert!(
            job(store.jobs(10).await.expect("jobs")).is_none(),
            "the job is gone"
        );

        let mut revised_content = draft.clone();
        revised_content.summary = "Comments and titles run script.".to_owned();
        let later = datetime!(2026-11-05 09:00 UTC);
        let second = history
            .publish(
                revised_content.clone(),
                Vec::new(),
                "Titles are affected too.",
                later,
            )
            .expect("revision")
            .clone();
        store
            .publish_advisory(
                &id,
                publication(AdvisoryState::Published, AdvisoryState::Revised, &second),
                &triager(),
            )
            .await
            .expect("revised");
        let stored = store.advisory(&id).await.expect("read").expect("exists");
        assert_eq!(stored.state, AdvisoryState::Revised);
        assert_eq!(stored.history, history);
        let listed = store
            .published_advisories(Some(Tlp::Clear), 10)
            .await
            .expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (
                listed[0].version,
                listed[0].first_published_at,
                listed[0].latest_published_at
            ),
            (2, schedule.at, later)
        );
        assert_eq!(listed[0].summary, "Comments and titles run script.");
        assert!(store
            .published_advisories(Some(Tlp::Amber), 10)
            .await
            .expect("list")
            .is_empty());

        let withdrawal = Withdrawal {
            at: datetime!(2026-11-06 09:00 UTC),
            reason: "Not a vulnerability after all.".to_owned(),
        };
        let third = history
            .withdraw(&withdrawal.reason, withdrawal.at)
            .expect("withdrawn")
            .clone();
        store
            .publish_advisory(
                &id,
                NewRevision {
                    expected: AdvisoryState::Revised,
                    next: AdvisoryState::Withdrawn,
                    revision: &third,
                    withdrawal: Some(&withdrawal),
                },
                &triager(),
            )
            .await
            .expect("withdrawn");
        let stored = store.advisory(&id).await.expect("read").expect("exists");
        assert_eq!(
            (stored.state, stored.withdrawal),
            (AdvisoryState::Withdrawn, Some(withdrawal))
        );

        // Published revisions are never changed, whoever asks.
        for sql in [
            "UPDATE advisory_revisions SET summary = 'rewritten'",
            "DELETE FROM advisory_revisions",
        ] {
            backend
                .execute_behind_the_store_expecting_refusal(sql)
                .await;
        }
    }
}

fn credit_text(name: &str) -> CreditText {
    CreditText::parse(&CreditTextInput {
        name: name.to_owned(),
        organization: Some("Example Research".to_owned()),
        url: None,
    })
    .expect("valid")
}

#[tokio::test]
async fn credits_reach_the_hall_of_fame_only_when_the_finder_agrees() {
    for backend in backends().await {
        let store = backend.open().await;
        let finder_report = report(&*store, 1).await;
        let other_report = report(&*store, 2).await;
        let draft = content("XSS", &[&finder_report], None);
        let id = create(&*store, &draft, NOW).await;
        let proposed = Credit::propose(credit_text("Jane Finder"), CreditRole::Finder);
        let refused = store
            .propose_credit(
                &id,
                NewCredit {
                    report_id: other_report.id,
                    credit: &proposed,
                    proposed_by: "p@example.org",
                    mail: &[],
                    now: NOW,
                },
                &triager(),
            )
            .await;
        assert!(
            matches!(refused, Err(StoreError::Missing(_))),
            "{refused:?}"
        );
        let credit_id = store
            .propose_credit(
                &id,
                NewCredit {
                    report_id: finder_report.id,
                    credit: &proposed,
                    proposed_by: "p@example.org",
                    mail: &[],
                    now: NOW,
                },
                &triager(),
            )
            .await
            .expect("proposed");
        let seen = store
            .credits_of_report(finder_report.id)
            .await
            .expect("credits");
        assert_eq!(seen.len(), 1);
        assert_eq!(
            (seen[0].id, &seen[0].credit, seen[0].advisory_published),
            (credit_id, &proposed, false)
        );
        assert!(store
            .credits_of_report(other_report.id)
            .await
            .expect("none")
            .is_empty());

        let answered = datetime!(2026-11-01 10:00 UTC);
        let changed = proposed
            .change(credit_text("J. Finder"), answered)
            .expect("changes");
        // Not the finder of this report: nothing changes.
        assert!(!store
            .answer_credit(credit_id, other_report.id, &proposed, &changed, &triager())
            .await
            .expect("answered"));
        assert!(store
            .answer_credit(credit_id, finder_report.id, &proposed, &changed, &triager())
            .await
            .expect("answered"));
        // An answer given against what the finder saw before is stale.
        let accepted = proposed.accept(answered).expect("accepts");
        assert!(!store
            .answer_credit(
                credit_id,
                finder_report.id,
                &proposed,
                &accepted,
                &triager()
            )
            .await
            .expect("stale"));
        assert!(
            !store
                .remove_credit(&id, credit_id, &triager())
                .await
                .expect("kept"),
            "an agreed credit is not taken back by staff"
        );
        let stored = store.advisory(&id).await.expect("read").expect("exists");
        assert_eq!(stored.credits[0].credit.consent, Consent::Changed);
        assert_eq!(stored.credits[0].report, finder_report.reference);

        let mut history = RevisionHistory::default();
        let credits = publishable(&[stored.credits[0].credit.clone()]);
        let first = history
            .publish(draft, credits, "Initial version.", answered)
            .expect("revision")
            .clone();
        store
            .publish_advisory(
                &id,
                NewRevision {
                    expected: AdvisoryState::Draft,
                    next: AdvisoryState::Published,
                    revision: &first,
                    withdrawal: None,
                },
                &triager(),
            )
            .await
            .expect("published");
        let thanks = store.hall_of_fame(10).await.expect("thanks");
        assert_eq!(thanks.len(), 1, "{}", backend.name);
        assert_eq!(
            (thanks[0].text.name.as_str(), &thanks[0].advisory),
            ("J. Finder", &id)
        );

        let second = Credit::propose(credit_text("Someone"), CreditRole::Analyst);
        let second_id = store
            .propose_credit(
                &id,
                NewCredit {
                    report_id: finder_report.id,
                    credit: &second,
                    proposed_by: "p@example.org",
                    mail: &[],
                    now: NOW,
                },
                &triager(),
            )
            .await
            .expect("proposed");
        assert!(store
            .remove_credit(&id, second_id, &triager())
            .await
            .expect("removed"));
    }
}

#[tokio::test]
async fn a_change_whose_audit_entry_fails_does_not_happen() {
    for backend in backends().await {
        let store = backend.open().await;
        let draft = content("XSS", &[], None);
        let id = create(&*store, &draft, NOW).await;
        store.append_audit(triager()).await.expect("entry");
        backend
            .execute_behind_the_store(
                "DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log)",
            )
            .await;
        let refused = store
            .create_advisory(
                NewAdvisory {
                    prefix: &ReferencePrefix::default(),
                    content: &draft,
                    created_by: "publisher@example.org",
                    now: NOW,
                },
                &|_| triager(),
            )
            .await;
        assert!(
            matches!(refused, Err(StoreError::Corrupt(_))),
            "{refused:?}"
        );
        let mut edited = draft.clone();
        edited.title = "Edited".to_owned();
        let refused = store
            .update_advisory(&id, AdvisoryState::Draft, &edited, &triager(), NOW)
            .await;
        assert!(
            matches!(refused, Err(StoreError::Corrupt(_))),
            "{refused:?}"
        );
        let mut history = RevisionHistory::default();
        let first = history
            .publish(draft.clone(), Vec::new(), "Initial.", NOW)
            .expect("r")
            .clone();
        let refused = store
            .publish_advisory(
                &id,
                NewRevision {
                    expected: AdvisoryState::Draft,
                    next: AdvisoryState::Published,
                    revision: &first,
                    withdrawal: None,
                },
                &triager(),
            )
            .await;
        assert!(
            matches!(refused, Err(StoreError::Corrupt(_))),
            "{refused:?}"
        );
        let stored = store.advisory(&id).await.expect("read").expect("exists");
        assert_eq!(
            (stored.state, stored.content.title.as_str()),
            (AdvisoryState::Draft, "XSS")
        );
        assert_eq!(store.advisories(None, 10).await.expect("list").len(), 1);
        assert!(stored.history.revisions().is_empty());
    }
}
