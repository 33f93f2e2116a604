//! `cvdesk audit verify`: checks the audit log's hash chain against its head, a thousand
//! entries at a time; exit 0 when intact, 1 otherwise.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::StoreOptions;
use crate::command_context::{open, runtime};

/// Audit entries read at a time: the memory verification takes.
const VERIFY_BATCH: i64 = 1_000;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the audit log's hash chain; exit 0 when intact, 1 otherwise.
    Verify(AuditVerifyOptions),
}

#[derive(Args, Debug)]
pub struct AuditVerifyOptions {
    #[command(flatten)]
    pub common: StoreOptions,
}

pub fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify(options) = command;
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        match store.verify_audit_chain(VERIFY_BATCH).await? {
            Ok(verified) => {
                println!(
                    "audit log intact: {} entries, last hash {}",
                    verified.count, verified.last_hash
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(broken) => {
                println!("audit log BROKEN: {broken}");
                Ok(ExitCode::FAILURE)
            }
        }
    })
}
