//! The PostgreSQL store, for several stateless instances sharing one database. Attachment
//! bytes are stored in the database too, so no instance keeps anything of its own.

use std::time::Duration;

use async_trait::async_trait;
use cvdesk_domain::report::{AttachmentMeta, Report};
use cvdesk_domain::{Reference, TrackingTokenHash};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::rows::{self, AttachmentRow, ReportRow};
use crate::{AttachmentContent, NewReport, Store, StoreError};

const INSERT_BLOB: &str =
    "INSERT INTO blobs (sha256, content) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING";
const BLOB_CONTENT: &str = "SELECT content FROM blobs WHERE sha256 = $1";

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PostgresStore { pool })
    }

    async fn with_attachments(&self, row: Option<ReportRow>) -> Result<Option<Report>, StoreError> {
        match row {
            Some(row) => {
                let attachments = sqlx::query_as(rows::ATTACHMENTS_OF_REPORT)
                    .bind(row.id())
                    .fetch_all(&self.pool)
                    .await?;
                Ok(Some(row.into_report(attachments)?))
            }
            None => Ok(None),
        }
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_report(&self, new: NewReport<'_>) -> Result<Report, StoreError> {
        let year = i64::from(new.received_at.year());
        let mut tx = self.pool.begin().await?;
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
        let mut attachments = Vec::with_capacity(new.attachments.len());
        for file in new.attachments {
            let sha256 = rows::sha256_hex(&file.content);
            sqlx::query(INSERT_BLOB)
                .bind(sha256.as_str())
                .bind(file.content.as_slice())
                .execute(&mut *tx)
                .await?;
            let id: i64 = sqlx::query_scalar(rows::INSERT_ATTACHMENT)
                .bind(report_id)
                .bind(file.name.as_str())
                .bind(rows::size_of(&file.content)?)
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
            .fetch_optional(&self.pool)
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
            .fetch_optional(&self.pool)
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
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let meta = row.into_meta()?;
        let content: Vec<u8> = sqlx::query_scalar(BLOB_CONTENT)
            .bind(meta.sha256.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(AttachmentContent { meta, content }))
    }
}
