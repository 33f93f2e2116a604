//! The `cvdesk` command: parses the command line and hands each subcommand its settings.
//! Each command module depends only on the shared command context and the configuration;
//! this file alone knows them all.

mod advisory_config;
mod attachment_storage_config;
mod audit_command;
mod backup_command;
mod check_config_command;
mod cli;
mod command_context;
mod completions_command;
mod config;
mod cvss_command;
mod error_report;
mod http_config;
mod import_command;
mod key_check;
mod listen_address;
mod mail_command;
mod man_command;
mod metrics_config;
mod outbound_config;
mod outbox_command;
mod passphrase;
mod pgp_command;
mod policy_drift;
mod product_command;
mod retention_command;
mod retention_config;
mod securitytxt_command;
mod serve;
mod setting_names;
mod startup_log;
mod store_choice;
mod store_command;
mod token_command;
mod user_command;
mod vendor_command;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::cli::ServeOptions;

/// jemalloc serves every allocation, the bundled SQLite's too, and returns freed pages to the
/// system within about a second (see .cargo/config.toml). glibc's allocator kept the free
/// memory of each thread's arena after the background jobs ran, which held an idle desk
/// several megabytes above what it uses.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "cvdesk",
    version,
    about = "A self-hosted coordinated vulnerability disclosure desk"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the desk: public pages, report intake, tracking and the API.
    #[command(after_help = cli::SERVE_ENVIRONMENT)]
    Serve(Box<ServeOptions>),
    /// Check the configuration as serve reads it: errors (exit 1) and risks, each named.
    CheckConfig(check_config_command::CheckConfigOptions),
    /// Validate and score CVSS v2.0, v3.0, v3.1 and v4.0 vectors.
    Cvss(cvss_command::CvssOptions),
    /// Work with security.txt files (RFC 9116).
    #[command(subcommand)]
    Securitytxt(securitytxt_command::SecuritytxtCommand),
    /// Manage staff accounts.
    #[command(subcommand)]
    User(user_command::UserCommand),
    /// Manage the product inventory.
    #[command(subcommand)]
    Product(product_command::ProductCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(token_command::TokenCommand),
    /// Work with the audit log.
    #[command(subcommand)]
    Audit(audit_command::AuditCommand),
    /// Manage the organization's OpenPGP key.
    #[command(subcommand)]
    Pgp(pgp_command::PgpCommand),
    /// The vendor directory: add vendors, discover their security contacts, list them.
    #[command(subcommand)]
    Vendor(vendor_command::VendorCommand),
    /// Inbound mail: replies from vendors and finders, from an MTA or a Maildir.
    #[command(subcommand)]
    Mail(mail_command::MailCommand),
    /// Import findings from a scanner's SARIF log or a CSV table.
    #[command(subcommand)]
    Import(import_command::ImportCommand),
    /// Apply the retention rules now (the server also does, once an hour).
    #[command(subcommand)]
    Retention(retention_command::RetentionCommand),
    /// Write a consistent backup of the embedded store (database and attachments) to one
    /// archive, while the desk runs.
    Backup(backup_command::BackupOptions),
    /// Put a backup back into a data folder, checking every file against its manifest.
    Restore(backup_command::RestoreOptions),
    /// Move the whole desk between SQLite and PostgreSQL.
    #[command(subcommand)]
    Store(store_command::StoreCommand),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    Completions(completions_command::CompletionsOptions),
    /// Write the manual pages: cvdesk(1) and one per subcommand.
    Man(man_command::ManOptions),
}

fn main() -> ExitCode {
    let cli = Cli::try_parse()
        .unwrap_or_else(|error| cli::name_the_variable(error, &Cli::command()).exit());
    let outcome = match cli.command {
        Command::Serve(options) => serve::run(*options),
        Command::CheckConfig(options) => check_config_command::run(options),
        Command::Cvss(options) => cvss_command::run(options),
        Command::Securitytxt(command) => securitytxt_command::run(command),
        Command::User(command) => user_command::run(command),
        Command::Token(command) => token_command::run(command),
        Command::Product(command) => product_command::run(command),
        Command::Audit(command) => audit_command::run(command),
        Command::Pgp(command) => pgp_command::run(command),
        Command::Vendor(command) => vendor_command::run(command),
        Command::Mail(command) => mail_command::run(command),
        Command::Import(command) => import_command::run(command),
        Command::Retention(command) => retention_command::run(command),
        Command::Backup(options) => backup_command::run_backup(options),
        Command::Restore(options) => backup_command::run_restore(options),
        Command::Store(command) => store_command::run(command),
        Command::Completions(options) => completions_command::run(options, Cli::command()),
        Command::Man(options) => man_command::run(options, Cli::command()),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("cvdesk: {}", error_report::one_line(&error));
            ExitCode::FAILURE
        }
    }
}
