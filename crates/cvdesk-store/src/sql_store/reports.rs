//! Reports: intake writes, lookups by tracking token and reference, attachments.

use async_trait::async_trait;
use cvdesk_domain::report::{AttachmentMeta, Report};
use cvdesk_domain::{Reference, TrackingTokenHash};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};

use super::outbox::insert_mail;
use super::{Blobs, SqlStore, StoredTime};
use crate::rows::{self, AttachmentRow, ReportRow};
use crate::{AttachmentContent, ComposeMail, NewAttachment, NewReport, ReportStore, StoreError};

const INSERT_BLOB: &str =
    "INSERT INTO blobs (sha256, content) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING";
/// Records a challenge as used; returns no row when it already was.
const SPEND_CHALLENGE: &str = "INSERT INTO spent_challenges (nonce, expires_at) VALUES ($1, $2) \
     ON CONFLICT (nonce) DO NOTHING RETURNING nonce";

const BLOB_CONTENT: &str = "SELECT content FROM blobs WHERE sha256 = $1";

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<f64>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'r> ReportRow: FromRow<'r, DB::Row>,
    for<'r> AttachmentRow: FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn with_attachments(&self, row: Option<ReportRow>) -> Result<Option<Report>, StoreError> {
        let Some(row) = row else {
            return Ok(None);
        };
        let attachments = sqlx::query_as(rows::ATTACHMENTS_OF_REPORT)
            .bind(row.id())
            .fetch_all(&self.readers)
            .await?;
        Ok(Some(row.into_report(attachments)?))
    }
}

/// Storing supporting files, whether sent with the report form or with a reply.
impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// Writes the files' bytes where the blobs live, when that is outside the database,
    /// and returns each file's hash. Called before the transaction that names them, so
    /// once a row commits, every file it names is already on disk.
    pub(super) fn put_blobs(&self, files: &[NewAttachment]) -> Result<Vec<String>, StoreError> {
        match &self.blobs {
            Blobs::Files(dir) => files.iter().map(|file| dir.put(&file.content)).collect(),
            Blobs::Table => Ok(files
                .iter()
                .map(|file| rows::sha256_hex(&file.content))
                .collect()),
        }
    }

    /// Records the files (hashed by `put_blobs`) as the report's, sent with the message
    /// `message_id` when there is one; the bytes too when blobs live in the database.
    pub(super) async fn insert_attachments(
        &self,
        connection: &mut DB::Connection,
        report_id: i64,
        message_id: Option<i64>,
        files: &[NewAttachment],
        hashes: Vec<String>,
    ) -> Result<Vec<AttachmentMeta>, StoreError> {
        let mut attachments = Vec::with_capacity(hashes.len());
        for (file, sha256) in files.iter().zip(hashes) {
            if let Blobs::Table = self.blobs {
                sqlx::query(INSERT_BLOB)
                    .bind(sha256.as_str())
                    .bind(file.content.as_slice())
                    .execute(&mut *connection)
                    .await?;
            }
            let id: i64 = sqlx::query_scalar(rows::INSERT_ATTACHMENT)
                .bind(report_id)
                .bind(file.name.as_str())
                .bind(rows::size_of(&file.content)?)
                .bind(sha256.as_str())
                .bind(message_id)
                .fetch_one(&mut *connection)
                .await?;
            attachments.push(AttachmentMeta {
                id,
                file_name: file.name.as_str().to_owned(),
                size_bytes: file.content.len() as u64,
                sha256,
            });
        }
        Ok(attachments)
    }
}

#[async_trait]
impl<DB> ReportStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> Option<f64>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'r> ReportRow: FromRow<'r, DB::Row>,
    for<'r> AttachmentRow: FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }

    async fn create_report_with_mail(
        &self,
        new: NewReport<'_>,
        compose: &ComposeMail<'_>,
    ) -> Result<Report, StoreError> {
        let file_hashes = self.put_blobs(new.attachments)?;
        let year = i64::from(new.received_at.year());
        let mut tx = self.writer.begin().await?;
        if let Some(challenge) = new.challenge {
            let spent: Option<String> = sqlx::query_scalar(SPEND_CHALLENGE)
                .bind(challenge.nonce)
                .bind(StoredTime(challenge.expires_at))
                .fetch_optional(&mut *tx)
                .await?;
            if spent.is_none() {
                return Err(StoreError::ChallengeSpent);
            }
        }
        let sequence: i64 = sqlx::query_scalar(rows::NEXT_SEQUENCE)
            .bind(new.prefix.as_str())
            .bind(year)
            .fetch_one(&mut *tx)
            .await?;
        let report_id: i64 = rows::bind_report(
            sqlx::query_scalar(rows::INSERT_REPORT),
            &new,
            year,
            sequence,
        )
        .fetch_one(&mut *tx)
        .await?;
        let attachments = self
            .insert_attachments(&mut tx, report_id, None, new.attachments, file_hashes)
            .await?;
        let report = rows::accepted_report(&new, report_id, sequence, attachments)?;
        insert_mail::<DB>(&mut tx, &compose(&report), new.received_at).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn report_by_tracking_token(
        &self,
        hash: &TrackingTokenHash,
    ) -> Result<Option<Report>, StoreError> {
        let row = sqlx::query_as(&rows::report_by_tracking_token())
            .bind(hash.as_str())
            .fetch_optional(&self.readers)
            .await?;
        self.with_attachments(row).await
    }

    async fn report_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<Report>, StoreError> {
        let row = sqlx::query_as(&rows::report_by_reference())
            .bind(reference.prefix.as_str())
            .bind(i64::from(reference.year))
            .bind(i64::from(reference.sequence))
            .fetch_optional(&self.readers)
            .await?;
        self.with_attachments(row).await
    }

    async fn attachment(
        &self,
        report_id: i64,
        attachment_id: i64,
    ) -> Result<Option<AttachmentContent>, StoreError> {
        let row: Option<AttachmentRow> = sqlx::query_as(rows::ATTACHMENT_OF_REPORT)
            .bind(report_id)
            .bind(attachment_id)
            .fetch_optional(&self.readers)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let meta = row.into_meta()?;
        let content = match &self.blobs {
            Blobs::Files(dir) => dir.get(&meta.sha256)?,
            Blobs::Table => {
                sqlx::query_scalar(BLOB_CONTENT)
                    .bind(meta.sha256.as_str())
                    .fetch_one(&self.readers)
                    .await?
            }
        };
        Ok(Some(AttachmentContent { meta, content }))
    }
}
