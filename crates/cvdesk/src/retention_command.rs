//! `cvdesk retention run [--dry-run]`: applies the `[retention]` rules now, as the hourly
//! job does, and prints what was removed; with `--dry-run`, what would be, removing
//! nothing.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use time::OffsetDateTime;

use crate::cli::StoreOptions;
use crate::command_context::{open, runtime};

#[derive(Subcommand, Debug)]
pub enum RetentionCommand {
    /// Remove the personal data and spent records the retention rules say are due.
    Run(RetentionRunOptions),
}

#[derive(Args, Debug)]
pub struct RetentionRunOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// Show what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(command: RetentionCommand) -> anyhow::Result<ExitCode> {
    let RetentionCommand::Run(options) = command;
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let counts = cvdesk_server::retention::apply(
            store.as_ref(),
            &config.retention,
            OffsetDateTime::now_utc(),
            options.dry_run,
        )
        .await?;
        let verb = if options.dry_run {
            "would remove"
        } else {
            "removed"
        };
        println!(
            "Client addresses of closed reports ({verb}): {}",
            counts.client_addresses
        );
        println!(
            "Reports closed as spam, with their files: {}",
            counts.spam_reports
        );
        println!("Expired sessions: {}", counts.sessions);
        println!("Used or expired one-time links: {}", counts.links);
        println!("Spent intake challenges: {}", counts.challenges);
        println!("Sent mail (recipient and body): {}", counts.sent_mail);
        if options.dry_run {
            println!("Dry run: nothing was removed.");
        }
        Ok(ExitCode::SUCCESS)
    })
}
