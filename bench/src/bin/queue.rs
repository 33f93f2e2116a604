//! The staff queue at scale: a million generated reports in SQLite and in PostgreSQL, and
//! the p50/p99 latency of each queue filter, the full-text search and deep keyset paging
//! through `list_reports`, each next to the same SELECT written by hand and run with sqlx
//! in the same run. The ratio is what the store adds on top of the database; the raw
//! figure is what the database itself needs for that query at this size.
//!
//! Usage: queue [REPORTS] [ITERATIONS] [both|sqlite|postgres]
//! PostgreSQL runs when CVDESK_BENCH_POSTGRES_URL names a server that allows CREATE
//! DATABASE; the database made for the run is dropped at the end.
//! CVDESK_BENCH_QUEUE_SQL, when set, is run on each filled database before measuring, to
//! try an index (or ANALYZE) before it becomes a migration. The reports come from
//! `cvdesk_bench::generated`, which the dashboards' benchmark (`insights`) fills its
//! databases with too.

use std::time::{Duration, Instant};

use anyhow::Context;
use cvdesk_bench::generated::{fill_postgres, fill_sqlite, vocabulary, RARE_WORD_RANK};
use cvdesk_bench::Summary;
use cvdesk_domain::report::ReportState;
use cvdesk_domain::staff::ProductId;
use cvdesk_store::{QueueCursor, ReportFilter, ReportSort, Store, StoreLocation};
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::query::QueryAs;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Connection, Database, Encode, FromRow, Type};
use time::OffsetDateTime;

/// Longest time spent measuring one query shape on one backend (both sides together).
const SHAPE_BUDGET: Duration = Duration::from_secs(30);
/// A shape slower than this at p99 gets its query plan printed.
const SLOW_MS: f64 = 100.0;
const PAGE_SIZE: u32 = 50;
const DEEP_PAGES: usize = 20;
const OPEN_STATES: [ReportState; 3] = [
    ReportState::New,
    ReportState::Triaged,
    ReportState::Assigned,
];
const SUMMARY_COLUMNS: &str = "r.id, r.reference_prefix, r.reference_year, \
    r.reference_sequence, r.state, r.needs_info, r.created_at, r.title, r.asset, \
    r.cvss_score, r.cvss_rating, r.product_id";

/// One row as the queue selects it: id, reference (prefix, year, sequence), state,
/// needs_info, created_at, title, asset, score, rating, product.
type QueueRow = (
    i64,
    String,
    i64,
    i64,
    String,
    bool,
    OffsetDateTime,
    String,
    Option<String>,
    Option<f64>,
    Option<String>,
    Option<i64>,
);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let usage = "usage: queue [REPORTS] [ITERATIONS] [both|sqlite|postgres]";
    let mut args = std::env::args().skip(1);
    let reports: u64 = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let iterations: usize = args.next().map_or(Ok(200), |s| s.parse())?;
    let backends = args.next().unwrap_or_else(|| "both".to_owned());
    anyhow::ensure!(
        matches!(backends.as_str(), "both" | "sqlite" | "postgres"),
        "{usage}"
    );
    let try_sql = std::env::var("CVDESK_BENCH_QUEUE_SQL").ok();
    if let Some(sql) = &try_sql {
        println!("== CVDESK_BENCH_QUEUE_SQL (run after filling): {sql}");
    }
    if backends != "postgres" {
        run_sqlite(reports, iterations, try_sql.as_deref()).await?;
    }
    if backends != "sqlite" {
        match std::env::var("CVDESK_BENCH_POSTGRES_URL") {
            Ok(url) => run_postgres(&url, reports, iterations, try_sql.as_deref()).await?,
            Err(_) => println!("== PostgreSQL skipped: CVDESK_BENCH_POSTGRES_URL is not set"),
        }
    }
    Ok(())
}

async fn run_sqlite(reports: u64, iterations: usize, try_sql: Option<&str>) -> anyhow::Result<()> {
    println!("== SQLite, {} reports", thousands(reports));
    let data = tempfile::tempdir()?;
    let location = StoreLocation::Sqlite {
        data_dir: data.path().to_path_buf(),
    };
    // Opening creates and migrates the database; it is opened again once filled, so the
    // store's connections start with the final schema and statistics.
    drop(cvdesk_store::open(&location).await?);
    let database = data.path().join("cvdesk.db");
    let took = fill_sqlite(&database, reports, try_sql).await?;
    println!("generated in {:.1} s", took.as_secs_f64());
    let store = cvdesk_store::open(&location).await?;
    // As the desk does once it listens: the planner's statistics for the data just made.
    store.refresh_statistics().await?;
    let raw = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(&database)
                .read_only(true),
        )
        .await?;
    measure_all(store.as_ref(), &Raw::Sqlite(raw), iterations).await
}

async fn run_postgres(
    server_url: &str,
    reports: u64,
    iterations: usize,
    try_sql: Option<&str>,
) -> anyhow::Result<()> {
    println!("== PostgreSQL, {} reports", thousands(reports));
    let url = cvdesk_store::testing::fresh_postgres_database(server_url).await;
    let location = StoreLocation::Postgres {
        url: url.clone(),
        max_connections: 10,
    };
    drop(cvdesk_store::open(&location).await?);
    let took = fill_postgres(&url, reports, try_sql).await?;
    println!("generated in {:.1} s", took.as_secs_f64());
    let store = cvdesk_store::open(&location).await?;
    // As the desk does once it listens: the planner's statistics for the data just made.
    store.refresh_statistics().await?;
    let raw = PgPoolOptions::new()
        .max_connections(10)
        .connect(&url)
        .await?;
    let outcome = measure_all(store.as_ref(), &Raw::Postgres(raw.clone()), iterations).await;
    raw.close().await;
    drop(store);
    // The run's database is large; leave the server as it was found.
    let name = url
        .rsplit('/')
        .next()
        .and_then(|tail| tail.split('?').next())
        .context("database name in the URL")?;
    let mut admin = PgConnection::connect(server_url).await?;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    outcome
}

/// A value bound to a `$N` placeholder of a hand-written query.
#[derive(Clone)]
enum Param {
    Text(String),
    Integer(i64),
    Real(f64),
    Flag(bool),
}

/// `sql` with `params` bound in order, for either backend.
fn bound<'q, DB, O>(sql: &'q str, params: &'q [Param]) -> QueryAs<'q, DB, O, DB::Arguments<'q>>
where
    DB: Database,
    O: for<'r> FromRow<'r, DB::Row>,
    &'q str: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    f64: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
{
    params
        .iter()
        .fold(sqlx::query_as(sql), |query, param| match param {
            Param::Text(text) => query.bind(text.as_str()),
            Param::Integer(number) => query.bind(*number),
            Param::Real(number) => query.bind(*number),
            Param::Flag(flag) => query.bind(*flag),
        })
}

/// The baseline: sqlx straight on the database, beside the store.
enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Raw {
    /// The full-text condition as each dialect writes it, on the words in `$placeholder`.
    fn text_match(&self, placeholder: usize) -> String {
        match self {
            Raw::Sqlite(_) => format!(
                "r.id IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ${placeholder})"
            ),
            Raw::Postgres(_) => {
                format!("r.search_vector @@ plainto_tsquery('simple', ${placeholder})")
            }
        }
    }

    fn text_words(&self, words: &str) -> Param {
        match self {
            // FTS5 strings, so each word is a term and never an operator.
            Raw::Sqlite(_) => Param::Text(
                words
                    .split_whitespace()
                    .map(|word| format!("\"{word}\""))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Raw::Postgres(_) => Param::Text(words.to_owned()),
        }
    }

    async fn rows(&self, sql: &str, params: &[Param]) -> anyhow::Result<Vec<QueueRow>> {
        Ok(match self {
            Raw::Sqlite(pool) => bound(sql, params).fetch_all(pool).await?,
            Raw::Postgres(pool) => bound(sql, params).fetch_all(pool).await?,
        })
    }

    async fn count(&self, condition: &str, params: &[Param]) -> anyhow::Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM reports r WHERE {condition}");
        let (count,) = match self {
            Raw::Sqlite(pool) => bound(&sql, params).fetch_one(pool).await?,
            Raw::Postgres(pool) => bound(&sql, params).fetch_one(pool).await?,
        };
        Ok(count)
    }

    /// How the database runs a query: SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN
    /// ANALYZE with buffer counts.
    async fn plan(&self, sql: &str, params: &[Param]) -> anyhow::Result<Vec<String>> {
        Ok(match self {
            Raw::Sqlite(pool) => {
                let sql = format!("EXPLAIN QUERY PLAN {sql}");
                let steps: Vec<(i64, i64, i64, String)> =
                    bound(&sql, params).fetch_all(pool).await?;
                steps.into_iter().map(|(_, _, _, detail)| detail).collect()
            }
            Raw::Postgres(pool) => {
                let sql = format!("EXPLAIN (ANALYZE, BUFFERS) {sql}");
                let lines: Vec<(String,)> = bound(&sql, params).fetch_all(pool).await?;
                lines.into_iter().map(|(line,)| line).collect()
            }
        })
    }
}

/// One way the staff queue is asked for, through the store and written by hand.
struct Shape {
    name: String,
    filter: ReportFilter,
    /// The filter's conditions as a person would write them, with `$N` for `params`.
    condition: String,
    params: Vec<Param>,
    /// Pages walked with the cursor in one go; each page is one measured query.
    pages: usize,
}

impl Shape {
    fn new(name: &str, filter: ReportFilter, condition: String, params: Vec<Param>) -> Self {
        Shape {
            name: name.to_owned(),
            filter: ReportFilter {
                limit: PAGE_SIZE,
                ..filter
            },
            condition,
            params,
            pages: 1,
        }
    }

    fn deep(self) -> Self {
        Shape {
            name: format!("{}, {DEEP_PAGES} pages deep", self.name),
            pages: DEEP_PAGES,
            ..self
        }
    }

    /// The hand-written SELECT for the page after `after`.
    fn raw_page(&self, after: Option<QueueCursor>) -> (String, Vec<Param>) {
        let mut params = self.params.clone();
        let mut sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM reports r WHERE {}",
            self.condition
        );
        match (self.filter.sort, after) {
            (ReportSort::Newest, Some(after)) => {
                params.push(Param::Integer(after.id));
                sql += &format!(" AND r.id < ${}", params.len());
            }
            (ReportSort::Oldest, Some(after)) => {
                params.push(Param::Integer(after.id));
                sql += &format!(" AND r.id > ${}", params.len());
            }
            (ReportSort::Severity, Some(after)) => {
                let score = after.score.unwrap_or(-1.0);
                params.extend([Param::Real(score), Param::Real(score)]);
                params.push(Param::Integer(after.id));
                let n = params.len();
                sql += &format!(
                    " AND (COALESCE(r.cvss_score, -1) < ${} OR (COALESCE(r.cvss_score, -1) = ${} \
                     AND r.id < ${n}))",
                    n - 2,
                    n - 1
                );
            }
            (_, None) => {}
        }
        sql += match self.filter.sort {
            ReportSort::Newest => " ORDER BY r.id DESC",
            ReportSort::Oldest => " ORDER BY r.id ASC",
            ReportSort::Severity => " ORDER BY COALESCE(r.cvss_score, -1) DESC, r.id DESC",
        };
        params.push(Param::Integer(i64::from(self.filter.limit) + 1));
        sql += &format!(" LIMIT ${}", params.len());
        (sql, params)
    }
}

fn shapes(raw: &Raw, rare_word: &str) -> Vec<Shape> {
    let open = ReportFilter {
        states: OPEN_STATES.to_vec(),
        ..ReportFilter::default()
    };
    let open_condition = "r.state IN ($1, $2, $3)";
    let open_params = || -> Vec<Param> {
        OPEN_STATES
            .iter()
            .map(|state| Param::Text(state.as_str().to_owned()))
            .collect()
    };
    let with = |extra: Param| {
        let mut params = open_params();
        params.push(extra);
        params
    };
    let search = |name: &str, words: &str| {
        Shape::new(
            name,
            ReportFilter {
                text: Some(words.to_owned()),
                ..open.clone()
            },
            format!("{open_condition} AND {}", raw.text_match(4)),
            with(raw.text_words(words)),
        )
    };
    let by_severity = ReportFilter {
        sort: ReportSort::Severity,
        ..open.clone()
    };
    vec![
        Shape::new(
            "open queue, newest",
            open.clone(),
            open_condition.to_owned(),
            open_params(),
        ),
        Shape::new(
            "product 5 + triaged",
            ReportFilter {
                states: vec![ReportState::Triaged],
                product: Some(ProductId(5)),
                ..ReportFilter::default()
            },
            "r.state IN ($1) AND r.product_id = $2".to_owned(),
            vec![Param::Text("triaged".to_owned()), Param::Integer(5)],
        ),
        Shape::new(
            "open, score >= 9.0, by severity",
            ReportFilter {
                min_score: Some(9.0),
                ..by_severity.clone()
            },
            format!("{open_condition} AND r.cvss_score >= $4"),
            with(Param::Real(9.0)),
        ),
        Shape::new(
            "open, needs info",
            ReportFilter {
                needs_info: Some(true),
                ..open.clone()
            },
            format!("{open_condition} AND r.needs_info = $4"),
            with(Param::Flag(true)),
        ),
        search("open, search common word", "injection"),
        search("open, search rare word", rare_word),
        search("open, search two words", "password reset"),
        Shape::new(
            "all states, search common word",
            ReportFilter {
                text: Some("injection".to_owned()),
                ..ReportFilter::default()
            },
            raw.text_match(1),
            vec![raw.text_words("injection")],
        ),
        Shape::new(
            "open queue, newest",
            open.clone(),
            open_condition.to_owned(),
            open_params(),
        )
        .deep(),
        Shape::new(
            "open queue, by severity",
            by_severity,
            open_condition.to_owned(),
            open_params(),
        )
        .deep(),
    ]
}

/// Walks `shape.pages` pages through the store; the ids of each page.
async fn store_walk(
    store: &dyn Store,
    shape: &Shape,
    latencies: &mut Vec<Duration>,
) -> anyhow::Result<Vec<Vec<i64>>> {
    let mut filter = shape.filter.clone();
    let mut pages = Vec::new();
    for _ in 0..shape.pages {
        let started = Instant::now();
        let page = store.list_reports(&filter).await?;
        latencies.push(started.elapsed());
        pages.push(page.items.iter().map(|item| item.id).collect());
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    Ok(pages)
}

/// The same walk with the hand-written SQL.
async fn raw_walk(
    raw: &Raw,
    shape: &Shape,
    latencies: &mut Vec<Duration>,
) -> anyhow::Result<Vec<Vec<i64>>> {
    let limit = shape.filter.limit as usize;
    let mut after = None;
    let mut pages = Vec::new();
    for _ in 0..shape.pages {
        let (sql, params) = shape.raw_page(after);
        let started = Instant::now();
        let mut rows = raw.rows(&sql, &params).await?;
        latencies.push(started.elapsed());
        let more = rows.len() > limit;
        rows.truncate(limit);
        pages.push(rows.iter().map(|row| row.0).collect());
        match rows.last() {
            Some(last) if more => {
                after = Some(QueueCursor {
                    score: (shape.filter.sort == ReportSort::Severity)
                        .then(|| last.9.unwrap_or(-1.0)),
                    id: last.0,
                })
            }
            _ => break,
        }
    }
    Ok(pages)
}

async fn measure_all(store: &dyn Store, raw: &Raw, iterations: usize) -> anyhow::Result<()> {
    let rare_word = vocabulary().swap_remove(RARE_WORD_RANK).to_owned();
    println!(
        "{:<44} {:>8}  {:>17}  {:>17}  {:>13}  {:>5}",
        "query shape (page of 50)", "matches", "store p50 / p99", "raw SQL p50 / p99", "ratio", "n"
    );
    let mut slow = Vec::new();
    for shape in shapes(raw, &rare_word) {
        let matches = raw.count(&shape.condition, &shape.params).await?;
        // One unmeasured walk warms both sides and proves they return the same reports.
        let expected = store_walk(store, &shape, &mut Vec::new()).await?;
        let found = raw_walk(raw, &shape, &mut Vec::new()).await?;
        anyhow::ensure!(
            expected == found,
            "{}: the store and the hand-written SQL return different reports",
            shape.name
        );
        let (mut through_store, mut by_hand) = (Vec::new(), Vec::new());
        let started = Instant::now();
        for iteration in 0..iterations {
            if started.elapsed() > SHAPE_BUDGET {
                break;
            }
            // Take turns going first, so neither side always finds the other's cache warm.
            if iteration % 2 == 0 {
                store_walk(store, &shape, &mut through_store).await?;
                raw_walk(raw, &shape, &mut by_hand).await?;
            } else {
                raw_walk(raw, &shape, &mut by_hand).await?;
                store_walk(store, &shape, &mut through_store).await?;
            }
        }
        let wall = started.elapsed();
        let (store_figures, raw_figures) =
            (Summary::of(through_store, wall), Summary::of(by_hand, wall));
        println!(
            "{:<44} {:>8}  {:>7.2} / {:>7.2}  {:>7.2} / {:>7.2}  {:>5.2} / {:>5.2}  {:>5}",
            shape.name,
            thousands(matches as u64),
            store_figures.p50_ms,
            store_figures.p99_ms,
            raw_figures.p50_ms,
            raw_figures.p99_ms,
            store_figures.p50_ms / raw_figures.p50_ms,
            store_figures.p99_ms / raw_figures.p99_ms,
            store_figures.count,
        );
        if store_figures.p99_ms.max(raw_figures.p99_ms) > SLOW_MS {
            slow.push(shape);
        }
    }
    println!("(milliseconds; ratio = store / raw SQL at p50 / p99; rare word: {rare_word})");
    for shape in slow {
        let (sql, params) = shape.raw_page(None);
        println!(
            "-- plan of '{}' (over {SLOW_MS} ms at p99):\n{sql}",
            shape.name
        );
        for line in raw.plan(&sql, &params).await? {
            println!("   {line}");
        }
    }
    Ok(())
}

/// 1234567 as "1,234,567".
fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}
