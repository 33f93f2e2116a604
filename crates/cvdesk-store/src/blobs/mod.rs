//! Attachment bytes on their way in: a file is hashed and written a chunk at a time as it
//! arrives, so no file ever has to fit in memory, and the hashing and writing run on the
//! blocking pool rather than on the async workers. What is written is staged (a temporary
//! file, upload rows in PostgreSQL, or an object under `incoming/` in a bucket) until the
//! transaction that names it links it; a crash in between leaves only staged bytes that
//! nothing names, swept by age.

mod bucket;
mod folder;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::StoreError;

pub(crate) use bucket::{BlobBucket, StagedObject};
pub use bucket::{BucketSettings, DEFAULT_REGION};
pub(crate) use folder::{blob_prefixes, BlobDir, IncomingFile};

/// Bytes handed to the sink at a time: large enough that the blocking pool is not asked
/// for every small piece of a request body, small enough that many uploads at once stay
/// cheap in memory.
pub(crate) const CHUNK_BYTES: usize = 256 * 1024;

/// Staged bytes older than this belong to no request still running (the longest upload
/// allowed is far shorter) and are removed.
pub const STALE_STAGED_AFTER: time::Duration = time::Duration::hours(1);

/// Where staged bytes go: a temporary file beside the blob folder, rows in the database,
/// or a multipart upload to a bucket.
#[async_trait]
pub(crate) trait BlobSink: Send {
    /// Hashes and stores `chunk`; gives the hasher back with the chunk counted.
    async fn write(&mut self, chunk: Vec<u8>, hasher: Sha256) -> Result<Sha256, StoreError>;

    /// Makes what was written durable and names it.
    async fn finish(
        self: Box<Self>,
        sha256: String,
        size_bytes: u64,
    ) -> Result<StagedBlob, StoreError>;
}

/// One file being received. Call `write` with its bytes as they come, then `finish`;
/// dropping it unfinished leaves staged bytes that the next sweep removes.
pub struct BlobWriter {
    sink: Box<dyn BlobSink>,
    hasher: Sha256,
    buffer: Vec<u8>,
    size_bytes: u64,
}

impl BlobWriter {
    pub(crate) fn new(sink: Box<dyn BlobSink>) -> Self {
        BlobWriter {
            sink,
            hasher: Sha256::new(),
            buffer: Vec::new(),
            size_bytes: 0,
        }
    }

    /// Bytes written so far.
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    pub async fn write(&mut self, mut bytes: &[u8]) -> Result<(), StoreError> {
        self.size_bytes += bytes.len() as u64;
        while !bytes.is_empty() {
            if self.buffer.capacity() == 0 {
                self.buffer.reserve_exact(CHUNK_BYTES);
            }
            let room = CHUNK_BYTES - self.buffer.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.buffer.extend_from_slice(now);
            bytes = later;
            if self.buffer.len() == CHUNK_BYTES {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        let chunk = std::mem::take(&mut self.buffer);
        let hasher = std::mem::take(&mut self.hasher);
        self.hasher = self.sink.write(chunk, hasher).await?;
        Ok(())
    }

    /// The file as staged: durable, hashed, and waiting for a transaction to link it.
    pub async fn finish(mut self) -> Result<StagedBlob, StoreError> {
        if !self.buffer.is_empty() {
            self.flush().await?;
        }
        let sha256 = hex::encode(self.hasher.finalize());
        self.sink.finish(sha256, self.size_bytes).await
    }
}

/// A file's bytes, written and hashed, not yet named by any report.
#[derive(Debug)]
pub struct StagedBlob {
    pub(crate) sha256: String,
    pub(crate) size_bytes: u64,
    pub(crate) place: StagedPlace,
}

#[derive(Debug)]
pub(crate) enum StagedPlace {
    /// A temporary file in the blob folder, removed when dropped unless linked.
    File(IncomingFile),
    /// The upload's rows in the `blob_uploads` and `blob_chunks` tables.
    Upload(i64),
    /// An object under `incoming/` in the bucket, deleted when dropped unless linked.
    Object(StagedObject),
}

impl StagedBlob {
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }
}

/// What a sweep of staged and unreferenced bytes removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BlobSweep {
    /// Staged bytes of uploads that never became an attachment.
    pub stale_staged: u64,
    /// Stored files no attachment names any more.
    pub unreferenced: u64,
}
