//! The reports the benchmarks at scale fill their databases with: a million (or any number
//! of) deterministic reports spread over three years, with Zipf-distributed words, weakness
//! classes and products, real CVSS vectors and states that age as real queues do, bulk
//! loaded into a migrated SQLite or PostgreSQL database.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use cvdesk_domain::Severity;
use cvdesk_formats::cvss::Cvss;
use serde_json::{json, Value as Json};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use time::format_description::BorrowedFormatItem;
use time::macros::{datetime, format_description};
use time::OffsetDateTime;

/// Times as the store writes them (`StoredTime`): UTC, six fraction digits.
const STORED_TIME: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Reports are spread over the three years before this instant.
pub const END: OffsetDateTime = datetime!(2026-11-01 00:00 UTC);
pub const SPAN_SECONDS: u64 = 3 * 365 * 86_400;

/// The generated columns, in the order of the JSON rows both backends unpack.
pub const GENERATED_COLUMNS: [(&str, &str); 20] = [
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
pub const COMMON_WORDS: &str = "the to and a of in is this user request on an that can with be \
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
pub const SYLLABLES: &str = "ka lo mi ru sen ta vo zi bel dor fen gal hux jor ple quo";
pub const VOCABULARY_SIZE: usize = 60_000;
/// A made-up word deep in the tail: it occurs in about one report in seven thousand.
pub const RARE_WORD_RANK: usize = 50_000;
/// Weakness classes as titles name them, most frequent first.
pub const CLASSES: &str = "Stored XSS=CWE-79, SQL injection=CWE-89, IDOR=CWE-639, \
    Reflected XSS=CWE-79, Open redirect=CWE-601, Information disclosure=CWE-200, \
    SSRF=CWE-918, CSRF=CWE-352, Broken access control=CWE-284, Command injection=CWE-78, \
    Path traversal=CWE-22, Authentication bypass=CWE-287, Missing rate limit=CWE-770, \
    Clickjacking=CWE-1021, Template injection=CWE-1336, XXE=CWE-611, \
    Insecure deserialization=CWE-502, Race condition=CWE-362, Session fixation=CWE-384, \
    Weak password policy=CWE-521, Header injection=CWE-113, Subdomain takeover=CWE-350, \
    Denial of service=CWE-400, Prototype pollution=CWE-1321, Cleartext storage=CWE-312";
pub const PRODUCTS: &str = "storefront checkout accounts mobile partners admin billing search \
    messaging identity payments analytics support docs cdn mail vpn builds firmware desktop";
/// Real vectors, so the stored score and rating are what the scorer says they are.
pub const VECTORS: [&str; 12] = [
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

/// Deterministic pseudo-random numbers (SplitMix64), so every run and both backends hold
/// the same reports.
pub struct Random(pub u64);

impl Random {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, bound: usize) -> usize {
        ((self.unit() * bound as f64) as usize).min(bound.saturating_sub(1))
    }
}

/// Ranks drawn with probability proportional to 1/rank, as words occur in real text.
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub fn new(size: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=size.max(1))
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Zipf { cumulative }
    }

    pub fn sample(&self, random: &mut Random) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = random.unit() * total;
        self.cumulative
            .partition_point(|&c| c < target)
            .min(self.cumulative.len() - 1)
    }
}

pub fn vocabulary() -> Vec<String> {
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

pub struct ReportGenerator {
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
    pub fn new(total: u64, products: Vec<(i64, &'static str)>) -> anyhow::Result<Self> {
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

    pub fn text(&mut self, shortest: usize, longest: usize) -> String {
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
    pub fn component(&mut self) -> String {
        self.words[150 + self.component_ranks.sample(&mut self.random)].clone()
    }

    /// Open reports are mostly recent ones; a few stale ones linger for years.
    pub fn state(&mut self, age_days: i64) -> &'static str {
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
    pub fn next_batch(&mut self, rows: usize) -> anyhow::Result<Option<Json>> {
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
                r.next_u64(),
                r.next_u64(),
                r.next_u64()
            );
            let state = self.state((END - created_at).whole_days());
            let open = matches!(state, "new" | "triaged" | "assigned");
            let needs_info = open && self.random.unit() < 0.15;
            let updated_at = match state {
                "new" => None,
                _ => Some(
                    (created_at + time::Duration::hours(1 + self.random.below(720) as i64))
                        .format(STORED_TIME)?,
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
                created_at.format(STORED_TIME)?,
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
pub fn sqlite_insert() -> String {
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
pub fn postgres_insert() -> String {
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

pub const INSERT_PRODUCT: &str =
    "INSERT INTO products (name, hostnames, created_at) VALUES ($1, $2, $3) RETURNING id";
pub const INSERT_COUNTER: &str =
    "INSERT INTO reference_counters (prefix, year, last_sequence) VALUES ('CVD', $1, $2)";

/// Fills the migrated SQLite database in one transaction, a thousand rows a statement;
/// the FTS triggers index each row as it goes in. (Dropping the trigger and rebuilding
/// the FTS table afterwards was measured: the rebuild alone takes half the total.)
pub async fn fill_sqlite(
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
    // Loaded without a sync, the file's pages would be flushed by the desk's first sync
    // (its first checkpoint), a cost no desk that wrote its own reports pays.
    std::fs::File::open(database)?.sync_all()?;
    Ok(started.elapsed())
}

/// Fills the migrated PostgreSQL database, ten thousand rows a statement; the generated
/// tsvector column fills itself.
pub async fn fill_postgres(
    url: &str,
    total: u64,
    try_sql: Option<&str>,
) -> anyhow::Result<Duration> {
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
