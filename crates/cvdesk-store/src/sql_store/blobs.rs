//! Attachment bytes for both backends: staging them as they arrive, linking them in the
//! transaction that names them, reading them back, and removing what no attachment names.
//!
//! SQLite keeps them as files (`blobs::BlobDir`). PostgreSQL keeps them in the database so
//! that instances share them: an upload is written as rows of at most `CHUNK_BYTES` into
//! `blob_chunks` while it arrives, each row committed on its own, so neither the instance
//! nor the database connection ever holds a whole file; the report's transaction then
//! names the upload in `blobs` under its hash.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Type};
use time::OffsetDateTime;
use tokio::sync::RwLockReadGuard;

use super::{Blobs, SqlStore, StoredTime};
use crate::blobs::{
    blob_prefixes, BlobSink, BlobSweep, BlobWriter, StagedBlob, StagedPlace, STALE_STAGED_AFTER,
};
use crate::{NewAttachment, StoreError};

const BEGIN_UPLOAD: &str = "INSERT INTO blob_uploads DEFAULT VALUES RETURNING id";
const INSERT_CHUNK: &str = "INSERT INTO blob_chunks (upload_id, seq, data) VALUES ($1, $2, $3)";
/// Names an upload by its hash, unless a blob with that content exists already.
const NAME_UPLOAD: &str = "INSERT INTO blobs (sha256, upload_id) VALUES ($1, $2) \
     ON CONFLICT (sha256) DO NOTHING RETURNING sha256";
const DROP_UPLOAD: &str = "DELETE FROM blob_uploads WHERE id = $1";
const BLOB_SOURCE: &str = "SELECT content, upload_id FROM blobs WHERE sha256 = $1";
const CHUNK: &str = "SELECT data FROM blob_chunks WHERE upload_id = $1 AND seq = $2";
const NAMED_BY_ANY: &str = "SELECT COUNT(*) FROM attachments WHERE sha256 = $1";
/// Stored hashes in one two-digit folder (hex digits sort below 'g').
const NAMED_WITH_PREFIX: &str =
    "SELECT DISTINCT sha256 FROM attachments WHERE sha256 >= $1 AND sha256 < $2";
const DROP_UNNAMED_BLOB: &str = "DELETE FROM blobs WHERE sha256 = $1 AND NOT EXISTS \
     (SELECT 1 FROM attachments a WHERE a.sha256 = blobs.sha256) RETURNING upload_id";
const DROP_UNNAMED_BLOBS: &str = "DELETE FROM blobs WHERE NOT EXISTS \
     (SELECT 1 FROM attachments a WHERE a.sha256 = blobs.sha256) RETURNING upload_id";
const DROP_STALE_UPLOADS: &str = "DELETE FROM blob_uploads WHERE started_at < $1 \
     AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.upload_id = blob_uploads.id) RETURNING id";

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'q> Option<Vec<u8>>: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    pub(super) async fn begin_blob_writer(&self) -> Result<BlobWriter, StoreError> {
        let sink: Box<dyn BlobSink> = match &self.blobs {
            Blobs::Files(dir) => dir.begin().await?,
            Blobs::Table => {
                let upload_id: i64 = sqlx::query_scalar(BEGIN_UPLOAD)
                    .fetch_one(&self.writer)
                    .await?;
                Box::new(ChunkRows {
                    pool: self.writer.clone(),
                    upload_id,
                    next_seq: 0,
                })
            }
        };
        Ok(BlobWriter::new(sink))
    }

    /// Moves staged files to their names before the transaction that records them, and
    /// keeps them from being removed until that transaction is over (drop the guard after
    /// committing). Blobs in the database are linked inside the transaction instead, by
    /// `insert_attachments`.
    pub(super) async fn link_files(
        &self,
        files: &[NewAttachment],
    ) -> Result<Option<RwLockReadGuard<'_, ()>>, StoreError> {
        let Blobs::Files(dir) = &self.blobs else {
            return Ok(None);
        };
        let guard = dir.links().read().await;
        let staged = files
            .iter()
            .map(|file| match &file.blob.place {
                StagedPlace::File(incoming) => {
                    Ok((file.blob.sha256.clone(), incoming.path.clone()))
                }
                StagedPlace::Upload(_) => Err(misplaced()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        dir.link(staged).await?;
        Ok(Some(guard))
    }

    /// Inside the transaction recording the attachment: names a staged upload by its hash
    /// (PostgreSQL), or drops it when the same content is stored already.
    pub(super) async fn link_row(
        &self,
        connection: &mut DB::Connection,
        blob: &StagedBlob,
    ) -> Result<(), StoreError> {
        match (&self.blobs, &blob.place) {
            (Blobs::Files(_), StagedPlace::File(_)) => Ok(()),
            (Blobs::Table, StagedPlace::Upload(upload_id)) => {
                let named: Option<String> = sqlx::query_scalar(NAME_UPLOAD)
                    .bind(blob.sha256.as_str())
                    .bind(*upload_id)
                    .fetch_optional(&mut *connection)
                    .await?;
                if named.is_none() {
                    sqlx::query(DROP_UPLOAD)
                        .bind(*upload_id)
                        .execute(&mut *connection)
                        .await?;
                }
                Ok(())
            }
            _ => Err(misplaced()),
        }
    }

    pub(super) async fn read_blob(&self, sha256: &str, size: u64) -> Result<Vec<u8>, StoreError> {
        if let Blobs::Files(dir) = &self.blobs {
            return dir.read(sha256).await;
        }
        let (content, upload_id): (Option<Vec<u8>>, Option<i64>) = sqlx::query_as(BLOB_SOURCE)
            .bind(sha256)
            .fetch_one(&self.readers)
            .await?;
        if let Some(content) = content {
            return Ok(content);
        }
        let upload_id = upload_id
            .ok_or_else(|| StoreError::Corrupt(format!("blob {sha256} has no content")))?;
        // One row at a time, so reading holds the file once and never twice.
        let mut content = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        for seq in 0i64.. {
            let chunk: Option<Vec<u8>> = sqlx::query_scalar(CHUNK)
                .bind(upload_id)
                .bind(seq)
                .fetch_optional(&self.readers)
                .await?;
            match chunk {
                Some(chunk) => content.extend_from_slice(&chunk),
                None => break,
            }
        }
        Ok(content)
    }

    /// Removes those of `sha256s` that no attachment names any more.
    pub(super) async fn remove_unnamed(&self, sha256s: Vec<String>) -> Result<u64, StoreError> {
        match &self.blobs {
            Blobs::Files(dir) => {
                let _exclusive = dir.links().write().await;
                let mut unnamed = Vec::new();
                for sha256 in sha256s {
                    let count: i64 = sqlx::query_scalar(NAMED_BY_ANY)
                        .bind(sha256.as_str())
                        .fetch_one(&self.readers)
                        .await?;
                    if count == 0 {
                        unnamed.push(sha256);
                    }
                }
                dir.remove(unnamed).await
            }
            Blobs::Table => {
                let mut removed = 0;
                for sha256 in sha256s {
                    let mut tx = self.writer.begin().await?;
                    let dropped: Option<Option<i64>> = sqlx::query_scalar(DROP_UNNAMED_BLOB)
                        .bind(sha256.as_str())
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some(upload_id) = dropped {
                        removed += 1;
                        if let Some(upload_id) = upload_id {
                            sqlx::query(DROP_UPLOAD)
                                .bind(upload_id)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                    tx.commit().await?;
                }
                Ok(removed)
            }
        }
    }

    /// Removes staged bytes older than `STALE_STAGED_AFTER` and stored blobs no
    /// attachment names (left by a transaction that failed after its files were linked).
    pub(super) async fn sweep(&self, now: OffsetDateTime) -> Result<BlobSweep, StoreError> {
        let cutoff = now - STALE_STAGED_AFTER;
        match &self.blobs {
            Blobs::Files(dir) => {
                let stale_staged = dir.sweep_incoming(cutoff.into()).await?;
                let mut unnamed = Vec::new();
                for prefix in blob_prefixes() {
                    let stored = dir.stored_with_prefix(prefix.clone()).await?;
                    if stored.is_empty() {
                        continue;
                    }
                    let past_prefix = format!("{prefix}g");
                    let named: Vec<String> = sqlx::query_scalar(NAMED_WITH_PREFIX)
                        .bind(prefix.as_str())
                        .bind(past_prefix.as_str())
                        .fetch_all(&self.readers)
                        .await?;
                    unnamed.extend(stored.into_iter().filter(|name| !named.contains(name)));
                }
                let unreferenced = self.remove_unnamed(unnamed).await?;
                Ok(BlobSweep {
                    stale_staged,
                    unreferenced,
                })
            }
            Blobs::Table => {
                let mut tx = self.writer.begin().await?;
                let dropped: Vec<Option<i64>> = sqlx::query_scalar(DROP_UNNAMED_BLOBS)
                    .fetch_all(&mut *tx)
                    .await?;
                for upload_id in dropped.iter().flatten() {
                    sqlx::query(DROP_UPLOAD)
                        .bind(*upload_id)
                        .execute(&mut *tx)
                        .await?;
                }
                let stale: Vec<i64> = sqlx::query_scalar(DROP_STALE_UPLOADS)
                    .bind(StoredTime(cutoff))
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(BlobSweep {
                    stale_staged: stale.len() as u64,
                    unreferenced: dropped.len() as u64,
                })
            }
        }
    }
}

fn misplaced() -> StoreError {
    StoreError::Corrupt("an attachment was staged for another kind of store".to_owned())
}

/// An upload being written into PostgreSQL, one committed row per chunk.
struct ChunkRows<DB: Database> {
    pool: Pool<DB>,
    upload_id: i64,
    next_seq: i64,
}

#[async_trait]
impl<DB> BlobSink for ChunkRows<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    async fn write(&mut self, chunk: Vec<u8>, mut hasher: Sha256) -> Result<Sha256, StoreError> {
        let (chunk, hasher) = tokio::task::spawn_blocking(move || {
            hasher.update(&chunk);
            (chunk, hasher)
        })
        .await
        .map_err(|error| StoreError::Corrupt(format!("hashing did not finish: {error}")))?;
        sqlx::query(INSERT_CHUNK)
            .bind(self.upload_id)
            .bind(self.next_seq)
            .bind(chunk.as_slice())
            .execute(&self.pool)
            .await?;
        self.next_seq += 1;
        Ok(hasher)
    }

    async fn finish(
        self: Box<Self>,
        sha256: String,
        size_bytes: u64,
    ) -> Result<StagedBlob, StoreError> {
        Ok(StagedBlob {
            sha256,
            size_bytes,
            place: StagedPlace::Upload(self.upload_id),
        })
    }
}
