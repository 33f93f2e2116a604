//! Start-up: from exec to the `cvdesk listening on` line and to the first 200 from
//! `/healthz`, and the resident memory once idle, on a desk with a million reports next to
//! the same desk empty, measured in the same run. Both desks have an organisation key, so
//! each start loads it, and the memory is read once the first start's background jobs
//! (which read every open report) are over, and again 90 s after the first start, once the
//! next round of minutely jobs has run.
//!
//! Usage: startup CVDESK_BINARY [REPORTS] [RUNS]

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use cvdesk_bench::generated::fill_sqlite;
use cvdesk_bench::Server;

/// How long the server is left alone before its memory is read: long enough for the
/// first round of background jobs at a million reports to end.
const IDLE: Duration = Duration::from_secs(15);
/// When the first start's memory is read again: after its own round of jobs (which builds
/// every kept fortnight when none is kept) and the next round a minute later.
const SETTLED: Duration = Duration::from_secs(90);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = args
        .next()
        .context("usage: startup CVDESK_BINARY [REPORTS] [RUNS]")?;
    let binary = Path::new(&binary);
    let reports: u64 = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let runs: usize = args.next().map_or(Ok(5), |s| s.parse())?;
    anyhow::ensure!(runs > 0, "RUNS must be at least 1");

    let empty = tempfile::tempdir()?;
    let empty_data = empty.path().join("data");
    drop(Server::start(binary, &empty_data, &[])?);
    organisation_key(binary, &empty_data)?;

    let full = tempfile::tempdir()?;
    let full_data = full.path().join("data");
    // The first start creates and migrates the database; the reports go in afterwards.
    drop(Server::start(binary, &full_data, &[])?);
    organisation_key(binary, &full_data)?;
    let took = fill_sqlite(&full_data.join("cvdesk.db"), reports, None).await?;
    println!(
        "generated {reports} reports in {:.1} s; {runs} starts each, median and slowest",
        took.as_secs_f64()
    );

    println!(
        "{:<32} {:>22} {:>22} {:>16} {:>20}",
        "desk", "exec → listening", "exec → /healthz 200", "idle RSS", "first start at 90 s"
    );
    let full_label = format!("{reports} reports");
    for (what, data) in [
        ("empty (baseline)", &empty_data),
        (full_label.as_str(), &full_data),
    ] {
        let mut listening = Vec::new();
        let mut healthy = Vec::new();
        let mut resident = Vec::new();
        let mut settled = String::new();
        for run in 0..runs {
            let start = measure_start(binary, data, run == 0).await?;
            listening.push(start.listening);
            healthy.push(start.healthy);
            resident.push(start.resident_mib);
            if let Some(mib) = start.settled_mib {
                settled = format!("{mib:.1} MiB");
            }
        }
        println!(
            "{what:<32} {:>22} {:>22} {:>16} {settled:>20}",
            millis(&mut listening),
            millis(&mut healthy),
            mebibytes(&mut resident)
        );
    }
    println!("(goal: under 300 ms to healthy and under 30 MiB idle with a million reports)");
    Ok(())
}

/// Generates the desk's organisation key, unprotected, as `cvdesk pgp generate` does.
fn organisation_key(binary: &Path, data: &Path) -> anyhow::Result<()> {
    let output = std::process::Command::new(binary)
        .args(["pgp", "generate", "--name", "Bench Security Team"])
        .args(["--email", "security@bench.example", "--data"])
        .arg(data)
        .env_remove("CVDESK_DATABASE_URL")
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "cvdesk pgp generate failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

struct Start {
    listening: Duration,
    healthy: Duration,
    resident_mib: f64,
    /// Read again at `SETTLED`, on the start asked to wait for it.
    settled_mib: Option<f64>,
}

async fn measure_start(binary: &Path, data: &Path, settle: bool) -> anyhow::Result<Start> {
    let began = Instant::now();
    let server = Server::start(binary, data, &[])?;
    let listening = began.elapsed();
    let client = reqwest::Client::new();
    let health = format!("{}/healthz", server.url);
    loop {
        if let Ok(response) = client.get(&health).send().await {
            if response.status() == 200 {
                break;
            }
        }
        anyhow::ensure!(
            began.elapsed() < Duration::from_secs(60),
            "not healthy after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let healthy = began.elapsed();
    tokio::time::sleep(IDLE).await;
    let resident_mib = resident_kib(server.pid())? as f64 / 1024.0;
    let mut settled_mib = None;
    if settle {
        tokio::time::sleep(SETTLED.saturating_sub(began.elapsed())).await;
        settled_mib = Some(resident_kib(server.pid())? as f64 / 1024.0);
    }
    Ok(Start {
        listening,
        healthy,
        resident_mib,
        settled_mib,
    })
}

/// VmRSS of a process, from /proc.
fn resident_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc status")
}

fn millis(values: &mut [Duration]) -> String {
    values.sort_unstable();
    let median = values[values.len() / 2].as_secs_f64() * 1000.0;
    let slowest = values[values.len() - 1].as_secs_f64() * 1000.0;
    format!("{median:.0} / {slowest:.0} ms")
}

fn mebibytes(values: &mut [f64]) -> String {
    values.sort_unstable_by(f64::total_cmp);
    format!(
        "{:.1} / {:.1} MiB",
        values[values.len() / 2],
        values[values.len() - 1]
    )
}
