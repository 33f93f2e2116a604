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
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0} (expected postgres://… or none for SQLite)")]
    UnsupportedUrl(String),
}
