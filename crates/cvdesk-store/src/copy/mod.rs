//! Moving a whole desk between the embedded SQLite store and PostgreSQL, either way. The
//! source is read in one snapshot; the target, which must hold no data, is written in one
//! transaction in the order of `tables::DATA_TABLES` with every id kept, after the
//! attachment bytes the rows name. Triggers that derive values from other rows (report
//! milestones) are held off so that the copied values stay exactly as they were; the
//! full-text index is rebuilt as rows arrive. PostgreSQL's identity sequences continue
//! after the highest copied id. Then the target's rows are counted per table against the
//! source's and its audit chain is verified.

mod blobs;
mod cells;

use std::collections::BTreeMap;
use std::path::Path;

use futures_util::TryStreamExt;
use sqlx::{
    Database, Executor, FromRow, IntoArguments, PgConnection, Postgres, Sqlite, SqliteConnection,
    Transaction,
};

use self::cells::{bind_postgres, bind_sqlite, from_postgres, from_sqlite, Kind};
use crate::backup::store_holds_data;
use crate::sql_store::SqlStore;
use crate::tables::{holds_data_condition, DATA_TABLES, SEEDED_TABLE};
use crate::{AuditStore, PostgresStore, SqliteStore, StoreError, StoreLocation};

/// Audit entries read at a time while the target's chain is verified.
const VERIFY_BATCH: i64 = 1_000;

/// What a finished copy wrote, checked on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySummary {
    /// Rows per table, equal on both sides.
    pub counts: BTreeMap<String, u64>,
    /// Attachment files (stored once per content).
    pub files: u64,
    /// Whether the attachment bytes are objects in a bucket, left where they are.
    pub attachments_in_bucket: bool,
    /// Entries of the target's audit chain, verified.
    pub audit_entries: u64,
}

/// A column to copy: its name and what it holds.
struct Column {
    name: String,
    kind: Kind,
    identity: bool,
}

/// Copies the desk at `from` into the empty store at `to` (created and migrated when new).
pub async fn copy_store(
    from: &StoreLocation,
    to: &StoreLocation,
) -> Result<CopySummary, StoreError> {
    match (from, to) {
        (StoreLocation::Sqlite { data_dir }, StoreLocation::Postgres { url, .. }) => {
            let target = PostgresStore::open(url, 2).await?;
            refuse_postgres_with_data(&target).await?;
            let source = SqliteStore::open(data_dir).await?;
            let summary = sqlite_to_postgres(&source, data_dir, &target).await?;
            verify(&target, summary).await
        }
        (StoreLocation::Postgres { url, .. }, StoreLocation::Sqlite { data_dir }) => {
            if store_holds_data(data_dir).await? {
                return Err(target_holds_data(&data_dir.display().to_string()));
            }
            let source = PostgresStore::open(url, 2).await?;
            let target = SqliteStore::open(data_dir).await?;
            let summary = postgres_to_sqlite(&source, &target, data_dir).await?;
            verify(&target, summary).await
        }
        _ => Err(StoreError::Backup(
            "the store copy moves a desk between SQLite and PostgreSQL; to copy an embedded \
             store use cvdesk backup and cvdesk restore, and a PostgreSQL database pg_dump"
                .to_owned(),
        )),
    }
}

async fn sqlite_to_postgres(
    source: &SqliteStore,
    data_dir: &Path,
    target: &PostgresStore,
) -> Result<CopySummary, StoreError> {
    let mut read = source.readers.begin().await?;
    let mut write = target.writer.begin().await?;
    for table in DATA_TABLES {
        sqlx::query(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
            .execute(&mut *write)
            .await?;
    }
    let in_bucket = blobs::kept_in_bucket::<Sqlite>(&mut *read).await?;
    let files = if in_bucket {
        blobs::name_objects_in_postgres(&mut read, &mut write).await?;
        0
    } else {
        blobs::sqlite_to_postgres(&mut read, data_dir, &mut write).await?
    };
    let mut counts = BTreeMap::new();
    for table in DATA_TABLES {
        let columns = postgres_columns(&mut write, table).await?;
        check_sqlite_columns(&mut read, table, &columns).await?;
        clear_seed::<Postgres>(&mut write, table).await?;
        let select = select_sql(table, &columns, "rowid");
        let insert = insert_sql(table, &columns, true);
        let mut rows = sqlx::query(&select).fetch(&mut *read);
        let mut copied = 0u64;
        while let Some(row) = rows.try_next().await? {
            let mut query = sqlx::query(&insert);
            for (index, column) in columns.iter().enumerate() {
                query = bind_postgres(query, from_sqlite(&row, index, column.kind)?);
            }
            query.execute(&mut *write).await?;
            copied += 1;
        }
        drop(rows);
        continue_sequences(&mut write, table, &columns).await?;
        counts.insert((*table).to_owned(), copied);
    }
    for table in DATA_TABLES {
        sqlx::query(&format!("ALTER TABLE {table} ENABLE TRIGGER USER"))
            .execute(&mut *write)
            .await?;
    }
    write.commit().await?;
    read.rollback().await?;
    Ok(CopySummary {
        counts,
        files,
        attachments_in_bucket: in_bucket,
        audit_entries: 0,
    })
}

async fn postgres_to_sqlite(
    source: &PostgresStore,
    target: &SqliteStore,
    data_dir: &Path,
) -> Result<CopySummary, StoreError> {
    let mut read = source.readers.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *read)
        .await?;
    let mut write = target.writer.begin().await?;
    sqlx::query("PRAGMA defer_foreign_keys = ON")
        .execute(&mut *write)
        .await?;
    // SQLite cannot switch a trigger off: the derived-value triggers are dropped and made
    // again from their own text inside the transaction. The full-text index's stay.
    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name NOT LIKE 'reports_fts%'",
    )
    .fetch_all(&mut *write)
    .await?;
    for (name, _) in &triggers {
        sqlx::query(&format!("DROP TRIGGER {name}"))
            .execute(&mut *write)
            .await?;
    }
    let in_bucket = blobs::kept_in_bucket::<Postgres>(&mut *read).await?;
    let written = if in_bucket {
        blobs::WrittenFiles::none()
    } else {
        blobs::postgres_to_sqlite(&mut read, data_dir).await?
    };
    let outcome = async {
        let mut counts = BTreeMap::new();
        for table in DATA_TABLES {
            let columns = postgres_columns(&mut read, table).await?;
            check_sqlite_columns(&mut write, table, &columns).await?;
            clear_seed::<Sqlite>(&mut write, table).await?;
            let select = select_sql(table, &columns, "ctid");
            let insert = insert_sql(table, &columns, false);
            let mut rows = sqlx::query(&select).fetch(&mut *read);
            let mut copied = 0u64;
            while let Some(row) = rows.try_next().await? {
                let mut query = sqlx::query(&insert);
                for (index, column) in columns.iter().enumerate() {
                    query = bind_sqlite(query, from_postgres(&row, index, column.kind)?);
                }
                query.execute(&mut *write).await?;
                copied += 1;
            }
            drop(rows);
            counts.insert((*table).to_owned(), copied);
        }
        for (_, sql) in &triggers {
            sqlx::query(sql).execute(&mut *write).await?;
        }
        write.commit().await?;
        Ok::<_, StoreError>(counts)
    }
    .await;
    read.rollback().await?;
    match outcome {
        Ok(counts) => Ok(CopySummary {
            counts,
            files: written.count(),
            attachments_in_bucket: in_bucket,
            audit_entries: 0,
        }),
        Err(error) => {
            written.remove();
            Err(error)
        }
    }
}

/// The target's rows, counted again per table, must be the rows copied, and its audit
/// chain must verify.
async fn verify<DB>(
    target: &SqlStore<DB>,
    mut summary: CopySummary,
) -> Result<CopySummary, StoreError>
where
    DB: Database,
    SqlStore<DB>: AuditStore,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
{
    let mut connection = target.readers.acquire().await?;
    for (table, copied) in &summary.counts {
        let (count,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *connection)
            .await?;
        if count.unsigned_abs() != *copied {
            return Err(StoreError::Backup(format!(
                "the target holds {count} rows of {table} after copying {copied}"
            )));
        }
    }
    drop(connection);
    match target.verify_audit_chain(VERIFY_BATCH).await? {
        Ok(verified) => {
            summary.audit_entries = verified.count.unsigned_abs();
            Ok(summary)
        }
        Err(broken) => Err(StoreError::Backup(format!(
            "the audit chain does not verify on the target: {broken}"
        ))),
    }
}

async fn refuse_postgres_with_data(target: &PostgresStore) -> Result<(), StoreError> {
    let mut connection = target.writer.acquire().await?;
    let mut holds_data: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM blobs)")
        .fetch_one(&mut *connection)
        .await?;
    for table in DATA_TABLES {
        if holds_data {
            break;
        }
        holds_data = sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM {table} WHERE {})",
            holds_data_condition(table)
        ))
        .fetch_one(&mut *connection)
        .await?;
    }
    if holds_data {
        return Err(target_holds_data("the PostgreSQL database"));
    }
    Ok(())
}

fn target_holds_data(which: &str) -> StoreError {
    StoreError::Backup(format!(
        "the target store ({which}) holds data; a copy only goes into an empty store, so \
         nothing was written"
    ))
}

/// The columns of `table` PostgreSQL stores (not those it derives), in schema order.
async fn postgres_columns(
    connection: &mut PgConnection,
    table: &str,
) -> Result<Vec<Column>, StoreError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT column_name::TEXT, data_type::TEXT, is_identity::TEXT \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' \
         ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *connection)
    .await?;
    if rows.is_empty() {
        return Err(StoreError::Backup(format!(
            "the PostgreSQL schema has no table {table}"
        )));
    }
    rows.into_iter()
        .map(|(name, data_type, identity)| {
            Ok(Column {
                kind: Kind::of_postgres_type(table, &name, &data_type)?,
                identity: identity == "YES",
                name,
            })
        })
        .collect()
}

/// Both schemas come from migrations kept in step; a column one lacks is a bug, said
/// before anything is written.
async fn check_sqlite_columns(
    connection: &mut SqliteConnection,
    table: &str,
    columns: &[Column],
) -> Result<(), StoreError> {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
        .bind(table)
        .fetch_all(&mut *connection)
        .await?;
    let missing: Vec<&str> = columns
        .iter()
        .map(|column| column.name.as_str())
        .filter(|name| !names.iter().any(|known| known == name))
        .collect();
    if missing.is_empty() && names.len() == columns.len() {
        Ok(())
    } else {
        Err(StoreError::Backup(format!(
            "the SQLite and PostgreSQL schemas of {table} differ (columns {} on one side only)",
            if missing.is_empty() {
                "beyond PostgreSQL's".to_owned()
            } else {
                missing.join(", ")
            }
        )))
    }
}

/// Removes the row a fresh store's migrations wrote, which the source's row replaces.
async fn clear_seed<DB>(connection: &mut DB::Connection, table: &str) -> Result<(), StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    if table == SEEDED_TABLE {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// Rows in the order they were written (ids first), so a row naming an earlier row of its
/// own table (a reply in a case log) finds it.
fn select_sql(table: &str, columns: &[Column], physical_order: &str) -> String {
    let names = column_list(columns);
    let order = if columns.iter().any(|column| column.name == "id") {
        "id"
    } else {
        physical_order
    };
    format!("SELECT {names} FROM {table} ORDER BY {order}")
}

fn insert_sql(table: &str, columns: &[Column], postgres: bool) -> String {
    let names = column_list(columns);
    let placeholders = (1..=columns.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let overriding = if postgres && columns.iter().any(|column| column.identity) {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    format!("INSERT INTO {table} ({names}){overriding} VALUES ({placeholders})")
}

fn column_list(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|column| format!("\"{}\"", column.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The next id PostgreSQL gives follows the highest copied one.
async fn continue_sequences(
    write: &mut Transaction<'_, Postgres>,
    table: &str,
    columns: &[Column],
) -> Result<(), StoreError> {
    for column in columns.iter().filter(|column| column.identity) {
        let name = &column.name;
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), \
             COALESCE((SELECT MAX(\"{name}\") FROM {table}), 0) + 1, false)"
        ))
        .bind(table)
        .bind(name)
        .execute(&mut **write)
        .await?;
    }
    Ok(())
}
