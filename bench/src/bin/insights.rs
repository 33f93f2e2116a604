//! The dashboards at scale: the queue benchmark's generated reports (a million by default)
//! given the milestones of their lives (first response, triage, assignment, remediation or
//! close, source, root cause), then the p50/p99 time of every store call one dashboard
//! makes, asked at once as the service asks them (the durations of the three clocks, the
//! three deadline counts, open reports per week, the counts of what was received, credits),
//! for several periods and one product, on SQLite and PostgreSQL. Beside each, in the same
//! run, the raw SQL baseline: one hand-written aggregate over the same reports (counts per
//! state and rating), what the database needs merely to read the period once. The desk's
//! kept parts (each fortnight's reports, packed) are built first, as its job keeps them.
//!
//! Usage: insights [REPORTS] [ITERATIONS] [both|sqlite|postgres]
//! PostgreSQL runs when CVDESK_BENCH_POSTGRES_URL names a server that allows CREATE
//! DATABASE; the database made for the run is dropped at the end, unless
//! CVDESK_BENCH_POSTGRES_KEEP names it: then the reports are generated into that database
//! once, kept, and measured there again by later runs. When
//! CVDESK_BENCH_SQLITE_COPY names a copy of an earlier run's SQLite database (made with
//! `sqlite3 DB ".backup COPY"` while it ran), that copy is measured instead of generating
//! the reports again.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use cvdesk_bench::generated::{fill_postgres, fill_sqlite, END};
use cvdesk_bench::Summary;
use cvdesk_domain::access::ProductScope;
use cvdesk_domain::insights::{Deadlines, Period};
use cvdesk_domain::sla::{Calendar, Rule};
use cvdesk_domain::staff::ProductId;
use cvdesk_store::{ClockDeadlines, InsightScope, Store, StoreLocation};
use sqlx::postgres::{PgConnection, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::Connection;

/// Longest time spent measuring one dashboard on one backend (both sides together).
const BUDGET: Duration = Duration::from_secs(60);
/// The answer every dashboard must give within, at p99.
const TARGET_MS: f64 = 500.0;

/// The milestones each generated report gets, from its id, in each dialect's arithmetic
/// on times: `{plus}` is replaced by an expression adding seconds to a time.
const MILESTONES: [&str; 3] = [
    "UPDATE reports SET \
       source = CASE id % 10 WHEN 0 THEN 'api' WHEN 1 THEN 'staff' ELSE 'form' END, \
       first_response_at = CASE WHEN state = 'new' AND id % 3 = 0 THEN NULL \
         ELSE {plus(created_at, (id * 7919) % 432000 + 600)} END, \
       triaged_at = CASE WHEN state = 'new' THEN NULL \
         ELSE {plus(created_at, (id * 104729) % 1296000 + 3600)} END",
    "UPDATE reports SET \
       assigned_at = CASE WHEN state IN ('assigned', 'remediated') \
         THEN {plus(triaged_at, 86400)} END, \
       remediated_at = CASE WHEN state = 'remediated' \
         THEN {plus(triaged_at, (id * 1299709) % 10368000 + 86400)} END, \
       closed_at = CASE WHEN state IN ('duplicate', 'informative', 'not_applicable') \
         THEN {plus(triaged_at, 172800)} END, \
       closed_as_spam = (state = 'not_applicable' AND id % 4 = 0), \
       root_cause = CASE WHEN state = 'remediated' THEN CASE id % 6 WHEN 0 THEN 'design' \
         WHEN 1 THEN 'implementation' WHEN 2 THEN 'configuration' WHEN 3 THEN 'dependency' \
         WHEN 4 THEN 'process' END END",
    "UPDATE reports SET closed_at = remediated_at WHERE state = 'remediated'",
];

/// `MILESTONES` for one dialect: `plus(time, seconds)` written out.
fn milestones(plus: impl Fn(&str, &str) -> String) -> String {
    MILESTONES
        .iter()
        .map(|statement| {
            let mut out = String::new();
            let mut rest = *statement;
            while let Some(start) = rest.find("{plus(") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 6..];
                let end = after.find(")}").unwrap_or(after.len());
                let (time, seconds) = after[..end].split_once(", ").unwrap_or(("", ""));
                out.push_str(&plus(time, seconds));
                rest = &after[(end + 2).min(after.len())..];
            }
            out.push_str(rest);
            out.push(';');
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn sqlite_milestones() -> String {
    milestones(|time, seconds| {
        format!(
            "(strftime('%Y-%m-%dT%H:%M:%S', {time}, '+' || ({seconds}) || ' seconds') \
             || '.000000Z')"
        )
    })
}

fn postgres_milestones() -> String {
    milestones(|time, seconds| format!("({time} + make_interval(secs => {seconds}))"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let usage = "usage: insights [REPORTS] [ITERATIONS] [both|sqlite|postgres]";
    let mut args = std::env::args().skip(1);
    let reports: u64 = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let iterations: usize = args.next().map_or(Ok(30), |s| s.parse())?;
    let backends = args.next().unwrap_or_else(|| "both".to_owned());
    anyhow::ensure!(
        matches!(backends.as_str(), "both" | "sqlite" | "postgres"),
        "{usage}"
    );
    if backends != "postgres" {
        println!("== SQLite, {reports} reports");
        let data = tempfile::tempdir()?;
        let location = StoreLocation::Sqlite {
            data_dir: data.path().to_path_buf(),
        };
        let database = data.path().join("cvdesk.db");
        match std::env::var_os("CVDESK_BENCH_SQLITE_COPY") {
            Some(copy) => {
                std::fs::copy(&copy, &database)?;
                std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o600))?;
                println!("copied from {}", copy.to_string_lossy());
            }
            None => {
                drop(cvdesk_store::open(&location).await?);
                let took = fill_sqlite(&database, reports, Some(&sqlite_milestones())).await?;
                println!("generated in {:.1} s", took.as_secs_f64());
            }
        }
        let store = cvdesk_store::open(&location).await?;
        // As the desk does once it listens: the planner's statistics for the data just made.
        store.refresh_statistics().await?;
        keep_parts(store.as_ref()).await?;
        let raw = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(&database)
                    .read_only(true),
            )
            .await?;
        measure(store.as_ref(), iterations, |from, to, product| {
            let raw = raw.clone();
            async move {
                // Through the index the dashboards read: for a year or more SQLite's
                // planner otherwise walks the index by state, reading each report's row.
                let mut sql = String::from(
                    "SELECT state, cvss_rating, COUNT(*) FROM reports \
                     INDEXED BY reports_received_milestones \
                     WHERE created_at >= $1 AND created_at < $2",
                );
                if product.is_some() {
                    sql.push_str(" AND product_id = $3");
                }
                sql.push_str(" GROUP BY state, cvss_rating");
                let stored = |at: time::OffsetDateTime| {
                    at.format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default()
                        .replace('Z', ".000000Z")
                };
                let mut query = sqlx::query_as::<_, (String, Option<String>, i64)>(&sql)
                    .bind(stored(from))
                    .bind(stored(to));
                if let Some(product) = product {
                    query = query.bind(product);
                }
                query.fetch_all(&raw).await.map(drop)
            }
        })
        .await?;
    }
    if backends != "sqlite" {
        match std::env::var("CVDESK_BENCH_POSTGRES_URL") {
            Ok(server) => run_postgres(&server, reports, iterations).await?,
            Err(_) => println!("== PostgreSQL skipped: CVDESK_BENCH_POSTGRES_URL is not set"),
        }
    }
    Ok(())
}

/// `server`'s URL naming the database `name` instead.
fn database_url(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (server, String::new()),
    };
    let host = base.rsplit_once('/').map_or(base, |(host, _)| host);
    format!("{host}/{name}{query}")
}

async fn run_postgres(server: &str, reports: u64, iterations: usize) -> anyhow::Result<()> {
    println!("== PostgreSQL, {reports} reports");
    let kept = std::env::var("CVDESK_BENCH_POSTGRES_KEEP").ok();
    let mut admin = PgConnection::connect(server).await?;
    let (url, generate) = match &kept {
        Some(name) => {
            anyhow::ensure!(
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "CVDESK_BENCH_POSTGRES_KEEP: a database name of a-z, 0-9 and _"
            );
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(name)
                    .fetch_one(&mut admin)
                    .await?;
            if !exists {
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await?;
            }
            (database_url(server, name), !exists)
        }
        None => (
            cvdesk_store::testing::fresh_postgres_database(server).await,
            true,
        ),
    };
    let location = StoreLocation::Postgres {
        url: url.clone(),
        max_connections: 10,
    };
    if generate {
        drop(cvdesk_store::open(&location).await?);
        let took = fill_postgres(&url, reports, Some(&postgres_milestones())).await?;
        println!("generated in {:.1} s", took.as_secs_f64());
    } else {
        println!("measured again in the kept database");
    }
    let store = cvdesk_store::open(&location).await?;
    // As the desk does once it listens: the planner's statistics for the data just made.
    store.refresh_statistics().await?;
    keep_parts(store.as_ref()).await?;
    let raw = PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await?;
    let outcome = measure(store.as_ref(), iterations, |from, to, product| {
        let raw = raw.clone();
        async move {
            let mut sql = String::from(
                "SELECT state, cvss_rating, COUNT(*) FROM reports \
                 WHERE created_at >= $1 AND created_at < $2",
            );
            if product.is_some() {
                sql.push_str(" AND product_id = $3");
            }
            sql.push_str(" GROUP BY state, cvss_rating");
            let mut query = sqlx::query_as::<_, (String, Option<String>, i64)>(&sql)
                .bind(from)
                .bind(to);
            if let Some(product) = product {
                query = query.bind(product);
            }
            query.fetch_all(&raw).await.map(drop)
        }
    })
    .await;
    raw.close().await;
    drop(store);
    if kept.is_none() {
        let name = url
            .rsplit('/')
            .next()
            .and_then(|tail| tail.split('?').next())
            .unwrap_or_default()
            .to_owned();
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
    }
    outcome
}

/// As the desk's minutely job does: the fortnights of reports packed and kept, so long
/// periods read them. Timed, as the first run after an upgrade or an import does this.
async fn keep_parts(store: &dyn Store) -> anyhow::Result<()> {
    let started = Instant::now();
    let built = store.keep_dashboard_parts(END).await?;
    println!(
        "kept parts: {built} built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The deadlines of the default policy's service levels, as the desk judges them.
fn deadlines(scope: InsightScope<'_>) -> anyhow::Result<ClockDeadlines> {
    let calendar = Calendar::default();
    let received = scope.period.from()..scope.period.to();
    let ratings = [
        Some("critical"),
        Some("high"),
        Some("medium"),
        Some("low"),
        Some("none"),
        None,
    ];
    Ok(ClockDeadlines {
        first_response: Deadlines::for_rule(Rule::WorkingDays(5), &calendar, received.clone())?,
        triage: Deadlines::for_rule(Rule::WorkingDays(10), &calendar, received)?,
        remediation: vec![(
            Deadlines::for_rule(
                Rule::CalendarDays(90),
                &calendar,
                scope.period.from()..scope.period.to().max(END),
            )?,
            ratings.map(|rating| rating.map(str::to_owned)).into(),
        )],
    })
}

/// Every store call the dashboard service makes for one dashboard, asked at once as the
/// service asks them.
async fn dashboard(store: &dyn Store, scope: InsightScope<'_>) -> anyhow::Result<()> {
    let deadlines = deadlines(scope)?;
    tokio::try_join!(
        store.period_figures(scope, &deadlines, END),
        store.credit_answers(scope),
    )?;
    Ok(())
}

async fn measure<F, Fut>(store: &dyn Store, iterations: usize, raw: F) -> anyhow::Result<()>
where
    F: Fn(time::OffsetDateTime, time::OffsetDateTime, Option<i64>) -> Fut,
    Fut: std::future::Future<Output = Result<(), sqlx::Error>>,
{
    let all = ProductScope::All;
    let days = |n: i64| END - time::Duration::days(n);
    let shapes: [(&str, i64, Option<i64>); 5] = [
        ("last 90 days, all products", 90, None),
        ("last 90 days, product 1", 90, Some(1)),
        ("last 365 days, all products", 365, None),
        ("last 365 days, product 1", 365, Some(1)),
        ("three years, all products", 3 * 365, None),
    ];
    println!(
        "{:<32} {:>9} {:>22} {:>22}  {:>5}",
        "dashboard", "reports", "store p50 / p99", "raw SQL p50 / p99", "n"
    );
    for (name, back, product) in shapes {
        let period = Period::new(days(back), END, END)?;
        let scope = InsightScope {
            period: &period,
            product: product.map(ProductId),
            visible: &all,
        };
        let received = store
            .period_figures(scope, &deadlines(scope)?, END)
            .await?
            .received
            .outcomes
            .received;
        let started = Instant::now();
        let (mut store_times, mut raw_times) = (Vec::new(), Vec::new());
        while store_times.len() < iterations && started.elapsed() < BUDGET {
            let begun = Instant::now();
            dashboard(store, scope).await?;
            store_times.push(begun.elapsed());
            let begun = Instant::now();
            raw(period.from(), period.to(), product).await?;
            raw_times.push(begun.elapsed());
        }
        let wall = started.elapsed();
        let ours = Summary::of(store_times, wall);
        let theirs = Summary::of(raw_times, wall);
        println!(
            "{name:<32} {received:>9} {:>10.1} / {:>9.1} {:>10.1} / {:>9.1}  {:>5}{}",
            ours.p50_ms,
            ours.p99_ms,
            theirs.p50_ms,
            theirs.p99_ms,
            ours.count,
            if ours.p99_ms > TARGET_MS {
                "  (over 500 ms)"
            } else {
                ""
            }
        );
    }
    println!("(milliseconds; store = every call of one dashboard, asked at once)");
    Ok(())
}
