//! `GET /metrics`: behind the operator's bearer token on the desk's address, without one on
//! a separate `--metrics-listen` address, absent otherwise; the text parses with PyPI
//! `prometheus_client`'s parser (run when it is installed, required under
//! `CVDESK_TEST_MAIL`, which `scripts/test` sets once the oracles are installed); route
//! patterns only, never a tracking token.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

use crate::app::{full_report, TestApp};

const TOKEN: &str = "metrics-token-for-the-test-0123456789";

fn config_with_token() -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("config file");
    writeln!(file, "[metrics]\ntoken = \"{TOKEN}\"").expect("written");
    file
}

/// Checks `text` with prometheus_client's own parser; the families it found, one a line.
fn parsed_by_prometheus_client(text: &str) -> Option<String> {
    let script = "import sys\n\
        from prometheus_client.parser import text_string_to_metric_families\n\
        for family in text_string_to_metric_families(sys.stdin.read()):\n    \
            print(family.name, family.type, len(family.samples))\n";
    let child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return None;
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("written");
    let output = child.wait_with_output().expect("ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("No module named 'prometheus_client'") {
        assert!(
            std::env::var_os("CVDESK_TEST_MAIL").is_none(),
            "PyPI prometheus_client is missing, and CVDESK_TEST_MAIL is set"
        );
        eprintln!("!!! SKIPPED: PyPI prometheus_client is not installed");
        return None;
    }
    assert!(
        output.status.success(),
        "the parser refused the text: {stderr}\n{text}"
    );
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test]
async fn metrics_need_the_token_and_parse_as_prometheus_text() {
    let config = config_with_token();
    let app = TestApp::start_with(&["--config", config.path().to_str().expect("utf-8")]);
    let created = app.submit(&full_report()).await;
    let tracking_token = created["tracking_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(
        app.get(&format!("/track/{tracking_token}")).await.status(),
        200
    );

    assert_eq!(app.get("/metrics").await.status(), 401);
    let wrong = app
        .client
        .get(app.at("/metrics"))
        .header(AUTHORIZATION, "Bearer not-the-token")
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), 401);
    let scraped = app
        .client
        .get(app.at("/metrics"))
        .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(scraped.status(), 200);
    assert_eq!(
        scraped.headers()[CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = scraped.text().await.expect("text");
    for expected in [
        "cvdesk_http_requests_total{method=\"POST\",route=\"/api/v1/reports\",status=\"201\"} 1",
        "cvdesk_http_requests_total{method=\"GET\",route=\"/track/{token}\",status=\"200\"} 1",
        "cvdesk_intake_submissions_total{outcome=\"accepted\"} 1",
        "cvdesk_reports_open{state=\"new\"} 1",
        "cvdesk_outbox_waiting 1",
        "cvdesk_http_request_duration_seconds_bucket{",
        "cvdesk_mail_sent_total 0",
        "# TYPE cvdesk_jobs_oldest_due_seconds gauge",
    ] {
        assert!(text.contains(expected), "{expected} missing from\n{text}");
    }
    assert!(
        !text.contains(&tracking_token),
        "no tracking token in a label"
    );
    assert!(!text.contains("ada@example.org"), "no address in a label");
    if let Some(families) = parsed_by_prometheus_client(&text) {
        for family in [
            "cvdesk_http_requests counter",
            "cvdesk_http_request_duration_seconds histogram",
            "cvdesk_outbox_waiting gauge",
            "cvdesk_reports_open gauge",
        ] {
            assert!(families.contains(family), "{family} not in {families}");
        }
    }
}

#[tokio::test]
async fn a_separate_address_serves_metrics_without_a_token() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port();
    let address = format!("127.0.0.1:{port}");
    let app = TestApp::start_with(&["--metrics-listen", &address]);
    assert_eq!(
        app.get("/metrics").await.status(),
        404,
        "not on the desk's address"
    );
    let scraped = reqwest::get(format!("http://{address}/metrics"))
        .await
        .expect("sent");
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.expect("text");
    assert!(text.contains("cvdesk_outbox_given_up 0"), "{text}");
    parsed_by_prometheus_client(&text);
}
