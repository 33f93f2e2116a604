//! The dashboards' reads. Times are read as integer microseconds since the epoch (the
//! reports' `_us` columns, generated from their milestones), so durations, deadlines and
//! week numbers are integer arithmetic alike for both backends. What needs every report of
//! the period (the durations, whose medians need each value, the deadlines, what was
//! received, the weeks each open report changed state) is read once: the reports come
//! packed into one text per part of the period, which the database builds far faster than
//! the driver hands over rows, and every figure is counted from it. Credits are counted in
//! the database.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use async_trait::async_trait;
use cvdesk_domain::access::ProductScope;
use cvdesk_domain::insights::{judge, ClockCounts, Deadlines, DurationSummary, Period, SlaClock};
use cvdesk_domain::staff::ProductId;
use foldhash::HashMap;
use futures_util::StreamExt;
use sqlx::query::QueryAs;
use sqlx::{Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::{Duration, OffsetDateTime};

use super::{Dialect, SqlStore, SqlText, StoredTime, Value};
use crate::insights::{
    Arrivals, ClockDeadlines, ClockFigures, InsightScope, InsightsStore, Milestones, OpenChange,
    Outcomes, PeriodFigures, ReceivedCounts, ReportGroup,
};
use crate::StoreError;

const MICROS: i64 = 1_000_000;

/// The longest part of a period read as one text: about 13,000 reports at a million
/// over three years, so a long period is never held in memory as one text.
const PART: Duration = Duration::days(14);

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

/// Which reports a packed text holds, and so which fields (`RECEIVED_FIELDS` or
/// `OPEN_FIELDS`).
#[derive(Debug, Clone, Copy)]
enum Packed {
    Received,
    OpenOnly,
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
///
/// The product is compared as `+r.product_id`, which no index answers: the dashboards'
/// indexes (`reports_received_milestones`, `reports_closed_milestones`) hold every column
/// they count, where the product's index would send each match to its report row.
fn push_scope(
    sql: &mut SqlText,
    scope: &InsightScope<'_>,
    received: Option<Range<OffsetDateTime>>,
) {
    if let Some(received) = received {
        sql.push(" AND r.created_at >= ")
            .bind(Value::Time(received.start))
            .push(" AND r.created_at < ")
            .bind(Value::Time(received.end));
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

/// The receipt times of the scope's period.
fn received(scope: &InsightScope<'_>) -> Range<OffsetDateTime> {
    scope.period.from()..scope.period.to()
}

/// The scope's period cut in parts of at most `PART`, and in two at least, so that two
/// connections can read at once.
fn parts(scope: &InsightScope<'_>) -> Vec<Range<OffsetDateTime>> {
    let Range { start, end } = received(scope);
    let whole = (end - start).whole_seconds() / PART.whole_seconds();
    let count = i32::try_from(whole + 1).unwrap_or(i32::MAX).max(2);
    let cut = |part: i32| match part {
        part if part >= count => end,
        part => start + (end - start) * part / count,
    };
    (0..count).map(|part| cut(part)..cut(part + 1)).collect()
}

/// Names seen in packed rows, each kept once, so what is counted can outlive the texts.
#[derive(Default)]
struct Names(Vec<String>);

impl Names {
    /// The number of `name`, given on first sight; there are a few (ratings, sources,
    /// root causes).
    fn number(&mut self, name: &str) -> usize {
        match self.0.iter().position(|known| known == name) {
            Some(number) => number,
            None => {
                self.0.push(name.to_owned());
                self.0.len() - 1
            }
        }
    }

    fn name(&self, number: usize) -> &str {
        self.0.get(number).map_or("", String::as_str)
    }
}

fn epoch_micros(at: OffsetDateTime) -> Result<i64, StoreError> {
    cvdesk_domain::insights::epoch_micros(at)
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

/// The rows `string_agg` packed into one text: rows end with `;`, fields with `,`. The
/// drivers hand rows over one at a time, at several microseconds each on SQLite, which for
/// the hundreds of thousands of reports of a long period cost many times what reading
/// them does; the database builds this text at a fraction of that.
fn packed_rows(packed: &str) -> impl Iterator<Item = Fields<'_>> {
    packed
        .split(';')
        .filter(|row| !row.is_empty())
        .map(|row| Fields { rest: Some(row) })
}

/// One packed row's fields, read in order. A long period has hundreds of thousands of
/// rows of about a dozen fields, so fields are cut and numbers read byte by byte.
struct Fields<'a> {
    /// What is left of the row; `None` once its last field is read.
    rest: Option<&'a str>,
}

impl<'a> Fields<'a> {
    /// The next field: `None` for an empty one (a NULL).
    fn text(&mut self) -> Result<Option<&'a str>, StoreError> {
        let rest = self
            .rest
            .ok_or_else(|| StoreError::Corrupt("a packed row with a field missing".into()))?;
        let field = match rest.bytes().position(|byte| byte == b',') {
            Some(end) => {
                self.rest = rest.get(end + 1..);
                rest.get(..end).unwrap_or_default()
            }
            None => {
                self.rest = None;
                rest
            }
        };
        Ok((!field.is_empty()).then_some(field))
    }

    fn integer(&mut self) -> Result<Option<i64>, StoreError> {
        self.text()?
            .map(|field| {
                decimal(field).ok_or_else(|| {
                    StoreError::Corrupt(format!("a packed row with {field:?} for a number"))
                })
            })
            .transpose()
    }

    /// Ends the row: a field past those read means the row is not what was asked for.
    fn end(self) -> Result<(), StoreError> {
        match self.rest {
            None => Ok(()),
            Some(_) => Err(StoreError::Corrupt(
                "a packed row with a field too many".into(),
            )),
        }
    }
}

/// A whole number written in decimal, as the databases print one: digits, with `-` before
/// a negative one; `None` for anything else or past the range of `i64`.
fn decimal(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    // Counted below zero, where `i64` reaches one further.
    let mut value: i64 = 0;
    for byte in digits.bytes() {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_sub(i64::from(digit))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// The figures of each group from the durations by rating and product. One group's
/// durations are gathered at a time, so a long period holds its durations about twice,
/// not once per group they count in.
fn summaries(
    by_pair: HashMap<(Option<&str>, Option<i64>), Vec<i64>>,
) -> BTreeMap<ReportGroup, DurationSummary> {
    let pairs: Vec<([ReportGroup; 3], Vec<i64>)> = by_pair
        .into_iter()
        .map(|((rating, product), seconds)| (groups_of(rating, product), seconds))
        .collect();
    let groups: BTreeSet<&ReportGroup> = pairs.iter().flat_map(|(groups, _)| groups).collect();
    groups
        .into_iter()
        .map(|group| {
            let members = || pairs.iter().filter(|(groups, _)| groups.contains(group));
            let mut seconds = Vec::with_capacity(members().map(|(_, s)| s.len()).sum());
            for (_, pair) in members() {
                seconds.extend_from_slice(pair);
            }
            (group.clone(), DurationSummary::of(&mut seconds))
        })
        .collect()
}

/// How one clock that started at `start` and stopped at `done` stands at `now` (all in
/// microseconds); nothing when the deadlines do not cover its start.
fn judged(deadlines: &Deadlines, start: i64, done: Option<i64>, now: i64) -> ClockCounts {
    deadlines
        .due_for_micros(start)
        .map_or_else(ClockCounts::default, |due| judge(due, done, now))
}

/// One report's `fields` as the text of a packed row: each field's text, an empty text for
/// NULL, separated by `,`. One `format` call per row (both backends have it, and both
/// print NULL as an empty text), where joining the fields with `||` made the database
/// copy the growing text once per field.
fn packed_row(fields: &[&str]) -> String {
    format!(
        "format('{}', {})",
        vec!["%s"; fields.len()].join(","),
        fields.join(", ")
    )
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

/// The weeks of a period (`Period::week_of`), in integer microseconds.
#[derive(Debug, Clone)]
struct Weeks {
    /// Where the first week begins, then where each week ends.
    bounds: Vec<i64>,
}

impl Weeks {
    fn of(period: &Period) -> Result<Weeks, StoreError> {
        Ok(Weeks {
            bounds: period
                .week_bounds()
                .iter()
                .map(|bound| epoch_micros(*bound))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The week of the instant `micros`: 0 at or before the first week, one past the last
    /// after the period.
    fn week(&self, micros: i64) -> i64 {
        i64::try_from(self.bounds.partition_point(|bound| *bound < micros)).unwrap_or(i64::MAX)
    }
}

/// Which of the fix deadlines a rating's reports are judged against, if any.
fn fix_rule(deadlines: &ClockDeadlines, rating: Option<&str>) -> Option<usize> {
    deadlines
        .remediation
        .iter()
        .position(|(_, ratings)| ratings.iter().any(|r| r.as_deref() == rating))
}

/// A report's rating (numbered in `Tally::ratings`) and product.
type Pair = (Option<usize>, Option<i64>);

/// What one dashboard counts, report by report, as the packed texts come in.
struct Tally<'a> {
    weeks: Weeks,
    deadlines: &'a ClockDeadlines,
    /// In microseconds.
    now: i64,
    ratings: Names,
    /// The fix deadlines (an index into `deadlines.remediation`) of each rating in
    /// `ratings`, and of unscored reports.
    fix_rules: Vec<Option<usize>>,
    unscored_fix_rule: Option<usize>,
    sources: Names,
    causes: Names,
    /// Per clock (in `SlaClock::ALL` order), the durations of the reports that reached
    /// its stop by rating (numbered in `ratings`) and product, and its deadline counts.
    durations: [HashMap<Pair, Vec<i64>>; 3],
    clock_counts: [ClockCounts; 3],
    arrivals: HashMap<(i64, usize), u64>,
    weaknesses: HashMap<String, u64>,
    root_causes: HashMap<Option<usize>, u64>,
    outcomes: Outcomes,
    /// Per state, rating and week, how many more reports were open in it at the week's end.
    open: HashMap<(&'static str, Option<usize>, i64), i64>,
}

impl<'a> Tally<'a> {
    fn new(weeks: Weeks, deadlines: &'a ClockDeadlines, now: i64) -> Tally<'a> {
        Tally {
            weeks,
            deadlines,
            now,
            ratings: Names::default(),
            fix_rules: Vec::new(),
            unscored_fix_rule: fix_rule(deadlines, None),
            sources: Names::default(),
            causes: Names::default(),
            durations: Default::default(),
            clock_counts: [ClockCounts::default(); 3],
            arrivals: HashMap::default(),
            weaknesses: HashMap::default(),
            root_causes: HashMap::default(),
            outcomes: Outcomes::default(),
            open: HashMap::default(),
        }
    }

    /// Counts the reports of a text of `RECEIVED_FIELDS`.
    fn received(&mut self, packed: &str) -> Result<(), StoreError> {
        for mut fields in packed_rows(packed) {
            let rating_name = fields.text()?;
            let product = fields.integer()?;
            let source = fields.text()?.unwrap_or_default();
            let weakness = fields.text()?;
            let root_cause = fields.text()?;
            let duplicate = fields.text()?.is_some();
            let spam = fields.text()?.is_some();
            let created = fields
                .integer()?
                .ok_or_else(|| StoreError::Corrupt("a report without its receipt".into()))?;
            let first_response = fields.integer()?;
            let triaged = fields.integer()?;
            let assigned = fields.integer()?;
            let remediated = fields.integer()?;
            let closed = fields.integer()?;
            fields.end()?;
            let rating = rating_name.map(|rating| self.ratings.number(rating));

            let stops = [first_response, triaged, remediated];
            for (pairs, stop) in self.durations.iter_mut().zip(stops) {
                if let Some(stop) = stop {
                    let seconds = stop.saturating_sub(created) / MICROS;
                    pairs.entry((rating, product)).or_default().push(seconds);
                }
            }
            let (deadlines, now) = (self.deadlines, self.now);
            let counts = &mut self.clock_counts;
            counts[0] = counts[0] + judged(&deadlines.first_response, created, first_response, now);
            counts[1] = counts[1] + judged(&deadlines.triage, created, triaged, now);
            // The fix clock runs from triage, for reports remediated or still open.
            let fixing = triaged.filter(|_| remediated.is_some() || closed.is_none());
            let rule = match rating {
                Some(rating) => {
                    while self.fix_rules.len() <= rating {
                        let name = self.ratings.name(self.fix_rules.len());
                        self.fix_rules.push(fix_rule(deadlines, Some(name)));
                    }
                    self.fix_rules[rating]
                }
                None => self.unscored_fix_rule,
            };
            if let (Some(triaged), Some(rule)) = (fixing, rule) {
                let (fix, _) = &deadlines.remediation[rule];
                counts[2] = counts[2] + judged(fix, triaged, remediated, now);
            }

            let source = self.sources.number(source);
            *self
                .arrivals
                .entry((self.weeks.week(created), source))
                .or_default() += 1;
            if let Some(weakness) = weakness {
                match self.weaknesses.get_mut(weakness) {
                    Some(count) => *count += 1,
                    None => {
                        self.weaknesses.insert(weakness.to_owned(), 1);
                    }
                }
            }
            let cause = root_cause.map(|cause| self.causes.number(cause));
            *self.root_causes.entry(cause).or_default() += 1;
            self.outcomes.received += 1;
            self.outcomes.duplicates += u64::from(duplicate);
            self.outcomes.spam += u64::from(spam);

            self.count_open(rating, Some(created), triaged, assigned, closed);
        }
        Ok(())
    }

    /// Counts the reports of a text of `OPEN_FIELDS`, for the weeks they were open only.
    fn open_only(&mut self, packed: &str) -> Result<(), StoreError> {
        for mut fields in packed_rows(packed) {
            let rating = fields.text()?.map(|rating| self.ratings.number(rating));
            let created = fields.integer()?;
            let triaged = fields.integer()?;
            let assigned = fields.integer()?;
            let closed = fields.integer()?;
            fields.end()?;
            self.count_open(rating, created, triaged, assigned, closed);
        }
        Ok(())
    }

    /// Each state a report passed through is an interval: new from receipt until it left
    /// new, triaged from then until assigned or closed, assigned until closed.
    fn count_open(
        &mut self,
        rating: Option<usize>,
        created: Option<i64>,
        triaged: Option<i64>,
        assigned: Option<i64>,
        closed: Option<i64>,
    ) {
        let intervals = [
            ("new", created, triaged.or(closed)),
            ("triaged", triaged, assigned.or(closed)),
            ("assigned", assigned, closed),
        ];
        for (state, opened, ended) in intervals {
            let Some(opened) = opened else { continue };
            let week = self.weeks.week(opened);
            *self.open.entry((state, rating, week)).or_default() += 1;
            if let Some(ended) = ended {
                let week = self.weeks.week(ended);
                *self.open.entry((state, rating, week)).or_default() -= 1;
            }
        }
    }

    fn figures(self) -> PeriodFigures {
        let Tally {
            ratings,
            sources,
            causes,
            durations,
            clock_counts,
            arrivals,
            weaknesses,
            root_causes,
            outcomes,
            open,
            ..
        } = self;
        let mut weaknesses: Vec<(String, u64)> = weaknesses.into_iter().collect();
        weaknesses.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut root_causes: Vec<(Option<String>, u64)> = root_causes
            .into_iter()
            .map(|(cause, count)| (cause.map(|cause| causes.name(cause).to_owned()), count))
            .collect();
        root_causes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let clocks = ClockFigures {
            durations: SlaClock::ALL
                .into_iter()
                .zip(durations)
                .map(|(clock, by_pair)| {
                    let by_pair = by_pair
                        .into_iter()
                        .map(|((rating, product), seconds)| {
                            (
                                (rating.map(|rating| ratings.name(rating)), product),
                                seconds,
                            )
                        })
                        .collect();
                    (clock, summaries(by_pair))
                })
                .collect(),
            counts: SlaClock::ALL.into_iter().zip(clock_counts).collect(),
        };
        let received = ReceivedCounts {
            arrivals: arrivals
                .into_iter()
                .map(|((week, source), count)| Arrivals {
                    week,
                    source: sources.name(source).to_owned(),
                    count,
                })
                .collect(),
            weaknesses,
            root_causes,
            outcomes,
        };
        let open = open
            .into_iter()
            .filter(|(_, change)| *change != 0)
            .map(|((state, rating, week), change)| OpenChange {
                state: state.to_owned(),
                rating: rating.map(|rating| ratings.name(rating).to_owned()),
                week,
                change,
            })
            .collect();
        PeriodFigures {
            clocks,
            received,
            open,
        }
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
    for<'r> PackedRow: FromRow<'r, DB::Row>,
    for<'r> MilestonesRow: FromRow<'r, DB::Row>,
    for<'r> (String, i64): FromRow<'r, DB::Row>,
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
        let received_row = packed_row(&RECEIVED_FIELDS);
        let open_row = packed_row(&OPEN_FIELDS);
        // The reports received in the period, by parts through the receipt index. Read by
        // receipt, each report is in one read whatever changes meanwhile.
        let mut reads: Vec<(Packed, SqlText)> = parts(&scope)
            .into_iter()
            .map(|part| {
                let mut sql = SqlText::new(&format!(
                    "SELECT string_agg({received_row}, ';') AS packed FROM {} WHERE 1 = 1",
                    DB::reports_through(RECEIVED)
                ));
                push_scope(&mut sql, &scope, Some(part));
                (Packed::Received, sql)
            })
            .collect();
        // Those received before the period and open during it: the never closed and those
        // closed after it began, two ranges of the close index in one statement (SQLite
        // answers the same condition written with OR by fetching every report's row, at
        // many times the cost).
        let (from, to) = (scope.period.from(), scope.period.to());
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
        reads.push((Packed::OpenOnly, earlier));
        // And those received at the period's very end, open at the end of its last week.
        let mut at_end = SqlText::new(&format!(
            "SELECT string_agg({open_row}, ';') AS packed FROM {} WHERE r.created_at = ",
            DB::reports_through(RECEIVED)
        ));
        at_end.bind(Value::Time(to));
        push_scope(&mut at_end, &scope, None);
        reads.push((Packed::OpenOnly, at_end));

        let mut tally = Tally::new(Weeks::of(scope.period)?, deadlines, epoch_micros(now)?);
        self.each_packed(reads, |kind, packed| match kind {
            Packed::Received => tally.received(packed),
            Packed::OpenOnly => tally.open_only(packed),
        })
        .await?;
        Ok(tally.figures())
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
{
    /// Runs `reads` (each selecting one packed text), two at a time, and hands each text
    /// with its kind to `each` before reading further, so a long period is never held as
    /// one text. Each read is a task of its own, so the next two go on while `each` counts.
    async fn each_packed(
        &self,
        reads: Vec<(Packed, SqlText)>,
        mut each: impl FnMut(Packed, &str) -> Result<(), StoreError> + Send,
    ) -> Result<(), StoreError> {
        let readers = self.readers.clone();
        let reads = reads.into_iter().map(|(kind, sql)| {
            let readers = readers.clone();
            tokio::spawn(async move {
                let text = bound::<DB, PackedRow>(&sql.text, sql.values)
                    .fetch_one(&readers)
                    .await?;
                Ok::<_, StoreError>((kind, text))
            })
        });
        let mut texts = futures_util::stream::iter(reads).buffered(2);
        while let Some(read) = texts.next().await {
            let (kind, text) = read.map_err(|error| {
                StoreError::Corrupt(format!("a dashboard read did not finish: {error}"))
            })??;
            if let Some(packed) = text.packed.as_deref() {
                each(kind, packed)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use cvdesk_domain::access::ProductScope;
    use cvdesk_domain::insights::Period;
    use time::macros::datetime;
    use time::Duration;

    use cvdesk_domain::sla::{Calendar, Holidays, LocalTime};

    use super::{decimal, epoch_micros, packed_rows, parts, Weeks, PART};
    use crate::insights::InsightScope;
    use crate::StoreError;

    #[test]
    fn a_period_is_read_in_parts_that_tile_it() {
        let from = datetime!(2023-11-02 00:00 UTC);
        let now = datetime!(2026-11-01 00:00 UTC);
        for days in [1, 13, 14, 15, 90, 365, 1095, 3653] {
            let to = from + Duration::days(days);
            let period = Period::new(from, to, now.max(to)).expect("period");
            let all = ProductScope::All;
            let scope = InsightScope {
                period: &period,
                product: None,
                visible: &all,
            };
            let parts = parts(&scope);
            assert!(
                parts.len() >= 2,
                "{days} days: two connections read at once"
            );
            assert_eq!(
                parts.first().map(|p| p.start),
                Some(period.from()),
                "{days}"
            );
            assert_eq!(parts.last().map(|p| p.end), Some(period.to()), "{days}");
            for pair in parts.windows(2) {
                assert_eq!(
                    pair[0].end, pair[1].start,
                    "{days} days: no gap, no overlap"
                );
            }
            assert!(parts.iter().all(|p| p.end - p.start <= PART), "{days}");
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

    #[test]
    fn packed_rows_give_back_their_fields() {
        let packed = "high,3,120;,,45;;low,-7,";
        let rows: Vec<(Option<&str>, Option<i64>, Option<i64>)> = packed_rows(packed)
            .map(|mut fields| {
                let row = (
                    fields.text().expect("rating"),
                    fields.integer().expect("product"),
                    fields.integer().expect("seconds"),
                );
                fields.end().expect("three fields");
                row
            })
            .collect();
        assert_eq!(
            rows,
            [
                (Some("high"), Some(3), Some(120)),
                (None, None, Some(45)),
                (Some("low"), Some(-7), None)
            ]
        );
        // No report in the part: nothing packed.
        assert_eq!(packed_rows("").count(), 0);
    }

    #[test]
    fn a_row_not_as_asked_is_refused() {
        let mut fields = packed_rows("high,x").next().expect("a row");
        assert_eq!(fields.text().expect("rating"), Some("high"));
        assert!(matches!(
            fields.integer(),
            Err(StoreError::Corrupt(why)) if why.contains("\"x\"")
        ));
        let mut short = packed_rows("high").next().expect("a row");
        assert!(short.text().is_ok());
        assert!(matches!(short.text(), Err(StoreError::Corrupt(_))));
        let mut long = packed_rows("1,2").next().expect("a row");
        assert!(long.integer().is_ok());
        assert!(matches!(long.end(), Err(StoreError::Corrupt(_))));
    }

    proptest::proptest! {
        /// Numbers are read as Rust reads them, and what Rust refuses is refused.
        #[test]
        fn decimals_are_read_as_rust_reads_them(number in proptest::num::i64::ANY, text in "[-+0-9a ]{0,21}") {
            proptest::prop_assert_eq!(decimal(&number.to_string()), Some(number));
            let rust = text.parse::<i64>().ok().filter(|_| !text.starts_with('+'));
            proptest::prop_assert_eq!(decimal(&text), rust);
        }
    }
}
