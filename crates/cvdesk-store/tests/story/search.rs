//! Full-text search finds the same reports on every backend: accents and case do not
//! count, and every word typed must occur.

use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{NewReport, ReportFilter, Store};
use time::macros::datetime;

use crate::backends::backends;

async fn report(store: &dyn Store, seed: u8, title: &str, summary: &str) -> i64 {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some(title.into()),
            summary: Some(summary.into()),
            steps_to_reproduce: Some("Open the page.".into()),
            impact: Some("Anyone can do it.".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid draft");
    store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: datetime!(2026-05-04 10:00 UTC),
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
        .id
}

#[tokio::test]
async fn accents_and_case_do_not_count_and_every_word_must_occur() {
    for backend in backends().await {
        let store = backend.open().await;
        let creme = report(
            store.as_ref(),
            1,
            "Crème brûlée injection",
            "The café menu runs scripts.",
        )
        .await;
        let cafe = report(
            store.as_ref(),
            2,
            "CAFE login bypass",
            "Signing in needs no password.",
        )
        .await;
        let resume = report(
            store.as_ref(),
            3,
            "Résumé upload",
            "A naïve señor's façade in Ångström units.",
        )
        .await;
        for (text, expected) in [
            ("cafe", vec![cafe, creme]),
            ("CAFÉ", vec![cafe, creme]),
            ("Café", vec![cafe, creme]),
            ("creme brulee", vec![creme]),
            ("CRÈME Brûlée menu", vec![creme]),
            ("resume", vec![resume]),
            ("RÉSUMÉ upload", vec![resume]),
            ("naive senor facade angstrom", vec![resume]),
            ("NAÏVE SEÑOR", vec![resume]),
            ("cafe resume", vec![]),
            ("brulee password", vec![]),
        ] {
            let filter = ReportFilter {
                text: Some(text.to_owned()),
                ..ReportFilter::default()
            };
            let page = store.list_reports(&filter).await.expect("search");
            let found: Vec<i64> = page.items.iter().map(|r| r.id).collect();
            assert_eq!(found, expected, "{}: search {text:?}", backend.name);
        }
    }
}
