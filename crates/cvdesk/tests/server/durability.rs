//! An accepted report survives the server being killed the moment it answered.

use serde_json::Value;

use crate::app::{anonymous_report, full_report, TestApp};

#[tokio::test]
async fn a_report_survives_kill_9_right_after_201() {
    let app = TestApp::start();
    let first = app.submit(&full_report()).await;
    let app = app.kill_and_restart();
    let token = first["tracking_token"].as_str().expect("token");
    let tracked: Value = app
        .get(&format!("/api/v1/track/{token}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(tracked["reference"], first["reference"]);
    let next = app.submit(&anonymous_report()).await;
    assert!(
        next["reference"]
            .as_str()
            .is_some_and(|r| r.ends_with("-0002")),
        "numbering continues after the restart: {next}"
    );
}
