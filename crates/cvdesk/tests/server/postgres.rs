//! The same intake against PostgreSQL, when `CVDESK_TEST_POSTGRES_URL` is set: parallel
//! submissions from two instances sharing one database, and a kill -9 of one of them.

use std::collections::BTreeSet;

use crate::app::{anonymous_report, TestApp};

#[tokio::test]
async fn two_instances_share_one_gap_free_sequence() {
    let Ok(server_url) = std::env::var("CVDESK_TEST_POSTGRES_URL") else {
        eprintln!("CVDESK_TEST_POSTGRES_URL not set: PostgreSQL integration skipped");
        return;
    };
    let url = cvdesk_store::testing::fresh_postgres_database(&server_url).await;
    let first = TestApp::start_with(&["--database-url", &url]);
    let second = TestApp::start_with(&["--database-url", &url]);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let target = if i % 2 == 0 {
            first.url.clone()
        } else {
            second.url.clone()
        };
        tasks.push(tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(format!("{target}/api/v1/reports"))
                .json(&anonymous_report())
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status(), 201);
            let body: serde_json::Value = response.json().await.expect("json");
            body["reference"].as_str().expect("reference").to_owned()
        }));
    }
    let mut sequences = BTreeSet::new();
    for task in tasks {
        let reference = task.await.expect("task");
        let sequence: u32 = reference
            .rsplit('-')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("sequence");
        assert!(sequences.insert(sequence), "duplicate {reference}");
    }
    assert_eq!(sequences, (1..=40).collect::<BTreeSet<u32>>());

    let created = first.submit(&anonymous_report()).await;
    let first = first.kill_and_restart_with(&["--database-url", &url]);
    let token = created["tracking_token"].as_str().expect("token");
    for app in [&first, &second] {
        let tracked = app.get(&format!("/api/v1/track/{token}")).await;
        assert_eq!(tracked.status(), 200);
    }
}

#[tokio::test]
async fn instances_on_one_database_share_rate_limits() {
    let Ok(server_url) = std::env::var("CVDESK_TEST_POSTGRES_URL") else {
        eprintln!("CVDESK_TEST_POSTGRES_URL not set: PostgreSQL integration skipped");
        return;
    };
    let url = cvdesk_store::testing::fresh_postgres_database(&server_url).await;
    let args = [
        "--database-url",
        url.as_str(),
        "--rate-limit-reports",
        "3/hour",
    ];
    let first = TestApp::start_with(&args);
    let second = TestApp::start_with(&args);
    let mut statuses = Vec::new();
    for i in 0..6 {
        let app = if i % 2 == 0 { &first } else { &second };
        let response = app.post_json("/api/v1/reports", &anonymous_report()).await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses,
        [201, 201, 201, 429, 429, 429],
        "one limit across instances"
    );
}
