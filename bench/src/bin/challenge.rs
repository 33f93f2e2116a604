//! What checking an intake challenge costs the desk: `challenge::verify` (one HMAC over
//! the token, one SHA-256 over the solution) per call, next to a single bare SHA-256 of a
//! token-sized input measured in the same run.
//!
//! Usage: challenge [ITERATIONS]

use std::hint::black_box;
use std::time::Instant;

use cvdesk_domain::challenge::{self, ChallengeKey, Response};
use time::{Duration, OffsetDateTime};

fn main() -> anyhow::Result<()> {
    let iterations: u32 = std::env::args().nth(1).map_or(Ok(200_000), |s| s.parse())?;
    let key = ChallengeKey::from_bytes([7; 32]);
    let now = OffsetDateTime::now_utc();
    let lifetime = Duration::hours(12);
    let issued = challenge::issue(&key, [42; 16], 16, now, lifetime);
    let counter = challenge::solve(&issued.token, issued.difficulty);

    let started = Instant::now();
    for _ in 0..iterations {
        black_box(challenge::leading_zero_bits(
            black_box(&issued.token),
            black_box(&counter),
        ));
    }
    let hash = started.elapsed() / iterations;

    let started = Instant::now();
    for _ in 0..iterations {
        black_box(challenge::verify(
            &key,
            black_box(&issued.token),
            Response::Counter(black_box(&counter)),
            now,
            lifetime,
        ))?;
    }
    let verify = started.elapsed() / iterations;

    let started = Instant::now();
    let solves = 20;
    for n in 0..solves {
        let token = challenge::issue(&key, [n; 16], 16, now, lifetime).token;
        black_box(challenge::solve(&token, 16));
    }
    let solve = started.elapsed() / u32::from(solves);

    println!(
        "one SHA-256 of TOKEN:COUNTER (baseline)   {:>9.2} µs",
        hash.as_secs_f64() * 1e6
    );
    println!(
        "challenge::verify (HMAC + SHA-256)        {:>9.2} µs",
        verify.as_secs_f64() * 1e6
    );
    println!(
        "ratio verify / one hash                   {:>9.1}",
        verify.as_secs_f64() / hash.as_secs_f64()
    );
    println!(
        "solving at difficulty 16 in Rust (mean)   {:>9.2} ms",
        solve.as_secs_f64() * 1e3
    );
    Ok(())
}
