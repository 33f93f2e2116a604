//! The coordinator's page of a large multi-vendor case: one report forwarded to PARTICIPANTS
//! vendors (VINCE's users complained about a case with 121), every other one having stated
//! two product statuses, half of those approved, under an embargo, through the desk's own
//! API. Then, one request after another on the same server and in the same run:
//! `GET /healthz` and the staff page of the same report (the baselines), and the
//! coordinator's page (`/staff/reports/{reference}/coordination`), which lists every
//! participant with its statuses, the log and the vendor directory. Goal: under 100 ms at
//! p99.
//!
//! Usage: coordination CVDESK_BINARY [PARTICIPANTS] [ITERATIONS]

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, ensure, Context};
use cvdesk_bench::desk::{signed_in, timed, ADMIN_EMAIL};
use cvdesk_bench::Server;
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(
        args.next()
            .context("usage: coordination CVDESK_BINARY [PARTICIPANTS] [ITERATIONS]")?,
    );
    let participants: usize = args.next().map_or(Ok(200), |s| s.parse())?;
    let iterations: usize = args.next().map_or(Ok(300), |s| s.parse())?;

    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let server = Server::start(&binary, &data, &[])?;
    let browser = signed_in(&binary, &data, &server.url).await?;
    let token = api_token(&binary, &data)?;
    let api = Api {
        client: reqwest::Client::new(),
        url: server.url.clone(),
        token,
    };
    let started = std::time::Instant::now();
    let reference = coordinated_report(&api, participants).await?;
    println!(
        "== {participants} participants added, half of them with statuses, in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let page = |path: String| {
        let (browser, url) = (browser.clone(), format!("{}{path}", server.url));
        async move {
            let response = browser.get(&url).send().await?;
            if response.status() != 200 {
                bail!("{url}: {}", response.status());
            }
            response.bytes().await?;
            Ok(())
        }
    };
    let coordination_path = format!("/staff/reports/{reference}/coordination");
    let shown = browser
        .get(format!("{}{coordination_path}", server.url))
        .send()
        .await?
        .text()
        .await?;
    ensure!(
        shown.contains(&format!("Vendor {participants}")),
        "the page lists every participant"
    );
    // One untimed round of each warms the caches alike.
    for path in ["/healthz".to_owned(), format!("/staff/reports/{reference}")] {
        page(path).await?;
    }
    let health = timed(iterations, || page("/healthz".to_owned())).await?;
    let report_page = timed(iterations, || page(format!("/staff/reports/{reference}"))).await?;
    let coordination_page = timed(iterations, || page(coordination_path.clone())).await?;
    println!("{}", health.line("GET /healthz (baseline)"));
    println!("{}", report_page.line("staff report page (baseline)"));
    println!(
        "{}",
        coordination_page.line(&format!("coordinator's page, {participants} participants"))
    );
    Ok(())
}

/// The staff API with an admin's token.
struct Api {
    client: reqwest::Client,
    url: String,
    token: String,
}

impl Api {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let answer: Value = response.json().await?;
        ensure!(status.is_success(), "{path}: {status} {answer}");
        Ok(answer)
    }
}

/// An API token for the admin the browser signed in as.
fn api_token(binary: &std::path::Path, data: &std::path::Path) -> anyhow::Result<String> {
    let output = Command::new(binary)
        .args(["token", "create", "--email", ADMIN_EMAIL, "--data"])
        .arg(data)
        .output()?;
    ensure!(output.status.success(), "token create failed");
    String::from_utf8(output.stdout)?
        .lines()
        .last()
        .map(|line| line.trim().to_owned())
        .context("no token printed")
}

/// A report forwarded to `count` vendors under an embargo; every other vendor states two
/// products through its link, the first of which the coordinator approves.
async fn coordinated_report(api: &Api, count: usize) -> anyhow::Result<String> {
    let post = reqwest::Method::POST;
    let report = api
        .send(
            post.clone(),
            "/api/v1/reports",
            Some(&json!({
                "title": "Remote code execution in a shared parsing library",
                "summary": "A crafted header overflows the parser's buffer.",
                "steps_to_reproduce": "Send the attached request to any product embedding it.",
                "impact": "Code execution in every product that embeds the library.",
                "weakness": "CWE-787",
            })),
        )
        .await?;
    let reference = report["reference"]
        .as_str()
        .context("a reference")?
        .to_owned();
    let ends_at = time::OffsetDateTime::now_utc() + time::Duration::days(60);
    let ends_at = ends_at.format(&time::format_description::well_known::Rfc3339)?;
    api.send(
        reqwest::Method::PUT,
        &format!("/api/v1/reports/{reference}/embargo"),
        Some(&json!({"ends_at": ends_at, "time_zone": "Europe/Berlin"})),
    )
    .await?;
    let anyone = reqwest::Client::new();
    for n in 1..=count {
        let vendor = api
            .send(
                post.clone(),
                "/api/v1/vendors",
                Some(&json!({"name": format!("Vendor {n}"), "contacts": [
                    {"kind": "email", "value": format!("psirt@vendor{n}.example")}
                ]})),
            )
            .await?;
        let added = api
            .send(
                post.clone(),
                &format!("/api/v1/reports/{reference}/participants"),
                Some(&json!({"vendor_id": vendor["id"],
                             "shared": ["summary", "steps_to_reproduce"], "tlp": "TLP:AMBER"})),
            )
            .await?;
        if n % 2 == 1 {
            continue;
        }
        let link = added["participant_url"].as_str().context("a link")?;
        let token = link.rsplit('/').next().context("a token")?;
        for (product, status) in [("Gateway", "affected"), ("Agent", "under_investigation")] {
            let stated = anyone
                .post(format!("{}/api/v1/participate/{token}/status", api.url))
                .json(
                    &json!({"product": format!("Vendor {n} {product}"), "status": status,
                              "statement": "We embed the library in this product."}),
                )
                .send()
                .await?;
            ensure!(stated.status().is_success(), "status: {}", stated.status());
        }
    }
    let listed = api
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/reports/{reference}/participants"),
            None,
        )
        .await?;
    for participant in listed["items"].as_array().context("participants")? {
        if let Some(status) = participant["statuses"].get(0) {
            api.send(
                post.clone(),
                &format!(
                    "/api/v1/reports/{reference}/participants/{}/statuses/{}/approve",
                    participant["id"], status["id"]
                ),
                None,
            )
            .await?;
        }
    }
    Ok(reference)
}
