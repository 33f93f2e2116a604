//! A change and its audit entry commit together: when the entry cannot be written, the
//! change does not happen.

use cvdesk_domain::policy::PolicySettings;
use cvdesk_domain::report::{Report, ReportState};
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{NewReport, Store, StoreError};
use time::macros::datetime;

use crate::backends::backends;
use crate::staff::triager;

/// Deletes the newest entry while the head still counts it: the next append finds the
/// chain broken and refuses to write.
const BREAK_THE_CHAIN: &str =
    "DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log)";

async fn report(store: &dyn Store) -> Report {
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

fn refused<T: std::fmt::Debug>(backend: &str, what: &str, outcome: Result<T, StoreError>) {
    assert!(
        matches!(outcome, Err(StoreError::Corrupt(_))),
        "{backend}: {what} went ahead without its audit entry: {outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_audit_entry_fails_does_not_happen() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let stored = report(&*store).await;
        let id = stored.id;
        let first = PolicySettings::default();
        store
            .publish_first_policy(&first, datetime!(2026-04-01 00:00 UTC))
            .await
            .expect("first policy");
        store.append_audit(triager()).await.expect("first entry");
        store.append_audit(triager()).await.expect("second entry");
        backend.execute_behind_the_store(BREAK_THE_CHAIN).await;

        let now = datetime!(2026-04-02 00:00 UTC);
        let audit = triager();
        let to_triaged = Transition {
            from: ReportState::New,
            to: ReportState::Triaged,
            reason: None,
            duplicate_of: None,
        };
        refused(
            name,
            "a transition",
            store
                .transition_report(id, &to_triaged, &audit, &[], now)
                .await,
        );
        refused(
            name,
            "needs-info",
            store.set_needs_info(id, true, &audit, &[], now).await,
        );
        refused(
            name,
            "an assessment",
            store.set_assessment(id, None, None, &audit, now).await,
        );
        refused(
            name,
            "a classification",
            store.set_classification(id, None, None, &audit, now).await,
        );
        refused(
            name,
            "a product",
            store.set_product(id, None, &audit, now).await,
        );
        refused(
            name,
            "a note",
            store.add_note(id, "note", &audit, now).await,
        );
        refused(
            name,
            "a message",
            store.add_staff_message(id, "hello", &audit, &[], now).await,
        );
        let policy_entry = |_: &i64| triager();
        refused(
            name,
            "a policy version",
            store
                .publish_policy(&first, "admin@example.org", &policy_entry, now)
                .await,
        );

        let unchanged = store
            .report_by_reference(&stored.reference)
            .await
            .expect("read")
            .expect("still there");
        assert_eq!(unchanged.state, ReportState::New, "{name}");
        assert!(!unchanged.needs_info, "{name}");
        assert!(
            store.report_events(id).await.expect("events").is_empty(),
            "{name}"
        );
        assert!(store.notes(id).await.expect("notes").is_empty(), "{name}");
        assert!(
            store.messages(id).await.expect("messages").is_empty(),
            "{name}"
        );
        assert_eq!(
            store
                .current_policy()
                .await
                .expect("policy")
                .map(|p| p.version),
            Some(1),
            "{name}"
        );
    }
}
