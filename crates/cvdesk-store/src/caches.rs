//! The database's caches inside the desk's own memory. SQLite runs in the desk's process,
//! and each of its connections keeps the pages it has read (up to its `cache_size`) until
//! the database changes under it; after a round of background jobs that read every open
//! report, they hold several megabytes an idle desk has no use for.

use async_trait::async_trait;

use crate::StoreError;

#[async_trait]
pub trait CacheStore: Send + Sync {
    /// Gives back the cached pages no statement is using, on every connection; they are
    /// read again (from the file, usually from the system's cache of it) when next needed.
    /// A no-op where the database keeps its caches in its own process (PostgreSQL).
    async fn release_caches(&self) -> Result<(), StoreError>;
}
