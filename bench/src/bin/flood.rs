//! Intake under a flood from one address: a real client at 127.0.0.2 sends reports at a
//! steady pace (fetch a challenge, solve it, POST), first alone and then while
//! FLOOD_CLIENTS connections from 127.0.0.1 send bogus submissions as fast as they can.
//! Both phases run against the same server in the same run, so the ratio of the real
//! reports' latency with and without the flood is the figure to read.
//!
//! The server runs with the challenge on at its default difficulty and a report limit of
//! 120/minute per address. The default of 10/hour would also stop the real client after
//! its tenth report; 120/minute lets the real client's one report a second through while
//! the flooder spends its allowance within its first second.
//!
//! Usage: flood CVDESK_BINARY [SECONDS] [FLOOD_CLIENTS]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use cvdesk_bench::{Server, Summary};
use cvdesk_domain::challenge;
use serde_json::{json, Value};
use tokio::time::MissedTickBehavior;

const REAL_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const FLOOD_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// One report a second: well under the report limit, so every refusal is the flood's doing.
const REAL_PACE: Duration = Duration::from_secs(1);
const REPORT_LIMIT: &str = "120/minute";
/// The default tracking limit, made explicit; this benchmark does not track.
const TRACKING_LIMIT: &str = "60/minute";
const DIFFICULTY: &str = "16";
/// The flood starts this long before the real client's second phase, so that phase sees
/// the flood at full speed from its first report.
const FLOOD_HEAD_START: Duration = Duration::from_secs(1);
const CHALLENGE_HEADER: &str = "Cvdesk-Challenge";
const SOLUTION_HEADER: &str = "Cvdesk-Challenge-Solution";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(
        args.next()
            .context("usage: flood CVDESK_BINARY [SECONDS] [FLOOD_CLIENTS]")?,
    );
    let seconds: u64 = args.next().map_or(Ok(60), |s| s.parse())?;
    let flood_clients: usize = args.next().map_or(Ok(32), |s| s.parse())?;
    let phase = Duration::from_secs(seconds) / 2;

    let dir = tempfile::tempdir()?;
    let server = Server::start(
        &binary,
        &dir.path().join("data"),
        &[
            "--intake-challenge",
            "on",
            "--challenge-difficulty",
            DIFFICULTY,
            "--rate-limit-reports",
            REPORT_LIMIT,
            "--rate-limit-tracking",
            TRACKING_LIMIT,
        ],
    )?;
    let base: Arc<str> = Arc::from(server.url.as_str());

    let quiet = real_reports_in_own_thread(&base, phase).await?;

    let flood_client = reqwest::Client::builder()
        .local_address(FLOOD_ADDRESS)
        .timeout(Duration::from_secs(30))
        .build()?;
    let ammunition = Arc::new(Ammunition::prepare(&flood_client, &base).await?);
    let stop = Arc::new(AtomicBool::new(false));
    let flood_started = Instant::now();
    let flooders: Vec<_> = (0..flood_clients)
        .map(|index| {
            let (client, base) = (flood_client.clone(), Arc::clone(&base));
            let (ammunition, stop) = (Arc::clone(&ammunition), Arc::clone(&stop));
            tokio::spawn(async move { flood(client, base, ammunition, stop, index).await })
        })
        .collect();
    tokio::time::sleep(FLOOD_HEAD_START).await;
    let flooded = real_reports_in_own_thread(&base, phase).await;
    stop.store(true, Ordering::Relaxed);
    let mut tally: BTreeMap<(Bogus, String), u64> = BTreeMap::new();
    for flooder in flooders {
        for (key, count) in flooder.await? {
            *tally.entry(key).or_default() += count;
        }
    }
    let flood_wall = flood_started.elapsed();
    let flooded = flooded?;

    println!(
        "server: challenge on at difficulty {DIFFICULTY} (it rises while submissions surge), \
         reports limited to {REPORT_LIMIT} per address (the default 10/hour would stop the \
         real client too), tracking {TRACKING_LIMIT}"
    );
    println!(
        "real client {REAL_ADDRESS}: one report every {} s for {} s per phase; flood \
         {FLOOD_ADDRESS}: {flood_clients} connections, from {} s before the second phase to \
         its end",
        REAL_PACE.as_secs(),
        phase.as_secs(),
        FLOOD_HEAD_START.as_secs()
    );
    println!(
        "{:<14} {:>5} {:>5} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "phase",
        "sent",
        "201",
        "success",
        "POST p50",
        "POST p99",
        "solve p50",
        "solve p99",
        "difficulty"
    );
    let quiet_post = quiet.row("without flood");
    let flooded_post = flooded.row("with flood");
    println!(
        "ratio with / without flood: POST p50 {:.2}, POST p99 {:.2}",
        flooded_post.p50_ms / quiet_post.p50_ms,
        flooded_post.p99_ms / quiet_post.p99_ms
    );
    for (name, phase) in [("without flood", &quiet), ("with flood", &flooded)] {
        if !phase.failures.is_empty() {
            println!("real client failures {name}: {}", counts(&phase.failures));
        }
    }
    let flood_total: u64 = tally.values().sum();
    println!(
        "flood from {FLOOD_ADDRESS}: {flood_total} requests in {:.1} s = {:.0}/s",
        flood_wall.as_secs_f64(),
        flood_total as f64 / flood_wall.as_secs_f64()
    );
    for kind in Bogus::ALL {
        let by_status: BTreeMap<String, u64> = tally
            .iter()
            .filter(|((bogus, _), _)| *bogus == kind)
            .map(|((_, status), count)| (status.clone(), *count))
            .collect();
        println!("  {:<42} {}", kind.describe(), counts(&by_status));
    }
    println!(
        "(POST latency is the report request alone; solve is the challenge's CPU work on the \
         client; with n = {} a phase's p99 is its slowest submission)",
        quiet.sent()
    );
    Ok(())
}

/// `status × count` pairs on one line.
fn counts<N: std::fmt::Display>(by_status: &BTreeMap<String, N>) -> String {
    by_status
        .iter()
        .map(|(status, count)| format!("{status} × {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the real client saw in one phase.
#[derive(Default)]
struct RealPhase {
    post_latencies: Vec<Duration>,
    solve_times: Vec<Duration>,
    difficulties: Vec<u8>,
    created: usize,
    /// Submissions that did not end in 201, by status or error.
    failures: BTreeMap<String, usize>,
    wall: Duration,
}

impl RealPhase {
    fn sent(&self) -> usize {
        self.created + self.failures.values().sum::<usize>()
    }

    /// Prints the phase's row and returns its POST latency summary.
    fn row(&self, name: &str) -> Summary {
        let post = Summary::of(self.post_latencies.clone(), self.wall);
        let solve = Summary::of(self.solve_times.clone(), self.wall);
        let difficulty = match (
            self.difficulties.iter().min(),
            self.difficulties.iter().max(),
        ) {
            (Some(low), Some(high)) if low == high => format!("{low}"),
            (Some(low), Some(high)) => format!("{low}–{high}"),
            _ => "-".to_owned(),
        };
        let sent = self.sent();
        println!(
            "{name:<14} {sent:>5} {:>5} {:>7.1}% {:>7.2} ms {:>7.2} ms {:>7.1} ms {:>7.1} ms {difficulty:>10}",
            self.created,
            100.0 * self.created as f64 / sent.max(1) as f64,
            post.p50_ms,
            post.p99_ms,
            solve.p50_ms,
            solve.p99_ms,
        );
        post
    }
}

/// Runs the real client on a runtime and thread of its own, so the flood's tasks never
/// queue ahead of it in the same scheduler; only the machine's cores are shared.
async fn real_reports_in_own_thread(base: &str, duration: Duration) -> anyhow::Result<RealPhase> {
    let base = base.to_owned();
    let thread = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(real_reports(&base, duration))
    });
    tokio::task::spawn_blocking(move || {
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("the real client's thread panicked"))?
    })
    .await?
}

async fn real_reports(base: &str, duration: Duration) -> anyhow::Result<RealPhase> {
    let client = reqwest::Client::builder()
        .local_address(REAL_ADDRESS)
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut pace = tokio::time::interval(REAL_PACE);
    pace.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut phase = RealPhase::default();
    let started = Instant::now();
    loop {
        pace.tick().await;
        if started.elapsed() >= duration {
            break;
        }
        match submit_real_report(&client, base, phase.sent() + 1).await {
            Ok(submission) => {
                phase.post_latencies.push(submission.post);
                phase.solve_times.push(submission.solve);
                phase.difficulties.push(submission.difficulty);
                if submission.status == reqwest::StatusCode::CREATED {
                    phase.created += 1;
                } else {
                    *phase
                        .failures
                        .entry(submission.status.as_u16().to_string())
                        .or_default() += 1;
                }
            }
            Err(error) => {
                *phase
                    .failures
                    .entry(format!("error ({error})"))
                    .or_default() += 1
            }
        }
    }
    phase.wall = started.elapsed();
    Ok(phase)
}

struct RealSubmission {
    status: reqwest::StatusCode,
    post: Duration,
    solve: Duration,
    difficulty: u8,
}

/// One report as an API client sends it: fetch a challenge, solve it, POST with its headers.
async fn submit_real_report(
    client: &reqwest::Client,
    base: &str,
    number: usize,
) -> anyhow::Result<RealSubmission> {
    let offer: Value = client
        .get(format!("{base}/api/v1/challenge"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = offer["token"]
        .as_str()
        .context("challenge without a token")?
        .to_owned();
    let difficulty = offer["difficulty"]
        .as_u64()
        .and_then(|bits| u8::try_from(bits).ok())
        .context("challenge without a difficulty")?;
    let solving = Instant::now();
    let solution = {
        let token = token.clone();
        tokio::task::spawn_blocking(move || challenge::solve(&token, difficulty)).await?
    };
    let solve = solving.elapsed();
    let body = json!({
        "title": format!("Stored XSS in the profile page ({number})"),
        "summary": "The display name is rendered without escaping.",
        "steps_to_reproduce": "Set the display name to <script>alert(1)</script> and open /profile.",
        "impact": "Session theft for anyone who views the profile.",
        "weakness": "CWE-79",
        "severity": "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"
    });
    let begun = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/reports"))
        .header(CHALLENGE_HEADER, &token)
        .header(SOLUTION_HEADER, &solution)
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    response.bytes().await?;
    Ok(RealSubmission {
        status,
        post: begun.elapsed(),
        solve,
        difficulty,
    })
}

/// The kinds of bogus submission the flood sends, in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Bogus {
    NoChallenge,
    ForgedChallenge,
    GarbageJson,
    SpentChallenge,
}

impl Bogus {
    const ALL: [Bogus; 4] = [
        Bogus::NoChallenge,
        Bogus::ForgedChallenge,
        Bogus::GarbageJson,
        Bogus::SpentChallenge,
    ];

    fn describe(self) -> &'static str {
        match self {
            Bogus::NoChallenge => "no challenge",
            Bogus::ForgedChallenge => "forged challenge (token's MAC altered)",
            Bogus::GarbageJson => "garbage JSON with a solved challenge",
            Bogus::SpentChallenge => "one solved challenge replayed, valid body",
        }
    }
}

/// The flooder's one honest piece of work: a challenge solved once, then reused and forged.
struct Ammunition {
    token: String,
    forged_token: String,
    solution: String,
    report: Value,
}

impl Ammunition {
    async fn prepare(client: &reqwest::Client, base: &str) -> anyhow::Result<Self> {
        let offer: Value = client
            .get(format!("{base}/api/v1/challenge"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let token = offer["token"]
            .as_str()
            .context("challenge without a token")?
            .to_owned();
        let difficulty = offer["difficulty"]
            .as_u64()
            .and_then(|bits| u8::try_from(bits).ok())
            .context("challenge without a difficulty")?;
        let solution = {
            let token = token.clone();
            tokio::task::spawn_blocking(move || challenge::solve(&token, difficulty)).await?
        };
        // Same shape and length as the real token, so the server does all its checking
        // up to the MAC comparison.
        let mut forged_token = token.clone();
        let last = forged_token.pop().context("empty challenge token")?;
        forged_token.push(if last == '0' { '1' } else { '0' });
        Ok(Ammunition {
            token,
            forged_token,
            solution,
            report: json!({
                "title": "URGENT critical bug!!!",
                "summary": "Buy cheap watches at https://spam.example",
                "steps_to_reproduce": "Click the link.",
                "impact": "Everything."
            }),
        })
    }
}

/// One flooding connection: bogus submissions back to back until told to stop, tallied by
/// kind and status.
async fn flood(
    client: reqwest::Client,
    base: Arc<str>,
    ammunition: Arc<Ammunition>,
    stop: Arc<AtomicBool>,
    index: usize,
) -> BTreeMap<(Bogus, String), u64> {
    let url = format!("{base}/api/v1/reports");
    let mut tally = BTreeMap::new();
    let mut sent = index;
    while !stop.load(Ordering::Relaxed) {
        let kind = Bogus::ALL[sent % Bogus::ALL.len()];
        sent += 1;
        let request = client.post(&url);
        let request = match kind {
            Bogus::NoChallenge => request.json(&ammunition.report),
            Bogus::ForgedChallenge => request
                .header(CHALLENGE_HEADER, &ammunition.forged_token)
                .header(SOLUTION_HEADER, &ammunition.solution)
                .json(&ammunition.report),
            Bogus::GarbageJson => request
                .header(CHALLENGE_HEADER, &ammunition.token)
                .header(SOLUTION_HEADER, &ammunition.solution)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body("{\"title\": [\"unterminated"),
            Bogus::SpentChallenge => request
                .header(CHALLENGE_HEADER, &ammunition.token)
                .header(SOLUTION_HEADER, &ammunition.solution)
                .json(&ammunition.report),
        };
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16().to_string();
                match response.bytes().await {
                    Ok(_) => status,
                    Err(_) => "error".to_owned(),
                }
            }
            Err(_) => "error".to_owned(),
        };
        *tally.entry((kind, outcome)).or_default() += 1;
    }
    tally
}
