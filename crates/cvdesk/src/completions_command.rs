//! `cvdesk completions SHELL`: the shell completion script for every command and flag,
//! generated from the command-line definition and printed to standard output.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use clap_complete::Shell;

#[derive(Args, Debug)]
pub struct CompletionsOptions {
    /// The shell to complete in: bash, zsh, fish, elvish or powershell
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

pub fn run(options: CompletionsOptions, mut command: clap::Command) -> anyhow::Result<ExitCode> {
    let name = command.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(options.shell, &mut command, name, &mut script);
    std::io::stdout()
        .write_all(&script)
        .map_err(|error| anyhow::anyhow!("could not write the completion script: {error}"))?;
    Ok(ExitCode::SUCCESS)
}
