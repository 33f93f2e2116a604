//! The store's side of duplicate suggestions: each report's counted words (written in the
//! report's own transaction at intake), and the earlier reports to compare a report with,
//! read with their counted words instead of their full text. A report stored before the
//! words were kept, or under an older way of counting, has its words counted from its
//! text the first time it is compared, and kept.

use cvdesk_domain::draft::ReportDraft;
use cvdesk_domain::similarity::{ReportText, TermVector, COMPARED_CHARS, TERMS_VERSION};
use cvdesk_domain::staff::ProductId;
use sqlx::{Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};

use super::triage::reference;
use super::SqlStore;
use crate::triage::ComparableReport;
use crate::StoreError;

/// Stores (or replaces) a report's counted words: `$1` report id, `$2` version, `$3` words.
pub(super) const UPSERT_TERMS: &str = "INSERT INTO report_terms (report_id, version, terms) \
     VALUES ($1, $2, $3) ON CONFLICT (report_id) DO UPDATE \
     SET version = excluded.version, terms = excluded.terms";

/// The earlier reports compared with report `$1`: the `$2` most recent, and every one on
/// the same asset `$3`, at most `$4`, newest first; `$5` is the current version of the
/// counted words, older ones read as missing.
const COMPARABLE: &str = "SELECT r.id, r.reference_prefix, r.reference_year, \
     r.reference_sequence, r.asset, r.product_id, t.terms FROM reports r \
     LEFT JOIN report_terms t ON t.report_id = r.id AND t.version = $5 \
     WHERE r.id < $1 AND (r.id IN (SELECT id FROM reports WHERE id < $1 ORDER BY id DESC LIMIT $2) \
     OR (r.asset IS NOT NULL AND r.asset = $3)) ORDER BY r.id DESC LIMIT $4";

/// What a report's words are counted from, as much of each field as is counted.
fn uncounted_texts() -> String {
    format!(
        "SELECT id, title, SUBSTR(summary, 1, {COMPARED_CHARS}) AS summary, \
         SUBSTR(steps_to_reproduce, 1, {COMPARED_CHARS}) AS steps_to_reproduce \
         FROM reports WHERE id = $1"
    )
}

/// A report's words as stored at intake.
pub(super) fn encoded_terms(draft: &ReportDraft) -> String {
    TermVector::of(&ReportText::of_draft(draft)).encode()
}

#[derive(FromRow)]
pub struct ComparableRow {
    id: i64,
    reference_prefix: String,
    reference_year: i64,
    reference_sequence: i64,
    asset: Option<String>,
    product_id: Option<i64>,
    terms: Option<String>,
}

#[derive(FromRow)]
pub struct UncountedRow {
    id: i64,
    title: String,
    summary: String,
    steps_to_reproduce: String,
}

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'r> ComparableRow: FromRow<'r, DB::Row>,
    for<'r> UncountedRow: FromRow<'r, DB::Row>,
{
    pub(super) async fn comparable_with_terms(
        &self,
        report_id: i64,
        asset: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ComparableReport>, StoreError> {
        let rows: Vec<ComparableRow> = sqlx::query_as(COMPARABLE)
            .bind(report_id)
            .bind(i64::from(limit))
            .bind(asset)
            .bind(i64::from(limit) * 2)
            .bind(i64::from(TERMS_VERSION))
            .fetch_all(&self.readers)
            .await?;
        let uncounted: Vec<i64> = rows
            .iter()
            .filter(|row| row.terms.is_none())
            .map(|row| row.id)
            .collect();
        let mut counted = self.count_terms(&uncounted).await?.into_iter();
        rows.into_iter()
            .map(|row| {
                let terms = match row.terms {
                    Some(terms) => terms,
                    None => counted
                        .next()
                        .filter(|(id, _)| *id == row.id)
                        .map(|(_, terms)| terms)
                        .ok_or_else(|| {
                            StoreError::Corrupt(format!("report {} vanished while read", row.id))
                        })?,
                };
                Ok(ComparableReport {
                    reference: reference(
                        &row.reference_prefix,
                        row.reference_year,
                        row.reference_sequence,
                    )?,
                    id: row.id,
                    asset: row.asset,
                    product: row.product_id.map(ProductId),
                    terms,
                })
            })
            .collect()
    }

    /// Counts and keeps the words of the reports `ids`, in that order.
    async fn count_terms(&self, ids: &[i64]) -> Result<Vec<(i64, String)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = uncounted_texts();
        let mut counted = Vec::with_capacity(ids.len());
        for &id in ids {
            let row: UncountedRow = sqlx::query_as(&sql)
                .bind(id)
                .fetch_one(&self.readers)
                .await?;
            let terms = TermVector::of(&ReportText {
                title: &row.title,
                summary: &row.summary,
                steps: &row.steps_to_reproduce,
                asset: None,
            })
            .encode();
            counted.push((row.id, terms));
        }
        let mut tx = self.writer.begin().await?;
        for (id, terms) in &counted {
            sqlx::query(UPSERT_TERMS)
                .bind(*id)
                .bind(i64::from(TERMS_VERSION))
                .bind(terms.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(counted)
    }
}
