//! The store's own record of where its attachment bytes are (`settings::ATTACHMENT_STORAGE`),
//! checked against the configured storage whenever the desk opens it: bytes kept in a
//! bucket cannot be read from the data folder, nor the other way round, so a desk whose
//! setting changed under attachments it already holds refuses to start and says why. A
//! backup and a store copy read the same record to know whether the bytes are theirs to
//! carry.

use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Type};
use time::OffsetDateTime;

use super::{Blobs, SqlStore, StoredTime};
use crate::settings::{ATTACHMENT_STORAGE, IN_BUCKET};
use crate::StoreError;

const RECORDED: &str = "SELECT value FROM settings WHERE key = $1";
const RECORD: &str = "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
const FORGET: &str = "DELETE FROM settings WHERE key = $1";
const NEWEST_ATTACHMENT: &str = "SELECT sha256 FROM attachments ORDER BY id DESC LIMIT 1";

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// Refuses attachments kept elsewhere than configured, and records where they are.
    /// A store without attachments may change its storage freely. One that kept its bytes
    /// with the store moves to a bucket once the bucket holds them under the same layout
    /// (`blobs/XX/<sha256>`), which is checked on the newest attachment.
    pub(crate) async fn check_attachment_storage(
        &self,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let recorded: Option<String> = sqlx::query_scalar(RECORDED)
            .bind(ATTACHMENT_STORAGE)
            .fetch_optional(&self.readers)
            .await?;
        let in_bucket = recorded.as_deref() == Some(IN_BUCKET);
        let newest: Option<String> = sqlx::query_scalar(NEWEST_ATTACHMENT)
            .fetch_optional(&self.readers)
            .await?;
        match (&self.blobs, newest) {
            (Blobs::Bucket(bucket, _), newest) => {
                if let Some(sha256) = newest {
                    if !bucket.holds(&sha256).await? {
                        return Err(StoreError::Bucket(if in_bucket {
                            format!(
                                "the {} does not hold the bytes of the store's newest \
                                 attachment (blobs/{}/{sha256}): check that it is this \
                                 desk's bucket",
                                bucket.describe(),
                                &sha256[..2]
                            )
                        } else {
                            format!(
                                "the store keeps its attachments itself (files in the data \
                                 folder's blobs/, or rows in PostgreSQL), not in the {}; to \
                                 move them there, copy the data folder's blobs/ into the \
                                 bucket's blobs/ (the same layout) before setting the \
                                 attachment storage to s3, or keep the storage as it was",
                                bucket.describe()
                            )
                        }));
                    }
                }
                if !in_bucket {
                    sqlx::query(RECORD)
                        .bind(ATTACHMENT_STORAGE)
                        .bind(IN_BUCKET)
                        .bind(StoredTime(now))
                        .execute(&self.writer)
                        .await?;
                }
                Ok(())
            }
            (_, Some(_)) if in_bucket => Err(StoreError::Bucket(
                "the store's attachments are objects in a bucket, but no bucket is \
                 configured: set the attachment storage to s3 with the bucket's settings"
                    .to_owned(),
            )),
            (_, None) if in_bucket => {
                sqlx::query(FORGET)
                    .bind(ATTACHMENT_STORAGE)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
