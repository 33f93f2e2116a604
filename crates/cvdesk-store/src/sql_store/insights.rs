//! The dashboards' aggregates in SQL. Times are read as integer microseconds since the
//! epoch (the reports' `_us` columns, generated from their milestones), so durations, deadlines and week numbers are integer
//! arithmetic both backends do alike; every query groups in the database and returns one
//! row per group, bucket or week.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use cvdesk_domain::access::ProductScope;
use cvdesk_domain::insights::{
    bucket_of, bucket_range, ClockCounts, Deadlines, DurationSummary, QuantilePlan, SlaClock,
    OCTAVES,
};
use cvdesk_domain::staff::ProductId;
use sqlx::query::QueryAs;
use sqlx::{Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::{Duration, OffsetDateTime};

use super::{Dialect, SqlStore, SqlText, StoredTime, Value};
use crate::insights::{
    Arrivals, InsightScope, InsightsStore, Milestones, OpenChange, Outcomes, ReportGroup,
};
use crate::StoreError;

const MICROS: i64 = 1_000_000;

#[derive(FromRow)]
pub struct DurationRow {
    rating: Option<String>,
    product: Option<i64>,
    value: i64,
    count: i64,
}

#[derive(FromRow)]
pub struct CountsRow {
    met: i64,
    missed: i64,
    overdue: i64,
    running: i64,
}

#[derive(FromRow)]
pub struct ChangeRow {
    state: String,
    rating: Option<String>,
    week_number: i64,
    change: i64,
}

#[derive(FromRow)]
pub struct KeyedCount {
    key: Option<String>,
    week_number: i64,
    count: i64,
}

#[derive(FromRow)]
pub struct MilestonesRow {
    first_response_at: Option<OffsetDateTime>,
    triaged_at: Option<OffsetDateTime>,
    remediated_at: Option<OffsetDateTime>,
    closed_at: Option<OffsetDateTime>,
}

#[derive(FromRow)]
pub struct OutcomeRow {
    received: i64,
    duplicates: i64,
    spam: i64,
}

/// The microseconds a clock starts from, and those it stops on.
fn columns(clock: SlaClock) -> (&'static str, &'static str) {
    match clock {
        SlaClock::FirstResponse => ("r.created_us", "r.first_response_us"),
        SlaClock::Triage => ("r.created_us", "r.triaged_us"),
        SlaClock::Remediation => ("r.triaged_us", "r.remediated_us"),
    }
}

/// Limits `r` to the products of the scope, and with `received` to the period too.
///
/// The product is compared as `+r.product_id`, which no index answers: the dashboards'
/// indexes (`reports_received_milestones`, `reports_closed_milestones`) hold every column
/// they count, where the product's index would send each match to its report row.
fn push_scope(sql: &mut SqlText, scope: &InsightScope<'_>, received: bool) {
    if received {
        sql.push(" AND r.created_at >= ")
            .bind(Value::Time(scope.period.from()))
            .push(" AND r.created_at < ")
            .bind(Value::Time(scope.period.to()));
    }
    if let Some(product) = scope.product {
        sql.push(" AND +r.product_id = ")
            .bind(Value::Integer(product.0));
    }
    match scope.visible {
        ProductScope::All => {}
        ProductScope::Only(products) if products.is_empty() => {
            sql.push(" AND 1 = 0");
        }
        ProductScope::Only(products) => {
            sql.push(" AND +r.product_id IN (");
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

/// The bucket (`cvdesk_domain::insights::bucket_of`) of the whole seconds in `seconds`.
fn bucket_expression(seconds: &str) -> String {
    let mut case = format!("CASE WHEN {seconds} < 0 THEN 0 WHEN {seconds} < 64 THEN {seconds}");
    for octave in OCTAVES {
        case.push_str(&format!(
            " WHEN {seconds} < {} THEN {} + ({seconds} >> {})",
            octave.upper, octave.base, octave.shift
        ));
    }
    let last = OCTAVES[OCTAVES.len() - 1];
    case.push_str(&format!(
        " ELSE {} END",
        last.base + ((last.upper - 1) >> last.shift)
    ));
    case
}

/// The week of the period (`Period::week_of`) of the instant `micros`.
fn week_expression(scope: &InsightScope<'_>, micros: &str) -> Result<String, StoreError> {
    let to = epoch_micros(scope.period.to())?;
    let weeks = scope.period.week_count();
    let week = Duration::WEEK.whole_microseconds();
    Ok(format!(
        "CASE WHEN {micros} > {to} THEN {} ELSE {weeks} - ({to} - {micros}) / {week} END",
        weeks + 1
    ))
}

fn epoch_micros(at: OffsetDateTime) -> Result<i64, StoreError> {
    i64::try_from(at.unix_timestamp_nanos() / 1000)
        .map_err(|_| StoreError::Corrupt("a time beyond what the store counts".into()))
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The groups a report of this rating and product counts in.
fn groups_of(rating: Option<&str>, product: Option<i64>) -> [ReportGroup; 3] {
    [
        ReportGroup::All,
        ReportGroup::Rating(rating.map(str::to_owned)),
        ReportGroup::Product(product.map(ProductId)),
    ]
}

/// The durations the buckets hold, as ranges of whole seconds (`None`: unbounded on that
/// side, for the first and last buckets, which also hold what lies beyond them);
/// neighbouring buckets are merged.
fn bucket_spans(buckets: &BTreeSet<i64>) -> Vec<(Option<i64>, Option<i64>)> {
    let mut spans: Vec<(Option<i64>, Option<i64>)> = Vec::new();
    for &bucket in buckets {
        let (first, end) = bucket_range(bucket);
        let from = (bucket_of(first - 1) != bucket).then_some(first);
        let to = (bucket_of(end) != bucket).then_some(end);
        match spans.last_mut() {
            Some((_, last_to)) if *last_to == from && from.is_some() => *last_to = to,
            _ => spans.push((from, to)),
        }
    }
    spans
}

/// `sql` with its values bound, in order.
fn bound<'q, DB, O>(text: &'q str, values: Vec<Value>) -> QueryAs<'q, DB, O, DB::Arguments<'q>>
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

impl<DB: Dialect> SqlStore<DB> {
    /// `timed`: the reports in scope that reached the clock's stop, with their rating,
    /// product and whole seconds from the clock's start to its stop. Materialized, so the
    /// times are read once however often a query names `seconds`.
    fn durations(scope: &InsightScope<'_>, clock: SlaClock) -> SqlText {
        let (_, stop) = columns(clock);
        let seconds = format!("({stop} - r.created_us) / {MICROS}");
        let mut sql = SqlText::new(&format!(
            "WITH timed AS MATERIALIZED (SELECT r.cvss_rating AS rating, r.product_id AS product, \
             {seconds} AS seconds FROM reports r WHERE {stop} IS NOT NULL"
        ));
        push_scope(&mut sql, scope, true);
        sql.push(")");
        sql
    }
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
    for<'r> DurationRow: FromRow<'r, DB::Row>,
    for<'r> CountsRow: FromRow<'r, DB::Row>,
    for<'r> ChangeRow: FromRow<'r, DB::Row>,
    for<'r> KeyedCount: FromRow<'r, DB::Row>,
    for<'r> OutcomeRow: FromRow<'r, DB::Row>,
    for<'r> MilestonesRow: FromRow<'r, DB::Row>,
    for<'r> (String, i64): FromRow<'r, DB::Row>,
    for<'r> (Option<String>, i64): FromRow<'r, DB::Row>,
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

    async fn duration_summaries(
        &self,
        scope: InsightScope<'_>,
        clock: SlaClock,
    ) -> Result<BTreeMap<ReportGroup, DurationSummary>, StoreError> {
        // Both reads see one snapshot, so the durations fetched are those counted.
        let mut tx = self.readers.begin().await?;
        if let Some(snapshot) = DB::SNAPSHOT {
            sqlx::query(snapshot).execute(&mut *tx).await?;
        }
        // One count per rating, product and bucket; the three groupings are sums of it.
        let mut sql = Self::durations(&scope, clock);
        sql.push(&format!(
            " SELECT rating, product, {} AS value, \
             COUNT(*) AS count FROM timed GROUP BY rating, product, value",
            bucket_expression("seconds")
        ));
        let counted: Vec<DurationRow> = bound(&sql.text, sql.values).fetch_all(&mut *tx).await?;
        let mut histograms: BTreeMap<ReportGroup, BTreeMap<i64, u64>> = BTreeMap::new();
        for row in &counted {
            for group in groups_of(row.rating.as_deref(), row.product) {
                *histograms
                    .entry(group)
                    .or_default()
                    .entry(row.value)
                    .or_default() += count(row.count);
            }
        }
        let histograms: BTreeMap<ReportGroup, Vec<(i64, u64)>> = histograms
            .into_iter()
            .map(|(group, buckets)| (group, buckets.into_iter().collect()))
            .collect();
        let plans: BTreeMap<ReportGroup, QuantilePlan> = histograms
            .iter()
            .map(|(group, histogram)| (group.clone(), QuantilePlan::new(histogram)))
            .collect();
        let values = self.values_in(&mut tx, &scope, clock, &plans).await?;
        tx.commit().await?;
        plans
            .into_iter()
            .map(|(group, plan)| {
                let durations = values.get(&group).map(Vec::as_slice).unwrap_or_default();
                let summary = plan
                    .finish(durations)
                    .map_err(|error| StoreError::Corrupt(error.to_string()))?;
                Ok((group, summary))
            })
            .collect()
    }

    async fn clock_counts(
        &self,
        scope: InsightScope<'_>,
        clock: SlaClock,
        deadlines: &Deadlines,
        ratings: &[Option<&str>],
        now: OffsetDateTime,
    ) -> Result<ClockCounts, StoreError> {
        let (start, stop) = columns(clock);
        let mut sql = SqlText::default();
        let (due, join) = match deadlines {
            Deadlines::After(span) => (
                format!("c.start_us + {}", span.whole_microseconds()),
                String::new(),
            ),
            Deadlines::ByDay(table) => {
                sql.push("WITH days (slot, due_us) AS (VALUES ");
                for (i, (slot, due)) in table.dues.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.push("(")
                        .bind(Value::Integer(*slot))
                        .push(", ")
                        .bind(Value::Integer(epoch_micros(*due)?))
                        .push(")");
                }
                sql.push(") ");
                let day = Duration::DAY.whole_microseconds();
                (
                    "days.due_us".to_owned(),
                    format!(
                        " JOIN days ON days.slot = (c.start_us - {} + {}) / {day}",
                        epoch_micros(table.origin)?,
                        day - 1
                    ),
                )
            }
        };
        if matches!(deadlines, Deadlines::ByDay(table) if table.dues.is_empty()) {
            return Ok(ClockCounts::default());
        }
        let now = epoch_micros(now)?;
        sql.push(
            "SELECT COUNT(*) FILTER (WHERE done_us IS NOT NULL AND done_us <= due_us) AS met, \
             COUNT(*) FILTER (WHERE done_us IS NOT NULL AND done_us > due_us) AS missed, \
             COUNT(*) FILTER (WHERE done_us IS NULL AND due_us <= ",
        )
        .bind(Value::Integer(now))
        .push(") AS overdue, COUNT(*) FILTER (WHERE done_us IS NULL AND due_us > ")
        .bind(Value::Integer(now))
        .push(&format!(
            ") AS running FROM (SELECT c.done_us, {due} AS due_us FROM \
             (SELECT {start} AS start_us, {stop} AS done_us FROM reports r \
             WHERE {start} IS NOT NULL",
        ));
        push_scope(&mut sql, &scope, true);
        if clock == SlaClock::Remediation {
            sql.push(" AND (r.remediated_us IS NOT NULL OR r.closed_us IS NULL) AND (");
            for (i, rating) in ratings.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                match rating {
                    Some(rating) => {
                        sql.push("r.cvss_rating = ")
                            .bind(Value::Text((*rating).to_owned()));
                    }
                    None => {
                        sql.push("r.cvss_rating IS NULL");
                    }
                }
            }
            if ratings.is_empty() {
                sql.push("1 = 0");
            }
            sql.push(")");
        }
        sql.push(&format!(") c{join}) judged"));
        let row: CountsRow = bound(&sql.text, sql.values)
            .fetch_one(&self.readers)
            .await?;
        Ok(ClockCounts {
            met: count(row.met),
            missed: count(row.missed),
            overdue: count(row.overdue),
            running: count(row.running),
        })
    }

    async fn open_changes(&self, scope: InsightScope<'_>) -> Result<Vec<OpenChange>, StoreError> {
        let mut sql = SqlText::new(
            "WITH c AS MATERIALIZED (SELECT r.cvss_rating AS rating, r.created_us AS created, \
             r.triaged_us AS triaged, r.assigned_us AS assigned, r.closed_us AS closed \
             FROM reports r WHERE r.created_at <= ",
        );
        sql.bind(Value::Time(scope.period.to()))
            .push(" AND (r.closed_at IS NULL OR r.closed_at > ")
            .bind(Value::Time(scope.period.from()))
            .push(")");
        push_scope(&mut sql, &scope, false);
        sql.push(")");
        // Each state a report passed through is an interval: new from receipt until it left
        // new, triaged from then until assigned or closed, assigned until closed.
        let intervals = [
            ("new", "created", "COALESCE(triaged, closed)", "1 = 1"),
            (
                "triaged",
                "triaged",
                "COALESCE(assigned, closed)",
                "triaged IS NOT NULL",
            ),
            ("assigned", "assigned", "closed", "assigned IS NOT NULL"),
        ];
        let mut branches = Vec::new();
        for (state, opened, ended, applies) in intervals {
            for (at, sign, condition) in [
                (opened, "", applies.to_owned()),
                (ended, "-", format!("{applies} AND {ended} IS NOT NULL")),
            ] {
                branches.push(format!(
                    "SELECT '{state}' AS state, rating, {} AS week_number, {sign}COUNT(*) AS change \
                     FROM c WHERE {condition} GROUP BY rating, week_number",
                    week_expression(&scope, at)?
                ));
            }
        }
        sql.push(" ");
        sql.push(&branches.join(" UNION ALL "));
        let rows: Vec<ChangeRow> = bound(&sql.text, sql.values)
            .fetch_all(&self.readers)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| OpenChange {
                state: row.state,
                rating: row.rating,
                week: row.week_number,
                change: row.change,
            })
            .collect())
    }

    async fn arrivals(&self, scope: InsightScope<'_>) -> Result<Vec<Arrivals>, StoreError> {
        let mut sql = SqlText::new(&format!(
            "SELECT r.source AS key, {} AS week_number, COUNT(*) AS count FROM reports r \
             WHERE 1 = 1",
            week_expression(&scope, "r.created_us")?
        ));
        push_scope(&mut sql, &scope, true);
        sql.push(" GROUP BY r.source, week_number");
        let rows: Vec<KeyedCount> = bound(&sql.text, sql.values)
            .fetch_all(&self.readers)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| Arrivals {
                week: row.week_number,
                source: row.key.unwrap_or_default(),
                count: count(row.count),
            })
            .collect())
    }

    async fn top_weaknesses(
        &self,
        scope: InsightScope<'_>,
        limit: u32,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let mut sql = SqlText::new(
            "SELECT r.weakness, COUNT(*) AS count FROM reports r WHERE r.weakness IS NOT NULL",
        );
        push_scope(&mut sql, &scope, true);
        sql.push(" GROUP BY r.weakness ORDER BY count DESC, r.weakness LIMIT ")
            .bind(Value::Integer(i64::from(limit)));
        let rows: Vec<(String, i64)> = bound(&sql.text, sql.values)
            .fetch_all(&self.readers)
            .await?;
        Ok(rows.into_iter().map(|(cwe, n)| (cwe, count(n))).collect())
    }

    async fn root_causes(
        &self,
        scope: InsightScope<'_>,
    ) -> Result<Vec<(Option<String>, u64)>, StoreError> {
        let mut sql = SqlText::new("SELECT r.root_cause, COUNT(*) FROM reports r WHERE 1 = 1");
        push_scope(&mut sql, &scope, true);
        sql.push(" GROUP BY r.root_cause ORDER BY COUNT(*) DESC, COALESCE(r.root_cause, '')");
        let rows: Vec<(Option<String>, i64)> = bound(&sql.text, sql.values)
            .fetch_all(&self.readers)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(cause, n)| (cause, count(n)))
            .collect())
    }

    async fn outcomes(&self, scope: InsightScope<'_>) -> Result<Outcomes, StoreError> {
        let mut sql = SqlText::new(
            "SELECT COUNT(*) AS received, \
             COUNT(*) FILTER (WHERE r.state = 'duplicate') AS duplicates, \
             COUNT(*) FILTER (WHERE r.closed_as_spam) AS spam FROM reports r WHERE 1 = 1",
        );
        push_scope(&mut sql, &scope, true);
        let row: OutcomeRow = bound(&sql.text, sql.values)
            .fetch_one(&self.readers)
            .await?;
        Ok(Outcomes {
            received: count(row.received),
            duplicates: count(row.duplicates),
            spam: count(row.spam),
        })
    }

    async fn credit_answers(
        &self,
        scope: InsightScope<'_>,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let mut sql = SqlText::new(
            "SELECT c.consent, COUNT(*) FROM advisory_credits c \
             JOIN reports r ON r.id = c.report_id WHERE 1 = 1",
        );
        push_scope(&mut sql, &scope, true);
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
    for<'r> DurationRow: FromRow<'r, DB::Row>,
{
    /// The durations of the buckets each group's plan needs, per group. One read returns
    /// each duration a group needs once, with its rating and product; every group it
    /// counts in gets it (a plan ignores the durations of buckets it does not need).
    async fn values_in(
        &self,
        connection: &mut DB::Connection,
        scope: &InsightScope<'_>,
        clock: SlaClock,
        plans: &BTreeMap<ReportGroup, QuantilePlan>,
    ) -> Result<BTreeMap<ReportGroup, Vec<i64>>, StoreError> {
        if plans.values().all(|plan| plan.buckets().is_empty()) {
            return Ok(BTreeMap::new());
        }
        let mut sql = Self::durations(scope, clock);
        sql.push(
            " SELECT rating, product, seconds AS value, CAST(1 AS BIGINT) AS count \
             FROM timed WHERE 1 = 0",
        );
        for (group, plan) in plans {
            let buckets = plan.buckets();
            if buckets.is_empty() {
                continue;
            }
            sql.push(" OR (");
            match group {
                ReportGroup::All => sql.push("1 = 1"),
                ReportGroup::Rating(rating) => sql
                    .push("COALESCE(rating, '') = ")
                    .bind(Value::Text(rating.clone().unwrap_or_default())),
                ReportGroup::Product(product) => sql
                    .push("COALESCE(product, -1) = ")
                    .bind(Value::Integer(product.map_or(-1, |p| p.0))),
            };
            sql.push(" AND (1 = 0");
            for (from, to) in bucket_spans(&buckets) {
                sql.push(" OR (1 = 1");
                if let Some(from) = from {
                    sql.push(" AND seconds >= ").bind(Value::Integer(from));
                }
                if let Some(to) = to {
                    sql.push(" AND seconds < ").bind(Value::Integer(to));
                }
                sql.push(")");
            }
            sql.push("))");
        }
        let rows: Vec<DurationRow> = bound(&sql.text, sql.values)
            .fetch_all(&mut *connection)
            .await?;
        let mut values: BTreeMap<ReportGroup, Vec<i64>> = BTreeMap::new();
        for row in rows {
            for group in groups_of(row.rating.as_deref(), row.product) {
                values.entry(group).or_default().push(row.value);
            }
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use cvdesk_domain::insights::bucket_of;

    use super::bucket_spans;

    #[test]
    fn spans_hold_exactly_the_durations_of_their_buckets() {
        let last = bucket_of(i64::MAX);
        let wanted: BTreeSet<i64> = [0, 5, 6, 63, 64, 65, 200, 201, 900, last - 1, last].into();
        let spans = bucket_spans(&wanted);
        let in_spans = |seconds: i64| {
            spans.iter().any(|(from, to)| {
                from.is_none_or(|from| seconds >= from) && to.is_none_or(|to| seconds < to)
            })
        };
        let mut samples: Vec<i64> = (-100..5_000).collect();
        for exponent in 6..63 {
            let power = 1_i64 << exponent;
            samples.extend([power - 1, power, power + 1, power + power / 3]);
        }
        samples.extend([i64::MIN, i64::MAX]);
        for seconds in samples {
            assert_eq!(
                in_spans(seconds),
                wanted.contains(&bucket_of(seconds)),
                "{seconds} s, bucket {}",
                bucket_of(seconds)
            );
        }
        // 5 and 6, 63 to 65, 200 and 201, and the last two buckets each make one span.
        assert_eq!(spans.len(), 6, "{spans:?}");
    }
}
