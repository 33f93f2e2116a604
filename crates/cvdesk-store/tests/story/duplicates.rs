//! Duplicate suggestions' words: counted and kept at intake, read instead of the texts,
//! and counted from the text (once) for a report that has none or an outdated count.

use cvdesk_domain::similarity::{ReportText, TermVector, Terms, COMPARED_CHARS};
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{NewReport, Store};
use time::macros::datetime;

use crate::backends::backends;

async fn report(store: &dyn Store, seed: u8, title: &str, summary: &str) -> (i64, ReportDraft) {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some(title.to_owned()),
            summary: Some(summary.to_owned()),
            steps_to_reproduce: Some("GET /invoices/42 as another customer".into()),
            impact: Some("Impact".into()),
            asset: Some("shop.example.org".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    let id = store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: datetime!(2026-04-01 00:00 UTC),
            tracking_token_hash: &TrackingToken::from_random_bytes([seed; 32]).hash(),
            content: &draft,
            attachments: &[],
            product: None,
            received_from: None,
            challenge: None,
            source: cvdesk_domain::report_source::ReportSource::Form,
        })
        .await
        .expect("stored")
        .id;
    (id, draft)
}

fn counted(draft: &ReportDraft) -> String {
    TermVector::of(&ReportText::of_draft(draft)).encode()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn words_are_counted_at_intake_and_counted_again_only_when_missing() {
    for backend in backends().await {
        let store = backend.open().await;
        let long = format!(
            "IDOR on invoices. {} lateword",
            "padding ".repeat(COMPARED_CHARS)
        );
        let (first, first_draft) = report(&*store, 1, "IDOR on invoices", &long).await;
        let (second, second_draft) = report(&*store, 2, "IDOR on credit notes", "ids").await;
        let (third, _) = report(&*store, 3, "Stored XSS in reviews", "script").await;

        let compared = store
            .comparable_reports(third, Some("shop.example.org"), 10)
            .await
            .expect("read");
        let ids: Vec<i64> = compared.iter().map(|c| c.id).collect();
        assert_eq!(ids, [second, first], "{}", backend.name);
        assert_eq!(
            compared[0].terms,
            counted(&second_draft),
            "{}",
            backend.name
        );
        assert_eq!(compared[1].terms, counted(&first_draft), "{}", backend.name);
        let terms = Terms::decode(&compared[1].terms).expect("readable");
        assert!(
            !compared[1].terms.contains("lateword"),
            "{}: only the start of a long field is counted",
            backend.name
        );
        assert_ne!(terms, Terms::default());

        // A report stored before words were counted, and one counted the old way.
        backend
            .execute_behind_the_store(&format!(
                "DELETE FROM report_terms WHERE report_id = {first}"
            ))
            .await;
        backend
            .execute_behind_the_store(&format!(
                "UPDATE report_terms SET version = 0, terms = 'stale' WHERE report_id = {second}"
            ))
            .await;
        let recounted = store
            .comparable_reports(third, Some("shop.example.org"), 10)
            .await
            .expect("read");
        assert_eq!(recounted, compared, "{}", backend.name);

        // Counted once and kept: a text changed behind the store is not read again.
        backend
            .execute_behind_the_store(&format!(
                "UPDATE reports SET title = 'Changed', summary = 'changed' WHERE id IN ({first}, {second})"
            ))
            .await;
        let kept = store
            .comparable_reports(third, Some("shop.example.org"), 10)
            .await
            .expect("read");
        assert_eq!(kept, compared, "{}", backend.name);
    }
}
