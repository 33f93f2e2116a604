//! Attachment bytes in a store copy: files named by their SHA-256 beside SQLite, rows of
//! `blobs` (with the bytes in the row or in an upload's chunks) in PostgreSQL. Only the
//! bytes an attachment names are copied, each checked against its hash on the way. Bytes
//! kept in a bucket stay there: the copied `settings` row tells the target so, and the
//! target is served with the same attachment storage settings.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sqlx::{
    ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Postgres, Sqlite, Transaction,
    Type,
};

use crate::backup::io;
use crate::data_folder::{create_private_dir, create_private_file};
use crate::settings::{ATTACHMENT_STORAGE, IN_BUCKET};
use crate::StoreError;

const NAMED: &str = "SELECT DISTINCT sha256 FROM attachments ORDER BY sha256";
const RECORDED_IN_BUCKET: &str = "SELECT COUNT(*) FROM settings WHERE key = $1 AND value = $2";

/// Whether the source's attachment bytes are objects in a bucket (its own record).
pub async fn kept_in_bucket<DB>(source: &mut DB::Connection) -> Result<bool, StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let count: i64 = sqlx::query_scalar(RECORDED_IN_BUCKET)
        .bind(ATTACHMENT_STORAGE)
        .bind(IN_BUCKET)
        .fetch_one(&mut *source)
        .await?;
    Ok(count > 0)
}

/// Copies the files the source's attachments name into PostgreSQL's `blobs`.
pub async fn sqlite_to_postgres(
    read: &mut Transaction<'_, Sqlite>,
    data_dir: &Path,
    write: &mut Transaction<'_, Postgres>,
) -> Result<u64, StoreError> {
    let named: Vec<String> = sqlx::query_scalar(NAMED).fetch_all(&mut **read).await?;
    for sha256 in &named {
        let path = file_of(data_dir, sha256)?;
        let content = tokio::fs::read(&path)
            .await
            .map_err(io("read attachment", &path))?;
        check(sha256, &content)?;
        sqlx::query("INSERT INTO blobs (sha256, content) VALUES ($1, $2)")
            .bind(sha256)
            .bind(content)
            .execute(&mut **write)
            .await?;
    }
    Ok(named.len() as u64)
}

/// Names in PostgreSQL's `blobs` the hashes of objects a bucket keeps, for the
/// attachments' foreign key: the bytes stay in the bucket.
pub async fn name_objects_in_postgres(
    read: &mut Transaction<'_, Sqlite>,
    write: &mut Transaction<'_, Postgres>,
) -> Result<(), StoreError> {
    let named: Vec<String> = sqlx::query_scalar(NAMED).fetch_all(&mut **read).await?;
    for sha256 in &named {
        sqlx::query("INSERT INTO blobs (sha256) VALUES ($1)")
            .bind(sha256)
            .execute(&mut **write)
            .await?;
    }
    Ok(())
}

/// Files written into the target's folder, removed again if the copy does not commit.
pub struct WrittenFiles {
    paths: Vec<PathBuf>,
}

impl WrittenFiles {
    pub fn none() -> Self {
        WrittenFiles { paths: Vec::new() }
    }

    pub fn count(&self) -> u64 {
        self.paths.len() as u64
    }

    pub fn remove(self) {
        for path in self.paths {
            if let Err(error) = fs::remove_file(&path) {
                tracing::warn!(%error, path = %path.display(), "cannot remove a copied file");
            }
        }
    }
}

/// Writes the bytes the source's attachments name as files in the target's `blobs/`.
pub async fn postgres_to_sqlite(
    read: &mut Transaction<'_, Postgres>,
    data_dir: &Path,
) -> Result<WrittenFiles, StoreError> {
    let mut written = WrittenFiles { paths: Vec::new() };
    match write_named(read, data_dir, &mut written).await {
        Ok(()) => Ok(written),
        Err(error) => {
            written.remove();
            Err(error)
        }
    }
}

async fn write_named(
    read: &mut Transaction<'_, Postgres>,
    data_dir: &Path,
    written: &mut WrittenFiles,
) -> Result<(), StoreError> {
    let named: Vec<String> = sqlx::query_scalar(NAMED).fetch_all(&mut **read).await?;
    for sha256 in &named {
        // Bytes stored whole, or the chunks of an upload joined in order.
        let content: Vec<u8> = sqlx::query_scalar::<_, Option<Vec<u8>>>(
            "SELECT COALESCE(b.content, (SELECT string_agg(c.data, ''::BYTEA ORDER BY c.seq) \
             FROM blob_chunks c WHERE c.upload_id = b.upload_id)) FROM blobs b WHERE b.sha256 = $1",
        )
        .bind(sha256)
        .fetch_optional(&mut **read)
        .await?
        .flatten()
        .ok_or_else(|| {
            StoreError::Backup(format!(
                "the source names attachment bytes {sha256} it does not hold"
            ))
        })?;
        check(sha256, &content)?;
        let path = file_of(data_dir, sha256)?;
        let target = path.clone();
        tokio::task::spawn_blocking(move || write_file(&target, &content))
            .await
            .map_err(|error| StoreError::Backup(format!("writing a file stopped: {error}")))??;
        written.paths.push(path);
    }
    Ok(())
}

fn write_file(path: &Path, content: &[u8]) -> Result<(), StoreError> {
    if let Some(folder) = path.parent() {
        create_private_dir(folder)?;
    }
    let mut file = create_private_file(path)?;
    file.write_all(content).map_err(io("write", path))?;
    file.sync_all().map_err(io("flush", path))
}

fn file_of(data_dir: &Path, sha256: &str) -> Result<PathBuf, StoreError> {
    let is_hash = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
    if !is_hash {
        return Err(StoreError::Backup(format!(
            "an attachment names '{sha256}', which is not a SHA-256"
        )));
    }
    Ok(data_dir.join("blobs").join(&sha256[..2]).join(sha256))
}

fn check(sha256: &str, content: &[u8]) -> Result<(), StoreError> {
    let actual = hex::encode(Sha256::digest(content));
    if actual == sha256 {
        Ok(())
    } else {
        Err(StoreError::Backup(format!(
            "the attachment bytes named {sha256} have the SHA-256 {actual}: they are damaged \
             in the source, so nothing was copied"
        )))
    }
}
