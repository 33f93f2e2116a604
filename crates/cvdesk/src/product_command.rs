//! `cvdesk product add`: a product of the inventory, with the team that owns it and where
//! the team's staff notices go. The product, a new team, its addresses and the audit entry
//! (as `cli`) are saved in one transaction, so a refused product changes nothing.

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use cvdesk_domain::product::{parse_product, ProductInput};
use cvdesk_store::StoreError;
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::StoreOptions;
use crate::command_context::{event, open, runtime};

#[derive(Subcommand, Debug)]
pub enum ProductCommand {
    /// Add a product to the inventory, with the team that owns it.
    Add(ProductAddOptions),
}

#[derive(Args, Debug)]
pub struct ProductAddOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The product's name.
    #[arg(long)]
    pub name: String,
    /// The owning team (created when new); members of it see the product's reports.
    #[arg(long)]
    pub team: Option<String>,
    /// Where the team's staff notices and reminders go instead of the global staff
    /// recipients (repeatable; replaces the team's list; needs --team).
    #[arg(long = "team-email", value_name = "ADDRESS")]
    pub team_emails: Vec<String>,
    /// low, medium, high or critical.
    #[arg(long, default_value = "medium")]
    pub criticality: String,
    /// What the product is for, to help triage.
    #[arg(long, default_value = "")]
    pub business_context: String,
    /// A host name (or *.domain) that routes reports here (repeatable).
    #[arg(long = "hostname", value_name = "HOST")]
    pub hostnames: Vec<String>,
    /// A URL prefix that routes reports here (repeatable).
    #[arg(long = "url-prefix", value_name = "URL")]
    pub url_prefixes: Vec<String>,
    /// Another name finders use for the product (repeatable).
    #[arg(long = "alias", value_name = "NAME")]
    pub aliases: Vec<String>,
}

pub fn run(command: ProductCommand) -> anyhow::Result<ExitCode> {
    let ProductCommand::Add(options) = command;
    let team_recipients = match cvdesk_server::parse_recipients(&options.team_emails) {
        Ok(addresses) => addresses,
        Err(error) => bail!("--team-email: {error}"),
    };
    let input = ProductInput {
        name: options.name,
        team: options.team.unwrap_or_default(),
        business_context: options.business_context,
        criticality: options.criticality,
        hostnames: options.hostnames.join("\n"),
        url_prefixes: options.url_prefixes.join("\n"),
        aliases: options.aliases.join("\n"),
    };
    let spec = match parse_product(&input) {
        Ok(spec) => spec,
        Err(errors) => {
            let messages: Vec<String> = errors
                .iter()
                .map(|(field, message)| format!("{}: {message}", field.form_name()))
                .collect();
            bail!("{}", messages.join("; "));
        }
    };
    if spec.team.is_none() && !team_recipients.is_empty() {
        bail!("--team-email: name the team whose notices go there with --team");
    }
    let addresses: Vec<String> = team_recipients.iter().map(ToString::to_string).collect();
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let detail = json!({"team": spec.team, "team_addresses": addresses.len()});
        let entry = event("product.create", &spec.name, detail.to_string());
        let recipients = (!addresses.is_empty()).then_some(addresses.as_slice());
        let created = store
            .create_product(&spec, recipients, OffsetDateTime::now_utc(), &entry)
            .await;
        let id = match created {
            Err(StoreError::Conflict(message)) => bail!("{message}"),
            other => other?,
        };
        println!("Added product {} (id {}).", spec.name, id.0);
        Ok(ExitCode::SUCCESS)
    })
}
