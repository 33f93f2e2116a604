//! `cvdesk vendor add|discover|list`: the vendor directory from the command line. Adding
//! records the change in the audit log as `cli`; discovering looks up the vendor's
//! security.txt and prints what it proposes, changing nothing unless `--accept` is given.

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use cvdesk_domain::vendor::{ContactInput, VendorDetails, VendorId, VendorInput};
use cvdesk_server::outbound::discovery::discover;
use cvdesk_store::Vendor;
use time::OffsetDateTime;

use crate::cli::StoreOptions;
use crate::command_context::{event, open, runtime};

#[derive(Subcommand, Debug)]
pub enum VendorCommand {
    /// Add a vendor to the directory.
    Add(VendorAddOptions),
    /// Look up a vendor's security.txt and propose its contacts, key, policy and languages.
    Discover(VendorDiscoverOptions),
    /// List the vendors (one a line; --json for one JSON object a line).
    List(VendorListOptions),
}

#[derive(Args, Debug)]
pub struct VendorAddOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    #[arg(long)]
    pub name: String,
    /// A domain of the vendor's (repeatable), e.g. vendor.example.
    #[arg(long = "domain", value_name = "DOMAIN")]
    pub domains: Vec<String>,
    /// A security e-mail address, in order of preference (repeatable).
    #[arg(long = "email", value_name = "ADDRESS")]
    pub emails: Vec<String>,
    /// A web form or page to report through (repeatable).
    #[arg(long = "url", value_name = "URL")]
    pub urls: Vec<String>,
    /// A phone number (repeatable).
    #[arg(long = "phone", value_name = "NUMBER")]
    pub phones: Vec<String>,
    /// A file holding the vendor's armoured OpenPGP public key.
    #[arg(long, value_name = "FILE")]
    pub pgp_key: Option<std::path::PathBuf>,
    #[arg(long, value_name = "URL")]
    pub policy_url: Option<String>,
    /// A language tag the vendor reads (repeatable), e.g. en.
    #[arg(long = "language", value_name = "TAG")]
    pub languages: Vec<String>,
    #[arg(long)]
    pub notes: Option<String>,
}

#[derive(Args, Debug)]
pub struct VendorDiscoverOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The vendor's id.
    pub id: i64,
    /// The domain to look at [default: the vendor's first domain].
    #[arg(long)]
    pub domain: Option<String>,
    /// Store what was found (contacts, key, policy, languages) in the vendor's entry.
    #[arg(long)]
    pub accept: bool,
}

#[derive(Args, Debug)]
pub struct VendorListOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: VendorCommand) -> anyhow::Result<ExitCode> {
    match command {
        VendorCommand::Add(options) => add(options),
        VendorCommand::Discover(options) => discover_vendor(options),
        VendorCommand::List(options) => list(options),
    }
}

fn contacts<'a>(kind: &str, values: &'a [String]) -> impl Iterator<Item = ContactInput> + 'a {
    let kind = kind.to_owned();
    values.iter().map(move |value| ContactInput {
        kind: kind.clone(),
        value: value.clone(),
    })
}

fn refused(errors: cvdesk_domain::outbound::FormErrors) -> anyhow::Error {
    let messages: Vec<String> = errors
        .0
        .iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect();
    anyhow::anyhow!("{}", messages.join("; "))
}

fn add(options: VendorAddOptions) -> anyhow::Result<ExitCode> {
    let pgp_key = match &options.pgp_key {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|error| {
            anyhow::anyhow!("--pgp-key: cannot read {}: {error}", path.display())
        })?),
        None => None,
    };
    let input = VendorInput {
        name: Some(options.name.clone()),
        domains: Some(options.domains.clone()),
        contacts: Some(
            contacts("email", &options.emails)
                .chain(contacts("url", &options.urls))
                .chain(contacts("phone", &options.phones))
                .collect(),
        ),
        pgp_key,
        policy_url: options.policy_url.clone(),
        languages: Some(options.languages.clone()),
        notes: options.notes.clone(),
    };
    let details = VendorDetails::create(&input).map_err(refused)?;
    let now = OffsetDateTime::now_utc();
    if let Some(key) = &details.pgp_key {
        if let Err(error) = cvdesk_server::outbound::send::check_vendor_key(key, now) {
            bail!("--pgp-key: {error}");
        }
    }
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let entry = |id: &VendorId| event("vendor.create", &id.0.to_string(), details.name.clone());
        let vendor = store.create_vendor(&details, &entry, now).await?;
        println!("Added vendor {} (id {}).", vendor.details.name, vendor.id.0);
        Ok(ExitCode::SUCCESS)
    })
}

fn discover_vendor(options: VendorDiscoverOptions) -> anyhow::Result<ExitCode> {
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let Some(vendor) = store.vendor(VendorId(options.id)).await? else {
            bail!("there is no vendor {}", options.id);
        };
        let Some(domain) = options
            .domain
            .clone()
            .or_else(|| vendor.details.domains.first().cloned())
        else {
            bail!(
                "vendor {} has no domain: name one with --domain",
                options.id
            );
        };
        let now = OffsetDateTime::now_utc();
        let proposal = discover(
            &domain,
            vendor.details.pgp_key.as_deref(),
            config.outbound.allow_private,
            now,
        )
        .await;
        println!("{}", serde_json::to_string_pretty(&proposal)?);
        if options.accept {
            let input = VendorInput {
                contacts: Some(
                    proposal
                        .contacts
                        .iter()
                        .map(|contact| ContactInput {
                            kind: contact.kind.as_str().to_owned(),
                            value: contact.value.clone(),
                        })
                        .collect(),
                ),
                pgp_key: proposal.pgp_key.clone(),
                policy_url: proposal.policy_url.clone(),
                languages: Some(proposal.languages.clone()),
                ..VendorInput::default()
            };
            let details = vendor.details.changed(&input).map_err(refused)?;
            let entry = event(
                "vendor.update",
                &options.id.to_string(),
                "discovery accepted".to_owned(),
            );
            store
                .update_vendor(vendor.id, &details, &entry, now)
                .await?;
            eprintln!("Stored the proposal in vendor {}.", options.id);
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn list(options: VendorListOptions) -> anyhow::Result<ExitCode> {
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        for vendor in store.vendors().await? {
            if options.json {
                println!("{}", serde_json::to_string(&json(&vendor))?);
            } else {
                let contact = vendor
                    .details
                    .contacts
                    .first()
                    .map_or("no contact", |c| c.value.as_str());
                println!(
                    "{}\t{}\t{}\t{}",
                    vendor.id.0,
                    vendor.details.name,
                    vendor.details.domains.join(","),
                    contact
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn json(vendor: &Vendor) -> serde_json::Value {
    serde_json::json!({
        "id": vendor.id.0,
        "name": vendor.details.name,
        "domains": vendor.details.domains,
        "contacts": vendor.details.contacts,
        "pgp_key": vendor.details.pgp_key.is_some(),
        "policy_url": vendor.details.policy_url,
        "languages": vendor.details.languages,
    })
}
