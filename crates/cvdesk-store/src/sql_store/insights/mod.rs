//! The dashboards' reads. Times are read as integer microseconds since the epoch (the
//! reports' `_us` columns, generated from their milestones), so durations, deadlines and
//! week numbers are integer arithmetic alike for both backends. What needs every report of
//! the period (the durations, whose medians need each value, the deadlines, what was
//! received, the weeks each open report changed state) is read once and counted on every
//! core: the fortnights the desk keeps packed (`parts`, in the form of `kept`) as kept,
//! the rest packed by the database into one text per piece of the period (`packed`), which
//! it builds far faster than the driver hands over rows. Credits are counted in the
//! database.

mod kept;
mod packed;
mod parts;
mod tally;

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use cvdesk_domain::access::ProductScope;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::query::QueryAs;
use sqlx::{Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::{Duration, OffsetDateTime};

use self::packed::packed_row;
use self::parts::{kept_reports, part_start, whole_parts, KeptRow, PART_MICROS};
use self::tally::{Tally, Text, Weeks};
use super::{Dialect, SqlStore, SqlText, StoredTime, Value};
use crate::insights::{ClockDeadlines, InsightScope, InsightsStore, Milestones, PeriodFigures};
use crate::StoreError;

/// The longest piece of a period read as one text: a kept part's length, about 13,000
/// reports at a million over three years, so a long period is never held in memory as
/// one text.
const PART: Duration = Duration::microseconds(PART_MICROS);

/// The index of the reports by receipt that holds every column the dashboards count.
const RECEIVED: &str = "reports_received_milestones";
/// The same by close, for the reports open during a period.
const CLOSED: &str = "reports_closed_milestones";

/// What a report received in the period is packed with: everything the figures count.
const RECEIVED_FIELDS: [&str; 13] = [
    "r.cvss_rating",
    "r.product_id",
    "r.source",
    "r.weakness",
    "r.root_cause",
    "CASE WHEN r.state = 'duplicate' THEN 1 END",
    "CASE WHEN r.closed_as_spam THEN 1 END",
    "r.created_us",
    "r.first_response_us",
    "r.triaged_us",
    "r.assigned_us",
    "r.remediated_us",
    "r.closed_us",
];

/// What a report received outside the period but open during it is packed with: what
/// tells when it was open in which state.
const OPEN_FIELDS: [&str; 5] = [
    "r.cvss_rating",
    "r.created_us",
    "r.triaged_us",
    "r.assigned_us",
    "r.closed_us",
];

/// A statement of a dashboard's reads, and what it selects.
enum Read {
    /// Packed texts (`PackedRow`), each the `Text` that `text` makes of it.
    Packed {
        sql: SqlText,
        text: fn(String) -> Text,
    },
    /// Kept parts (`KeptRow`).
    Kept(SqlText),
}

#[derive(FromRow)]
pub struct PackedRow {
    packed: Option<String>,
}

#[derive(FromRow)]
pub struct MilestonesRow {
    first_response_at: Option<OffsetDateTime>,
    triaged_at: Option<OffsetDateTime>,
    remediated_at: Option<OffsetDateTime>,
    closed_at: Option<OffsetDateTime>,
}

/// Limits `r` to the products of the scope, and with `received` to the reports received
/// within it.
fn push_scope(
    sql: &mut SqlText,
    scope: &InsightScope<'_>,
    received: Option<Range<OffsetDateTime>>,
) {
    if let Some(received) = received {
        push_received(sql, received);
    }
    // `+r.product_id`, which no index answers: the dashboards' indexes
    // (`reports_received_milestones`, `reports_closed_milestones`) hold every column they
    // count, where the product's index would send each match to its report row.
    push_products(sql, scope, "+r.product_id");
}

/// The statement that packs the reports received within `received` into one text of
/// `RECEIVED_FIELDS` (`PackedRow`), for further conditions to be appended.
fn packed_received<DB: Dialect>(received: Range<OffsetDateTime>) -> SqlText {
    let mut sql = SqlText::new(&format!(
        "SELECT string_agg({}, ';') AS packed FROM {} WHERE 1 = 1",
        packed_row(&RECEIVED_FIELDS),
        DB::reports_through(RECEIVED)
    ));
    push_received(&mut sql, received);
    sql
}

/// Limits `r` to the reports received within `received`.
fn push_received(sql: &mut SqlText, received: Range<OffsetDateTime>) {
    sql.push(" AND r.created_at >= ")
        .bind(Value::Time(received.start))
        .push(" AND r.created_at < ")
        .bind(Value::Time(received.end));
}

/// Limits `column`, a product's id, to the products of the scope.
fn push_products(sql: &mut SqlText, scope: &InsightScope<'_>, column: &str) {
    if let Some(product) = scope.product {
        sql.push(&format!(" AND {column} = "))
            .bind(Value::Integer(product.0));
    }
    match scope.visible {
        ProductScope::All => {}
        ProductScope::Only(products) if products.is_empty() => {
            sql.push(" AND 1 = 0");
        }
        ProductScope::Only(products) => {
            sql.push(&format!(" AND {column} IN ("));
            for (i, product) in products.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(Value::Integer(product.0));
            }
            sql.push(")");
        }
    }
}

/// The receipt times of the scope's period.
fn received(scope: &InsightScope<'_>) -> Range<OffsetDateTime> {
    scope.period.from()..scope.period.to()
}

/// The receipt times `ranges` cut in pieces of at most `PART`, and in two at least, so
/// that two connections can read at once.
fn pieces(ranges: &[Range<OffsetDateTime>]) -> Vec<Range<OffsetDateTime>> {
    let counts: Vec<i32> = ranges
        .iter()
        .map(|range| {
            let whole = (range.end - range.start).whole_seconds() / PART.whole_seconds();
            i32::try_from(whole + 1).unwrap_or(i32::MAX)
        })
        .collect();
    let alone = counts.iter().sum::<i32>() < 2;
    ranges
        .iter()
        .zip(counts)
        .flat_map(|(range, count)| {
            let count = if alone { 2 } else { count };
            let Range { start, end } = range.clone();
            let cut = move |piece: i32| match piece {
                piece if piece >= count => end,
                piece => start + (end - start) * piece / count,
            };
            (0..count).map(move |piece| cut(piece)..cut(piece + 1))
        })
        .collect()
}

fn epoch_micros(at: OffsetDateTime) -> Result<i64, StoreError> {
    cvdesk_domain::insights::epoch_micros(at)
        .map_err(|_| StoreError::Corrupt("a time beyond what the store counts".into()))
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// `sql` with its values bound, in order.
pub(super) fn bound<'q, DB, O>(
    text: &'q str,
    values: Vec<Value>,
) -> QueryAs<'q, DB, O, DB::Arguments<'q>>
where
    DB: Database,
    O: for<'r> FromRow<'r, DB::Row>,
    for<'a> DB::Arguments<'a>: IntoArguments<'a, DB>,
    for<'a> String: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
    for<'a> f64: Encode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Type<DB>,
    for<'a> StoredTime: Encode<'a, DB> + Type<DB>,
{
    values
        .into_iter()
        .fold(sqlx::query_as(text), |query, value| match value {
            Value::Text(text) => query.bind(text),
            Value::Integer(number) => query.bind(number),
            Value::Real(number) => query.bind(number),
            Value::Flag(flag) => query.bind(flag),
            Value::Time(time) => query.bind(StoredTime(time)),
        })
}

#[async_trait]
impl<DB> InsightsStore for SqlStore<DB>
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
    for<'r> MilestonesRow: FromRow<'r, DB::Row>,
    for<'r> (String, i64): FromRow<'r, DB::Row>,
    for<'r> KeptRow: FromRow<'r, DB::Row>,
    for<'q> Vec<u8>: Encode<'q, DB> + Type<DB>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> (i64, i64): FromRow<'r, DB::Row>,
{
    async fn milestones(&self, report_id: i64) -> Result<Option<Milestones>, StoreError> {
        let row: Option<MilestonesRow> = sqlx::query_as(
            "SELECT first_response_at, triaged_at, remediated_at, closed_at FROM reports \
             WHERE id = $1",
        )
        .bind(report_id)
        .fetch_optional(&self.readers)
        .await?;
        Ok(row.map(|row| Milestones {
            first_response_at: row.first_response_at,
            triaged_at: row.triaged_at,
            remediated_at: row.remediated_at,
            closed_at: row.closed_at,
        }))
    }

    async fn period_figures(
        &self,
        scope: InsightScope<'_>,
        deadlines: &ClockDeadlines,
        now: OffsetDateTime,
    ) -> Result<PeriodFigures, StoreError> {
        let (from, to) = (scope.period.from(), scope.period.to());
        // The reports received in the period: the current kept parts within it as kept,
        // the rest by pieces through the receipt index. Read by receipt, each report is in
        // one read whatever changes meanwhile.
        let kept = self
            .current_parts(whole_parts(epoch_micros(from)?..epoch_micros(to)?))
            .await?;
        let mut live = Vec::new();
        let mut after = from;
        for part in &kept {
            let start = part_start(*part)?;
            if after < start {
                live.push(after..start);
            }
            after = part_start(part + 1)?;
        }
        if after < to {
            live.push(after..to);
        }
        let mut reads = Vec::new();
        if !kept.is_empty() {
            let sql = kept_reports(&kept, |sql, column| push_products(sql, &scope, column));
            reads.push(Read::Kept(sql));
        }
        for piece in pieces(&live) {
            let mut sql = packed_received::<DB>(piece);
            push_scope(&mut sql, &scope, None);
            reads.push(Read::Packed {
                sql,
                text: Text::Received,
            });
        }
        // Those received before the period and open during it: the never closed and those
        // closed after it began, two ranges of the close index in one statement (SQLite
        // answers the same condition written with OR by fetching every report's row, at
        // many times the cost).
        let open_row = packed_row(&OPEN_FIELDS);
        let mut earlier = SqlText::new("SELECT string_agg(x, ';') AS packed FROM (");
        for (i, closed) in ["r.closed_at IS NULL", "r.closed_at > "]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                earlier.push(" UNION ALL ");
            }
            earlier.push(&format!(
                "SELECT {open_row} AS x FROM {} WHERE {closed}",
                DB::reports_through(CLOSED)
            ));
            if i > 0 {
                earlier.bind(Value::Time(from));
            }
            earlier.push(" AND r.created_at < ").bind(Value::Time(from));
            push_scope(&mut earlier, &scope, None);
        }
        earlier.push(") earlier");
        reads.push(Read::Packed {
            sql: earlier,
            text: Text::OpenOnly,
        });
        // And those received at the period's very end, open at the end of its last week.
        let mut at_end = SqlText::new(&format!(
            "SELECT string_agg({open_row}, ';') AS packed FROM {} WHERE r.created_at = ",
            DB::reports_through(RECEIVED)
        ));
        at_end.bind(Value::Time(to));
        push_scope(&mut at_end, &scope, None);
        reads.push(Read::Packed {
            sql: at_end,
            text: Text::OpenOnly,
        });

        let tally = Tally::new(
            Weeks::of(scope.period)?,
            Arc::new(deadlines.clone()),
            epoch_micros(now)?,
        );
        let tally = self.count_reads(reads, tally).await?;
        // The medians' selection, a few tens of milliseconds for a long period, off the
        // threads that answer requests.
        unfinished(tokio::task::spawn_blocking(move || Ok(tally.figures())).await)
    }

    async fn keep_dashboard_parts(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        self.build_dashboard_parts(before).await
    }

    async fn credit_answers(
        &self,
        scope: InsightScope<'_>,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let mut sql = SqlText::new(
            "SELECT c.consent, COUNT(*) FROM advisory_credits c \
             JOIN reports r ON r.id = c.report_id WHERE 1 = 1",
        );
        push_scope(&mut sql, &scope, Some(received(&scope)));
        sql.push(" GROUP BY c.consent ORDER BY c.consent");
        let rows: Vec<(String, i64)> = bound(&sql.text, sql.values)
            .fetch_all(&self.readers)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(consent, n)| (consent, count(n)))
            .collect())
    }

    async fn open_reports_by_state(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM reports \
             WHERE state IN ('new', 'triaged', 'assigned') GROUP BY state ORDER BY state",
        )
        .fetch_all(&self.readers)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(state, n)| (state, count(n)))
            .collect())
    }
}

impl<DB> SqlStore<DB>
where
    DB: Database + Dialect,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> PackedRow: FromRow<'r, DB::Row>,
    for<'r> KeptRow: FromRow<'r, DB::Row>,
{
    /// Runs `reads`, two at a time, and counts their texts as they come on a thread per
    /// core, each into a copy of `tally`, added together at the end. Texts wait for a
    /// counter in a short queue, so a long period is never held in memory whole.
    async fn count_reads(&self, reads: Vec<Read>, tally: Tally) -> Result<Tally, StoreError> {
        let counters = std::thread::available_parallelism().map_or(1, usize::from);
        let (texts, queue) = flume::bounded::<Text>(counters * 2);
        let counter = |mut tally: Tally| {
            let queue = queue.clone();
            tokio::task::spawn_blocking(move || {
                for text in queue.iter() {
                    tally.count(&text)?;
                }
                Ok::<_, StoreError>(tally)
            })
        };
        let counters: Vec<_> = (0..counters).map(|_| counter(tally.empty_copy())).collect();
        drop(queue);
        let readers = self.readers.clone();
        let reads = reads.into_iter().map(|read| {
            let (readers, texts) = (readers.clone(), texts.clone());
            tokio::spawn(async move {
                // `None` for kept parts, else what each packed text is.
                let (sql, packed) = match read {
                    Read::Kept(sql) => (sql, None),
                    Read::Packed { sql, text } => (sql, Some(text)),
                };
                let SqlText {
                    text: statement,
                    values,
                } = sql;
                let mut rows = match packed {
                    None => bound::<DB, KeptRow>(&statement, values)
                        .fetch(&readers)
                        .map_ok(|row| Some(row.text()))
                        .boxed(),
                    Some(text) => bound::<DB, PackedRow>(&statement, values)
                        .fetch(&readers)
                        .map_ok(move |row| row.packed.map(text))
                        .boxed(),
                };
                while let Some(text) = rows.try_next().await? {
                    // Refused only when every counter stopped, on an error of its own.
                    if let Some(text) = text {
                        if texts.send_async(text).await.is_err() {
                            break;
                        }
                    }
                }
                Ok::<_, StoreError>(())
            })
        });
        let mut reading = futures_util::stream::iter(reads).buffered(2);
        let mut read_error = None;
        while let Some(read) = reading.next().await {
            if let Err(error) = unfinished(read) {
                read_error.get_or_insert(error);
            }
        }
        drop(reading);
        drop(texts);
        let mut total = tally;
        for counted in counters {
            total.merge(unfinished(counted.await)?);
        }
        read_error.map_or(Ok(total), Err)
    }
}

/// What a dashboard's task gave, or why it gave nothing.
fn unfinished<T>(
    outcome: Result<Result<T, StoreError>, tokio::task::JoinError>,
) -> Result<T, StoreError> {
    outcome
        .map_err(|error| StoreError::Corrupt(format!("a dashboard task did not finish: {error}")))?
}

#[cfg(test)]
mod tests {
    use cvdesk_domain::insights::Period;
    use time::macros::datetime;
    use time::Duration;

    use cvdesk_domain::sla::{Calendar, Holidays, LocalTime};

    use super::tally::Weeks;
    use super::{epoch_micros, pieces, PART};

    #[test]
    fn receipt_times_are_read_in_pieces_that_tile_them() {
        let from = datetime!(2023-11-02 00:00 UTC);
        for days in [1, 13, 14, 15, 90, 365, 1095, 3653] {
            let to = from + Duration::days(days);
            let around_kept = [from..from + Duration::hours(5), to - Duration::days(3)..to];
            for ranges in [&[from..to][..], &around_kept] {
                let pieces = pieces(ranges);
                assert!(
                    pieces.len() >= 2,
                    "{days} days: two connections read at once"
                );
                let tiled: Vec<_> = pieces
                    .windows(2)
                    .filter(|pair| pair[0].end != pair[1].start)
                    .map(|pair| pair[0].end..pair[1].start)
                    .collect();
                let gaps: Vec<_> = ranges
                    .windows(2)
                    .map(|pair| pair[0].end..pair[1].start)
                    .collect();
                assert_eq!(tiled, gaps, "{days} days: no gap, no overlap");
                assert_eq!(pieces.first().map(|p| p.start), Some(from), "{days}");
                assert_eq!(pieces.last().map(|p| p.end), Some(to), "{days}");
                assert!(pieces.iter().all(|p| p.end - p.start <= PART), "{days}");
            }
        }
    }

    #[test]
    fn weeks_are_numbered_as_the_period_numbers_them() {
        let from = datetime!(2026-03-01 00:00 UTC);
        let berlin = Calendar::in_local_time(
            [time::Weekday::Saturday, time::Weekday::Sunday],
            Holidays::default(),
            LocalTime::zone("Europe/Berlin").expect("zone"),
        )
        .expect("calendar");
        let periods = [
            Period::new(from, from + Duration::days(45), from + Duration::days(45))
                .expect("period"),
            Period::of_days(
                from.date(),
                from.date() + Duration::days(44),
                &berlin,
                from + Duration::days(45),
            )
            .expect("period"),
        ];
        for period in periods {
            let weeks = Weeks::of(&period).expect("weeks");
            let micros = |at: time::OffsetDateTime| epoch_micros(at).expect("micros");
            let mut at = from - Duration::days(20);
            while at <= period.to() + Duration::days(3) {
                for instant in [
                    at,
                    at + Duration::microseconds(1),
                    at - Duration::microseconds(1),
                ] {
                    assert_eq!(
                        weeks.week(micros(instant)),
                        period.week_of(instant),
                        "{instant}"
                    );
                }
                at += Duration::minutes(30);
            }
        }
    }
}
