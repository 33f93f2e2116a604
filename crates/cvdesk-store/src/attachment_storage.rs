//! Where a desk keeps its attachment bytes: with the store (files in the data folder beside
//! SQLite, rows in PostgreSQL), or as objects in an S3-compatible bucket with either
//! database. The database keeps the attachments' names, sizes and hashes either way.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::blobs::{BlobBucket, BucketSettings};
use crate::{PostgresStore, SqliteStore, Store, StoreError, StoreLocation};

/// The attachment storage a desk is configured with.
#[derive(Debug, Clone, Default)]
pub enum AttachmentStorage {
    /// With the store, as a desk keeps them unless told otherwise.
    #[default]
    Store,
    /// Objects in an S3-compatible bucket.
    Bucket(BucketSettings),
}

impl AttachmentStorage {
    /// The storage for people, without secrets.
    pub fn describe(&self, location: &StoreLocation) -> String {
        match (self, location) {
            (AttachmentStorage::Store, StoreLocation::Sqlite { data_dir }) => {
                format!("files in {}", data_dir.join("blobs").display())
            }
            (AttachmentStorage::Store, StoreLocation::Postgres { .. }) => {
                "rows in the PostgreSQL database".to_owned()
            }
            (AttachmentStorage::Bucket(settings), _) => settings.describe(),
        }
    }
}

/// Whether the bucket can be used as `open_with` would use it, without a store.
pub async fn check_bucket(settings: &BucketSettings) -> Result<(), StoreError> {
    BlobBucket::connect(settings).await.map(drop)
}

/// Opens (creating on first use) and migrates the store at `location`, with its attachment
/// bytes where `storage` says. A bucket is proved usable first (`BlobBucket::connect`), and
/// a store whose attachments are kept elsewhere than `storage` says is refused, so that
/// neither an unusable bucket nor a changed setting surfaces as failed downloads later.
/// `now` dates the store's record of where its attachments are.
pub async fn open_with(
    location: &StoreLocation,
    storage: &AttachmentStorage,
    now: OffsetDateTime,
) -> Result<Arc<dyn Store>, StoreError> {
    let bucket = match storage {
        AttachmentStorage::Store => None,
        AttachmentStorage::Bucket(settings) => Some(BlobBucket::connect(settings).await?),
    };
    match location {
        StoreLocation::Sqlite { data_dir } => {
            let store = SqliteStore::open_with_bucket(data_dir, bucket).await?;
            store.check_attachment_storage(now).await?;
            Ok(Arc::new(store))
        }
        StoreLocation::Postgres {
            url,
            max_connections,
        } => {
            let store = PostgresStore::open_with_bucket(url, *max_connections, bucket).await?;
            store.check_attachment_storage(now).await?;
            Ok(Arc::new(store))
        }
    }
}
