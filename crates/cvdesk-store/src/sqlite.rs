//! The embedded SQLite store: one file in WAL mode with `synchronous=FULL`, so a commit is
//! on disk when it returns. Writes go through a single connection, which orders them
//! without "database is locked" retries; reads use a pool of their own.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use cvdesk_domain::report::{AttachmentMeta, Report};
use cvdesk_domain::{Reference, TrackingTokenHash};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::blobs::BlobDir;
use crate::rows::{self, AttachmentRow, ReportRow};
use crate::{AttachmentContent, NewReport, Store, StoreError};

pub struct SqliteStore {
    writer: SqlitePool,
    readers: SqlitePool,
    blobs: BlobDir,
}

impl SqliteStore {
    /// Opens `data_dir/cvdesk.db` and `data_dir/blobs/`, creating both on first start.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
            action: "create data folder",
            path: data_dir.to_path_buf(),
            source,
        })?;
        let blobs = BlobDir::create(data_dir.join("blobs"))?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(data_dir.join("cvdesk.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await?;
        Ok(SqliteStore {
            writer,
            readers,
            blobs,
        })
    }

    async fn attachments_of(&self, report_id: i64) -> Result<Vec<AttachmentRow>, StoreError> {
        Ok(sqlx::query_as(rows::ATTACHMENTS_OF_REPORT)
            .bind(report_id)
            .fetch_all(&self.readers)
            .await?)
    }

    async fn with_attachments(&self, row: Option<ReportRow>) -> Result<Option<Report>, StoreError> {
        match row {
            Some(row) => {
                let attachments = self.attachments_of(row.id()).await?;
                Ok(Some(row.into_report(attachments)?))
            }
            None => Ok(None),
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }

    async fn create_report(&self, new: NewReport<'_>) -> Result<Report, StoreError> {
        // Files first: once the row commits, every file it names is already on disk.
        let hashes = new
            .attachments
            .iter()
            .map(|file| self.blobs.put(&file.content))
            .collect::<Result<Vec<_>, _>>()?;
        let year = i64::from(new.received_at.year());
        let mut tx = self.writer.begin().await?;
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
        let mut attachments = Vec::with_capacity(hashes.len());
        for (file, sha256) in new.attachments.iter().zip(hashes) {
            let size_bytes = rows::size_of(&file.content)?;
            let id: i64 = sqlx::query_scalar(rows::INSERT_ATTACHMENT)
                .bind(report_id)
                .bind(file.name.as_str())
                .bind(size_bytes)
                .bind(sha256.as_str())
                .fetch_one(&mut *tx)
                .await?;
            attachments.push(AttachmentMeta {
                id,
                file_name: file.name.as_str().to_owned(),
                size_bytes: file.content.len() as u64,
                sha256,
            });
        }
        tx.commit().await?;
        rows::accepted_report(&new, report_id, sequence, attachments)
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
        let content = self.blobs.get(&meta.sha256)?;
        Ok(Some(AttachmentContent { meta, content }))
    }
}
