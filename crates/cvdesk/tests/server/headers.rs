//! Security headers on every kind of response.

use crate::app::{anonymous_report, TestApp};

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::start();
    let created = app.submit(&anonymous_report()).await;
    let token = created["tracking_token"].as_str().expect("token");
    let paths = [
        "/".to_owned(),
        "/report".to_owned(),
        "/static/style.css".to_owned(),
        "/healthz".to_owned(),
        format!("/track/{token}"),
        format!("/api/v1/track/{token}"),
        "/no/such/page".to_owned(),
        "/api/v1/track/unknown".to_owned(),
    ];
    for path in paths {
        let response = app.get(&path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{path}: {csp}"
        );
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        if path.starts_with("/track") || path.starts_with("/api") {
            assert_eq!(headers["cache-control"], "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn pages_have_no_inline_script_or_style() {
    let app = TestApp::start();
    for path in ["/", "/report", "/no/such/page"] {
        let html = app.get(path).await.text().await.expect("html");
        assert!(!html.contains("<script"), "{path}");
        assert!(!html.contains("<style"), "{path}");
        assert!(!html.contains(" style=\""), "{path}");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{path}: no third-party URL"
        );
    }
}
