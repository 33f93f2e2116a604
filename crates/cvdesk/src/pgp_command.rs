//! `cvdesk pgp`: the organization's OpenPGP key. The key is stored exactly as given, so a
//! passphrase-protected key stays protected at rest; the passphrase comes at run time from
//! `CVDESK_PGP_PASSPHRASE` or the file named by `CVDESK_PGP_PASSPHRASE_FILE` and is never
//! printed or logged. Changes are recorded in the audit log as `cli`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use cvdesk_server::openpgp::{self, KeyError, OrganizationKey, PublishedKey};
use cvdesk_store::{Store, ORGANIZATION_PGP_KEY};
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::StoreOptions;
use crate::command_context::{event, open, runtime};
use crate::passphrase::{passphrase, PASSPHRASE_FILE_VARIABLE, PASSPHRASE_VARIABLE};

#[derive(Subcommand, Debug)]
pub enum PgpCommand {
    /// Generate a key, store it and print its public part.
    ///
    /// The key signs with Ed25519 and encrypts with Curve25519. It is locked with
    /// CVDESK_PGP_PASSPHRASE, or the contents of the file named by
    /// CVDESK_PGP_PASSPHRASE_FILE, when one is set.
    Generate(PgpGenerateOptions),
    /// Store an armoured secret key after checking that it is usable.
    ///
    /// The key is stored as given; the passphrase from CVDESK_PGP_PASSPHRASE or the file
    /// named by CVDESK_PGP_PASSPHRASE_FILE must unlock it.
    Import(PgpImportOptions),
    /// Print the configured key's fingerprint, user id and public key.
    Show(PgpShowOptions),
}

#[derive(Args, Debug)]
pub struct PgpGenerateOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The key's name, e.g. "Example Security Team".
    #[arg(long)]
    pub name: String,
    /// The key's e-mail address, e.g. security@example.org.
    #[arg(long)]
    pub email: String,
    /// Replace the key already configured.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct PgpImportOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The armoured secret key (`gpg --export-secret-keys --armor`), or - for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Replace the key already configured.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct PgpShowOptions {
    #[command(flatten)]
    pub common: StoreOptions,
}

pub fn run(command: PgpCommand) -> anyhow::Result<ExitCode> {
    match command {
        PgpCommand::Generate(options) => generate(options),
        PgpCommand::Import(options) => import(options),
        PgpCommand::Show(options) => show(options),
    }
}

fn generate(options: PgpGenerateOptions) -> anyhow::Result<ExitCode> {
    let config = crate::command_context::configuration(options.common)?;
    let passphrase = passphrase()?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let replaced = replaced_key(&*store, options.force).await?;
        let now = OffsetDateTime::now_utc();
        let armored =
            OrganizationKey::generate(&options.name, &options.email, passphrase.as_deref(), now)?;
        let key = OrganizationKey::from_armored(&armored, passphrase.as_deref(), now)?;
        save(&*store, &armored, &key, replaced, "pgp_key.generate", now).await?;
        println!("Generated the organization's OpenPGP key.");
        print_key(key.published());
        Ok(ExitCode::SUCCESS)
    })
}

fn import(options: PgpImportOptions) -> anyhow::Result<ExitCode> {
    let config = crate::command_context::configuration(options.common)?;
    let armored = read_key_file(&options.file)?;
    let passphrase = passphrase()?;
    let now = OffsetDateTime::now_utc();
    let key = OrganizationKey::from_armored(&armored, passphrase.as_deref(), now)
        .map_err(explain)
        .with_context(|| match options.file.to_str() {
            Some("-") => "cannot import the key from standard input".to_owned(),
            _ => format!("cannot import {}", options.file.display()),
        })?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let replaced = replaced_key(&*store, options.force).await?;
        save(&*store, &armored, &key, replaced, "pgp_key.import", now).await?;
        println!("Imported the organization's OpenPGP key.");
        println!("Fingerprint: {}", key.fingerprint());
        println!("User ID: {}", key.user_id());
        Ok(ExitCode::SUCCESS)
    })
}

fn show(options: PgpShowOptions) -> anyhow::Result<ExitCode> {
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        match openpgp::load_published(&*store).await? {
            Some(published) => {
                print_key(&published);
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!(
                    "No organization OpenPGP key is configured; create one with \
                     `cvdesk pgp generate` or bring one with `cvdesk pgp import`."
                );
                Ok(ExitCode::FAILURE)
            }
        }
    })
}

/// The fingerprint of the key a new one would replace; refuses unless `force` is set.
async fn replaced_key(store: &dyn Store, force: bool) -> anyhow::Result<Option<String>> {
    let Some(existing) = store.setting(ORGANIZATION_PGP_KEY).await? else {
        return Ok(None);
    };
    let fingerprint = PublishedKey::from_secret_armored(&existing)
        .map(|published| published.fingerprint().to_owned())
        .unwrap_or_else(|_| "an unreadable key".to_owned());
    if !force {
        bail!(
            "an organization OpenPGP key is already configured ({fingerprint}); pass --force \
             to replace it. Finders who saved the old key will need the new one."
        );
    }
    Ok(Some(fingerprint))
}

async fn save(
    store: &dyn Store,
    armored: &str,
    key: &OrganizationKey,
    replaced: Option<String>,
    action: &str,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let detail = json!({
        "user_id": key.user_id(),
        "protected": key.is_protected(),
        "replaced": replaced,
    });
    let entry = event(action, &key.fingerprint(), detail.to_string());
    store
        .change_setting(ORGANIZATION_PGP_KEY, armored, now, &entry)
        .await?;
    if !key.is_protected() {
        eprintln!(
            "Note: the key is not protected by a passphrase; anyone who can read the \
             database can use it. Set {PASSPHRASE_VARIABLE} or {PASSPHRASE_FILE_VARIABLE} \
             to protect it."
        );
    }
    Ok(())
}

fn print_key(published: &PublishedKey) {
    println!("Fingerprint: {}", published.fingerprint());
    println!("User ID: {}", published.user_id());
    println!();
    print!("{}", published.armored());
}

fn read_key_file(file: &Path) -> anyhow::Result<String> {
    if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the key from standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

/// Names the variables to set when the passphrase is the problem.
fn explain(error: KeyError) -> anyhow::Error {
    match error {
        KeyError::PassphraseNeeded => anyhow!(
            "the key is protected by a passphrase; set {PASSPHRASE_VARIABLE} or \
             {PASSPHRASE_FILE_VARIABLE}"
        ),
        KeyError::WrongPassphrase => anyhow!(
            "the passphrase from {PASSPHRASE_VARIABLE} or {PASSPHRASE_FILE_VARIABLE} does not \
             unlock the key"
        ),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrase_errors_name_the_variables() {
        assert!(explain(KeyError::PassphraseNeeded)
            .to_string()
            .contains("CVDESK_PGP_PASSPHRASE_FILE"));
        assert!(explain(KeyError::WrongPassphrase)
            .to_string()
            .contains("does not unlock"));
        assert_eq!(
            explain(KeyError::Revoked).to_string(),
            "the key has been revoked"
        );
    }
}
