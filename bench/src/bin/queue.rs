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
//! try an index (or ANALYZE) before it becomes a migration.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use cvdesk_bench::Summary;
use cvdesk_domain::report::ReportState;
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::Severity;
use cvdesk_formats::cvss::Cvss;
use cvdesk_store::{QueueCursor, ReportFilter, ReportSort, Store, StoreLocation};
use serde_json::{json, Value as Json};
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::query::QueryAs;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Database, Encode, FromRow, Type};
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::OffsetDateTime;

/// Reports are spread over the three years before this instant.
const END: OffsetDateTime = datetime!(2026-11-01 00:00 UTC);
const SPAN_SECONDS: u64 = 3 * 365 * 86_400;
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
/// The generated columns, in the order of the JSON rows both backends unpack.
const GENERATED_COLUMNS: [(&str, &str); 20] = [
    ("reference_year", "bigint"),
    ("reference_sequence", "bigint"),
    ("tracking_token_hash", "text"),
    ("state", "text"),
    ("needs_info", "boolean"),
    ("created_at", "timestamptz"),
    ("asset", "text"),
    ("weakness", "text"),
    ("cvss_vector", "text"),
    ("cvss_version", "text"),
    ("cvss_score", "float8"),
    ("cvss_rating", "text"),
    ("title", "text"),
    ("summary", "text"),
    ("steps_to_reproduce", "text"),
    ("impact", "text"),
    ("contact_email", "text"),
    ("credit", "boolean"),
    ("product_id", "bigint"),
    ("updated_at", "timestamptz"),
];

/// Words ordered roughly by how often they occur in reports; ranks beyond this list are
/// made-up words, so the vocabulary has a long tail of rare terms as real text does.
const COMMON_WORDS: &str = "the to and a of in is this user request on an that can with be \
    it for as by page parameter attacker account response server from when not injection \
    data access application session value endpoint any which are other api field browser \
    token header input login admin script without url using cookie via after email file \
    users victim then send sent into also has following password security code content \
    query form id steps error allows could vulnerability http https json body link profile \
    would origin redirect upload object permission role database directory payload reset \
    cross site scripting valid invalid check missing because version public private \
    internal external remote local host domain path service client mobile android ios web \
    app network proxy cache key secret credentials authentication authorization bypass \
    privilege escalation sensitive information disclosure leak exposed stored reflected dom \
    based blind time delay status message logs log debug trace stack exception crash memory \
    buffer overflow integer format string command shell execute executed execution \
    arbitrary javascript html xml entity template engine render rendered sanitize escape \
    encoding encoded decode base64 hash md5 sha1 weak random predictable guess brute force \
    rate limit attempts otp verification two factor mfa sms phone number address name \
    first last full takeover change changed update updated delete deleted create created \
    new old existing another different same only must should may might will need needs \
    able possible impact risk severity critical high medium low customer customers order \
    orders payment invoice cart checkout price discount coupon product catalog search \
    filter sort report reports export import pdf csv image avatar photo attachment document \
    share shared team organization member invite invitation group settings configuration \
    option default enabled disabled feature beta staging production environment subdomain \
    dns record certificate tls ssl cipher plaintext cleartext transport insecure secure \
    cors csrf samesite clickjacking frame iframe window popup postmessage websocket graphql \
    rest soap grpc oauth saml sso openid jwt signature algorithm none expired expiry \
    refresh replay race condition concurrent parallel duplicate idor uuid guessable \
    enumeration list read write modify tampering ssrf metadata cloud bucket storage \
    instance port scan timing side channel deserialization serialized pickle yaml \
    prototype pollution regex denial dos resource exhaustion large recursive loop zip \
    archive traversal symlink filename extension mimetype sniffing csp policy nonce inline \
    eval unsafe";
const SYLLABLES: &str = "ka lo mi ru sen ta vo zi bel dor fen gal hux jor ple quo";
const VOCABULARY_SIZE: usize = 60_000;
/// A made-up word deep in the tail: it occurs in about one report in seven thousand.
const RARE_WORD_RANK: usize = 50_000;
/// Weakness classes as titles name them, most frequent first.
const CLASSES: &str = "Stored XSS=CWE-79, SQL injection=CWE-89, IDOR=CWE-639, \
    Reflected XSS=CWE-79, Open redirect=CWE-601, Information disclosure=CWE-200, \
    SSRF=CWE-918, CSRF=CWE-352, Broken access control=CWE-284, Command injection=CWE-78, \
    Path traversal=CWE-22, Authentication bypass=CWE-287, Missing rate limit=CWE-770, \
    Clickjacking=CWE-1021, Template injection=CWE-1336, XXE=CWE-611, \
    Insecure deserialization=CWE-502, Race condition=CWE-362, Session fixation=CWE-384, \
    Weak password policy=CWE-521, Header injection=CWE-113, Subdomain takeover=CWE-350, \
    Denial of service=CWE-400, Prototype pollution=CWE-1321, Cleartext storage=CWE-312";
const PRODUCTS: &str = "storefront checkout accounts mobile partners admin billing search \
    messaging identity payments analytics support docs cdn mail vpn builds firmware desktop";
/// Real vectors, so the stored score and rating are what the scorer says they are.
const VECTORS: [&str; 12] = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N",
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
    "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
];

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

/// Deterministic pseudo-random numbers (SplitMix64), so every run and both backends hold
/// the same reports.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, bound: usize) -> usize {
        ((self.unit() * bound as f64) as usize).min(bound.saturating_sub(1))
    }
}

/// Ranks drawn with probability proportional to 1/rank, as words occur in real text.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(size: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=size.max(1))
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn sample(&self, random: &mut Random) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = random.unit() * total;
        self.cumulative
            .partition_point(|&c| c < target)
            .min(self.cumulative.len() - 1)
    }
}

fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = Vec::with_capacity(VOCABULARY_SIZE);
    for word in COMMON_WORDS.split_whitespace() {
        if !words.iter().any(|known| known == word) {
            words.push(word.to_owned());
        }
    }
    let syllables: Vec<&str> = SYLLABLES.split_whitespace().collect();
    let mut made_up = 0usize;
    while words.len() < VOCABULARY_SIZE {
        words.push(
            (0..4)
                .map(|i| syllables[(made_up >> (4 * i)) & 15])
                .collect(),
        );
        made_up += 1;
    }
    words
}

struct ReportGenerator {
    random: Random,
    words: Vec<String>,
    word_ranks: Zipf,
    component_ranks: Zipf,
    classes: Vec<(&'static str, &'static str)>,
    class_ranks: Zipf,
    /// Product ids and host names, most reported first.
    products: Vec<(i64, &'static str)>,
    product_ranks: Zipf,
    severities: Vec<Severity>,
    total: u64,
    produced: u64,
    /// Last reference sequence given out, per year.
    sequences: BTreeMap<i64, i64>,
}

impl ReportGenerator {
    fn new(total: u64, products: Vec<(i64, &'static str)>) -> anyhow::Result<Self> {
        let severities = VECTORS
            .iter()
            .map(|vector| Ok(Severity::of(&Cvss::parse(vector)?)))
            .collect::<anyhow::Result<_>>()?;
        let classes: Vec<_> = CLASSES
            .split(", ")
            .filter_map(|pair| pair.trim().split_once('='))
            .collect();
        Ok(ReportGenerator {
            random: Random(0x00C0_FFEE),
            words: vocabulary(),
            word_ranks: Zipf::new(VOCABULARY_SIZE),
            component_ranks: Zipf::new(20_000),
            class_ranks: Zipf::new(classes.len()),
            classes,
            product_ranks: Zipf::new(products.len()),
            products,
            severities,
            total,
            produced: 0,
            sequences: BTreeMap::new(),
        })
    }

    fn text(&mut self, shortest: usize, longest: usize) -> String {
        let count = shortest + self.random.below(longest - shortest + 1);
        let mut text = String::with_capacity(count * 8);
        for i in 0..count {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(&self.words[self.word_ranks.sample(&mut self.random)]);
        }
        text
    }

    /// A word for a component name: past the most common words.
    fn component(&mut self) -> String {
        self.words[150 + self.component_ranks.sample(&mut self.random)].clone()
    }

    /// Open reports are mostly recent ones; a few stale ones linger for years.
    fn state(&mut self, age_days: i64) -> &'static str {
        let open_share = if age_days < 60 { 0.9 } else { 0.02 };
        let pick = self.random.unit();
        match (self.random.unit() < open_share, pick) {
            (true, p) if p < 0.4 => "new",
            (true, p) if p < 0.7 => "triaged",
            (true, _) => "assigned",
            (false, p) if p < 0.2 => "duplicate",
            (false, p) if p < 0.65 => "remediated",
            (false, p) if p < 0.85 => "informative",
            (false, _) => "not_applicable",
        }
    }

    /// Up to `rows` more reports as a JSON array of arrays in `GENERATED_COLUMNS` order;
    /// `None` once all have been produced.
    fn next_batch(&mut self, rows: usize) -> anyhow::Result<Option<Json>> {
        let start = END - time::Duration::seconds(SPAN_SECONDS as i64);
        let mut batch = Vec::with_capacity(rows);
        while batch.len() < rows && self.produced < self.total {
            let n = self.produced;
            self.produced += 1;
            let created_at =
                start + time::Duration::seconds((SPAN_SECONDS * n / self.total) as i64);
            let year = i64::from(created_at.year());
            let sequence = self.sequences.entry(year).or_insert(0);
            *sequence += 1;
            let sequence = *sequence;
            let r = &mut self.random;
            let token_hash = format!(
                "{:016x}{:016x}{:016x}{n:016x}",
                r.next(),
                r.next(),
                r.next()
            );
            let state = self.state((END - created_at).whole_days());
            let open = matches!(state, "new" | "triaged" | "assigned");
            let needs_info = open && self.random.unit() < 0.15;
            let updated_at = match state {
                "new" => None,
                _ => Some(
                    (created_at + time::Duration::hours(1 + self.random.below(720) as i64))
                        .format(&Rfc3339)?,
                ),
            };
            let (product, host) = match self.random.unit() < 0.12 {
                true => (None, "www"),
                false => {
                    let (id, host) = self.products[self.product_ranks.sample(&mut self.random)];
                    (Some(id), host)
                }
            };
            let component = self.component();
            let (class, weakness) = self.classes[self.class_ranks.sample(&mut self.random)];
            let severity =
                (self.random.unit() >= 0.25).then(|| self.random.below(self.severities.len()));
            let title = format!("{class} in {component} {}", self.component());
            let summary = self.text(20, 40);
            let request_id = self.random.below(1_000_000);
            let steps = format!(
                "Open https://{host}.example.com/{component}?id={request_id} then {}",
                self.text(25, 60)
            );
            let impact = self.text(8, 20);
            let contact_email = (self.random.unit() < 0.8)
                .then(|| format!("finder{}@example.net", self.random.below(50_000)));
            batch.push(json!([
                year,
                sequence,
                token_hash,
                state,
                needs_info,
                created_at.format(&Rfc3339)?,
                format!("https://{host}.example.com/{component}"),
                weakness,
                severity.map(|s| &self.severities[s].vector),
                severity.map(|s| &self.severities[s].version),
                severity.map(|s| self.severities[s].score),
                severity.map(|s| &self.severities[s].rating),
                title,
                summary,
                steps,
                impact,
                contact_email,
                self.random.unit() < 0.6,
                product,
                updated_at,
            ]));
        }
        Ok((!batch.is_empty()).then_some(Json::Array(batch)))
    }
}

/// INSERT … SELECT of one JSON array of rows, written for SQLite (`json_each`, `->>`).
fn sqlite_insert() -> String {
    let columns: Vec<&str> = GENERATED_COLUMNS.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = (0..columns.len())
        .map(|i| format!("value ->> {i}"))
        .collect();
    format!(
        "INSERT INTO reports (reference_prefix, {}) SELECT 'CVD', {} FROM json_each($1)",
        columns.join(", "),
        values.join(", ")
    )
}

/// The same for PostgreSQL (`jsonb_array_elements`, typed casts).
fn postgres_insert() -> String {
    let columns: Vec<&str> = GENERATED_COLUMNS.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = GENERATED_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| format!("(row ->> {i})::{kind}"))
        .collect();
    format!(
        "INSERT INTO reports (reference_prefix, {}) SELECT 'CVD', {} \
         FROM jsonb_array_elements($1::jsonb) AS row",
        columns.join(", "),
        values.join(", ")
    )
}

const INSERT_PRODUCT: &str =
    "INSERT INTO products (name, hostnames, created_at) VALUES ($1, $2, $3) RETURNING id";
const INSERT_COUNTER: &str =
    "INSERT INTO reference_counters (prefix, year, last_sequence) VALUES ('CVD', $1, $2)";

/// Fills the migrated SQLite database in one transaction, a thousand rows a statement;
/// the FTS triggers index each row as it goes in. (Dropping the trigger and rebuilding
/// the FTS table afterwards was measured: the rebuild alone takes half the total.)
async fn fill_sqlite(
    database: &Path,
    total: u64,
    try_sql: Option<&str>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    // A bulk load needs no fsync per page; the file is thrown away after the run.
    let mut connection = SqliteConnectOptions::new()
        .filename(database)
        .synchronous(SqliteSynchronous::Off)
        .pragma("cache_size", "-262144")
        .connect()
        .await?;
    let mut tx = connection.begin().await?;
    let mut products = Vec::new();
    for name in PRODUCTS.split_whitespace() {
        let id: i64 = sqlx::query_scalar(INSERT_PRODUCT)
            .bind(name)
            .bind(format!("{name}.example.com"))
            .bind(END)
            .fetch_one(&mut *tx)
            .await?;
        products.push((id, name));
    }
    let mut generator = ReportGenerator::new(total, products)?;
    let insert = sqlite_insert();
    while let Some(batch) = generator.next_batch(1_000)? {
        sqlx::query(&insert)
            .bind(batch.to_string())
            .execute(&mut *tx)
            .await?;
    }
    for (year, last) in &generator.sequences {
        sqlx::query(INSERT_COUNTER)
            .bind(year)
            .bind(last)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    if let Some(sql) = try_sql {
        sqlx::raw_sql(sql).execute(&mut connection).await?;
    }
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut connection)
        .await?;
    Ok(started.elapsed())
}

/// Fills the migrated PostgreSQL database, ten thousand rows a statement; the generated
/// tsvector column fills itself.
async fn fill_postgres(url: &str, total: u64, try_sql: Option<&str>) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut connection = PgConnection::connect(url).await?;
    let mut products = Vec::new();
    for name in PRODUCTS.split_whitespace() {
        let id: i64 = sqlx::query_scalar(INSERT_PRODUCT)
            .bind(name)
            .bind(format!("{name}.example.com"))
            .bind(END)
            .fetch_one(&mut connection)
            .await?;
        products.push((id, name));
    }
    let mut generator = ReportGenerator::new(total, products)?;
    let insert = postgres_insert();
    while let Some(batch) = generator.next_batch(10_000)? {
        sqlx::query(&insert)
            .bind(batch.to_string())
            .execute(&mut connection)
            .await?;
    }
    for (year, last) in &generator.sequences {
        sqlx::query(INSERT_COUNTER)
            .bind(year)
            .bind(last)
            .execute(&mut connection)
            .await?;
    }
    if let Some(sql) = try_sql {
        sqlx::raw_sql(sql).execute(&mut connection).await?;
    }
    // What autovacuum does soon after a load like this: statistics for the planner and a
    // visibility map for index-only scans.
    sqlx::query("VACUUM ANALYZE reports")
        .execute(&mut connection)
        .await?;
    Ok(started.elapsed())
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
