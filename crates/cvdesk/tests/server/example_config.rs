//! The documented example configuration is accepted as it is.

use crate::app::TestApp;

#[tokio::test]
async fn the_example_configuration_starts_the_desk() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../cvdesk.example.toml");
    let app = TestApp::start_with(&["--config", example]);
    assert_eq!(app.get("/healthz").await.status(), 200);
}
