//! Attachment bytes for both backends: staging them as they arrive, linking them in the
//! transaction that names them, reading them back, and removing what no attachment names.
//!
//! SQLite keeps them as files (`blobs::BlobDir`). PostgreSQL keeps them in the database so
//! that instances share them: an upload is written as rows of at most `CHUNK_BYTES` into
//! `blob_chunks` while it arrives, each row committed on its own, so neither the instance
//! nor the database connection ever holds a whole file; the report's transaction then
//! names the upload in `blobs` under its hash. Either may keep them in a bucket instead
//! (`blobs::BlobBucket`), linked as `Linking` says.

use std::collections::HashSet;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Type};
use time::OffsetDateTime;
use tokio::sync::RwLockReadGuard;

use super::{Blobs, Linking, SqlStore, StoredTime};
use crate::blobs::{
    blob_prefixes, BlobBucket, BlobSink, BlobSweep, BlobWriter, StagedBlob, StagedPlace,
    STALE_STAGED_AFTER,
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
/// Stored hashes between two of a bucket's listed names.
const NAMED_BETWEEN: &str =
    "SELECT DISTINCT sha256 FROM attachments WHERE sha256 >= $1 AND sha256 <= $2";
/// The advisory lock that orders linking objects (shared, until each naming transaction
/// commits) before removing unnamed ones (exclusive), across PostgreSQL instances.
const LINK_LOCK_KEY: i64 = 0x6376_6465_736b_6f62;
const SHARE_LINK_LOCK: &str = "SELECT pg_advisory_xact_lock_shared($1)";
/// Names an object's hash in `blobs`, for the attachments' foreign key (PostgreSQL).
const NAME_OBJECT: &str = "INSERT INTO blobs (sha256) VALUES ($1) ON CONFLICT (sha256) DO NOTHING";
const TAKE_LINK_LOCK: &str = "SELECT pg_advisory_xact_lock($1)";
/// Names a bucket lists are checked against the database this many at a time.
const SWEEP_BATCH: usize = 1_000;

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
            Blobs::Bucket(bucket, _) => bucket.begin().await?,
        };
        Ok(BlobWriter::new(sink))
    }

    /// Moves staged files (and, beside SQLite, staged objects) to their names before the
    /// transaction that records them, and keeps them from being removed until that
    /// transaction is over (drop the guard after committing). Blobs in the database, and
    /// objects beside PostgreSQL, are linked inside the transaction instead, by
    /// `insert_attachments`.
    pub(super) async fn link_files(
        &self,
        files: &[NewAttachment],
    ) -> Result<Option<RwLockReadGuard<'_, ()>>, StoreError> {
        let dir = match &self.blobs {
            Blobs::Files(dir) => dir,
            Blobs::Bucket(bucket, Linking::BeforeCommit) => {
                return link_objects(bucket, files).await.map(Some)
            }
            Blobs::Table | Blobs::Bucket(_, Linking::InTransaction) => return Ok(None),
        };
        let guard = dir.links().read().await;
        let staged = files
            .iter()
            .map(|file| match &file.blob.place {
                StagedPlace::File(incoming) => {
                    Ok((file.blob.sha256.clone(), incoming.path.clone()))
                }
                StagedPlace::Upload(_) | StagedPlace::Object(_) => Err(misplaced()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        dir.link(staged).await?;
        Ok(Some(guard))
    }

    /// Inside the transaction recording the attachment: names a staged upload by its hash
    /// (PostgreSQL), or drops it when the same content is stored already; or copies a
    /// staged object to its name under the shared link lock, held until the commit.
    pub(super) async fn link_row(
        &self,
        connection: &mut DB::Connection,
        blob: &StagedBlob,
    ) -> Result<(), StoreError> {
        match (&self.blobs, &blob.place) {
            (Blobs::Files(_), StagedPlace::File(_))
            | (Blobs::Bucket(_, Linking::BeforeCommit), StagedPlace::Object(_)) => Ok(()),
            (Blobs::Bucket(bucket, Linking::InTransaction), StagedPlace::Object(staged)) => {
                sqlx::query(SHARE_LINK_LOCK)
                    .bind(LINK_LOCK_KEY)
                    .execute(&mut *connection)
                    .await?;
                bucket.link(staged, &blob.sha256).await?;
                sqlx::query(NAME_OBJECT)
                    .bind(blob.sha256.as_str())
                    .execute(&mut *connection)
                    .await?;
                Ok(())
            }
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
        match &self.blobs {
            Blobs::Files(dir) => return dir.read(sha256).await,
            Blobs::Bucket(bucket, _) => return bucket.read(sha256).await,
            Blobs::Table => {}
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
                let unnamed = self.named_by_none(sha256s).await?;
                dir.remove(unnamed).await
            }
            Blobs::Bucket(bucket, Linking::BeforeCommit) => {
                let _exclusive = bucket.links().write().await;
                let unnamed = self.named_by_none(sha256s).await?;
                bucket.remove(&unnamed).await
            }
            Blobs::Bucket(bucket, Linking::InTransaction) => {
                // Once every transaction that may be linking has committed, and until this
                // one does, nothing can come to name what is found unnamed here.
                let mut tx = self.writer.begin().await?;
                sqlx::query(TAKE_LINK_LOCK)
                    .bind(LINK_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
                let mut unnamed = Vec::new();
                for sha256 in sha256s {
                    let count: i64 = sqlx::query_scalar(NAMED_BY_ANY)
                        .bind(sha256.as_str())
                        .fetch_one(&mut *tx)
                        .await?;
                    if count == 0 {
                        sqlx::query(DROP_UNNAMED_BLOB)
                            .bind(sha256.as_str())
                            .execute(&mut *tx)
                            .await?;
                        unnamed.push(sha256);
                    }
                }
                let removed = bucket.remove(&unnamed).await;
                tx.commit().await?;
                removed
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

    /// Those of `sha256s` no attachment names.
    async fn named_by_none(&self, sha256s: Vec<String>) -> Result<Vec<String>, StoreError> {
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
        Ok(unnamed)
    }

    /// Those of `listed` (names in listing order) no attachment names, asked of the
    /// database as one range.
    async fn unnamed_of_listed(&self, listed: Vec<String>) -> Result<Vec<String>, StoreError> {
        let (Some(first), Some(last)) = (listed.iter().min(), listed.iter().max()) else {
            return Ok(listed);
        };
        let named: HashSet<String> = sqlx::query_scalar(NAMED_BETWEEN)
            .bind(first.as_str())
            .bind(last.as_str())
            .fetch_all(&self.readers)
            .await?
            .into_iter()
            .collect();
        Ok(listed
            .into_iter()
            .filter(|name| !named.contains(name))
            .collect())
    }

    /// Stored objects no attachment names, found by listing the bucket a batch at a time.
    async fn unnamed_objects(&self, bucket: &BlobBucket) -> Result<Vec<String>, StoreError> {
        let mut unnamed = Vec::new();
        let mut batch = Vec::with_capacity(SWEEP_BATCH);
        let mut stored = std::pin::pin!(bucket.stored());
        while let Some(name) = stored.try_next().await? {
            batch.push(name);
            if batch.len() == SWEEP_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(SWEEP_BATCH));
                unnamed.extend(self.unnamed_of_listed(full).await?);
            }
        }
        unnamed.extend(self.unnamed_of_listed(batch).await?);
        Ok(unnamed)
    }

    /// Removes staged bytes older than `STALE_STAGED_AFTER` and stored blobs no
    /// attachment names (left by a transaction that failed after its files were linked).
    pub(super) async fn sweep(&self, now: OffsetDateTime) -> Result<BlobSweep, StoreError> {
        let cutoff = now - STALE_STAGED_AFTER;
        match &self.blobs {
            Blobs::Bucket(bucket, _) => {
                let stale_staged = bucket.sweep_incoming(cutoff).await?;
                let unnamed = self.unnamed_objects(bucket).await?;
                let unreferenced = self.remove_unnamed(unnamed).await?;
                Ok(BlobSweep {
                    stale_staged,
                    unreferenced,
                })
            }
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

/// Copies the staged objects to their names, under the bucket's lock held for reading,
/// which the caller keeps until its transaction commits.
async fn link_objects<'a>(
    bucket: &'a BlobBucket,
    files: &[NewAttachment],
) -> Result<RwLockReadGuard<'a, ()>, StoreError> {
    let guard = bucket.links().read().await;
    for file in files {
        let StagedPlace::Object(staged) = &file.blob.place else {
            return Err(misplaced());
        };
        bucket.link(staged, &file.blob.sha256).await?;
    }
    Ok(guard)
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
