//! Opening the PostgreSQL store, for several stateless instances sharing one database.
//! Attachment bytes are stored in the database too (or in a bucket all instances reach),
//! so no instance keeps anything of its own.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::Postgres;

use crate::blobs::BlobBucket;
use crate::caches::CacheStore;
use crate::sql_store::{Blobs, Dialect, Linking, SqlStore, SqlText, Value};
use crate::statistics::{StatisticsRefresh, StatisticsStore};
use crate::StoreError;

pub type PostgresStore = SqlStore<Postgres>;

impl SqlStore<Postgres> {
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::open_with_bucket(url, max_connections, None).await
    }

    /// `open`, with attachment bytes kept in `bucket` instead of the `blobs` table when one
    /// is given.
    pub(crate) async fn open_with_bucket(
        url: &str,
        max_connections: u32,
        bucket: Option<BlobBucket>,
    ) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(SqlStore {
            writer: pool.clone(),
            readers: pool,
            blobs: match bucket {
                Some(bucket) => Blobs::Bucket(bucket, Linking::InTransaction),
                None => Blobs::Table,
            },
            // Each report commits on its own connection of the pool; PostgreSQL flushes
            // the WAL of commits that arrive together at once.
            report_groups: None,
            _checkpoints: None,
        })
    }
}

#[async_trait::async_trait]
impl StatisticsStore for SqlStore<Postgres> {
    /// PostgreSQL's autovacuum analyses tables as they change.
    async fn refresh_statistics(&self) -> Result<Option<StatisticsRefresh>, StoreError> {
        Ok(None)
    }
}

#[async_trait::async_trait]
impl CacheStore for SqlStore<Postgres> {
    /// PostgreSQL's caches are in its own server's memory, shared by every instance.
    async fn release_caches(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl Dialect for Postgres {
    fn push_text_match(sql: &mut SqlText, words: &[String]) {
        // The words are folded as the index was (migration 0014), so accents do not count.
        sql.push("r.search_vector @@ plainto_tsquery('simple', unaccented(")
            .bind(Value::Text(words.join(" ")))
            .push("))");
    }

    fn push_reports_matching_in_id_order(_: &mut SqlText, _: &[String]) -> Option<&'static str> {
        // The GIN index finds a word's reports without an order; the planner does well
        // with `push_text_match` (under a millisecond for a common word at a million).
        None
    }

    // Its planner knows the stored generated columns the indexes hold.
    fn reports_through(_: &str) -> String {
        "reports r".to_owned()
    }

    fn wait_for_report_writers() -> Option<&'static str> {
        Some("LOCK TABLE reports IN SHARE MODE")
    }
}
