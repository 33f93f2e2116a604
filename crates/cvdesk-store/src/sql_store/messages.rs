//! Messages between the desk and the finder.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::outbox::insert_mail;
use super::reports::{count_files, total_bytes};
use super::{Dialect, SqlStore, StoredTime};
use crate::messages::{Message, MessageStore};
use crate::outbox::NewMail;
use crate::rows::AttachmentRow;
use crate::triage::Author;
use crate::{NewAttachment, StoreError};

const INSERT: &str = "INSERT INTO messages (report_id, created_at, from_finder, author_id, \
     author_label, body) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

/// How the finder is named in the history.
const FINDER: Author<'static> = Author {
    id: None,
    label: "finder",
};

#[derive(FromRow)]
pub struct MessageRow {
    id: i64,
    created_at: OffsetDateTime,
    from_finder: bool,
    author_label: String,
    body: String,
}

/// The files sent with the report's messages, in the order they were stored.
const MESSAGE_ATTACHMENTS: &str = "SELECT message_id, id, file_name, size_bytes, sha256 \
     FROM attachments WHERE report_id = $1 AND message_id IS NOT NULL ORDER BY id";

#[derive(FromRow)]
pub struct MessageAttachmentRow {
    message_id: i64,
    #[sqlx(flatten)]
    file: AttachmentRow,
}

#[async_trait]
impl<DB> MessageStore for SqlStore<DB>
where
    DB: Database + Dialect,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> OffsetDateTime: Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> Option<OffsetDateTime>: Decode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'q> Option<Vec<u8>>: Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Decode<'q, DB>,
    for<'r> (String, i64): FromRow<'r, DB::Row>,
    for<'r> MessageRow: FromRow<'r, DB::Row>,
    for<'r> MessageAttachmentRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn add_staff_message(
        &self,
        report_id: i64,
        body: &str,
        audit: &AuditEvent,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let author = Author::from(audit);
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(INSERT)
            .bind(report_id)
            .bind(StoredTime(now))
            .bind(false)
            .bind(author.id.map(|user| user.0))
            .bind(author.label)
            .bind(body)
            .fetch_one(&mut *tx)
            .await?;
        Self::record_event(
            &mut tx,
            report_id,
            author,
            "message.sent",
            None,
            None,
            "",
            now,
        )
        .await?;
        insert_mail::<DB>(&mut tx, mail, now).await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn add_finder_message(
        &self,
        report_id: i64,
        body: &str,
        files: &[NewAttachment],
        max_report_bytes: u64,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        // Held until the commit, so no sweep removes a file this message names.
        let linked = self.link_files(files).await?;
        let mut tx = self.writer.begin().await?;
        if !files.is_empty() {
            count_files::<DB>(&mut tx, report_id, total_bytes(files)?, max_report_bytes).await?;
        }
        let id: i64 = sqlx::query_scalar(INSERT)
            .bind(report_id)
            .bind(StoredTime(now))
            .bind(true)
            .bind(None::<i64>)
            .bind(FINDER.label)
            .bind(body)
            .fetch_one(&mut *tx)
            .await?;
        self.insert_attachments(&mut tx, report_id, Some(id), files)
            .await?;
        Self::record_event(
            &mut tx,
            report_id,
            FINDER,
            "message.received",
            None,
            None,
            "",
            now,
        )
        .await?;
        let cleared: Option<i64> = sqlx::query_scalar(
            "UPDATE reports SET needs_info = FALSE, updated_at = $2 \
             WHERE id = $1 AND needs_info RETURNING id",
        )
        .bind(report_id)
        .bind(StoredTime(now))
        .fetch_optional(&mut *tx)
        .await?;
        if cleared.is_some() {
            Self::record_event(
                &mut tx,
                report_id,
                FINDER,
                "needs_info.cleared",
                None,
                None,
                "the finder answered",
                now,
            )
            .await?;
        }
        insert_mail::<DB>(&mut tx, mail, now).await?;
        tx.commit().await?;
        drop(linked);
        Ok(id)
    }

    async fn request_update(
        &self,
        report_id: i64,
        mail: &[NewMail],
        now: OffsetDateTime,
        previous_before: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let recorded: Option<i64> = sqlx::query_scalar(
            "UPDATE reports SET update_requested_at = $2 WHERE id = $1 \
             AND (update_requested_at IS NULL OR update_requested_at <= $3) RETURNING id",
        )
        .bind(report_id)
        .bind(StoredTime(now))
        .bind(StoredTime(previous_before))
        .fetch_optional(&mut *tx)
        .await?;
        if recorded.is_none() {
            let last: Option<OffsetDateTime> =
                sqlx::query_scalar("SELECT update_requested_at FROM reports WHERE id = $1")
                    .bind(report_id)
                    .fetch_one(&mut *tx)
                    .await?;
            return Ok(Some(last.unwrap_or(now)));
        }
        Self::record_event(
            &mut tx,
            report_id,
            FINDER,
            "update.requested",
            None,
            None,
            "",
            now,
        )
        .await?;
        insert_mail::<DB>(&mut tx, mail, now).await?;
        tx.commit().await?;
        Ok(None)
    }

    async fn last_update_request(
        &self,
        report_id: i64,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT update_requested_at FROM reports WHERE id = $1")
                .bind(report_id)
                .fetch_one(&self.readers)
                .await?,
        )
    }

    async fn messages(&self, report_id: i64) -> Result<Vec<Message>, StoreError> {
        let rows: Vec<MessageRow> = sqlx::query_as(
            "SELECT id, created_at, from_finder, author_label, body FROM messages \
             WHERE report_id = $1 ORDER BY id",
        )
        .bind(report_id)
        .fetch_all(&self.readers)
        .await?;
        let files: Vec<MessageAttachmentRow> = sqlx::query_as(MESSAGE_ATTACHMENTS)
            .bind(report_id)
            .fetch_all(&self.readers)
            .await?;
        let mut messages: Vec<Message> = rows
            .into_iter()
            .map(|row| Message {
                id: row.id,
                created_at: row.created_at,
                from_finder: row.from_finder,
                author_label: row.author_label,
                body: row.body,
                attachments: Vec::new(),
            })
            .collect();
        for row in files {
            let message = messages
                .iter_mut()
                .find(|message| message.id == row.message_id)
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "attachment of message {} outside its report",
                        row.message_id
                    ))
                })?;
            message.attachments.push(row.file.into_meta()?);
        }
        Ok(messages)
    }
}
