//! `cvdesk man [--out DIR]`: the manual pages, generated from the command-line definition.
//! Without `--out` the main page, cvdesk(1), goes to standard output; with it, the folder
//! receives cvdesk.1 and one page per subcommand (cvdesk-serve.1, cvdesk-user-add.1, …).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

#[derive(Args, Debug)]
pub struct ManOptions {
    /// Folder to write cvdesk.1 and a page per subcommand to, created if missing, e.g.
    /// /usr/local/share/man/man1 [default: cvdesk.1 alone, to standard output]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(options: ManOptions, command: clap::Command) -> anyhow::Result<ExitCode> {
    let mut command = command.disable_help_subcommand(true);
    // Built once so each subcommand carries its full name (cvdesk-user-add).
    command.build();
    match options.out {
        None => std::io::stdout()
            .write_all(&page(&command)?)
            .context("could not write the manual page")?,
        Some(folder) => {
            std::fs::create_dir_all(&folder)
                .with_context(|| format!("could not create {}", folder.display()))?;
            let written = write_pages(&command, &folder)?;
            println!("{written} manual pages written to {}", folder.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the page of `command` and of each of its subcommands; returns how many.
fn write_pages(command: &clap::Command, folder: &Path) -> anyhow::Result<usize> {
    let mut written = 0;
    for subcommand in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        written += write_pages(subcommand, folder)?;
    }
    let man = clap_mangen::Man::new(command.clone());
    let path = folder.join(man.get_filename());
    std::fs::write(&path, page(command)?)
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(written + 1)
}

fn page(command: &clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut roff = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut roff)
        .context("could not render the manual page")?;
    let text = String::from_utf8(roff).context("the rendered page is not UTF-8")?;
    Ok(ascii_roff(&text).into_bytes())
}

/// Spells every character outside ASCII as a groff escape (… as `\[u2026]`): troff reads
/// its input as Latin-1 unless a preprocessor converts it, so raw UTF-8 would render as
/// garbage under `groff -man` and `man -l` without preconv.
fn ascii_roff(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_ascii() {
            out.push(character);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(character)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::ascii_roff;

    #[test]
    fn characters_outside_ascii_become_groff_escapes() {
        assert_eq!(ascii_roff("postgres://…"), "postgres://\\[u2026]");
        assert_eq!(ascii_roff("plain \\- text"), "plain \\- text");
        assert_eq!(ascii_roff("🔑"), "\\[u1F511]");
    }
}
