//! `cvdesk import sarif FILE --product ID` and `cvdesk import csv FILE [--product ID]`:
//! findings from a scanner's SARIF log or a CSV table, checked whole before anything is
//! stored. `--dry-run` prints what would be stored; otherwise the new findings are stored
//! in one transaction with one audit entry (as `cli`). A finding imported before is left
//! as it is, so importing the same file again changes nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::TextLimits;
use cvdesk_server::findings::import::{self, ImportFormat, ImportRequest, PlanError};
use time::OffsetDateTime;

use crate::cli::StoreOptions;
use crate::command_context::{open, runtime};

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import a SARIF 2.1.0 log: one finding per failing result, of the product named.
    Sarif(ImportOptions),
    /// Import a CSV table whose header names its columns (see the README).
    Csv(ImportOptions),
}

#[derive(Args, Debug)]
pub struct ImportOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The file to import (`-` for standard input).
    pub file: PathBuf,
    /// The product of every SARIF result, and of CSV rows that name none (its number,
    /// as `cvdesk product add` printed it).
    #[arg(long, value_name = "ID")]
    pub product: Option<i64>,
    /// Show what would be stored, and store nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(command: ImportCommand) -> anyhow::Result<ExitCode> {
    let (format, options) = match command {
        ImportCommand::Sarif(options) => (ImportFormat::Sarif, options),
        ImportCommand::Csv(options) => (ImportFormat::Csv, options),
    };
    let text = read_input(&options.file)?;
    let product = match options.product {
        Some(id) if id > 0 => Some(ProductId(id)),
        Some(id) => anyhow::bail!("--product {id}: a product number is positive"),
        None => None,
    };
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let request = ImportRequest {
            format,
            text: &text,
            product,
        };
        // The operator may file findings about any product.
        let plan =
            match import::plan(store.as_ref(), &request, TextLimits::default(), &|_| true).await {
                Ok(plan) => plan,
                Err(PlanError::Problems(problems)) => {
                    eprintln!("Nothing was imported; the file has these problems:");
                    for problem in &problems {
                        eprintln!("  {problem}");
                    }
                    return Ok(ExitCode::FAILURE);
                }
                Err(PlanError::Store(error)) => return Err(error.into()),
            };
        for row in &plan.rows {
            println!(
                "{}\t{}\t{}\t{}",
                if row.already_stored { "stored" } else { "new" },
                row.origin,
                row.product.as_deref().unwrap_or("-"),
                row.title
            );
        }
        let summary = format!(
            "{} new, {} already stored, {} left out",
            plan.new_count(),
            plan.stored_count(),
            plan.left_out
        );
        if options.dry_run {
            println!("Dry run: {summary}; nothing was stored.");
            return Ok(ExitCode::SUCCESS);
        }
        let outcome = import::apply(
            store.as_ref(),
            plan,
            &config.reference_prefix,
            OffsetDateTime::now_utc(),
            &|outcome| {
                crate::command_context::event(
                    "findings.import",
                    "findings",
                    import::audit_detail(format, outcome),
                )
            },
        )
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
        for reference in &outcome.created {
            println!("stored {reference}");
        }
        println!(
            "Imported: {} stored, {} already stored.",
            outcome.created.len(),
            outcome.already_stored
        );
        Ok(ExitCode::SUCCESS)
    })
}

fn read_input(path: &PathBuf) -> anyhow::Result<String> {
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .context("cannot read standard input")?;
        bytes
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    if bytes.len() > import::MAX_IMPORT_BYTES {
        anyhow::bail!(
            "{} has {} bytes; one import reads at most {}",
            path.display(),
            bytes.len(),
            import::MAX_IMPORT_BYTES
        );
    }
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}
