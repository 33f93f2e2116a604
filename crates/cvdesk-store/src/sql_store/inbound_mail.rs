//! Received mail's rows: kept first, then delivered or left in the quarantine.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::{SqlStore, StoredTime};
use crate::inbound_mail::{Delivery, InboundMailStore, NewReceivedMail, ReceivedMail};
use crate::StoreError;

#[derive(FromRow)]
pub struct ReceivedRow {
    id: i64,
    received_at: OffsetDateTime,
    status: String,
    case_id: Option<i64>,
    report_id: Option<i64>,
    reason: Option<String>,
    sender: Option<String>,
    subject: String,
    message_id: Option<String>,
    size_bytes: i64,
}

impl ReceivedRow {
    fn into_mail(self) -> Result<ReceivedMail, StoreError> {
        let delivery = match (self.status.as_str(), self.case_id, self.report_id) {
            ("case", Some(case), _) => Delivery::Case(case),
            ("report", _, Some(report)) => Delivery::Report(report),
            ("quarantined", _, _) => Delivery::Quarantined,
            (status, _, _) => {
                return Err(StoreError::Corrupt(format!(
                    "received mail {} has status {status:?}",
                    self.id
                )))
            }
        };
        Ok(ReceivedMail {
            id: self.id,
            received_at: self.received_at,
            delivery,
            reason: self.reason,
            sender: self.sender,
            subject: self.subject,
            message_id: self.message_id,
            size_bytes: u64::try_from(self.size_bytes).unwrap_or_default(),
        })
    }
}

#[async_trait]
impl<DB> InboundMailStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> ReceivedRow: FromRow<'r, DB::Row>,
    for<'r> (Option<String>, Option<String>): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn keep_received_mail(&self, mail: NewReceivedMail<'_>) -> Result<i64, StoreError> {
        let size = i64::try_from(mail.size_bytes)
            .map_err(|_| StoreError::Corrupt("mail size".to_owned()))?;
        Ok(sqlx::query_scalar(
            "INSERT INTO inbound_mail (received_at, status, reason, sender, subject, \
             message_id, size_bytes, raw) VALUES ($1, 'quarantined', $2, $3, $4, $5, $6, $7) \
             RETURNING id",
        )
        .bind(StoredTime(mail.received_at))
        .bind(mail.reason.unwrap_or("not yet matched"))
        .bind(mail.sender)
        .bind(mail.subject)
        .bind(mail.message_id)
        .bind(size)
        .bind(mail.raw)
        .fetch_one(&self.writer)
        .await?)
    }

    async fn deliver_received_mail(
        &self,
        id: i64,
        delivery: Delivery,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let (status, case_id, report_id) = match delivery {
            Delivery::Case(case) => ("case", Some(case), None),
            Delivery::Report(report) => ("report", None, Some(report)),
            Delivery::Quarantined => ("quarantined", None, None),
        };
        sqlx::query(
            "UPDATE inbound_mail SET status = $2, case_id = $3, report_id = $4, reason = $5 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(case_id)
        .bind(report_id)
        .bind(reason)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn quarantined_mail(&self, limit: u32) -> Result<Vec<ReceivedMail>, StoreError> {
        let rows: Vec<ReceivedRow> = sqlx::query_as(
            "SELECT id, received_at, status, case_id, report_id, reason, sender, subject, \
             message_id, size_bytes FROM inbound_mail WHERE status = 'quarantined' \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter().map(ReceivedRow::into_mail).collect()
    }

    async fn finder_contact(
        &self,
        report_id: i64,
    ) -> Result<Option<(Option<String>, Option<String>)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT contact_email, contact_pgp_key FROM reports WHERE id = $1")
                .bind(report_id)
                .fetch_optional(&self.readers)
                .await?,
        )
    }

    async fn received_mail_raw(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT raw FROM inbound_mail WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.readers)
                .await?,
        )
    }
}
