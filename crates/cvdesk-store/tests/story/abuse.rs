//! Abuse state: rate-limit buckets that hold under concurrency, spent challenges that
//! stop a second report without using a reference number, and a shared key setting.

use std::sync::Arc;

use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{Bucket, NewReport, SpentChallenge, Store, StoreError};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::backends::backends;

const T0: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);
const BUCKET: Bucket = Bucket {
    interval: Duration::minutes(1),
    burst: 3,
};

#[tokio::test]
async fn buckets_allow_the_burst_then_one_per_interval() {
    for backend in backends().await {
        let store = backend.open().await;
        let take = |key: &'static str, at| {
            let store = Arc::clone(&store);
            async move { store.take_from_bucket(key, BUCKET, at).await.expect("take") }
        };
        for _ in 0..3 {
            assert_eq!(take("report:192.0.2.1", T0).await, None, "{}", backend.name);
        }
        let wait = take("report:192.0.2.1", T0).await.expect("refused");
        assert_eq!(wait, Duration::minutes(1), "{}", backend.name);
        // A refusal costs nothing: the wait does not grow.
        let wait = take("report:192.0.2.1", T0 + Duration::seconds(20)).await;
        assert_eq!(wait, Some(Duration::seconds(40)), "{}", backend.name);
        assert_eq!(take("report:192.0.2.2", T0).await, None, "another client");
        assert_eq!(take("track:192.0.2.1", T0).await, None, "another action");
        let later = T0 + Duration::minutes(1);
        assert_eq!(
            take("report:192.0.2.1", later).await,
            None,
            "{}",
            backend.name
        );
        assert!(take("report:192.0.2.1", later).await.is_some());

        // Once full again a bucket is forgotten, which changes nothing for its client.
        store
            .purge_abuse_state(T0 + Duration::minutes(10))
            .await
            .expect("purge");
        for _ in 0..3 {
            let at = T0 + Duration::minutes(10);
            assert_eq!(take("report:192.0.2.1", at).await, None, "{}", backend.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_never_exceed_the_burst() {
    for backend in backends().await {
        let store = backend.open().await;
        let bucket = Bucket {
            interval: Duration::hours(1),
            burst: 5,
        };
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    store
                        .take_from_bucket("report:198.51.100.7", bucket, T0)
                        .await
                        .expect("take")
                })
            })
            .collect();
        let mut allowed = 0;
        for task in tasks {
            if task.await.expect("task").is_none() {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 5, "{}", backend.name);
    }
}

fn draft() -> ReportDraft {
    ReportDraft::parse(
        &ReportInput {
            title: Some("Spam or not".into()),
            summary: Some("Summary".into()),
            steps_to_reproduce: Some("Steps".into()),
            impact: Some("Impact".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid draft")
}

async fn create(
    store: &dyn Store,
    seed: u8,
    nonce: &str,
) -> Result<cvdesk_domain::report::Report, StoreError> {
    store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: T0,
            tracking_token_hash: &TrackingToken::from_random_bytes([seed; 32]).hash(),
            content: &draft(),
            attachments: &[],
            product: None,
            received_from: Some("2001:db8:1:2::/64"),
            challenge: Some(SpentChallenge {
                nonce,
                expires_at: T0 + Duration::hours(1),
            }),
            source: cvdesk_domain::report_source::ReportSource::Form,
        })
        .await
}

#[tokio::test]
async fn a_challenge_is_spent_with_its_report_and_only_once() {
    for backend in backends().await {
        let store = backend.open().await;
        let first = create(store.as_ref(), 1, "nonce-a").await.expect("stored");
        assert_eq!(first.received_from.as_deref(), Some("2001:db8:1:2::/64"));
        match create(store.as_ref(), 2, "nonce-a").await {
            Err(StoreError::ChallengeSpent) => {}
            other => panic!("{}: replay accepted: {other:?}", backend.name),
        }
        // The refused replay used no reference number.
        let second = create(store.as_ref(), 3, "nonce-b").await.expect("stored");
        assert_eq!(second.reference.sequence, first.reference.sequence + 1);
        let stored = store
            .report_by_reference(&second.reference)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(stored.received_from.as_deref(), Some("2001:db8:1:2::/64"));
    }
}

#[tokio::test]
async fn the_first_value_of_a_setting_wins() {
    for backend in backends().await {
        let store = backend.open().await;
        let first = store
            .setting_or_insert("intake_challenge_key", "aa", T0)
            .await
            .expect("insert");
        let second = store
            .setting_or_insert("intake_challenge_key", "bb", T0)
            .await
            .expect("read");
        assert_eq!(
            (first.as_str(), second.as_str()),
            ("aa", "aa"),
            "{}",
            backend.name
        );
    }
}
