//! Findings and root cause analyses, for both backends.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::finding::Fingerprint;
use cvdesk_domain::root_cause_analysis::RootCauseAnalysis;
use cvdesk_domain::similarity::TERMS_VERSION;
use cvdesk_domain::Reference;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};

use super::audit::{append_audit_in, AuditRow};
use super::{comparable, SqlStore, StoredTime};
use crate::findings::{FindingStore, ImportOutcome, NewFindings};
use crate::rows;
use crate::{AuditOf, NewReport, StoreError};

/// Fingerprints are looked up this many at a time, within every backend's limit of
/// bound values.
const LOOKUP_BATCH: usize = 500;

#[derive(FromRow)]
struct RootCauseRow {
    root_cause: Option<String>,
    root_cause_detail: Option<String>,
    lessons_learned: Option<String>,
}

#[async_trait]
impl<DB> FindingStore for SqlStore<DB>
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
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> RootCauseRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn stored_fingerprints(
        &self,
        fingerprints: &[Fingerprint],
    ) -> Result<Vec<Fingerprint>, StoreError> {
        let mut stored = Vec::new();
        for batch in fingerprints.chunks(LOOKUP_BATCH) {
            let placeholders: Vec<String> =
                (1..=batch.len()).map(|index| format!("${index}")).collect();
            let sql = format!(
                "SELECT finding_fingerprint FROM reports WHERE finding_fingerprint IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query_scalar::<DB, String>(&sql);
            for fingerprint in batch {
                query = query.bind(fingerprint.as_str());
            }
            let found = query.fetch_all(&self.readers).await?;
            stored.extend(found.into_iter().map(Fingerprint::from_stored));
        }
        Ok(stored)
    }

    async fn store_findings(
        &self,
        new: NewFindings<'_>,
        audit: &AuditOf<'_, ImportOutcome>,
    ) -> Result<ImportOutcome, StoreError> {
        let year = i64::from(new.received_at.year());
        let mut outcome = ImportOutcome::default();
        let mut tx = self.writer.begin().await?;
        for (finding, token_hash) in new.findings {
            if let Some(fingerprint) = &finding.fingerprint {
                let stored: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM reports WHERE finding_fingerprint = $1")
                        .bind(fingerprint.as_str())
                        .fetch_optional(&mut *tx)
                        .await?;
                if stored.is_some() {
                    outcome.already_stored += 1;
                    continue;
                }
            }
            let sequence: i64 = sqlx::query_scalar(rows::NEXT_SEQUENCE)
                .bind(new.prefix.as_str())
                .bind(year)
                .fetch_one(&mut *tx)
                .await?;
            let report = NewReport {
                prefix: new.prefix,
                received_at: new.received_at,
                tracking_token_hash: token_hash,
                content: &finding.draft,
                attachments: &[],
                product: finding.product,
                received_from: None,
                challenge: None,
                source: finding.source,
            };
            let report_id: i64 = rows::bind_report(
                sqlx::query_scalar(rows::INSERT_REPORT),
                &report,
                year,
                sequence,
            )
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE reports SET finding_fingerprint = $2 WHERE id = $1")
                .bind(report_id)
                .bind(finding.fingerprint.as_ref().map(Fingerprint::as_str))
                .execute(&mut *tx)
                .await
                .map_err(|error| {
                    StoreError::conflict_on_unique(
                        error,
                        "another import stored the same finding at the same time; import again",
                    )
                })?;
            sqlx::query(comparable::UPSERT_TERMS)
                .bind(report_id)
                .bind(i64::from(TERMS_VERSION))
                .bind(comparable::encoded_terms(&finding.draft).as_str())
                .execute(&mut *tx)
                .await?;
            let sequence = u32::try_from(sequence)
                .map_err(|_| StoreError::Corrupt(format!("sequence {sequence} out of range")))?;
            outcome.created.push(Reference::new(
                new.prefix.clone(),
                new.received_at.year(),
                sequence,
            ));
        }
        append_audit_in::<DB>(&mut tx, &audit(&outcome)).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn root_cause(&self, report_id: i64) -> Result<RootCauseAnalysis, StoreError> {
        let row: Option<RootCauseRow> = sqlx::query_as(
            "SELECT root_cause, root_cause_detail, lessons_learned FROM reports WHERE id = $1",
        )
        .bind(report_id)
        .fetch_optional(&self.readers)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::Missing(format!("no report {report_id}")));
        };
        let category = row
            .root_cause
            .map(|name| {
                name.parse().map_err(|_| {
                    StoreError::Corrupt(format!("report {report_id} has root cause '{name}'"))
                })
            })
            .transpose()?;
        Ok(RootCauseAnalysis {
            category,
            detail: row.root_cause_detail,
            lessons_learned: row.lessons_learned,
        })
    }

    async fn set_root_cause(
        &self,
        report_id: i64,
        analysis: &RootCauseAnalysis,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let updated: Option<i64> = sqlx::query_scalar(
            "UPDATE reports SET root_cause = $2, root_cause_detail = $3, lessons_learned = $4 \
             WHERE id = $1 RETURNING id",
        )
        .bind(report_id)
        .bind(analysis.category.map(|category| category.as_str()))
        .bind(analysis.detail.as_deref())
        .bind(analysis.lessons_learned.as_deref())
        .fetch_optional(&mut *tx)
        .await?;
        if updated.is_none() {
            return Err(StoreError::Missing(format!("no report {report_id}")));
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
