//! `cvdesk cvss [--json] VECTOR…`: validates and scores CVSS vectors given as arguments,
//! or read from standard input one a line. Exit status 0 when every vector is valid.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use clap::Args;
use cvdesk_formats::cvss::Cvss;
use serde_json::json;

#[derive(Args, Debug)]
pub struct CvssOptions {
    /// One JSON object a line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Vectors to score; without any, they are read from standard input, one a line.
    #[arg(value_name = "VECTOR")]
    pub vectors: Vec<String>,
}

pub fn run(options: CvssOptions) -> anyhow::Result<ExitCode> {
    let vectors = if options.vectors.is_empty() {
        io::stdin()
            .lock()
            .lines()
            .filter_map(|line| match line {
                Ok(line) if line.trim().is_empty() => None,
                other => Some(other.map(|l| l.trim().to_owned())),
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        options.vectors
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut all_valid = true;
    for input in &vectors {
        let line = match Cvss::parse(input) {
            Ok(cvss) => describe(&cvss, options.json),
            Err(error) => {
                all_valid = false;
                if options.json {
                    json!({"vector": input, "error": error.to_string()}).to_string()
                } else {
                    format!("{input}\tinvalid: {error}")
                }
            }
        };
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn describe(cvss: &Cvss, as_json: bool) -> String {
    let scores = cvss.scores();
    if as_json {
        return json!({
            "vector": cvss.to_string(),
            "version": cvss.version().as_str(),
            "base_score": scores.base,
            "temporal_score": scores.temporal,
            "environmental_score": scores.environmental,
            "score": scores.score,
            "severity": scores.severity.as_str(),
        })
        .to_string();
    }
    let mut line = format!("{cvss}\t{:.1} {}", scores.score, scores.severity.as_str());
    if let Some(nomenclature) = cvss.nomenclature() {
        line.push_str(&format!(" ({})", nomenclature.as_str()));
    }
    for (label, value) in [
        ("base", Some(scores.base)),
        ("temporal", scores.temporal),
        ("environmental", scores.environmental),
    ] {
        if let Some(value) = value {
            if cvss.nomenclature().is_none() {
                line.push_str(&format!("\t{label} {value:.1}"));
            }
        }
    }
    line
}
