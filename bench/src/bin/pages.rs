//! Public pages: requests per second for `/`, `/report`, `/policy`,
//! `/.well-known/security.txt` and `/advisories`, next to a hello-world axum handler
//! measured in the same run with the same client. The desk has an organization key (so
//! security.txt is signed and the form offers encryption) and published advisories.
//!
//! Usage: pages CVDESK_BINARY [SECONDS] [CLIENTS]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
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
    let token = prepare_desk(binary, &data)?;
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

/// An organization key and a publisher's API token, made with the desk's own commands
/// beside the running server.
fn prepare_desk(binary: &Path, data: &Path) -> anyhow::Result<String> {
    let run = |args: &[&str]| -> anyhow::Result<String> {
        let output = Command::new(binary)
            .args(args)
            .arg("--data")
            .arg(data)
            .env_remove("CVDESK_DATABASE_URL")
            .stdin(Stdio::null())
            .output()?;
        ensure!(
            output.status.success(),
            "cvdesk {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8(output.stdout)?)
    };
    run(&[
        "pgp",
        "generate",
        "--name",
        "Example Security",
        "--email",
        "security@example.org",
    ])?;
    run(&[
        "user",
        "add",
        "--email",
        "publisher@example.org",
        "--role",
        "admin",
    ])?;
    let printed = run(&["token", "create", "--email", "publisher@example.org"])?;
    printed
        .lines()
        .last()
        .map(|line| line.trim().to_owned())
        .context("no token printed")
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

fn advisory(n: usize) -> Value {
    json!({
        "title": format!("Shop {n}: SQL injection in product search"),
        "summary": "The search box lets an attacker read the customer database.",
        "description": "The `q` parameter is concatenated into SQL.",
        "impact": "Full read access to the customer database.",
        "remediation": format!("Upgrade the shop to 4.2.{n}."),
        "tlp": "TLP:CLEAR",
        "vulnerabilities": [{
            "cwe": "CWE-89",
            "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "products": [{"name": "Example Shop", "affected": [format!("< 4.2.{n}")],
                          "fixed": [format!("4.2.{n}")]}]
        }]
    })
}

/// `clients` connections asking for `url` back to back for `duration`; every answer must
/// be a 200 read to its end.
async fn load(
    client: &reqwest::Client,
    url: &str,
    duration: Duration,
    clients: usize,
) -> anyhow::Result<Summary> {
    let url = Arc::new(url.to_owned());
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url) = (client.clone(), Arc::clone(&url));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < duration {
                    let begun = Instant::now();
                    let response = client.get(url.as_str()).send().await?;
                    ensure!(
                        response.status() == 200,
                        "{url}: status {}",
                        response.status()
                    );
                    response.bytes().await?;
                    latencies.push(begun.elapsed());
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(Summary::of(latencies, started.elapsed()))
}
