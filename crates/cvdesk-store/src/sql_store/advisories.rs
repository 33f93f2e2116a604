//! Advisories: the working copy, the schedule (with its job, in the same transaction) and
//! the immutable revisions. Writes name the state they expect and change nothing when it
//! no longer holds.

use std::collections::HashMap;

use async_trait::async_trait;
use cvdesk_domain::advisory::{AdvisoryContent, AdvisoryId, AdvisoryState};
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::staff::ProductId;
use cvdesk_formats::tlp::Tlp;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::advisory_credits::{AcknowledgedRow, CreditedRow, FinderCreditRow, OutcomeRow};
use super::advisory_rows::{
    advisory_id, AdvisoryRow, CreditRow, PublishedRow, RevisionRow, SummaryRow, ADVISORY_COLUMNS,
    CREDIT_COLUMNS, KEY_OF, PUBLISHED_COLUMNS,
};
use super::audit::{append_audit_in, AuditRow};
use super::jobs::{CANCEL as CANCEL_JOB, SCHEDULE as SCHEDULE_JOB};
use super::{SqlStore, StoredTime};
use crate::advisories::{
    Advisory, AdvisoryStore, AdvisorySummary, NewAdvisory, NewCredit, NewRevision,
    PublishedSummary, Schedule, PUBLISH_JOB,
};
use crate::{AuditOf, StoreError};

const NEXT_SEQUENCE: &str = "INSERT INTO advisory_counters (prefix, year, last_sequence) \
     VALUES ($1, $2, 1) \
     ON CONFLICT (prefix, year) DO UPDATE SET last_sequence = advisory_counters.last_sequence + 1 \
     RETURNING last_sequence";

const INSERT: &str = "INSERT INTO advisories (prefix, year, sequence, state, content, title, \
     created_by, created_at, updated_at) VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $7) \
     RETURNING id";

const REPORT_ID: &str = "SELECT id FROM reports WHERE reference_prefix = $1 \
     AND reference_year = $2 AND reference_sequence = $3";

const ID_IS: &str = "prefix = $1 AND year = $2 AND sequence = $3";

/// The content as stored: JSON of the domain's type.
fn content_json(content: &AdvisoryContent) -> Result<String, StoreError> {
    serde_json::to_string(content)
        .map_err(|e| StoreError::Corrupt(format!("advisory content: {e}")))
}

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// The row key of an advisory, if it exists.
    async fn key_of(
        &self,
        connection: &mut DB::Connection,
        id: &AdvisoryId,
    ) -> Result<Option<(i64, String)>, StoreError>
    where
        for<'r> (i64, String): FromRow<'r, DB::Row>,
    {
        Ok(sqlx::query_as(KEY_OF)
            .bind(id.prefix.as_str())
            .bind(i64::from(id.year))
            .bind(i64::from(id.sequence))
            .fetch_optional(&mut *connection)
            .await?)
    }

    /// Why a conditional write changed nothing: the advisory is missing, or it moved on.
    async fn refusal(
        &self,
        connection: &mut DB::Connection,
        id: &AdvisoryId,
    ) -> Result<StoreError, StoreError>
    where
        for<'r> (i64, String): FromRow<'r, DB::Row>,
    {
        Ok(match self.key_of(connection, id).await? {
            None => StoreError::Missing(format!("no advisory {id}")),
            Some((_, state)) => StoreError::Conflict(format!(
                "advisory {id} changed meanwhile: it is now {state}"
            )),
        })
    }

    /// Records which inventory products and reports the working copy names.
    async fn link(
        &self,
        connection: &mut DB::Connection,
        key: i64,
        content: &AdvisoryContent,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM advisory_products WHERE advisory_id = $1")
            .bind(key)
            .execute(&mut *connection)
            .await?;
        for product in content.inventory_products() {
            sqlx::query("INSERT INTO advisory_products (advisory_id, product_id) VALUES ($1, $2)")
                .bind(key)
                .bind(product.0)
                .execute(&mut *connection)
                .await?;
        }
        sqlx::query("DELETE FROM advisory_reports WHERE advisory_id = $1")
            .bind(key)
            .execute(&mut *connection)
            .await?;
        for reference in &content.reports {
            let report: Option<i64> = sqlx::query_scalar(REPORT_ID)
                .bind(reference.prefix.as_str())
                .bind(i64::from(reference.year))
                .bind(i64::from(reference.sequence))
                .fetch_optional(&mut *connection)
                .await?;
            let report =
                report.ok_or_else(|| StoreError::Missing(format!("no report {reference}")))?;
            sqlx::query("INSERT INTO advisory_reports (advisory_id, report_id) VALUES ($1, $2)")
                .bind(key)
                .bind(report)
                .execute(&mut *connection)
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl<DB> AdvisoryStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> OffsetDateTime: Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> Option<StoredTime>: Encode<'q, DB> + Type<DB>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> AdvisoryRow: FromRow<'r, DB::Row>,
    for<'r> RevisionRow: FromRow<'r, DB::Row>,
    for<'r> CreditRow: FromRow<'r, DB::Row>,
    for<'r> SummaryRow: FromRow<'r, DB::Row>,
    for<'r> PublishedRow: FromRow<'r, DB::Row>,
    for<'r> FinderCreditRow: FromRow<'r, DB::Row>,
    for<'r> AcknowledgedRow: FromRow<'r, DB::Row>,
    for<'r> CreditedRow: FromRow<'r, DB::Row>,
    for<'r> OutcomeRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    for<'r> (String, i64, i64): FromRow<'r, DB::Row>,
    for<'r> (i64, i64): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_advisory(
        &self,
        new: NewAdvisory<'_>,
        audit: &AuditOf<'_, AdvisoryId>,
    ) -> Result<AdvisoryId, StoreError> {
        let year = new.now.year();
        let json = content_json(new.content)?;
        let mut tx = self.writer.begin().await?;
        let sequence: i64 = sqlx::query_scalar(NEXT_SEQUENCE)
            .bind(new.prefix.as_str())
            .bind(i64::from(year))
            .fetch_one(&mut *tx)
            .await?;
        let id = AdvisoryId::new(
            new.prefix.clone(),
            year,
            u32::try_from(sequence)
                .map_err(|_| StoreError::Corrupt(format!("advisory sequence {sequence}")))?,
        );
        let key: i64 = sqlx::query_scalar(INSERT)
            .bind(new.prefix.as_str())
            .bind(i64::from(year))
            .bind(sequence)
            .bind(json.as_str())
            .bind(new.content.title.as_str())
            .bind(new.created_by)
            .bind(StoredTime(new.now))
            .fetch_one(&mut *tx)
            .await?;
        self.link(&mut tx, key, new.content).await?;
        append_audit_in::<DB>(&mut tx, &audit(&id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn advisory(&self, id: &AdvisoryId) -> Result<Option<Advisory>, StoreError> {
        let row: Option<AdvisoryRow> = sqlx::query_as(&format!("{ADVISORY_COLUMNS} WHERE {ID_IS}"))
            .bind(id.prefix.as_str())
            .bind(i64::from(id.year))
            .bind(i64::from(id.sequence))
            .fetch_optional(&self.readers)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let revisions: Vec<RevisionRow> = sqlx::query_as(
            "SELECT number, published_at, change_summary, content, credits \
             FROM advisory_revisions WHERE advisory_id = $1 ORDER BY number",
        )
        .bind(row.key)
        .fetch_all(&self.readers)
        .await?;
        let credits: Vec<CreditRow> = sqlx::query_as(&format!(
            "{CREDIT_COLUMNS} WHERE c.advisory_id = $1 ORDER BY c.id"
        ))
        .bind(row.key)
        .fetch_all(&self.readers)
        .await?;
        row.into_advisory(revisions, credits).map(Some)
    }

    async fn advisories(
        &self,
        products: Option<&[ProductId]>,
        limit: u32,
    ) -> Result<Vec<AdvisorySummary>, StoreError> {
        let columns = "SELECT a.id, a.prefix, a.year, a.sequence, a.state, a.title, \
             a.updated_at, a.scheduled_at, a.latest_revision FROM advisories a";
        let order = "ORDER BY a.updated_at DESC, a.id DESC LIMIT $1";
        let rows: Vec<SummaryRow> = match products {
            None => {
                sqlx::query_as(&format!("{columns} {order}"))
                    .bind(i64::from(limit))
                    .fetch_all(&self.readers)
                    .await?
            }
            Some(products) => {
                // Product ids are numbers the store gave out, written into the statement.
                let listed: Vec<String> = products.iter().map(|p| p.0.to_string()).collect();
                let listed = if listed.is_empty() {
                    "NULL".to_owned()
                } else {
                    listed.join(", ")
                };
                sqlx::query_as(&format!(
                    "{columns} WHERE a.id IN (SELECT advisory_id FROM advisory_products \
                     WHERE product_id IN ({listed})) {order}"
                ))
                .bind(i64::from(limit))
                .fetch_all(&self.readers)
                .await?
            }
        };
        let mut named: HashMap<i64, Vec<ProductId>> = HashMap::new();
        if !rows.is_empty() {
            let links: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT advisory_id, product_id FROM advisory_products ORDER BY product_id",
            )
            .fetch_all(&self.readers)
            .await?;
            for (advisory, product) in links {
                named.entry(advisory).or_default().push(ProductId(product));
            }
        }
        rows.into_iter()
            .map(|row| {
                let products = named.remove(&row.id).unwrap_or_default();
                row.into_summary(products)
            })
            .collect()
    }

    async fn advisories_of_report(&self, report_id: i64) -> Result<Vec<AdvisoryId>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT a.prefix, a.year, a.sequence FROM advisories a \
             JOIN advisory_reports l ON l.advisory_id = a.id WHERE l.report_id = $1 \
             ORDER BY a.id DESC",
        )
        .bind(report_id)
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter()
            .map(|(prefix, year, sequence)| advisory_id(&prefix, year, sequence))
            .collect()
    }

    async fn update_advisory(
        &self,
        id: &AdvisoryId,
        expected: AdvisoryState,
        content: &AdvisoryContent,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let json = content_json(content)?;
        let mut tx = self.writer.begin().await?;
        let key: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE advisories SET content = $4, title = $5, updated_at = $6 \
             WHERE {ID_IS} AND state = $7 RETURNING id"
        ))
        .bind(id.prefix.as_str())
        .bind(i64::from(id.year))
        .bind(i64::from(id.sequence))
        .bind(json.as_str())
        .bind(content.title.as_str())
        .bind(StoredTime(now))
        .bind(expected.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(key) = key else {
            return Err(self.refusal(&mut tx, id).await?);
        };
        self.link(&mut tx, key, content).await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn schedule_advisory(
        &self,
        id: &AdvisoryId,
        expected: AdvisoryState,
        schedule: &Schedule,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let key: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE advisories SET state = 'scheduled', scheduled_at = $4, schedule_zone = $5, \
             updated_at = $6, schedule_override = $8 WHERE {ID_IS} AND state = $7 RETURNING id"
        ))
        .bind(id.prefix.as_str())
        .bind(i64::from(id.year))
        .bind(i64::from(id.sequence))
        .bind(StoredTime(schedule.at))
        .bind(schedule.zone.as_str())
        .bind(StoredTime(now))
        .bind(expected.as_str())
        .bind(schedule.embargo_override.as_deref())
        .fetch_optional(&mut *tx)
        .await?;
        if key.is_none() {
            return Err(self.refusal(&mut tx, id).await?);
        }
        let subject = id.to_string();
        let queued: Option<i64> = sqlx::query_scalar(SCHEDULE_JOB)
            .bind(PUBLISH_JOB)
            .bind(subject.as_str())
            .bind("")
            .bind(StoredTime(schedule.at))
            .bind(StoredTime(now))
            .fetch_optional(&mut *tx)
            .await?;
        if queued.is_none() {
            return Err(StoreError::Conflict(format!(
                "advisory {id} is being published right now"
            )));
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn unschedule_advisory(
        &self,
        id: &AdvisoryId,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let key: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE advisories SET state = 'draft', scheduled_at = NULL, schedule_zone = NULL, schedule_override = NULL, \
             updated_at = $4 WHERE {ID_IS} AND state = 'scheduled' RETURNING id"
        ))
        .bind(id.prefix.as_str())
        .bind(i64::from(id.year))
        .bind(i64::from(id.sequence))
        .bind(StoredTime(now))
        .fetch_optional(&mut *tx)
        .await?;
        if key.is_none() {
            return Err(self.refusal(&mut tx, id).await?);
        }
        // A job already running finds the advisory a draft and publishes nothing.
        sqlx::query(CANCEL_JOB)
            .bind(PUBLISH_JOB)
            .bind(id.to_string().as_str())
            .execute(&mut *tx)
            .await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn publish_advisory(
        &self,
        id: &AdvisoryId,
        publication: NewRevision<'_>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let revision = publication.revision;
        let number = i64::from(revision.number());
        let at = revision.date();
        let content = revision.content();
        let credits = serde_json::to_string(revision.credits())
            .map_err(|e| StoreError::Corrupt(format!("advisory credits: {e}")))?;
        let mut tx = self.writer.begin().await?;
        let key: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE advisories SET state = $4, latest_revision = $5, \
             first_published_at = COALESCE(first_published_at, $6), latest_published_at = $6, \
             updated_at = $6, scheduled_at = NULL, schedule_zone = NULL, schedule_override = NULL, \
             withdrawn_at = $7, withdrawal_reason = $8 \
             WHERE {ID_IS} AND state = $9 AND latest_revision = $10 RETURNING id"
        ))
        .bind(id.prefix.as_str())
        .bind(i64::from(id.year))
        .bind(i64::from(id.sequence))
        .bind(publication.next.as_str())
        .bind(number)
        .bind(StoredTime(at))
        .bind(publication.withdrawal.map(|w| StoredTime(w.at)))
        .bind(publication.withdrawal.map(|w| w.reason.as_str()))
        .bind(publication.expected.as_str())
        .bind(number - 1)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(key) = key else {
            return Err(self.refusal(&mut tx, id).await?);
        };
        sqlx::query(
            "INSERT INTO advisory_revisions (advisory_id, number, published_at, change_summary, \
             title, summary, tlp, content, credits) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(key)
        .bind(number)
        .bind(StoredTime(at))
        .bind(revision.summary())
        .bind(content.title.as_str())
        .bind(content.summary.as_str())
        .bind(content.tlp.as_str())
        .bind(content_json(content)?)
        .bind(credits)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on_unique(e, format!("revision {number} of {id} exists"))
        })?;
        // Published now: a schedule's job has nothing left to do (a running one finds
        // the advisory published and stops).
        sqlx::query(CANCEL_JOB)
            .bind(PUBLISH_JOB)
            .bind(id.to_string().as_str())
            .execute(&mut *tx)
            .await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn published_advisories(
        &self,
        tlp: Option<Tlp>,
        limit: u32,
    ) -> Result<Vec<PublishedSummary>, StoreError> {
        let filter = if tlp.is_some() {
            "AND r.tlp = $2"
        } else {
            "AND $2 = ''"
        };
        let rows: Vec<PublishedRow> = sqlx::query_as(&format!(
            "{PUBLISHED_COLUMNS} WHERE a.latest_revision > 0 {filter} \
             ORDER BY a.first_published_at DESC, a.id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .bind(tlp.map_or("", |tlp| tlp.as_str()))
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter().map(PublishedRow::into_summary).collect()
    }

    async fn published_version(&self) -> Result<(i64, i64), StoreError> {
        Ok(sqlx::query_as(
            // Both counts are read from indexes, not from the rows with their content.
            "SELECT (SELECT COUNT(*) FROM advisories WHERE latest_revision > 0), \
             (SELECT COUNT(*) FROM advisory_revisions)",
        )
        .fetch_one(&self.readers)
        .await?)
    }

    async fn propose_credit(
        &self,
        id: &AdvisoryId,
        proposal: NewCredit<'_>,
        audit: &AuditEvent,
    ) -> Result<i64, StoreError> {
        self.insert_credit(id, proposal, audit).await
    }

    async fn answer_credit(
        &self,
        credit_id: i64,
        report_id: i64,
        expected: &cvdesk_domain::advisory::Credit,
        answer: &cvdesk_domain::advisory::Credit,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        self.update_credit(credit_id, report_id, expected, answer, audit)
            .await
    }

    async fn remove_credit(
        &self,
        id: &AdvisoryId,
        credit_id: i64,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        self.delete_credit(id, credit_id, audit).await
    }

    async fn credits_of_report(
        &self,
        report_id: i64,
    ) -> Result<Vec<crate::advisories::FinderCredit>, StoreError> {
        self.finder_credits(report_id).await
    }

    async fn hall_of_fame(
        &self,
        limit: u32,
    ) -> Result<Vec<crate::advisories::Acknowledgement>, StoreError> {
        self.consented_credits(limit).await
    }

    async fn credited_finders(
        &self,
        limit: u32,
    ) -> Result<Vec<crate::advisories::CreditedFinder>, StoreError> {
        self.finders_with_outcomes(limit).await
    }
}
