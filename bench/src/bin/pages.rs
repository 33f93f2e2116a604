//! Public pages: requests per second for `/`, `/report`, `/policy`,
//! `/.well-known/security.txt` and `/advisories`, next to a hello-world axum handler
//! measured in the same run with the same client. The desk has an organization key (so
//! security.txt is signed and the form offers encryption) and published advisories.
//!
//! Usage: pages CVDESK_BINARY [SECONDS] [CLIENTS]

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use cvdesk_bench::desk::{advisory, load, prepare_publisher};
use cvdesk_bench::{HelloWorld, Server, Summary};
use serde_json::{json, Value};

/// The pages a finder opens, in the order measured.
const PAGES: [&str; 5] = [
    "/",
    "/report",
    "/policy",
    "/.well-known/security.txt",
    "/advisories",
];

/// Published advisories on the list page.
const ADVISORIES: usize = 20;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = args
        .next()
        .context("usage: pages CVDESK_BINARY [SECONDS] [CLIENTS]")?;
    if binary == cvdesk_bench::HELLO_WORLD_FLAG {
        return cvdesk_bench::serve_hello_world().await;
    }
    let seconds: u64 = args.next().map_or(Ok(5), |s| s.parse())?;
    let clients: usize = args.next().map_or(Ok(32), |s| s.parse())?;
    let duration = Duration::from_secs(seconds);

    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let binary = Path::new(&binary);
    let server = Server::start(binary, &data, &[])?;
    let token = prepare_publisher(binary, &data)?;
    publish_advisories(&server.url, &token).await?;
    let hello = HelloWorld::start()?;
    println!(
        "{clients} clients, {seconds} s per page, keep-alive; the server, the hello-world \
         process and the client share the machine's cores"
    );

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let before = load(&client, &format!("{}/", hello.url), duration, clients).await?;
    let mut pages = Vec::new();
    for page in PAGES {
        let url = format!("{}{page}", server.url);
        pages.push((page, load(&client, &url, duration, clients).await?));
    }
    let after = load(&client, &format!("{}/", hello.url), duration, clients).await?;
    let baseline = (before.per_second + after.per_second) / 2.0;

    println!(
        "{:<44} {:>10} {:>10} {:>10} {:>7}",
        "", "rate", "p50", "p99", "ratio"
    );
    let row = |what: &str, summary: &Summary| {
        println!(
            "{what:<44} {:>8.0}/s {:>7.2} ms {:>7.2} ms {:>7.2}",
            summary.per_second,
            summary.p50_ms,
            summary.p99_ms,
            summary.per_second / baseline
        );
    };
    row("hello-world axum handler (before)", &before);
    for (page, summary) in &pages {
        row(&format!("cvdesk GET {page}"), summary);
    }
    row("hello-world axum handler (after)", &after);
    println!("(ratio = rate / the mean of the two hello-world runs; the goal is at least 0.50)");
    Ok(())
}

async fn publish_advisories(url: &str, token: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for n in 0..ADVISORIES {
        let draft: Value = client
            .post(format!("{url}/api/v1/advisories"))
            .bearer_auth(token)
            .json(&advisory(n))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let id = draft["id"].as_str().context("advisory id")?;
        client
            .post(format!("{url}/api/v1/advisories/{id}/publish"))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await?
            .error_for_status()?;
    }
    Ok(())
}
