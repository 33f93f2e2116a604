//! What every command that touches the desk's data shares: the async runtime it runs on,
//! the store it opens with the same settings as `serve`, secrets from the system's random
//! source, the account an `--email` names, and the audit entries it writes as `cli`.

use std::sync::Arc;

use anyhow::{bail, Context};
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::secret::SecretToken;
use cvdesk_store::{Store, User};
use time::OffsetDateTime;

use crate::cli::{ServeOptions, StoreOptions};
use crate::config::ServeConfig;

/// A runtime for one command: one thread is plenty.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The settings of an admin command: its store options from the command line, every
/// other setting from the environment and the configuration file, as `serve` reads them.
pub fn configuration(store: StoreOptions) -> anyhow::Result<ServeConfig> {
    ServeConfig::load(ServeOptions::from_environment(store)?)
}

/// The store `serve` uses, migrated, with its attachments where `serve` keeps them;
/// refused when none exists there, since only `serve` creates one. Which store it is goes
/// to standard error.
pub async fn open(config: &ServeConfig) -> anyhow::Result<Arc<dyn Store>> {
    crate::store_choice::require_existing(&config.store).await?;
    eprintln!(
        "cvdesk: using the {}",
        crate::store_choice::describe(&config.store)
    );
    cvdesk_store::open_with(
        &config.store,
        &config.attachment_storage,
        OffsetDateTime::now_utc(),
    )
    .await
    .context("cannot open the store")
}

/// A secret of 256 random bits (tokens, one-time links).
pub fn secret() -> anyhow::Result<SecretToken> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).context("the system random source failed")?;
    Ok(SecretToken::from_random_bytes(bytes))
}

/// The audit entry of a change made on the command line, for the store to append in the
/// change's own transaction.
pub fn event(action: &str, subject: &str, detail: String) -> AuditEvent {
    AuditEvent {
        at: OffsetDateTime::now_utc(),
        actor: None,
        actor_label: "cli".to_owned(),
        action: action.to_owned(),
        subject: Some(subject.to_owned()),
        detail,
    }
}

/// The account with this e-mail address, or an error that names it.
pub async fn account(store: &dyn Store, email: &str) -> anyhow::Result<User> {
    match store.user_by_email(email).await? {
        Some(user) => Ok(user),
        None => bail!("there is no account for {}", email.trim()),
    }
}
