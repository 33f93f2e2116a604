//! Acknowledgements: finders who asked for credit, once their report is fixed.

use cvdesk_domain::report::ReportState;
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{NewReport, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::backends::backends;
use crate::staff::triager;

async fn report(store: &dyn Store, seed: u8, name: Option<&str>, credit: bool) -> i64 {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some("Stored XSS".into()),
            summary: Some("Summary".into()),
            steps_to_reproduce: Some("Steps".into()),
            impact: Some("Impact".into()),
            contact_name: name.map(str::to_owned),
            credit,
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: datetime!(2026-10-01 00:00 UTC),
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

async fn walk(store: &dyn Store, id: i64, states: &[ReportState], at: OffsetDateTime) {
    let mut from = ReportState::New;
    for to in states {
        let step = Transition {
            from,
            to: *to,
            reason: None,
            duplicate_of: None,
        };
        store
            .transition_report(id, &step, &triager(), &[], at)
            .await
            .expect("moved");
        from = *to;
    }
}

#[tokio::test]
async fn only_fixed_reports_of_finders_who_asked_are_listed() {
    use ReportState::{Assigned, Remediated, Triaged};
    for backend in backends().await {
        let store = backend.open().await;
        let fixed = [Triaged, Assigned, Remediated];
        let day = datetime!(2026-11-01 12:00 UTC);
        let ada = report(store.as_ref(), 1, Some("Ada"), true).await;
        walk(store.as_ref(), ada, &fixed, day).await;
        let grace = report(store.as_ref(), 2, Some("Grace"), true).await;
        walk(store.as_ref(), grace, &fixed, day + Duration::days(3)).await;
        let shy = report(store.as_ref(), 3, Some("Shy"), false).await;
        walk(store.as_ref(), shy, &fixed, day).await;
        let open = report(store.as_ref(), 4, Some("Open"), true).await;
        walk(store.as_ref(), open, &[Triaged], day).await;
        let thanks = store.acknowledgements(10).await.expect("read");
        assert_eq!(
            thanks,
            [
                ("Grace".to_owned(), day + Duration::days(3)),
                ("Ada".to_owned(), day)
            ],
            "{}",
            backend.name
        );
        assert_eq!(store.acknowledgements(1).await.expect("read").len(), 1);
    }
}
