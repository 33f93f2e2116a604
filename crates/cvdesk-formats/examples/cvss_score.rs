//! Scores CVSS vectors read from standard input, one a line, and prints one JSON object
//! a line: the fields of `cvdesk cvss --json`, plus the input and, for v4.0, the
//! nomenclature. Used by the oracle test. With `--summary` it reads every line first,
//! then times parsing and scoring alone and prints one JSON object with the count and
//! the seconds taken, for the throughput benchmark.

use std::io::{self, BufRead, BufWriter, Write};
use std::time::Instant;

use cvdesk_formats::cvss::Cvss;
use serde_json::json;

fn main() -> io::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("--summary") {
        return summary();
    }
    let stdin = io::stdin();
    let mut out = BufWriter::new(io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        let record = match Cvss::parse(&line) {
            Ok(cvss) => {
                let scores = cvss.scores();
                json!({
                    "input": line,
                    "vector": cvss.to_string(),
                    "version": cvss.version(),
                    "base_score": scores.base,
                    "temporal_score": scores.temporal,
                    "environmental_score": scores.environmental,
                    "score": scores.score,
                    "severity": scores.severity,
                    "nomenclature": cvss.nomenclature(),
                })
            }
            Err(error) => json!({ "input": line, "vector": line, "error": error.to_string() }),
        };
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn summary() -> io::Result<()> {
    let lines: Vec<String> = io::stdin().lock().lines().collect::<Result<_, _>>()?;
    let started = Instant::now();
    let mut valid = 0usize;
    let mut checksum = 0.0;
    for line in &lines {
        if let Ok(cvss) = Cvss::parse(line) {
            valid += 1;
            checksum += cvss.scores().score;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let record = json!({
        "vectors": lines.len(),
        "valid": valid,
        "seconds": seconds,
        "score_sum": checksum,
    });
    println!("{record}");
    Ok(())
}
