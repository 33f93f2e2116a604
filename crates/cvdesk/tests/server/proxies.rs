//! The client address behind reverse proxies: only the configured header counts, only
//! from the configured proxies, for both the rate limit and the address staff see.

use std::net::IpAddr;

use reqwest::Client;
use serde_json::Value;

use crate::app::{anonymous_report, TestApp};
use crate::staff::{api_token, create_first_admin, ADMIN_EMAIL};

/// A client whose requests leave from `address` (any 127.0.0.0/8 address reaches the
/// server on Linux).
fn client_from(address: &str) -> Client {
    Client::builder()
        .local_address(address.parse::<IpAddr>().expect("address"))
        .build()
        .expect("client")
}

/// A desk allowing one report an hour per client, behind proxies at 127.0.0.1 that set
/// `header`.
fn desk_behind(header: &str) -> TestApp {
    TestApp::start_with(&[
        "--rate-limit-reports",
        "1/hour",
        "--trusted-proxy",
        "127.0.0.1",
        "--client-address-header",
        header,
    ])
}

/// Sends a report with `headers` from `client`; the status and, on 201, the reference.
async fn send(app: &TestApp, client: &Client, headers: &[(&str, &str)]) -> (u16, Option<String>) {
    let mut request = client.post(app.at("/api/v1/reports"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request
        .json(&anonymous_report())
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    (status, body["reference"].as_str().map(str::to_owned))
}

/// The address staff see a report as received from.
async fn received_from(app: &TestApp, bearer: &str, reference: &str) -> String {
    let report: Value = app
        .client
        .get(app.at(&format!("/api/v1/reports/{reference}")))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    report["received_from"]
        .as_str()
        .unwrap_or_else(|| panic!("received_from in {report}"))
        .to_owned()
}

/// nginx with `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`: it appends
/// the address it saw and passes the client's own `Forwarded` and `X-Real-IP` through.
#[tokio::test]
async fn behind_nginx_appending_x_forwarded_for_a_forged_forwarded_is_ignored() {
    let app = desk_behind("x-forwarded-for");
    create_first_admin(&app).await;
    let bearer = api_token(&app, ADMIN_EMAIL);
    let proxy = client_from("127.0.0.1");
    let (status, reference) = send(
        &app,
        &proxy,
        &[
            ("forwarded", "for=198.51.100.1"),
            ("x-real-ip", "198.51.100.2"),
            ("x-forwarded-for", "198.51.100.3, 203.0.113.9"),
        ],
    )
    .await;
    assert_eq!(status, 201);
    let reference = reference.expect("reference");
    assert_eq!(
        received_from(&app, &bearer, &reference).await,
        "203.0.113.9"
    );
    // The same client forging a fresh Forwarded, X-Real-IP and left part each time still
    // has one bucket.
    let (status, _) = send(
        &app,
        &proxy,
        &[
            ("forwarded", "for=198.51.100.4"),
            ("x-real-ip", "198.51.100.5"),
            ("x-forwarded-for", "198.51.100.6, 203.0.113.9"),
        ],
    )
    .await;
    assert_eq!(status, 429);
    let (status, _) = send(&app, &proxy, &[("x-forwarded-for", "203.0.113.10")]).await;
    assert_eq!(status, 201, "another client behind the proxy");

    // A client reaching the desk directly is its own address, whatever it sends.
    let direct = client_from("127.0.0.3");
    let (status, reference) = send(&app, &direct, &[("x-forwarded-for", "203.0.113.11")]).await;
    assert_eq!(status, 201);
    let reference = reference.expect("reference");
    assert_eq!(received_from(&app, &bearer, &reference).await, "127.0.0.3");
    let (status, _) = send(&app, &direct, &[("x-forwarded-for", "203.0.113.12")]).await;
    assert_eq!(status, 429);
}

/// nginx with `proxy_set_header X-Real-IP $remote_addr`: the client's own X-Real-IP is
/// replaced, its `X-Forwarded-For` and `Forwarded` passed through.
#[tokio::test]
async fn behind_nginx_setting_x_real_ip_other_headers_are_ignored() {
    let app = desk_behind("x-real-ip");
    create_first_admin(&app).await;
    let bearer = api_token(&app, ADMIN_EMAIL);
    let proxy = client_from("127.0.0.1");
    let (status, reference) = send(
        &app,
        &proxy,
        &[
            ("forwarded", "for=198.51.100.1"),
            ("x-forwarded-for", "198.51.100.3"),
            ("x-real-ip", "2001:db8:cafe:1::17"),
        ],
    )
    .await;
    assert_eq!(status, 201);
    let reference = reference.expect("reference");
    assert_eq!(
        received_from(&app, &bearer, &reference).await,
        "2001:db8:cafe:1::/64"
    );
    let (status, _) = send(
        &app,
        &proxy,
        &[
            ("forwarded", "for=198.51.100.7"),
            ("x-forwarded-for", "198.51.100.8"),
            ("x-real-ip", "2001:db8:cafe:1::18"),
        ],
    )
    .await;
    assert_eq!(status, 429, "the same /64 behind the proxy");
}

/// HAProxy with `option forwardfor` adds its own `X-Forwarded-For` line; with `option
/// forwarded` an RFC 7239 element. A header the client wrote before it never counts.
#[tokio::test]
async fn behind_haproxy_only_the_proxys_own_element_counts() {
    let app = desk_behind("forwarded");
    let proxy = client_from("127.0.0.1");
    let forging = |forged: &'static str| {
        [
            ("x-forwarded-for", forged),
            ("x-real-ip", forged),
            ("forwarded", "for=198.51.100.1"),
            ("forwarded", "for=\"203.0.113.9:4711\";proto=https"),
        ]
    };
    assert_eq!(send(&app, &proxy, &forging("198.51.100.2")).await.0, 201);
    assert_eq!(send(&app, &proxy, &forging("198.51.100.3")).await.0, 429);

    let app = desk_behind("x-forwarded-for");
    let forging = |forged: &'static str| {
        [
            ("forwarded", forged),
            ("x-forwarded-for", "198.51.100.1"),
            ("x-forwarded-for", "203.0.113.9"),
        ]
    };
    assert_eq!(
        send(&app, &proxy, &forging("for=198.51.100.2")).await.0,
        201
    );
    assert_eq!(
        send(&app, &proxy, &forging("for=198.51.100.3")).await.0,
        429
    );
}
