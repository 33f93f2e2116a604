//! The store, written once for both backends. SQLite and PostgreSQL differ only in how
//! they are opened (pools, pragmas, migrations) and where attachment bytes live; every
//! statement is shared, with `$N` placeholders both dialects accept. Each concept has its
//! file; each file's impl blocks spell out what they need of the backend.

mod accounts;
mod audit;
mod reports;

use sqlx::{Database, Pool};

use crate::blobs::BlobDir;

/// Where attachment bytes are kept.
pub enum Blobs {
    /// Files beside an embedded database.
    Files(BlobDir),
    /// The `blobs` table, so that stateless instances share them.
    Table,
}

pub struct SqlStore<DB: Database> {
    /// Every write goes through this pool (one connection for SQLite, which orders writes
    /// without "database is locked" retries).
    pub(crate) writer: Pool<DB>,
    pub(crate) readers: Pool<DB>,
    pub(crate) blobs: Blobs,
}
