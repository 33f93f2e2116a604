//! `cvdesk token`: API tokens. A token is printed once, stored only as a hash, and expires
//! (90 days by default, `--expires` for another lifetime or date); `list` shows every
//! token without its secret, `revoke` ends one at once. Each change is audited as `cli` in
//! its own transaction.

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use cvdesk_store::{NewApiToken, StoreError};
use serde_json::json;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::cli::StoreOptions;
use crate::command_context::{account, event, open, runtime, secret};

/// How long a token lives unless `--expires` says otherwise.
const DEFAULT_LIFETIME_DAYS: i64 = 90;
/// The longest lifetime `--expires` accepts: a token that never expires is never refused.
const LONGEST_LIFETIME_DAYS: i64 = 3 * 365;

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for an account and print it (alone on the last line).
    Create(TokenCreateOptions),
    /// List the API tokens (never the tokens themselves) with their state.
    List(TokenListOptions),
    /// Revoke an API token at once, by the id `token list` shows.
    Revoke(TokenRevokeOptions),
}

#[derive(Args, Debug)]
pub struct TokenCreateOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The account the token acts as.
    #[arg(long)]
    pub email: String,
    /// What the token is for, e.g. "ticket sync".
    #[arg(long, default_value = "api")]
    pub label: String,
    /// When the token stops working: a number of days (1 to 1095) or a date, YYYY-MM-DD
    /// (the token works through that day, UTC) [default: 90]
    #[arg(long, value_name = "DAYS|DATE")]
    pub expires: Option<String>,
}

#[derive(Args, Debug)]
pub struct TokenListOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// Only this account's tokens.
    #[arg(long)]
    pub email: Option<String>,
}

#[derive(Args, Debug)]
pub struct TokenRevokeOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The token's id, as `token list` shows it.
    #[arg(long)]
    pub id: i64,
}

pub fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Create(options) => create(options),
        TokenCommand::List(options) => list(options),
        TokenCommand::Revoke(options) => revoke(options),
    }
}

/// The instant a token made at `now` stops working, from `--expires`.
fn expiry(text: Option<&str>, now: OffsetDateTime) -> anyhow::Result<OffsetDateTime> {
    let explain = |text: &str| {
        anyhow::anyhow!(
            "--expires: '{text}' is neither a number of days from 1 to {LONGEST_LIFETIME_DAYS} \
             nor a date such as 2027-03-31 within that time"
        )
    };
    let Some(text) = text.map(str::trim) else {
        return Ok(now + Duration::days(DEFAULT_LIFETIME_DAYS));
    };
    let expires = if let Ok(days) = text.parse::<i64>() {
        if !(1..=LONGEST_LIFETIME_DAYS).contains(&days) {
            return Err(explain(text));
        }
        now + Duration::days(days)
    } else {
        let day = Date::parse(text, format_description!("[year]-[month]-[day]"))
            .map_err(|_| explain(text))?;
        // Through the whole of that day, UTC.
        let end = day.next_day().ok_or_else(|| explain(text))?;
        end.with_time(Time::MIDNIGHT).assume_utc()
    };
    if expires <= now || expires > now + Duration::days(LONGEST_LIFETIME_DAYS) {
        return Err(explain(text));
    }
    Ok(expires)
}

fn create(options: TokenCreateOptions) -> anyhow::Result<ExitCode> {
    let now = OffsetDateTime::now_utc();
    let expires_at = expiry(options.expires.as_deref(), now)?;
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let user = account(&*store, &options.email).await?;
        if user.disabled {
            bail!(
                "{} is disabled; enable it before giving it a token",
                user.email
            );
        }
        let token = secret()?;
        let new = NewApiToken {
            user: user.id,
            token_hash: &token.hash(),
            label: &options.label,
            created_at: now,
            expires_at: Some(expires_at),
        };
        let detail = json!({"label": options.label, "expires_at": expires_at.date().to_string()});
        let entry = event("token.create", &user.email, detail.to_string());
        let id = store.create_api_token(&new, &entry).await?;
        println!(
            "API token {id} for {} ({}), valid until {}; it is shown only now:",
            user.email,
            user.role,
            moment(expires_at)
        );
        println!("{}", token.as_str());
        Ok(ExitCode::SUCCESS)
    })
}

fn list(options: TokenListOptions) -> anyhow::Result<ExitCode> {
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let user = match &options.email {
            Some(email) => Some(account(&*store, email).await?.id),
            None => None,
        };
        let now = OffsetDateTime::now_utc();
        for token in store.api_tokens(user).await? {
            println!(
                "{}\t{}\t{}\t{}\tmade {}\tlast used {}\texpires {}",
                token.id,
                token.email,
                token.label,
                token.state(now).as_str(),
                moment(token.created_at),
                token
                    .last_used_at
                    .map_or_else(|| "never".to_owned(), moment),
                token.expires_at.map_or_else(|| "never".to_owned(), moment),
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn revoke(options: TokenRevokeOptions) -> anyhow::Result<ExitCode> {
    let config = crate::command_context::configuration(options.common)?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let entry = event(
            "token.revoke",
            &format!("API token {}", options.id),
            String::new(),
        );
        match store
            .revoke_api_token(options.id, OffsetDateTime::now_utc(), &entry)
            .await
        {
            Err(StoreError::Missing(message)) => bail!("{message}"),
            other => other?,
        }
        println!("Revoked API token {}.", options.id);
        Ok(ExitCode::SUCCESS)
    })
}

/// A time as the staff pages show it, to the minute in UTC.
fn moment(at: OffsetDateTime) -> String {
    cvdesk_server::utc_minute(at)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-05-05 10:00 UTC);

    #[test]
    fn tokens_expire_after_ninety_days_unless_told() {
        assert_eq!(
            expiry(None, NOW).expect("default"),
            NOW + Duration::days(90)
        );
        assert_eq!(
            expiry(Some(" 30 "), NOW).expect("days"),
            NOW + Duration::days(30)
        );
        assert_eq!(
            expiry(Some("2026-12-31"), NOW).expect("date"),
            datetime!(2027-01-01 00:00 UTC),
            "through the whole day"
        );
    }

    #[test]
    fn expiries_in_the_past_too_far_or_unreadable_are_refused() {
        for bad in [
            "0",
            "-5",
            "1096",
            "2026-05-04",
            "2031-01-01",
            "soon",
            "2026-02-30",
            "",
        ] {
            let error = expiry(Some(bad), NOW).expect_err(bad).to_string();
            assert!(error.starts_with("--expires: "), "{error}");
        }
    }
}
