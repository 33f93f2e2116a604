//! Memory while files arrive: CLIENTS finders each send the report form with MIB MiB of
//! files (the default per-report total, in files of at most 10 MiB) at the same time, and
//! the server's peak resident memory (Linux's VmHWM) is read before and after. The
//! baseline is the same server idle, measured in the same run after one small report.
//! Run against a release build; with CVDESK_BENCH_POSTGRES_URL set, the same run is
//! repeated on PostgreSQL (blobs in chunk rows).
//!
//! Usage: uploads CVDESK_BINARY [CLIENTS] [MIB]

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use cvdesk_bench::Server;
use reqwest::multipart::{Form, Part};

const MIB: u64 = 1024 * 1024;
/// The largest single file the desk takes by default.
const FILE_MIB: u64 = 10;
/// Uploads the desk receives at once by default (`http.upload_concurrency`).
const DEFAULT_UPLOAD_SLOTS: u64 = 32;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(
        args.next()
            .context("usage: uploads CVDESK_BINARY [CLIENTS] [MIB]")?,
    );
    let clients: u64 = args.next().map_or(Ok(20), |s| s.parse())?;
    let mib: u64 = args.next().map_or(Ok(25), |s| s.parse())?;
    println!(
        "{clients} clients at once, each sending the report form with {mib} MiB of files \
         (files of at most {FILE_MIB} MiB); server memory from /proc/PID/status"
    );
    println!(
        "{:<12} {:>10} {:>10} {:>12} {:>10} {:>8}",
        "store", "idle RSS", "peak RSS", "peak - idle", "MiB/s", "201s"
    );
    run("SQLite", &binary, &[], clients, mib).await?;
    if let Ok(url) = std::env::var("CVDESK_BENCH_POSTGRES_URL") {
        let database = cvdesk_store::testing::fresh_postgres_database(&url).await;
        run(
            "PostgreSQL",
            &binary,
            &["--database-url", &database],
            clients,
            mib,
        )
        .await?;
    }
    Ok(())
}

async fn run(
    store: &str,
    binary: &Path,
    extra: &[&str],
    clients: u64,
    mib: u64,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config_path = dir.path().join("cvdesk.toml");
    let config_path = config_path.to_str().context("utf-8 path")?.to_owned();
    let mut args: Vec<&str> = extra.to_vec();
    // Room for every client at once, so the figure is of memory, not of turned-away
    // uploads. Below the default the file is left out, so the same run works against a
    // build from before the setting existed.
    if clients > DEFAULT_UPLOAD_SLOTS {
        std::fs::write(
            &config_path,
            format!("[http]\nupload_concurrency = {clients}\n"),
        )?;
        args.extend(["--config", config_path.as_str()]);
    }
    let server = Server::start(binary, &dir.path().join("data"), &args)?;
    let client = reqwest::Client::new();
    let report = format!("{}/report", server.url);
    let warm_up = client
        .post(&report)
        .multipart(form(0, 1))
        .send()
        .await?
        .status();
    if warm_up != 201 {
        bail!("the warm-up report got {warm_up}");
    }
    let idle = memory(server.pid(), "VmRSS:")?;
    let started = Instant::now();
    let uploads: Vec<_> = (0..clients)
        .map(|seed| {
            let request = client.post(&report).multipart(form(seed + 1, mib));
            tokio::spawn(async move { request.send().await.map(|r| r.status()) })
        })
        .collect();
    let mut accepted = 0;
    for upload in uploads {
        if upload.await?? == 201 {
            accepted += 1;
        }
    }
    let wall = started.elapsed();
    let peak = memory(server.pid(), "VmHWM:")?;
    println!(
        "{store:<12} {:>6.1} MiB {:>6.1} MiB {:>8.1} MiB {:>10.0} {:>5}/{clients}",
        idle as f64 / MIB as f64,
        peak as f64 / MIB as f64,
        peak.saturating_sub(idle) as f64 / MIB as f64,
        (clients * mib) as f64 / wall.as_secs_f64(),
        accepted
    );
    Ok(())
}

/// A report with `mib` MiB of files whose bytes depend on `seed`, so no two clients send
/// the same file (the store keeps identical files once).
fn form(seed: u64, mib: u64) -> Form {
    let mut form = Form::new()
        .text("title", format!("Memory benchmark report {seed}"))
        .text("summary", "Files of a proof of concept.")
        .text("steps_to_reproduce", "See the attached captures.")
        .text("impact", "None: a benchmark.");
    let mut left = mib;
    let mut index = 0u64;
    while left > 0 {
        let size = left.min(FILE_MIB);
        let byte = (seed * 7 + index) as u8;
        form = form.part(
            "attachments",
            Part::bytes(vec![byte; (size * MIB) as usize])
                .file_name(format!("capture-{index}.pcap")),
        );
        left -= size;
        index += 1;
    }
    form
}

/// A memory figure of the process, in bytes: `VmRSS:` now, `VmHWM:` its peak so far.
fn memory(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .context("no such field")?
        .parse()?;
    Ok(kib * 1024)
}
