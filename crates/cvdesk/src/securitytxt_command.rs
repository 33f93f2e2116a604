//! `cvdesk securitytxt lint [--json] FILE|-`: checks a security.txt file against RFC 9116
//! as of now. Exit status 0 when valid, 1 when invalid, 2 when the file cannot be read.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use cvdesk_formats::securitytxt;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum SecuritytxtCommand {
    /// Check a security.txt file (or `-` for standard input) against RFC 9116.
    Lint(LintOptions),
}

#[derive(Args, Debug)]
pub struct LintOptions {
    /// One JSON object: {"valid", "findings": [{"line", "field", "severity", "code", "message"}]}.
    #[arg(long)]
    pub json: bool,
    /// The file to check, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub fn run(command: SecuritytxtCommand) -> anyhow::Result<ExitCode> {
    let SecuritytxtCommand::Lint(options) = command;
    let bytes = match read(&options.file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("cvdesk: {error:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let report = securitytxt::lint_bytes(&bytes, OffsetDateTime::now_utc());
    let mut out = io::stdout().lock();
    if options.json {
        let body = serde_json::json!({"valid": report.is_valid(), "findings": report.findings});
        writeln!(out, "{body}")?;
    } else {
        for finding in &report.findings {
            writeln!(out, "{finding}")?;
        }
        let errors = report.errors().count();
        let warnings = report.warnings().count();
        let verdict = if report.is_valid() {
            "valid"
        } else {
            "invalid"
        };
        writeln!(
            out,
            "{verdict}: {errors} error{}, {warnings} warning{}",
            plural(errors),
            plural(warnings)
        )?;
    }
    Ok(if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn read(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        return Ok(bytes);
    }
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}
