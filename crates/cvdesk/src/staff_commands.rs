//! Commands for operators: accounts, API tokens, and checking the audit chain. They work
//! on the same data as `serve` and record what they do in the audit log as `cli`.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::product::{parse_product, ProductInput};
use cvdesk_domain::secret::SecretToken;
use cvdesk_domain::staff::Role;
use cvdesk_store::{Store, StoreError};
use time::{Duration, OffsetDateTime};

use crate::cli::ServeOptions;
use crate::config::ServeConfig;

/// Audit entries read at a time by `audit verify`: the memory verification takes.
const VERIFY_BATCH: i64 = 1_000;

/// How long a password link printed by `user add` stays valid.
const PASSWORD_LINK_LIFETIME: Duration = Duration::days(7);

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a staff account and print a one-time link to choose its password.
    Add(UserAddOptions),
}

#[derive(Args, Debug)]
pub struct UserAddOptions {
    #[command(flatten)]
    pub common: Box<ServeOptions>,
    /// The account's e-mail address (how they sign in).
    #[arg(long)]
    pub email: String,
    /// admin, triager, member or viewer.
    #[arg(long)]
    pub role: String,
    /// A product whose owning team the account joins (repeatable; for members).
    #[arg(long = "product", value_name = "PRODUCT")]
    pub products: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum ProductCommand {
    /// Add a product to the inventory, with the team that owns it.
    Add(ProductAddOptions),
}

#[derive(Args, Debug)]
pub struct ProductAddOptions {
    #[command(flatten)]
    pub common: Box<ServeOptions>,
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

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for an account and print it (alone on the last line).
    Create(TokenCreateOptions),
}

#[derive(Args, Debug)]
pub struct TokenCreateOptions {
    #[command(flatten)]
    pub common: Box<ServeOptions>,
    /// The account the token acts as.
    #[arg(long)]
    pub email: String,
    /// What the token is for, e.g. "ticket sync".
    #[arg(long, default_value = "api")]
    pub label: String,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the audit log's hash chain; exit 0 when intact, 1 otherwise.
    Verify(AuditVerifyOptions),
}

#[derive(Args, Debug)]
pub struct AuditVerifyOptions {
    #[command(flatten)]
    pub common: Box<ServeOptions>,
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) async fn open(config: &ServeConfig) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    cvdesk_store::open(&config.store)
        .await
        .context("cannot open the store")
}

pub(crate) async fn record(
    store: &dyn Store,
    action: &str,
    subject: &str,
    detail: String,
) -> anyhow::Result<()> {
    store
        .append_audit(AuditEvent {
            at: OffsetDateTime::now_utc(),
            actor: None,
            actor_label: "cli".to_owned(),
            action: action.to_owned(),
            subject: Some(subject.to_owned()),
            detail,
        })
        .await?;
    Ok(())
}

pub fn secret() -> anyhow::Result<SecretToken> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).context("the system random source failed")?;
    Ok(SecretToken::from_random_bytes(bytes))
}

pub fn user(command: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Add(options) = command;
    let role: Role = options.role.parse()?;
    let email = options.email.trim().to_owned();
    if !email.contains('@') || email.len() > 254 || email.chars().any(char::is_whitespace) {
        bail!("'{email}' is not an e-mail address");
    }
    let config = ServeConfig::load(*options.common)?;
    let public_url = config.public_url_or_listen();
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let now = OffsetDateTime::now_utc();
        let user = match store.create_user(&email, role, now).await {
            Err(StoreError::Conflict(message)) => bail!("{message}"),
            other => other?,
        };
        for product in &options.products {
            store.grant_product(user, product).await?;
        }
        let link = secret()?;
        store
            .create_password_link(user, &link.hash(), now + PASSWORD_LINK_LIFETIME)
            .await?;
        record(
            &*store,
            "user.create",
            &email,
            format!(
                "{{\"role\":\"{role}\",\"products\":{:?}}}",
                options.products
            ),
        )
        .await?;
        println!("Created {role} account {email}.");
        println!("Send them this one-time link to choose a password (valid 7 days):");
        println!("{public_url}/staff/password/{}", link.as_str());
        Ok(ExitCode::SUCCESS)
    })
}

pub fn token(command: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Create(options) = command;
    let config = ServeConfig::load(*options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let Some(user) = store.user_by_email(&options.email).await? else {
            bail!("there is no account for {}", options.email.trim());
        };
        let token = secret()?;
        store
            .create_api_token(
                user.id,
                &token.hash(),
                &options.label,
                OffsetDateTime::now_utc(),
            )
            .await?;
        record(
            &*store,
            "token.create",
            &user.email,
            format!("{{\"label\":{:?}}}", options.label),
        )
        .await?;
        println!(
            "API token for {} ({}); it is shown only now:",
            user.email, user.role
        );
        println!("{}", token.as_str());
        Ok(ExitCode::SUCCESS)
    })
}

pub fn audit(command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify(options) = command;
    let config = ServeConfig::load(*options.common)?;
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

pub fn product(command: ProductCommand) -> anyhow::Result<ExitCode> {
    let ProductCommand::Add(options) = command;
    let config = ServeConfig::load(*options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let now = OffsetDateTime::now_utc();
        let team_recipients = match cvdesk_server::parse_recipients(&options.team_emails) {
            Ok(addresses) => addresses,
            Err(error) => bail!("--team-email: {error}"),
        };
        let team_name = options.team.as_deref().map(str::trim).unwrap_or_default();
        if team_name.is_empty() && !team_recipients.is_empty() {
            bail!("--team-email: name the team whose notices go there with --team");
        }
        let team = match team_name {
            "" => None,
            name => {
                let existing = store.teams().await?.into_iter().find(|t| t.name == name);
                match existing {
                    Some(team) => Some(team.id),
                    None => Some(store.create_team(name, now).await?),
                }
            }
        };
        let input = ProductInput {
            name: options.name.clone(),
            team,
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
        let id = match store.create_product(&spec, now).await {
            Err(StoreError::Conflict(message)) => bail!("{message}"),
            other => other?,
        };
        if let (Some(team), false) = (team, team_recipients.is_empty()) {
            let addresses: Vec<String> = team_recipients.iter().map(ToString::to_string).collect();
            store.set_team_recipients(team, &addresses).await?;
            record(
                &*store,
                "team.recipients",
                team_name,
                format!("{{\"addresses\":{}}}", addresses.len()),
            )
            .await?;
        }
        record(
            &*store,
            "product.create",
            &spec.name,
            format!("{{\"id\":{}}}", id.0),
        )
        .await?;
        println!("Added product {} (id {}).", spec.name, id.0);
        Ok(ExitCode::SUCCESS)
    })
}
