//! Opening the embedded SQLite store: one file in WAL mode with `synchronous=FULL`, so a
//! commit is on disk when it returns, attachment files beside it, and migrations applied.
//! The folder and its files are readable by the desk's own user only (`data_folder`).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Sqlite};

use crate::blobs::{BlobBucket, BlobDir};
use crate::caches::CacheStore;
use crate::checkpoints::Checkpoints;
use crate::data_folder::secure_data_folder;
use crate::sql_store::{Blobs, Dialect, GroupCommit, Linking, SqlStore, SqlText, Value};
use crate::statistics::{StatisticsRefresh, StatisticsStore};
use crate::StoreError;

/// How long a reader may sit unused before it is closed. Each open reader keeps its own
/// copy of the schema, its prepared statements and their memory; an idle desk needs none
/// of them, and opening a reader again takes about a millisecond.
const IDLE_READER: Duration = Duration::from_secs(10);

pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
    /// Opens `data_dir/cvdesk.db` and `data_dir/blobs/`, creating both on first start, and
    /// makes the folder and everything in it private to this user.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with_bucket(data_dir, None).await
    }

    /// How many readers are open now (each a connection, and a thread).
    #[cfg(feature = "testing")]
    pub fn open_readers(&self) -> u32 {
        self.readers.size()
    }

    /// `open`, with attachment bytes kept in `bucket` instead of `blobs/` when one is given.
    pub(crate) async fn open_with_bucket(
        data_dir: &Path,
        bucket: Option<BlobBucket>,
    ) -> Result<Self, StoreError> {
        let database = data_dir.join("cvdesk.db");
        let (folder, file) = (data_dir.to_path_buf(), database.clone());
        let blobs = tokio::task::spawn_blocking(move || {
            secure_data_folder(&folder, &file)?;
            match bucket {
                Some(bucket) => Ok(Blobs::Bucket(bucket, Linking::BeforeCommit)),
                None => BlobDir::create(folder.join("blobs")).map(Blobs::Files),
            }
        })
        .await
        .map_err(|error| {
            StoreError::Corrupt(format!("opening the data folder failed: {error}"))
        })??;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(database)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Each report of a group is written under a savepoint, whose journal of the
            // pages it changed is a temporary file unless kept in memory (a write per page,
            // per report); sorts for the dashboards' counts stay in memory too.
            .pragma("temp_store", "memory")
            .busy_timeout(Duration::from_secs(10));
        // A migration may rewrite a table's definition in the schema (0016 widens a check),
        // and a connection keeps the schema it has read: the connection that migrates is
        // closed, and the store's connections open on the migrated schema.
        let migrating = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&migrating).await?;
        migrating.close().await;
        // One writer connection orders all writes; readers run beside it thanks to WAL.
        // A connection to a local file does not go stale, so it is not pinged (a round trip
        // to its thread) each time it is taken from the pool.
        // The writer never checkpoints: `Checkpoints` does, beside it.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await?;
        let checkpoints = Checkpoints::start(&options).await?;
        // Table statistics are refreshed after the desk listens (`refresh_statistics`), not
        // here: after heavy growth the analysis takes seconds.
        // Each reader keeps a page cache of 512 KiB instead of SQLite's 2 MiB: the kernel
        // caches the file for all of them, and eight full caches were most of the memory an
        // idle desk held once its periodic jobs had read the reports.
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .idle_timeout(IDLE_READER)
            .test_before_acquire(false)
            .connect_with(options.read_only(true).pragma("cache_size", "-512"))
            .await?;
        let groups = Box::new(GroupCommit::new(writer.clone()));
        Ok(SqlStore {
            writer,
            readers,
            blobs,
            report_groups: Some(groups),
            _checkpoints: Some(checkpoints),
        })
    }
}

#[async_trait]
impl StatisticsStore for SqlStore<Sqlite> {
    async fn refresh_statistics(&self) -> Result<Option<StatisticsRefresh>, StoreError> {
        let mut connection = self.writer.connect_options().connect().await?;
        // 0x10003: list (0x1) the analyses optimize would run (0x2), checking every table
        // (0x10000), not only those this new connection has read. Without 0x10 they are
        // full, unsampled analyses: the sampled ones get the report states' proportions
        // wrong, and the queue's plans with them.
        let planned: Vec<String> = sqlx::query_scalar("PRAGMA optimize = 0x10003")
            .fetch_all(&mut connection)
            .await?;
        let mut refresh = StatisticsRefresh::default();
        for statement in planned {
            let table = analysed_table(&statement).ok_or_else(|| {
                StoreError::Corrupt(format!("PRAGMA optimize planned {statement:?}"))
            })?;
            let mut targets: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_list(?1) ORDER BY name")
                    .bind(&table)
                    .fetch_all(&mut connection)
                    .await?;
            if targets.is_empty() {
                targets.push(table.clone());
            }
            for target in targets {
                sqlx::query(&format!("ANALYZE \"main\".{}", quoted_name(&target)))
                    .execute(&mut connection)
                    .await?;
                refresh.analysed.push(target);
            }
            refresh.tables.push(table);
        }
        connection.close().await?;
        Ok(Some(refresh))
    }
}

#[async_trait]
impl CacheStore for SqlStore<Sqlite> {
    async fn release_caches(&self) -> Result<(), StoreError> {
        // SQLite's soft heap limit is the whole process's, and lowering it below what SQLite
        // holds frees the unused pages of every connection at once (the bundled library is
        // built with SQLITE_ENABLE_MEMORY_MANAGEMENT). Zero then lifts the limit again, as
        // SQLite starts; both in one call, so the limit is never left at one byte.
        sqlx::raw_sql("PRAGMA soft_heap_limit = 1; PRAGMA soft_heap_limit = 0")
            .execute(&self.readers)
            .await?;
        Ok(())
    }
}

/// The table of one statement `PRAGMA optimize` plans: `ANALYZE "main"."reports"`.
fn analysed_table(statement: &str) -> Option<String> {
    let name = statement.strip_prefix("ANALYZE \"main\".")?;
    let inner = name.strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.replace("\"\"", "\""))
}

fn quoted_name(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Dialect for Sqlite {
    fn push_text_match(sql: &mut SqlText, words: &[String]) {
        sql.push("r.id IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ")
            .bind(Value::Text(fts5_query(words)))
            .push(")");
    }

    fn push_reports_matching_in_id_order(
        sql: &mut SqlText,
        words: &[String],
    ) -> Option<&'static str> {
        // CROSS JOIN keeps the index as the outer loop, and FTS5 walks its matches in
        // rowid order, either way, so ORDER BY the rowid with a LIMIT stops early.
        sql.push(
            "reports_fts CROSS JOIN reports r ON r.id = reports_fts.rowid WHERE reports_fts MATCH ",
        )
        .bind(Value::Text(fts5_query(words)));
        Some("reports_fts.rowid")
    }

    /// SQLite counts an index's generated columns (the dashboards' microseconds) as not
    /// held by it, since they are computed from columns it lacks: it plans a read of the
    /// report's row for every entry of such an index, and over a long period a scan of
    /// the whole table instead, where the index alone answers.
    fn reports_through(index: &str) -> String {
        format!("reports r INDEXED BY {index}")
    }

    fn wait_for_report_writers() -> Option<&'static str> {
        None
    }
}

/// Each word as an FTS5 string (quotes doubled), so nothing typed is an operator; all of
/// them must occur.
fn fts5_query(words: &[String]) -> String {
    words
        .iter()
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::{analysed_table, quoted_name};

    #[test]
    fn planned_analyses_name_their_table() {
        assert_eq!(
            analysed_table("ANALYZE \"main\".\"reports\"").as_deref(),
            Some("reports")
        );
        assert_eq!(
            analysed_table("ANALYZE \"main\".\"odd\"\"name\"").as_deref(),
            Some("odd\"name")
        );
        assert_eq!(analysed_table("ANALYZE \"temp\".\"t\""), None);
        assert_eq!(analysed_table("VACUUM"), None);
        assert_eq!(quoted_name("odd\"name"), "\"odd\"\"name\"");
    }
}
