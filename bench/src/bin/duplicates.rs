//! Duplicate suggestions at scale: REPORTS generated reports in SQLite (the newest thousand
//! with 50,000 characters of text each, the worst case the page compares), then, in the
//! same run:
//! - in the process: loading one report (the baseline), reading the compared reports with
//!   their counted words, the suggestion step on those words, and the same suggestions
//!   made the way the page used to (reading the full texts and splitting them on every
//!   load); the first comparison of reports stored without counted words (counted then);
//! - over HTTP: the staff report page of the newest report (a thousand earlier reports to
//!   compare) next to the page of the first report (nothing to compare).
//!
//! Usage: duplicates CVDESK_BINARY [REPORTS] [ITERATIONS]

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use cvdesk_bench::desk::{signed_in, timed};
use cvdesk_bench::Server;
use cvdesk_domain::similarity::{
    self, Candidate, CountedCandidate, ReportText, TermVector, Terms, TERMS_VERSION,
};
use cvdesk_domain::{ReportDraft, ReportInput, TextLimits};
use cvdesk_store::{Store, StoreLocation};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::Row;
use time::OffsetDateTime;

/// The compared reports, as the page compares them.
const COMPARED: u32 = 500;
const THRESHOLD: f64 = 0.25;
/// The newest reports carry this much text each: the most a finder may send.
const LONG_REPORTS: usize = 1_000;
const LONG_SUMMARY_CHARS: usize = 40_000;
const LONG_STEPS_CHARS: usize = 10_000;
const ASSETS: u64 = 200;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(
        args.next()
            .context("usage: duplicates CVDESK_BINARY [REPORTS] [ITERATIONS]")?,
    );
    let reports: usize = args.next().map_or(Ok(100_000), |s| s.parse())?;
    let iterations: usize = args.next().map_or(Ok(50), |s| s.parse())?;

    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let location = StoreLocation::Sqlite {
        data_dir: data.clone(),
    };
    let started = Instant::now();
    drop(cvdesk_store::open(&location).await?);
    let (first, newest) = fill(&data, reports).await?;
    println!(
        "== {reports} reports generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let store = cvdesk_store::open(&location).await?;
    // As the desk does once it listens: the planner's statistics for the data just made.
    store.refresh_statistics().await?;
    in_process(store.as_ref(), &data, &newest, iterations).await?;
    drop(store);

    let server = Server::start(&binary, &data, &[])?;
    let browser = signed_in(&binary, &data, &server.url).await?;
    let page = |reference: String| {
        let (browser, url) = (
            browser.clone(),
            format!("{}/staff/reports/{reference}", server.url),
        );
        async move {
            let response = browser.get(&url).send().await?;
            if response.status() != 200 {
                bail!("{url}: {}", response.status());
            }
            response.text().await?;
            Ok(())
        }
    };
    let newest_page = timed(iterations, || page(newest.clone())).await?;
    let first_page = timed(iterations, || page(first.clone())).await?;
    println!("{}", first_page.line("page of the first report (baseline)"));
    println!(
        "{}",
        newest_page.line("page of the newest report (with suggestions)")
    );
    Ok(())
}

/// Writes `count` reports straight into the database in one transaction (storing them one
/// by one through intake, one fsync each, would take most of an hour), each with the
/// counted words intake stores; returns the first and the newest reference.
async fn fill(data: &Path, count: usize) -> anyhow::Result<(String, String)> {
    let pool =
        SqlitePool::connect_with(SqliteConnectOptions::new().filename(data.join("cvdesk.db")))
            .await?;
    let mut words = Words::new(0x5eed);
    let now = OffsetDateTime::now_utc();
    let year = i64::from(now.year());
    let mut tx = pool.begin().await?;
    for index in 0..count {
        let long = index + LONG_REPORTS >= count;
        let (summary_chars, steps_chars) = if long {
            (LONG_SUMMARY_CHARS, LONG_STEPS_CHARS)
        } else {
            (1_200, 400)
        };
        let asset = format!("https://app{}.example.com/", words.below(ASSETS));
        let draft = ReportDraft::parse(
            &ReportInput {
                title: Some(words.title()),
                summary: Some(words.text(summary_chars)),
                steps_to_reproduce: Some(words.text(steps_chars)),
                impact: Some("Data of other customers can be read.".into()),
                asset: Some(asset),
                ..ReportInput::default()
            },
            TextLimits::default(),
        )
        .map_err(|errors| anyhow::anyhow!("generated report refused: {errors:?}"))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO reports (reference_prefix, reference_year, reference_sequence, \
             tracking_token_hash, created_at, asset, title, summary, steps_to_reproduce, \
             impact, credit) VALUES ('CVD', $1, $2, $3, $4, $5, $6, $7, $8, $9, FALSE) \
             RETURNING id",
        )
        .bind(year)
        .bind(i64::try_from(index + 1)?)
        .bind(format!("bench-token-{index}"))
        .bind(now)
        .bind(draft.asset.as_deref())
        .bind(draft.title.as_str())
        .bind(draft.summary.as_str())
        .bind(draft.steps_to_reproduce.as_str())
        .bind(draft.impact.as_str())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO report_terms (report_id, version, terms) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(i64::from(TERMS_VERSION))
            .bind(TermVector::of(&ReportText::of_draft(&draft)).encode())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    pool.close().await;
    let reference = |sequence: usize| format!("CVD-{year}-{sequence:04}");
    Ok((reference(1), reference(count)))
}

/// The page's steps measured inside the process, each next to loading the report alone.
async fn in_process(
    store: &dyn Store,
    data: &Path,
    newest: &str,
    iterations: usize,
) -> anyhow::Result<()> {
    let reference = newest.parse()?;
    let report = store
        .report_by_reference(&reference)
        .await?
        .context("the newest report")?;
    let asset = report.content.asset.clone();
    let load = timed(iterations, || async {
        store.report_by_reference(&reference).await?;
        Ok(())
    })
    .await?;
    let read = timed(iterations, || async {
        store
            .comparable_reports(report.id, asset.as_deref(), COMPARED)
            .await?;
        Ok(())
    })
    .await?;
    let comparable = store
        .comparable_reports(report.id, asset.as_deref(), COMPARED)
        .await?;
    let new_terms = TermVector::of(&ReportText::of_draft(&report.content));
    let mut found = 0;
    let suggest = timed(iterations, || {
        let candidates: anyhow::Result<Vec<CountedCandidate>> = comparable
            .iter()
            .map(|c| {
                Ok(CountedCandidate {
                    id: c.id,
                    reference: &c.reference,
                    terms: Terms::decode(&c.terms)?,
                    asset: c.asset.as_deref(),
                })
            })
            .collect();
        let result = candidates.map(|candidates| {
            found = similarity::suggest_among_counted(
                &new_terms.terms(),
                asset.as_deref(),
                &candidates,
                5,
                THRESHOLD,
            )
            .len();
        });
        async move { result }
    })
    .await?;

    // The way the page used to do it: every compared report's full text, split each time.
    let pool =
        SqlitePool::connect_with(SqliteConnectOptions::new().filename(data.join("cvdesk.db")))
            .await?;
    let before = timed(iterations.min(10), || {
        let pool = pool.clone();
        let report = &report;
        let asset = asset.as_deref();
        async move {
            let rows = sqlx::query(
                "SELECT id, title, summary, steps_to_reproduce, asset FROM reports \
                 WHERE id < $1 AND (id IN (SELECT id FROM reports WHERE id < $1 ORDER BY id DESC LIMIT $2) \
                 OR (asset IS NOT NULL AND asset = $3)) ORDER BY id DESC LIMIT $4",
            )
            .bind(report.id)
            .bind(i64::from(COMPARED))
            .bind(asset)
            .bind(i64::from(COMPARED) * 2)
            .fetch_all(&pool)
            .await?;
            let texts: Vec<(i64, String, String, String, Option<String>)> = rows
                .iter()
                .map(|row| {
                    (
                        row.get(0),
                        row.get(1),
                        row.get(2),
                        row.get(3),
                        row.get(4),
                    )
                })
                .collect();
            let candidates: Vec<Candidate> = texts
                .iter()
                .map(|(id, title, summary, steps, asset)| Candidate {
                    id: *id,
                    reference: &report.reference,
                    text: ReportText {
                        title,
                        summary,
                        steps,
                        asset: asset.as_deref(),
                    },
                })
                .collect();
            similarity::suggest_duplicates(
                &ReportText::of_draft(&report.content),
                &candidates,
                5,
                THRESHOLD,
            );
            Ok(())
        }
    })
    .await?;

    // Reports stored before words were counted: the first comparison counts them.
    sqlx::query(
        "DELETE FROM report_terms WHERE report_id IN \
         (SELECT id FROM reports ORDER BY id DESC LIMIT $1)",
    )
    .bind(i64::try_from(LONG_REPORTS)?)
    .execute(&pool)
    .await?;
    pool.close().await;
    let counted_then = Instant::now();
    store
        .comparable_reports(report.id, asset.as_deref(), COMPARED)
        .await?;
    let backfill = counted_then.elapsed();

    println!("compared reports: {}, suggested: {found}", comparable.len());
    println!("{}", load.line("load the report alone (baseline)"));
    println!("{}", read.line("read compared reports with their words"));
    println!("{}", suggest.line("suggestion step on counted words"));
    println!("{}", before.line("before: read full texts and split them"));
    println!(
        "first comparison of {} reports stored without words: {:.1} ms (once)",
        comparable.len().min(LONG_REPORTS),
        backfill.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// Reproducible report text: words drawn from a vocabulary with a long tail of rare ones,
/// as real reports have.
struct Words {
    state: u64,
    vocabulary: Vec<String>,
}

impl Words {
    fn new(seed: u64) -> Self {
        const COMMON: &str = "request parameter response server session token cookie header \
            admin login password account user page endpoint api injection script redirect \
            upload file path query value input output browser attacker victim access data";
        let mut words = Words {
            state: seed,
            vocabulary: COMMON.split_whitespace().map(str::to_owned).collect(),
        };
        for _ in 0..20_000 {
            let length = 4 + words.below(8);
            let word: String = (0..length)
                .map(|_| char::from(b'a' + u8::try_from(words.below(26)).unwrap_or(0)))
                .collect();
            words.vocabulary.push(word);
        }
        words
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    /// A word, the common ones far more often than the rare (a rough Zipf law).
    fn word(&mut self) -> &str {
        let count = self.vocabulary.len() as u64;
        let a = self.below(count) + 1;
        let b = self.below(count) + 1;
        let rank = (a * b) / count;
        &self.vocabulary[usize::try_from(rank)
            .unwrap_or(0)
            .min(self.vocabulary.len() - 1)]
    }

    fn title(&mut self) -> String {
        let kinds = [
            "XSS",
            "SQL injection",
            "IDOR",
            "Open redirect",
            "SSRF",
            "CSRF",
        ];
        let kind = kinds[usize::try_from(self.below(kinds.len() as u64)).unwrap_or(0)];
        format!(
            "{kind} in {} via {}",
            self.word().to_owned(),
            self.word().to_owned()
        )
    }

    fn text(&mut self, chars: usize) -> String {
        let mut text = String::with_capacity(chars + 16);
        while text.len() < chars {
            let word = self.word().to_owned();
            text.push_str(&word);
            text.push(' ');
        }
        text.truncate(chars);
        text
    }
}
