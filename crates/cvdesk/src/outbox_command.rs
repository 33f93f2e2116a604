//! `cvdesk mail outbox`: the outbox for the operator, as admins see it at `/staff/outbox`.
//! `list` prints mail with its state and last error (given-up mail by default), `retry ID`
//! queues a given-up mail again with three more days, `discard ID` makes sure a mail not
//! sent yet never is. Each change is audited as `cli` in its own transaction; a running
//! desk picks a queued mail up within seconds.

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use cvdesk_store::OutboxState;
use time::OffsetDateTime;

use crate::cli::StoreOptions;
use crate::command_context::{event, open, runtime};

#[derive(Subcommand, Debug)]
pub enum OutboxCommand {
    /// List mail in the outbox, newest first: id, state, attempts, kind, recipient, when,
    /// subject and last error.
    List(ListOptions),
    /// Queue a mail that was given up again, by the id `list` shows.
    Retry(ActionOptions),
    /// Discard a mail not sent yet, by the id `list` shows.
    Discard(ActionOptions),
}

#[derive(Args, Debug)]
pub struct ListOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// queued, retrying, given_up, discarded, sent or all.
    #[arg(long, default_value = "given_up")]
    pub state: String,
    /// How many to list.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

#[derive(Args, Debug)]
pub struct ActionOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The mail's id.
    pub id: i64,
}

pub fn run(command: OutboxCommand) -> anyhow::Result<ExitCode> {
    match command {
        OutboxCommand::List(options) => list(options),
        OutboxCommand::Retry(options) => act(options, true),
        OutboxCommand::Discard(options) => act(options, false),
    }
}

fn list(options: ListOptions) -> anyhow::Result<ExitCode> {
    let state = match options.state.as_str() {
        "all" => None,
        text => match OutboxState::parse(text) {
            Some(state) => Some(state),
            None => bail!(
                "--state: '{text}' is not one of queued, retrying, given_up, discarded, sent, all"
            ),
        },
    };
    if !(1..=10_000).contains(&options.limit) {
        bail!("--limit: give a number from 1 to 10000");
    }
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let items = store.outbox_items(state, None, options.limit).await?;
        if items.is_empty() {
            println!("no mail");
        }
        for item in items {
            println!(
                "{}\t{}\t{} attempts\t{}\t{}\t{}\t{}\t{}",
                item.id,
                item.state.as_str(),
                item.attempts,
                item.kind.as_str(),
                item.recipient,
                item.at,
                item.subject,
                item.last_error.unwrap_or_default()
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn act(options: ActionOptions, retry: bool) -> anyhow::Result<ExitCode> {
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let id = options.id;
        let Some(item) = store.outbox_item(id).await? else {
            bail!("there is no mail {id} in the outbox");
        };
        let subject = format!("mail {id}");
        let now = OffsetDateTime::now_utc();
        let done = if retry {
            let audit = event("mail.retry", &subject, String::new());
            store.requeue_mail(id, &audit, now).await?
        } else {
            let audit = event("mail.discard", &subject, String::new());
            store.discard_mail(id, &audit, now).await?
        };
        match (done, retry) {
            (true, true) => println!("mail {id} is queued again"),
            (true, false) => println!("mail {id} is discarded"),
            (false, true) => bail!(
                "mail {id} is {}: only a mail that was given up can be queued again",
                item.state.as_str()
            ),
            (false, false) => bail!("mail {id} is {} already", item.state.as_str()),
        }
        Ok(ExitCode::SUCCESS)
    })
}
