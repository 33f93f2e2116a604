//! `cvdesk store copy --to postgres://…|sqlite:DIR`: moves the whole desk from the store
//! it runs on (SQLite or PostgreSQL) into an empty store of the other kind, keeping every
//! id, then checks row counts per table and the audit chain on the target. It is how a desk
//! outgrows one machine, and how it comes back.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use cvdesk_formats::redaction::redact_url;
use cvdesk_store::copy::copy_store;
use cvdesk_store::StoreLocation;

use crate::cli::StoreOptions;
use crate::command_context::{configuration, runtime};
use crate::store_choice::{describe, require_existing};

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Copy the whole desk into an empty store of the other kind (SQLite to PostgreSQL or
    /// back), then verify row counts and the audit chain there. Stop the desk first.
    Copy(StoreCopyOptions),
}

#[derive(Args, Debug)]
pub struct StoreCopyOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The target: postgres://… (the database must exist; its tables are made), or
    /// sqlite:DIR for a data folder.
    #[arg(long, value_name = "URL")]
    pub to: String,
}

pub fn run(command: StoreCommand) -> anyhow::Result<ExitCode> {
    let StoreCommand::Copy(options) = command;
    let config = configuration(options.common)?;
    let target = target(&options.to)?;
    runtime()?.block_on(async {
        require_existing(&config.store).await?;
        eprintln!(
            "cvdesk: copying the {} into the {}",
            describe(&config.store),
            describe(&target)
        );
        let summary = copy_store(&config.store, &target).await?;
        let rows: u64 = summary.counts.values().sum();
        let files = if summary.attachments_in_bucket {
            "left the attachment files in the bucket".to_owned()
        } else {
            format!("{} attachment files", summary.files)
        };
        println!(
            "Copied {} tables ({rows} rows) and {files}; every table's row count matches and \
             the audit chain verifies on the target ({} entries).",
            summary.counts.len(),
            summary.audit_entries
        );
        if summary.attachments_in_bucket {
            println!(
                "Serve the target with the same attachment storage settings: it reads its \
                 attachments from the bucket."
            );
        }
        for (table, count) in summary.counts.iter().filter(|(_, count)| **count > 0) {
            println!("  {table}: {count}");
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `postgres://…` or `postgresql://…`, or `sqlite:` and a data folder.
fn target(to: &str) -> anyhow::Result<StoreLocation> {
    if to.starts_with("postgres://") || to.starts_with("postgresql://") {
        return Ok(StoreLocation::Postgres {
            url: to.to_owned(),
            max_connections: 2,
        });
    }
    match to.strip_prefix("sqlite:") {
        Some(folder) if !folder.is_empty() => Ok(StoreLocation::Sqlite {
            data_dir: std::path::absolute(PathBuf::from(folder))?,
        }),
        _ => bail!(
            "--to takes postgres://… or sqlite:DIR (a data folder), not '{}'",
            redact_url(to)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_postgresql_urls_or_sqlite_folders() {
        assert!(matches!(
            target("postgres://u@h/db"),
            Ok(StoreLocation::Postgres { .. })
        ));
        assert!(matches!(
            target("sqlite:/var/lib/cvdesk"),
            Ok(StoreLocation::Sqlite { data_dir }) if data_dir == std::path::Path::new("/var/lib/cvdesk")
        ));
        for refused in ["sqlite:", "/var/lib/cvdesk", "mysql://u:secret@h/db"] {
            let message = target(refused).expect_err(refused).to_string();
            assert!(message.contains("sqlite:DIR"), "{message}");
            assert!(!message.contains("secret"), "{message}");
        }
    }
}
