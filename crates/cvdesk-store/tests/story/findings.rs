//! Findings: an import stores each finding once, with reference numbers in the file's
//! order and one audit entry, and stores nothing when its entry cannot be written; a
//! report's root cause analysis is replaced whole and audited.

use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::finding::{from_csv, Finding};
use cvdesk_domain::root_cause::RootCause;
use cvdesk_domain::root_cause_analysis::RootCauseAnalysis;
use cvdesk_domain::{ReferencePrefix, TextLimits, TrackingToken, TrackingTokenHash};
use cvdesk_store::{ImportOutcome, NewFindings, Store, StoreError};
use time::macros::datetime;

use crate::backends::backends;
use crate::staff::triager;

const TABLE: &str = "source,title,summary,steps_to_reproduce,impact,external_id\n\
     pentest,SQL injection,In search,Send a quote,Data read,PT-1\n\
     pentest,Open redirect,In login,Send next=//x,Phishing,PT-2\n\
     internal,Debug page,Shows settings,Open /debug,Secrets,\n";

fn with_tokens(findings: Vec<Finding>, seed: u8) -> Vec<(Finding, TrackingTokenHash)> {
    findings
        .into_iter()
        .enumerate()
        .map(|(index, finding)| {
            let byte = seed.wrapping_add(u8::try_from(index).unwrap_or(0));
            (finding, TrackingToken::from_random_bytes([byte; 32]).hash())
        })
        .collect()
}

fn entry_of(outcome: &ImportOutcome) -> AuditEvent {
    let mut event = triager();
    event.action = "findings.import".into();
    event.detail = format!(
        "{} stored, {} already",
        outcome.created.len(),
        outcome.already_stored
    );
    event
}

async fn import(
    store: &dyn Store,
    findings: &[(Finding, TrackingTokenHash)],
) -> Result<ImportOutcome, StoreError> {
    store
        .store_findings(
            NewFindings {
                prefix: &ReferencePrefix::default(),
                received_at: datetime!(2026-05-04 10:00 UTC),
                findings,
            },
            &entry_of,
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_stores_each_finding_once() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let findings = from_csv(TABLE, TextLimits::default()).expect("valid table");
        let fingerprints: Vec<_> = findings
            .iter()
            .filter_map(|f| f.fingerprint.clone())
            .collect();
        assert!(store
            .stored_fingerprints(&fingerprints)
            .await
            .expect("look up")
            .is_empty());

        let first = import(&*store, &with_tokens(findings.clone(), 1))
            .await
            .expect("first import");
        let created: Vec<String> = first.created.iter().map(ToString::to_string).collect();
        assert_eq!(
            created,
            ["CVD-2026-0001", "CVD-2026-0002", "CVD-2026-0003"],
            "{name}"
        );
        assert_eq!(first.already_stored, 0, "{name}");
        let mut known = store
            .stored_fingerprints(&fingerprints)
            .await
            .expect("look up");
        known.sort();
        let mut expected = fingerprints.clone();
        expected.sort();
        assert_eq!(known, expected, "{name}");

        let stored = store
            .report_by_reference(&first.created[0])
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(stored.content.title, "SQL injection", "{name}");
        assert_eq!(
            stored.content.contact,
            Default::default(),
            "{name}: no finder"
        );
        assert_eq!(stored.received_from, None, "{name}");

        // Again: the rows with an external id are known; the one without is new again.
        let again = import(&*store, &with_tokens(findings, 50))
            .await
            .expect("second import");
        assert_eq!(again.already_stored, 2, "{name}");
        assert_eq!(again.created.len(), 1, "{name}");

        let log = store.audit_entries_before(None, 10).await.expect("audit");
        let imports: Vec<&str> = log
            .iter()
            .filter(|entry| entry.event.action == "findings.import")
            .map(|entry| entry.event.detail.as_str())
            .collect();
        assert_eq!(imports.len(), 2, "{name}: {imports:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_whose_audit_entry_fails_stores_nothing() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        store.append_audit(triager()).await.expect("first entry");
        store.append_audit(triager()).await.expect("second entry");
        backend
            .execute_behind_the_store(
                "DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log)",
            )
            .await;
        let findings = from_csv(TABLE, TextLimits::default()).expect("valid table");
        let fingerprints: Vec<_> = findings
            .iter()
            .filter_map(|f| f.fingerprint.clone())
            .collect();
        let outcome = import(&*store, &with_tokens(findings, 1)).await;
        assert!(
            matches!(outcome, Err(StoreError::Corrupt(_))),
            "{name}: {outcome:?}"
        );
        assert!(
            store
                .stored_fingerprints(&fingerprints)
                .await
                .expect("look up")
                .is_empty(),
            "{name}"
        );
        let analysis = RootCauseAnalysis {
            category: Some(RootCause::Design),
            ..RootCauseAnalysis::default()
        };
        assert!(
            matches!(
                store.set_root_cause(1, &analysis, &triager()).await,
                Err(StoreError::Corrupt(_)) | Err(StoreError::Missing(_))
            ),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_cause_analysis_is_kept_and_replaced() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let findings = from_csv(TABLE, TextLimits::default()).expect("valid table");
        let outcome = import(&*store, &with_tokens(findings, 7))
            .await
            .expect("import");
        let report = store
            .report_by_reference(&outcome.created[0])
            .await
            .expect("read")
            .expect("stored");
        assert!(
            store.root_cause(report.id).await.expect("read").is_empty(),
            "{name}"
        );
        let analysis = RootCauseAnalysis {
            category: Some(RootCause::Implementation),
            detail: Some("Query built by concatenation".into()),
            lessons_learned: Some("Bind every value".into()),
        };
        store
            .set_root_cause(report.id, &analysis, &triager())
            .await
            .expect("set");
        assert_eq!(
            store.root_cause(report.id).await.expect("read"),
            analysis,
            "{name}"
        );
        let cleared = RootCauseAnalysis {
            category: Some(RootCause::Design),
            ..RootCauseAnalysis::default()
        };
        store
            .set_root_cause(report.id, &cleared, &triager())
            .await
            .expect("replace");
        assert_eq!(
            store.root_cause(report.id).await.expect("read"),
            cleared,
            "{name}"
        );
        assert!(
            matches!(
                store.set_root_cause(999_999, &cleared, &triager()).await,
                Err(StoreError::Missing(_))
            ),
            "{name}"
        );
        assert!(
            matches!(store.root_cause(999_999).await, Err(StoreError::Missing(_))),
            "{name}"
        );
    }
}
