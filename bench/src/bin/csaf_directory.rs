//! The CSAF provider's directory at 10,000 published advisories: requests per second and
//! latency for `white/index.txt`, `white/changes.csv` and the ROLIE feed, each rendered
//! from the store's list of published advisories, next to `/healthz` on the same server
//! with the same client (before and after), and the size of each file.
//!
//! Usage: csaf_directory CVDESK_BINARY [ADVISORIES] [SECONDS] [CLIENTS]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use cvdesk_bench::desk::{advisory, load, prepare_publisher};
use cvdesk_bench::{Server, Summary};
use serde_json::{json, Value};

const FILES: [&str; 3] = [
    "/.well-known/csaf/white/index.txt",
    "/.well-known/csaf/white/changes.csv",
    "/.well-known/csaf/white/csaf-feed-tlp-white.json",
];

/// Connections publishing at once while the desk is filled.
const PUBLISHERS: usize = 8;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: csaf_directory CVDESK_BINARY [ADVISORIES] [SECONDS] [CLIENTS]";
    let binary = args.next().context(usage)?;
    let advisories: usize = args.next().map_or(Ok(10_000), |s| s.parse())?;
    let seconds: u64 = args.next().map_or(Ok(5), |s| s.parse())?;
    let clients: usize = args.next().map_or(Ok(16), |s| s.parse())?;
    let duration = Duration::from_secs(seconds);

    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let binary = Path::new(&binary);
    let server = Server::start(binary, &data, &[])?;
    let token = prepare_publisher(binary, &data)?;
    let filled = Instant::now();
    publish(&server.url, &token, advisories).await?;
    println!(
        "{advisories} advisories drafted and published through the API in {:.1} s",
        filled.elapsed().as_secs_f64()
    );

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    // One cold fetch of each, for the size and the first answer's time.
    for file in FILES {
        let begun = Instant::now();
        let body = client
            .get(format!("{}{file}", server.url))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let lines = body.iter().filter(|byte| **byte == b'\n').count();
        println!(
            "{file}: {} bytes, {lines} lines, first answer in {:.1} ms",
            body.len(),
            begun.elapsed().as_secs_f64() * 1000.0
        );
    }
    println!(
        "{clients} clients, {seconds} s per file, keep-alive; the server and the client share \
         the machine's cores"
    );
    let health = format!("{}/healthz", server.url);
    let before = load(&client, &health, duration, clients).await?;
    let mut measured = Vec::new();
    for file in FILES {
        let url = format!("{}{file}", server.url);
        measured.push((file, load(&client, &url, duration, clients).await?));
    }
    let after = load(&client, &health, duration, clients).await?;
    let baseline = (before.per_second + after.per_second) / 2.0;

    println!(
        "{:<60} {:>10} {:>10} {:>10} {:>8}",
        "", "rate", "p50", "p99", "ratio"
    );
    let row = |what: &str, summary: &Summary| {
        println!(
            "{what:<60} {:>8.0}/s {:>7.2} ms {:>7.2} ms {:>8.4}",
            summary.per_second,
            summary.p50_ms,
            summary.p99_ms,
            summary.per_second / baseline
        );
    };
    row("GET /healthz (before)", &before);
    for (file, summary) in &measured {
        row(&format!("GET {file}"), summary);
    }
    row("GET /healthz (after)", &after);
    println!("(ratio = rate / the mean of the two /healthz runs)");
    Ok(())
}

/// Drafts and publishes `count` advisories, `PUBLISHERS` at a time.
async fn publish(url: &str, token: &str, count: usize) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..PUBLISHERS)
        .map(|_| {
            let (client, next) = (client.clone(), Arc::clone(&next));
            let (url, token) = (url.to_owned(), token.to_owned());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        return anyhow::Ok(());
                    }
                    let draft: Value = client
                        .post(format!("{url}/api/v1/advisories"))
                        .bearer_auth(&token)
                        .json(&advisory(n))
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    let id = draft["id"].as_str().context("advisory id")?;
                    client
                        .post(format!("{url}/api/v1/advisories/{id}/publish"))
                        .bearer_auth(&token)
                        .json(&json!({}))
                        .send()
                        .await?
                        .error_for_status()?;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(())
}
