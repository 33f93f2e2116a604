//! `cvdesk user`: staff accounts. `add` makes an account with its team memberships and
//! one-time password link in one transaction; `disable` ends its sessions and revokes its
//! API tokens at once; `enable` lets it sign in again. Each change is audited as `cli` in
//! its own transaction.

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use cvdesk_domain::staff::Role;
use cvdesk_store::{NewAccount, StoreError};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::cli::StoreOptions;
use crate::command_context::{account, event, open, runtime, secret};

/// How long a password link printed by `user add` stays valid.
const PASSWORD_LINK_LIFETIME: Duration = Duration::days(7);

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a staff account and print a one-time link to choose its password.
    Add(UserAddOptions),
    /// List the staff accounts: role, second factor, products and whether enabled.
    List(UserListOptions),
    /// Stop an account from signing in: its sessions end and its API tokens are revoked.
    Disable(UserChangeOptions),
    /// Let a disabled or locked-out account sign in again.
    Enable(UserChangeOptions),
}

#[derive(Args, Debug)]
pub struct UserAddOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The account's e-mail address (how they sign in).
    #[arg(long)]
    pub email: String,
    /// admin, triager, member or viewer.
    #[arg(long)]
    pub role: String,
    /// A product whose owning team the account joins (repeatable; members only, since
    /// the other roles see every product).
    #[arg(long = "product", value_name = "PRODUCT")]
    pub products: Vec<String>,
}

#[derive(Args, Debug)]
pub struct UserListOptions {
    #[command(flatten)]
    pub common: StoreOptions,
}

#[derive(Args, Debug)]
pub struct UserChangeOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The account's e-mail address.
    #[arg(long)]
    pub email: String,
}

pub fn run(command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add(options) => add(options),
        UserCommand::List(options) => list(options),
        UserCommand::Disable(options) => set_disabled(options, true),
        UserCommand::Enable(options) => set_disabled(options, false),
    }
}

fn add(options: UserAddOptions) -> anyhow::Result<ExitCode> {
    let role: Role = options.role.parse()?;
    let email = options.email.trim().to_owned();
    if !email.contains('@') || email.len() > 254 || email.chars().any(char::is_whitespace) {
        bail!("'{email}' is not an e-mail address");
    }
    if let Err(refused) = role.check_products(&options.products) {
        bail!("--product: {refused}; use --role member, or leave --product out");
    }
    let config = crate::command_context::configuration(options.common)?;
    let public_url = config.public_url_or_listen();
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let now = OffsetDateTime::now_utc();
        let link = secret()?;
        let account = NewAccount {
            email: &email,
            role,
            products: &options.products,
            password_link_hash: &link.hash(),
            password_link_expires_at: now + PASSWORD_LINK_LIFETIME,
            created_at: now,
        };
        let detail = json!({"role": role.as_str(), "products": options.products});
        let entry = event("user.create", &email, detail.to_string());
        match store.create_account(&account, &entry).await {
            Err(StoreError::Conflict(message) | StoreError::Missing(message)) => {
                bail!("{message}; no account was made")
            }
            other => other?,
        };
        println!("Created {role} account {email}.");
        println!("Send them this one-time link to choose a password (valid 7 days):");
        println!("{public_url}/staff/password/{}", link.as_str());
        Ok(ExitCode::SUCCESS)
    })
}

fn list(options: UserListOptions) -> anyhow::Result<ExitCode> {
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let products = store.products().await?;
        for user in store.users().await? {
            let names: Vec<&str> = products
                .iter()
                .filter(|product| user.products.contains(&product.id))
                .map(|product| product.name.as_str())
                .collect();
            println!(
                "{}\t{}\t{}\ttwo-factor {}\t{}",
                user.email,
                user.role,
                if user.disabled { "disabled" } else { "enabled" },
                if user.totp_secret.is_some() {
                    "on"
                } else {
                    "off"
                },
                names.join(", ")
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn set_disabled(options: UserChangeOptions, disabled: bool) -> anyhow::Result<ExitCode> {
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let user = account(&*store, &options.email).await?;
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        let entry = event(action, &user.email, String::new());
        match store
            .set_user_disabled(user.id, disabled, OffsetDateTime::now_utc(), &entry)
            .await
        {
            Err(StoreError::Conflict(message)) => bail!("{}: {message}", user.email),
            other => other?,
        }
        if disabled {
            println!(
                "Disabled {}: its sessions ended and its API tokens are revoked.",
                user.email
            );
        } else {
            println!("Enabled {}: it may sign in again.", user.email);
        }
        Ok(ExitCode::SUCCESS)
    })
}
