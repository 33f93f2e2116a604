//! Shared measuring tools for the benchmarks: latency summaries and the server under test.

pub mod desk;
pub mod generated;
mod hello_world;

pub use hello_world::{serve_hello_world, HelloWorld, HELLO_WORLD_FLAG};

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Latencies of one run, summarised.
pub struct Summary {
    pub count: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Summary {
    pub fn of(mut latencies: Vec<Duration>, wall: Duration) -> Self {
        latencies.sort_unstable();
        let at = |q: f64| {
            let index = ((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1);
            latencies
                .get(index)
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        Summary {
            count: latencies.len(),
            per_second: latencies.len() as f64 / wall.as_secs_f64(),
            p50_ms: at(0.50),
            p99_ms: at(0.99),
        }
    }

    pub fn line(&self, what: &str) -> String {
        format!(
            "{what:<44} {:>8.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  (n={})",
            self.per_second, self.p50_ms, self.p99_ms, self.count
        )
    }
}

/// A `cvdesk serve` child process on a free loopback port; stopped on drop as an operator
/// stops it (SIGTERM), so it ends as a desk does, and killed if it has not ended in a minute.
pub struct Server {
    pub url: String,
    child: Child,
}

impl Server {
    pub fn start(binary: &Path, data: &Path, extra: &[&str]) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra)
            .env("CVDESK_INTAKE_CHALLENGE", "off")
            .env("CVDESK_RATE_LIMIT_REPORTS", "off")
            .env("CVDESK_RATE_LIMIT_TRACKING", "off")
            .env("CVDESK_RATE_LIMIT_REPLIES", "off")
            .env("CVDESK_RATE_LIMIT_SIGN_IN", "off")
            .env("CVDESK_RATE_LIMIT_QUESTION_ANSWERS", "off")
            .env("CVDESK_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        // Keep reading so the server never writes into a closed pipe.
        std::thread::spawn(move || reader.lines().for_each(drop));
        let url = line
            .trim()
            .strip_prefix("cvdesk listening on ")
            .ok_or_else(|| anyhow::anyhow!("unexpected first line {line:?}"))?
            .to_owned();
        Ok(Server { url, child })
    }
}

impl Server {
    /// The server's process id, to read its memory use.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// How long a stopped server may take to finish what it has in flight and exit.
const STOP_LIMIT: Duration = Duration::from_secs(60);

impl Drop for Server {
    fn drop(&mut self) {
        let asked = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        let asked_at = Instant::now();
        while asked && asked_at.elapsed() < STOP_LIMIT {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
