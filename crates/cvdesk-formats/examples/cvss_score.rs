//! Scores CVSS vectors read from standard input, one a line, and prints one JSON object
//! a line: the fields of `cvdesk cvss --json`, plus the input and, for v4.0, the
//! nomenclature. Used by the oracle test and the throughput benchmark.

use std::io::{self, BufRead, BufWriter, Write};

use cvdesk_formats::cvss::Cvss;
use serde_json::json;

fn main() -> io::Result<()> {
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
