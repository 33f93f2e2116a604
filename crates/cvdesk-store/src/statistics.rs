//! Table statistics for the query planner. PostgreSQL's autovacuum gathers them on its own;
//! on SQLite the desk does, off its start path: once after it listens, then hourly (SQLite
//! advises a periodic `PRAGMA optimize` for long-lived connections). The work is split into
//! one ANALYZE per index, each its own transaction, so the desk's writes wait for one
//! index's analysis at most, never for all of a grown table's.

use async_trait::async_trait;

use crate::StoreError;

/// What a refresh analysed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatisticsRefresh {
    /// The tables SQLite found grown or shrunk about 25-fold since their last analysis.
    pub tables: Vec<String>,
    /// The indexes (or index-less tables) analysed for them, one transaction each.
    pub analysed: Vec<String>,
}

#[async_trait]
pub trait StatisticsStore: Send + Sync {
    /// Analyses every table whose statistics no longer hold, on a connection of its own;
    /// `None` where the database keeps its statistics itself (PostgreSQL).
    async fn refresh_statistics(&self) -> Result<Option<StatisticsRefresh>, StoreError>;
}
