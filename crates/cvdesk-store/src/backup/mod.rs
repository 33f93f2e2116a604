//! Backups of the embedded store: one tar archive (gzip-compressed when its name ends in
//! `.gz` or `.tgz`) holding a manifest, a consistent snapshot of the database and the
//! attachment files the snapshot names. Copying `cvdesk.db` while the desk runs misses what
//! is still in its write-ahead log; `VACUUM INTO` writes a snapshot of one read
//! transaction instead, beside a running desk that keeps accepting reports.
//!
//! A restore reads the manifest first, writes every member into a staging folder inside
//! the data folder while checking its size and SHA-256, and only when everything checks out
//! moves the database and files into place: a cut or altered archive changes nothing.

mod archive;
mod manifest;
mod restore;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

pub use manifest::{Manifest, Member, FORMAT, FORMAT_VERSION};
pub use restore::{restore_backup, store_holds_data};

use crate::data_folder::create_private_dir;
use crate::settings::{ATTACHMENT_STORAGE, IN_BUCKET};
use crate::tables::DATA_TABLES;
use crate::StoreError;

/// Attempts at a backup whose attachment files were removed (a spam report purged, say)
/// between the snapshot and reading them; each attempt takes a new snapshot.
const ATTEMPTS: usize = 3;

/// What a finished backup holds.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub manifest: Manifest,
    /// The archive's size on disk.
    pub archive_bytes: u64,
}

/// Writes a backup of the SQLite store in `data_dir` to `to`, which must not exist yet.
/// `created_at` is the time the manifest records (RFC 3339).
pub async fn write_backup(
    data_dir: &Path,
    to: &Path,
    created_at: &str,
) -> Result<BackupSummary, StoreError> {
    let database = data_dir.join(manifest::DATABASE_MEMBER);
    if !database.is_file() {
        return Err(StoreError::Backup(format!(
            "there is no store in {} (no {}); give the data folder the desk uses with --data",
            data_dir.display(),
            manifest::DATABASE_MEMBER
        )));
    }
    if to.exists() {
        return Err(StoreError::Backup(format!(
            "{} exists already; a backup never overwrites a file, give a new name",
            to.display()
        )));
    }
    let workspace = Workspace::create(to)?;
    let mut last_missing = None;
    for attempt in 0..ATTEMPTS {
        let snapshot = workspace.path.join(format!("snapshot-{attempt}.db"));
        take_snapshot(&database, &snapshot).await?;
        let (counts, hashes) = read_snapshot(&snapshot).await?;
        let in_bucket = attachments_in_bucket(&snapshot).await?;
        let snapshot_member = archive::member_of_file(&snapshot, manifest::DATABASE_MEMBER)?;
        let blob_members = if in_bucket {
            Ok(Vec::new())
        } else {
            archive::blob_members(data_dir, &hashes)?
        };
        match blob_members {
            Ok(blob_members) => {
                let manifest = Manifest {
                    format: FORMAT.to_owned(),
                    format_version: FORMAT_VERSION,
                    backend: "sqlite".to_owned(),
                    cvdesk_version: env!("CARGO_PKG_VERSION").to_owned(),
                    created_at: created_at.to_owned(),
                    counts,
                    files: blob_members.len() as u64,
                    attachments_in_bucket: in_bucket,
                    members: std::iter::once(snapshot_member)
                        .chain(blob_members)
                        .collect(),
                };
                // Named as the archive, so its extension still says whether to compress.
                let partial = workspace
                    .path
                    .join(to.file_name().unwrap_or("backup.tar".as_ref()));
                let sources = archive::Sources {
                    database: snapshot.clone(),
                    data_dir: data_dir.to_path_buf(),
                };
                let manifest_for_writer = manifest.clone();
                let (partial_path, final_path) = (partial.clone(), to.to_path_buf());
                let archive_bytes = tokio::task::spawn_blocking(move || {
                    archive::write(&partial_path, &manifest_for_writer, &sources)?;
                    archive::publish(&partial_path, &final_path)
                })
                .await
                .map_err(|error| {
                    StoreError::Backup(format!("writing the backup stopped: {error}"))
                })??;
                return Ok(BackupSummary {
                    manifest,
                    archive_bytes,
                });
            }
            Err(missing) => {
                std::fs::remove_file(&snapshot).map_err(io("remove", &snapshot))?;
                last_missing = Some(missing);
            }
        }
    }
    Err(StoreError::Backup(format!(
        "attachment file {} named by the database was removed while the backup ran, {ATTEMPTS} times; \
         run the backup again",
        last_missing.unwrap_or_default()
    )))
}

/// `VACUUM INTO` on a read-only connection of its own: the snapshot is one read
/// transaction, taken beside the serving desk's writer without blocking it.
async fn take_snapshot(database: &Path, snapshot: &Path) -> Result<(), StoreError> {
    let mut source = SqliteConnectOptions::from_str("sqlite:")?
        .filename(database)
        .read_only(true)
        .busy_timeout(std::time::Duration::from_secs(30))
        .connect()
        .await?;
    let target = snapshot.to_str().ok_or_else(|| {
        StoreError::Backup(format!(
            "the folder {} cannot be named to SQLite (not UTF-8)",
            snapshot.display()
        ))
    })?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut source)
        .await?;
    source.close().await?;
    Ok(())
}

/// Rows per table, and the attachment files the snapshot names.
pub(crate) async fn read_snapshot(
    snapshot: &Path,
) -> Result<(BTreeMap<String, u64>, Vec<String>), StoreError> {
    let mut connection = open_read_only(snapshot).await?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut connection)
        .await?;
    if integrity != "ok" {
        return Err(StoreError::Backup(format!(
            "the database snapshot fails SQLite's integrity check: {integrity}"
        )));
    }
    let mut counts = BTreeMap::new();
    for table in DATA_TABLES {
        let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut connection)
            .await?;
        counts.insert((*table).to_owned(), count.unsigned_abs());
    }
    let hashes = sqlx::query_scalar("SELECT DISTINCT sha256 FROM attachments ORDER BY sha256")
        .fetch_all(&mut connection)
        .await?;
    connection.close().await?;
    Ok((counts, hashes))
}

/// Whether the database's attachment bytes are objects in a bucket (the store's own record,
/// `settings::ATTACHMENT_STORAGE`): a backup then holds the database alone.
pub(crate) async fn attachments_in_bucket(database: &Path) -> Result<bool, StoreError> {
    let mut connection = open_read_only(database).await?;
    let recorded: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(ATTACHMENT_STORAGE)
        .fetch_optional(&mut connection)
        .await?;
    connection.close().await?;
    Ok(recorded.as_deref() == Some(IN_BUCKET))
}

pub(crate) async fn open_read_only(database: &Path) -> Result<SqliteConnection, StoreError> {
    Ok(SqliteConnectOptions::from_str("sqlite:")?
        .filename(database)
        .read_only(true)
        .connect()
        .await?)
}

/// A private folder for work in progress, beside where the result goes (so the result is
/// moved into place by a rename), removed when dropped.
pub(crate) struct Workspace {
    pub path: PathBuf,
}

impl Workspace {
    pub fn create(beside: &Path) -> Result<Self, StoreError> {
        let folder = match beside.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            return Err(StoreError::Backup(format!(
                "the folder {} does not exist",
                folder.display()
            )));
        }
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)
            .map_err(|e| StoreError::Backup(format!("no randomness for a folder name: {e}")))?;
        let path = folder.join(format!(".cvdesk-work-{}", hex::encode(random)));
        create_private_dir(&path)?;
        Ok(Workspace { path })
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.path) {
            tracing::warn!(%error, path = %self.path.display(), "cannot remove a work folder");
        }
    }
}

pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}
