//! A desk to measure: an organization key and a publisher made with the desk's own
//! commands, a signed-in admin, advisories to publish, and the load loops every page
//! benchmark uses.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use serde_json::{json, Value};

use crate::Summary;

pub const ADMIN_EMAIL: &str = "bench@example.org";
pub const ADMIN_PASSWORD: &str = "a long enough bench password";

/// An organization key and a publisher's API token, made with the desk's own commands
/// beside the running server.
pub fn prepare_publisher(binary: &Path, data: &Path) -> anyhow::Result<String> {
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

/// A TLP:CLEAR advisory, the `n`th of a run.
pub fn advisory(n: usize) -> Value {
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
pub async fn load(
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

/// Runs `step` `iterations` times, one after the other.
pub async fn timed<F, Fut>(iterations: usize, mut step: F) -> anyhow::Result<Summary>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut latencies = Vec::with_capacity(iterations);
    let wall = Instant::now();
    for _ in 0..iterations {
        let start = Instant::now();
        step().await?;
        latencies.push(start.elapsed());
    }
    Ok(Summary::of(latencies, wall.elapsed()))
}

/// An admin made on the command line, signed in with a browser-like client (cookies kept,
/// redirects not followed).
pub async fn signed_in(binary: &Path, data: &Path, url: &str) -> anyhow::Result<reqwest::Client> {
    let output = Command::new(binary)
        .args([
            "user",
            "add",
            "--email",
            ADMIN_EMAIL,
            "--role",
            "admin",
            "--data",
        ])
        .arg(data)
        .output()?;
    let printed = String::from_utf8(output.stdout)?;
    let link = printed.lines().last().context("a password link")?.trim();
    let path = &link[link.find("/staff/").context("a staff path")?..];
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?;
    let set = browser
        .post(format!("{url}{path}"))
        .form(&[
            ("password", ADMIN_PASSWORD),
            ("confirmation", ADMIN_PASSWORD),
        ])
        .send()
        .await?;
    if set.status() != 303 {
        bail!("setting the password: {}", set.status());
    }
    let login = browser
        .get(format!("{url}/staff/login"))
        .send()
        .await?
        .text()
        .await?;
    let marker = "name=\"csrf_token\" value=\"";
    let start = login.find(marker).context("a csrf token")? + marker.len();
    let token: String = login[start..].chars().take_while(|c| *c != '"').collect();
    let signed = browser
        .post(format!("{url}/staff/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await?;
    if signed.status() != 303 {
        bail!("signing in: {}", signed.status());
    }
    Ok(browser)
}
