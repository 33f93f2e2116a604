//! The dashboards' kept parts: the reports received in each fortnight (a part), per
//! product, in the binary form of `kept`, so a long period reads a few hundred of them
//! where it would otherwise pack every report again. They are derived data kept by the
//! database's own rules (`0030_dashboard_parts.sql`): a part's reports count while its
//! `built` equals its `version`, and every change to a report the dashboards count raises
//! the version of the part it was, and is, received in. `keep_dashboard_parts` builds the
//! parts that are missing or out of date; a part that is not current is read from the
//! reports.

use std::collections::BTreeMap;
use std::ops::Range;

use sqlx::{Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::kept;
use super::packed::{packed_rows, Fields};
use super::tally::Text;
use super::{bound, epoch_micros, packed_received, PackedRow};
use crate::sql_store::{Dialect, SqlStore, SqlText, StoredTime, Value};
use crate::StoreError;

/// A part's length in microseconds: fourteen days, as the database's rules divide by.
pub(super) const PART_MICROS: i64 = 14 * 86_400 * 1_000_000;

/// The key of the reports without a product.
const NO_PRODUCT: i64 = 0;

/// Where part `part` begins.
pub(super) fn part_start(part: i64) -> Result<OffsetDateTime, StoreError> {
    part.checked_mul(PART_MICROS)
        .and_then(cvdesk_domain::insights::from_epoch_micros)
        .ok_or_else(|| StoreError::Corrupt(format!("part {part} is beyond the calendar")))
}

/// The parts wholly within the receipt times `micros`: from the first that begins at or
/// after its start to the last that ends at or before its end. None before the epoch.
pub(super) fn whole_parts(micros: Range<i64>) -> Range<i64> {
    let first = micros.start.max(0).div_euclid(PART_MICROS)
        + i64::from(micros.start.max(0).rem_euclid(PART_MICROS) != 0);
    let end = micros.end.max(0).div_euclid(PART_MICROS);
    first..end.max(first)
}

/// Appends ` AND {column} IN (...)` for `parts`, or a condition no row meets when there
/// are none.
fn push_parts(sql: &mut SqlText, column: &str, parts: &[i64]) {
    if parts.is_empty() {
        sql.push(" AND 1 = 0");
        return;
    }
    sql.push(&format!(" AND {column} IN ("));
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Value::Integer(*part));
    }
    sql.push(")");
}

/// The statement that reads the kept reports of `parts`, of the products `push_products`
/// limits the column it is given to, one `KeptRow` per part and product.
pub(super) fn kept_reports(
    parts: &[i64],
    push_products: impl FnOnce(&mut SqlText, &str),
) -> SqlText {
    let mut sql = SqlText::new("SELECT product, reports FROM dashboard_part_reports WHERE 1 = 1");
    push_parts(&mut sql, "part", parts);
    push_products(&mut sql, "product");
    sql
}

/// A kept part's reports of one product.
#[derive(FromRow)]
pub struct KeptRow {
    product: i64,
    reports: Vec<u8>,
}

impl KeptRow {
    pub(super) fn text(self) -> Text {
        Text::Kept {
            product: (self.product != NO_PRODUCT).then_some(self.product),
            reports: self.reports,
        }
    }
}

/// A packed text of reports (`RECEIVED_FIELDS`) in the kept form, one per product.
fn kept_by_product(packed: &str) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    let mut by_product: BTreeMap<i64, kept::Encoder<'_>> = BTreeMap::new();
    for fields in packed_rows(packed) {
        let (product, report) = Fields::received(fields)?;
        by_product
            .entry(product.unwrap_or(NO_PRODUCT))
            .or_default()
            .push(report);
    }
    Ok(by_product
        .into_iter()
        .map(|(product, encoder)| (product, encoder.finish()))
        .collect())
}

impl<DB> SqlStore<DB>
where
    DB: Database + Dialect,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> PackedRow: FromRow<'r, DB::Row>,
    for<'q> Vec<u8>: Encode<'q, DB> + Type<DB>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> (i64, i64): FromRow<'r, DB::Row>,
{
    /// Of `parts`, those whose kept reports are current.
    pub(super) async fn current_parts(&self, parts: Range<i64>) -> Result<Vec<i64>, StoreError> {
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT part FROM dashboard_parts \
             WHERE part >= $1 AND part < $2 AND built = version ORDER BY part",
        )
        .bind(parts.start)
        .bind(parts.end)
        .fetch_all(&self.readers)
        .await?;
        Ok(rows.into_iter().map(|(part,)| part).collect())
    }

    /// Builds the kept reports of every part that ended by `before` and is missing or out
    /// of date; answers how many parts were built. A part a report changed in while it was
    /// read is left for the next run.
    pub(super) async fn build_dashboard_parts(
        &self,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let first: Option<(i64,)> =
            sqlx::query_as("SELECT created_us FROM reports ORDER BY created_at LIMIT 1")
                .fetch_optional(&self.readers)
                .await?;
        let Some((first,)) = first else {
            return Ok(0);
        };
        let before = epoch_micros(before)?;
        let wanted = (first.max(0) / PART_MICROS)..(before.max(0) / PART_MICROS);
        if wanted.is_empty() {
            return Ok(0);
        }
        self.add_parts(wanted.clone()).await?;
        let stale: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT part, version FROM dashboard_parts \
             WHERE part >= $1 AND part < $2 AND (built IS NULL OR built <> version) \
             ORDER BY part",
        )
        .bind(wanted.start)
        .bind(wanted.end)
        .fetch_all(&self.readers)
        .await?;
        // One connection reads every part, so the build fills one connection's page cache
        // and leaves the others' as they were.
        let mut reader = self.readers.acquire().await?;
        let mut built = 0;
        for (part, version) in stale {
            built += u64::from(self.build_part(&mut reader, part, version).await?);
        }
        Ok(built)
    }

    /// Adds the parts of `wanted` not yet known, at version 0 and not built. On PostgreSQL
    /// every writer of reports is waited for first: one that changed a report before its
    /// part was known raised no version, and must be committed before the part is read.
    async fn add_parts(&self, wanted: Range<i64>) -> Result<(), StoreError> {
        let known: Vec<(i64,)> =
            sqlx::query_as("SELECT part FROM dashboard_parts WHERE part >= $1 AND part < $2")
                .bind(wanted.start)
                .bind(wanted.end)
                .fetch_all(&self.readers)
                .await?;
        let known: Vec<i64> = known.into_iter().map(|(part,)| part).collect();
        let missing: Vec<i64> = wanted.filter(|part| !known.contains(part)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut transaction = self.writer.begin().await?;
        if let Some(wait) = DB::wait_for_report_writers() {
            sqlx::query(wait).execute(&mut *transaction).await?;
        }
        for part in missing {
            sqlx::query(
                "INSERT INTO dashboard_parts (part, version) VALUES ($1, 0) \
                 ON CONFLICT (part) DO NOTHING",
            )
            .bind(part)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Reads part `part`'s reports, per product, and keeps them, if its version is still
    /// `version`; answers whether it did.
    async fn build_part(
        &self,
        reader: &mut DB::Connection,
        part: i64,
        version: i64,
    ) -> Result<bool, StoreError> {
        // One text for the part, split by product here: grouped in the database, SQLite
        // would sort the part's rows first.
        let sql = packed_received::<DB>(part_start(part)?..part_start(part + 1)?);
        let text = bound::<DB, PackedRow>(&sql.text, sql.values)
            .fetch_one(&mut *reader)
            .await?;
        let kept = kept_by_product(text.packed.as_deref().unwrap_or_default())?;
        let mut transaction = self.writer.begin().await?;
        let current: Option<(i64,)> = sqlx::query_as(
            "UPDATE dashboard_parts SET built = version WHERE part = $1 AND version = $2 \
             RETURNING part",
        )
        .bind(part)
        .bind(version)
        .fetch_optional(&mut *transaction)
        .await?;
        if current.is_none() {
            return Ok(false);
        }
        sqlx::query("DELETE FROM dashboard_part_reports WHERE part = $1")
            .bind(part)
            .execute(&mut *transaction)
            .await?;
        for (product, reports) in kept {
            sqlx::query(
                "INSERT INTO dashboard_part_reports (part, product, reports) VALUES ($1, $2, $3)",
            )
            .bind(part)
            .bind(product)
            .bind(reports)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::{whole_parts, PART_MICROS};

    #[test]
    fn whole_parts_lie_within_the_range() {
        let p = PART_MICROS;
        assert_eq!(whole_parts(0..p), 0..1);
        assert_eq!(whole_parts(1..p), 1..1);
        assert_eq!(whole_parts(1..3 * p + 5), 1..3);
        assert_eq!(whole_parts(p..3 * p), 1..3);
        assert_eq!(whole_parts(p + 1..2 * p - 1), 2..2);
        assert_eq!(whole_parts(-5 * p..2 * p), 0..2);
        assert_eq!(whole_parts(-5 * p..-p), 0..0);
    }
}
