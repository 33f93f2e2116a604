//! Store errors. Callers treat every variant as an internal failure except where a method
//! returns `Option` for "not found"; messages never include secrets such as passwords.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The write would break a uniqueness rule; the message says which.
    #[error("{0}")]
    Conflict(String),
    /// Something the write refers to does not exist; the message says what.
    #[error("{0}")]
    Missing(String),
    /// The intake challenge was already used for another report.
    #[error("this challenge has already been used")]
    ChallengeSpent,
    /// The report takes no more files: it is closed, or has received its limit.
    #[error("{0}")]
    FilesRefused(cvdesk_domain::attachment::AttachmentError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// A backup, restore or store copy that cannot go ahead or did not check out; the
    /// message says why and what to do.
    #[error("{0}")]
    Backup(String),
    #[error("unsupported database URL {0} (expected postgres://… or none for SQLite)")]
    UnsupportedUrl(String),
    /// The attachment bucket cannot be reached or refuses what the desk asks of it, or
    /// the store's attachments are kept elsewhere than configured; the message says which
    /// and what to check, never a secret.
    #[error("{0}")]
    Bucket(String),
}

impl StoreError {
    /// Maps a unique-constraint violation to `Conflict` with `message`.
    pub(crate) fn conflict_on_unique(error: sqlx::Error, message: impl Into<String>) -> Self {
        match &error {
            sqlx::Error::Database(database) if database.is_unique_violation() => {
                StoreError::Conflict(message.into())
            }
            _ => StoreError::Database(error),
        }
    }
}
