//! The `cvdesk` command: parses the command line and hands each subcommand its settings.

mod advisory_config;
mod cli;
mod config;
mod cvss_command;
mod http_config;
mod import_command;
mod outbound_config;
mod pgp_command;
mod securitytxt_command;
mod serve;
mod staff_commands;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve(options) => serve::run(*options),
        Command::Cvss(options) => cvss_command::run(options),
        Command::Securitytxt(command) => securitytxt_command::run(command),
        Command::User(command) => staff_commands::user(command),
        Command::Token(command) => staff_commands::token(command),
        Command::Product(command) => staff_commands::product(command),
        Command::Audit(command) => staff_commands::audit(command),
        Command::Pgp(command) => pgp_command::run(command),
        Command::Import(command) => import_command::run(command),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("cvdesk: {error:#}");
            ExitCode::FAILURE
        }
    }
}
