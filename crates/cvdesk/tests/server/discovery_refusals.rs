//! Contact discovery against hosts that misbehave: nothing listening, a server that never
//! answers, and a redirect to another host. Each is said in words in the proposal, which
//! falls back to the RFC 2142 guess; the vendor is left as it was.

use std::io::{Read, Write};
use std::net::TcpListener;

use serde_json::{json, Value};

use crate::app::TestApp;
use crate::staff::{api_token, create_first_admin, ADMIN_EMAIL};

/// Answers every request on loopback with `response`, or holds it unanswered when `None`.
fn answer(response: Option<String>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bound");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else {
                return;
            };
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request);
            match &response {
                Some(text) => {
                    let _ = socket.write_all(text.as_bytes());
                }
                // Kept open and silent until the test ends.
                None => held.push(socket),
            }
        }
    });
    port
}

async fn discover(app: &TestApp, token: &str, vendor: i64, domain: &str) -> Value {
    let response = app
        .client
        .post(app.at(&format!("/api/v1/vendors/{vendor}/discover")))
        .bearer_auth(token)
        .json(&json!({ "domain": domain }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

#[tokio::test]
async fn unreachable_silent_and_redirecting_hosts_are_refused_in_words() {
    let app = TestApp::start_with(&["--outbound-allow-private", "on"]);
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let created: Value = app
        .client
        .post(app.at("/api/v1/vendors"))
        .bearer_auth(&token)
        .json(&json!({"name": "Flaky", "notes": "as it was"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let vendor = created["id"].as_i64().expect("id");

    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0")
        .expect("bound")
        .local_addr()
        .expect("address")
        .port();
    let silent = answer(None);
    let elsewhere = answer(Some(format!(
        "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:{closed}/.well-known/security.txt\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    )));
    for (port, expected) in [
        (closed, "could not be reached"),
        (silent, "did not answer within"),
        (elsewhere, "redirects to another host"),
    ] {
        let found = discover(&app, &token, vendor, &format!("127.0.0.1:{port}")).await;
        let proposal = &found["proposal"];
        assert_eq!(proposal["source"]["kind"], "guess", "{found}");
        assert!(
            proposal["problems"].to_string().contains(expected),
            "{expected}: {found}"
        );
    }

    // Discovery proposes; the vendor is unchanged until a person accepts.
    let vendor: Value = app
        .client
        .get(app.at(&format!("/api/v1/vendors/{vendor}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(vendor["notes"], "as it was", "{vendor}");
    assert_eq!(vendor["contacts"], json!([]), "{vendor}");
}
