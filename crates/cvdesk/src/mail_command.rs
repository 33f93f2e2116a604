//! `cvdesk mail receive` and `cvdesk mail import`: replies coming back in. `receive` reads
//! one RFC 5322 message on standard input, as an MTA pipes it (Postfix `pipe`, procmail,
//! `.forward`); `import` takes every message in a Maildir's `new/` and moves each to `cur/`
//! once it is kept. A message is kept before anything else, then delivered to the case or
//! report its reply token (or the desk mail it answers) names, or left in the quarantine.
//! The exit status is 0 when the message was stored or quarantined and 75 (EX_TEMPFAIL,
//! which tells an MTA to try again later) only when nothing could be stored.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use cvdesk_formats::inbound_mail::Limits;
use cvdesk_server::inbound_mail::{receive, Outcome, Receiver, ReplyAddresses};
use cvdesk_server::openpgp::{self, OrganizationKey};
use cvdesk_store::Store;
use time::OffsetDateTime;

use crate::cli::StoreOptions;
use crate::command_context::{open, runtime};
use crate::config::ServeConfig;

/// The status an MTA reads as "try again later".
const TEMPORARY_FAILURE: u8 = 75;

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// Read one message on standard input and store it where it belongs.
    Receive(ReceiveOptions),
    /// Store every message in a Maildir's new/ folder, moving each to cur/ once kept.
    Import(ImportOptions),
    /// The outbox: list mail, queue a given-up mail again, discard one.
    #[command(subcommand)]
    Outbox(crate::outbox_command::OutboxCommand),
}

#[derive(Args, Debug)]
pub struct ReceiveOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The envelope recipient, as the MTA knows it (Postfix: ${recipient}); checked for
    /// a reply token before the message's own headers.
    #[arg(long, value_name = "ADDRESS")]
    pub recipient: Option<String>,
}

#[derive(Args, Debug)]
pub struct ImportOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The Maildir (holding new/, cur/ and tmp/).
    #[arg(long, value_name = "DIR")]
    pub maildir: PathBuf,
}

pub fn run(command: MailCommand) -> anyhow::Result<ExitCode> {
    match command {
        MailCommand::Receive(options) => receive_one(options),
        MailCommand::Import(options) => import(options),
        MailCommand::Outbox(command) => crate::outbox_command::run(command),
    }
}

/// What receiving needs, prepared once per command.
struct Prepared {
    store: std::sync::Arc<dyn Store>,
    replies: Option<ReplyAddresses>,
    key: Option<OrganizationKey>,
}

async fn prepare(config: &ServeConfig) -> anyhow::Result<Prepared> {
    let store = open(config).await?;
    let now = OffsetDateTime::now_utc();
    let replies = match &config.outbound.inbound_address {
        Some(base) => Some(ReplyAddresses {
            base: base.clone(),
            key: cvdesk_server::outbound::settings::reply_key(store.as_ref(), now)
                .await
                .context("cannot read the reply-address key")?,
        }),
        None => None,
    };
    let passphrase = config.pgp_passphrase.as_ref().map(|p| p.as_str());
    let key = match openpgp::load(store.as_ref(), passphrase, now).await {
        Ok(key) => key,
        Err(error) => {
            // Encrypted mail is then kept in the quarantine with the reason.
            eprintln!("cvdesk: the organization key cannot be used, so encrypted mail stays in the quarantine: {error}");
            None
        }
    };
    Ok(Prepared {
        store,
        replies,
        key,
    })
}

async fn keep(prepared: &Prepared, raw: &[u8], recipient: Option<&str>) -> anyhow::Result<String> {
    let receiver = Receiver {
        store: prepared.store.as_ref(),
        replies: prepared.replies.as_ref(),
        organization_key: prepared.key.as_ref(),
        limits: Limits::default(),
        now: OffsetDateTime::now_utc(),
    };
    let (id, outcome) = receive(&receiver, raw, recipient).await?;
    Ok(match outcome {
        Outcome::Case(case, _) => format!("mail {id}: recorded in case {case}"),
        Outcome::Report(report) => {
            format!("mail {id}: recorded in the conversation of report {report}")
        }
        Outcome::Quarantined(reason) => format!("mail {id}: quarantined: {reason}"),
    })
}

/// Reads standard input up to the size limit, and the rest without keeping it, so an
/// oversized message is still kept (its beginning) and the MTA sees it all taken.
fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let limit = Limits::default().max_bytes;
    let mut raw = Vec::new();
    let mut input = std::io::stdin().lock();
    input
        .by_ref()
        .take(limit as u64 + 1)
        .read_to_end(&mut raw)
        .context("cannot read the message on standard input")?;
    if raw.len() > limit {
        std::io::copy(&mut input, &mut std::io::sink()).context("cannot read the message")?;
    }
    Ok(raw)
}

fn receive_one(options: ReceiveOptions) -> anyhow::Result<ExitCode> {
    let raw = read_stdin()?;
    let config = crate::command_context::configuration(options.common)?;
    let outcome = runtime()?.block_on(async {
        let prepared = prepare(&config).await?;
        keep(&prepared, &raw, options.recipient.as_deref()).await
    });
    match outcome {
        Ok(line) => {
            println!("{line}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!(
                "cvdesk: the message could not be stored; the MTA should try again: {error:#}"
            );
            Ok(ExitCode::from(TEMPORARY_FAILURE))
        }
    }
}

fn import(options: ImportOptions) -> anyhow::Result<ExitCode> {
    let new = options.maildir.join("new");
    let cur = options.maildir.join("cur");
    if !new.is_dir() || !cur.is_dir() {
        anyhow::bail!(
            "{} is not a Maildir (it needs new/ and cur/ folders)",
            options.maildir.display()
        );
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
        .with_context(|| format!("cannot read {}", new.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let prepared = prepare(&config).await?;
        let mut failed = 0;
        for path in &files {
            match import_one(&prepared, path, &cur).await {
                Ok(line) => println!("{}: {line}", path.display()),
                Err(error) => {
                    failed += 1;
                    eprintln!(
                        "cvdesk: {}: not stored, left in new/: {error:#}",
                        path.display()
                    );
                }
            }
        }
        Ok(if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(TEMPORARY_FAILURE)
        })
    })
}

async fn import_one(prepared: &Prepared, path: &Path, cur: &Path) -> anyhow::Result<String> {
    let limit = Limits::default().max_bytes;
    let mut raw = Vec::new();
    std::fs::File::open(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .take(limit as u64 + 1)
        .read_to_end(&mut raw)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let line = keep(prepared, &raw, None).await?;
    // Maildir: a message moved to cur/ with the "seen" flag is not imported again.
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("message");
    let base = name.split(':').next().unwrap_or(name);
    std::fs::rename(path, cur.join(format!("{base}:2,S")))
        .with_context(|| format!("stored, but cannot move {} to cur/", path.display()))?;
    Ok(line)
}
