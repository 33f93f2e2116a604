//! Times that differ only in a fraction of a second: expiry and order hold on every
//! backend (SQLite compares its times as text, so they must all have one width), and
//! times stored before the fixed width was kept are rewritten into it.

use std::borrow::Cow;

use cvdesk_domain::report::ReportState;
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{NewReport, ReportFilter, SpentChallenge, Store, StoreError, StoreLocation};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::Row;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::backends::backends;
use crate::staff::triager;

/// A whole second, and the same second half gone.
const WHOLE: OffsetDateTime = datetime!(2026-03-01 09:30:00 UTC);
const HALF: OffsetDateTime = datetime!(2026-03-01 09:30:00.5 UTC);

fn draft() -> ReportDraft {
    ReportDraft::parse(
        &ReportInput {
            title: Some("Timing".into()),
            summary: Some("Summary".into()),
            steps_to_reproduce: Some("Steps".into()),
            impact: Some("Impact".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid draft")
}

async fn create(
    store: &dyn Store,
    seed: u8,
    received_at: OffsetDateTime,
    challenge: Option<SpentChallenge<'_>>,
) -> Result<i64, StoreError> {
    let report = store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at,
            tracking_token_hash: &TrackingToken::from_random_bytes([seed; 32]).hash(),
            content: &draft(),
            attachments: &[],
            product: None,
            received_from: None,
            challenge,
            source: cvdesk_domain::report_source::ReportSource::Form,
        })
        .await?;
    Ok(report.id)
}

#[tokio::test]
async fn links_expire_at_their_fraction_of_a_second() {
    for backend in backends().await {
        let store = backend.open().await;
        store
            .create_setup_link("ends-on-the-second", WHOLE)
            .await
            .expect("link");
        store
            .create_setup_link("ends-half-a-second-later", HALF)
            .await
            .expect("link");
        let usable = |token: &'static str, at: OffsetDateTime| {
            let store = store.clone();
            async move { store.link_usable(token, true, at).await.expect("read") }
        };
        let quarter = WHOLE + Duration::milliseconds(250);
        assert!(
            !usable("ends-on-the-second", quarter).await,
            "{}: a link used after its expiry",
            backend.name
        );
        assert!(
            usable("ends-half-a-second-later", WHOLE).await,
            "{}: a link refused before its expiry",
            backend.name
        );
        assert!(!usable("ends-half-a-second-later", HALF).await);
    }
}

#[tokio::test]
async fn a_spent_challenge_is_remembered_until_its_fraction_of_a_second() {
    for backend in backends().await {
        let store = backend.open().await;
        let spent = |nonce| SpentChallenge {
            nonce,
            expires_at: HALF,
        };
        create(store.as_ref(), 1, WHOLE, Some(spent("nonce")))
            .await
            .expect("stored");
        store.purge_abuse_state(WHOLE).await.expect("purge");
        match create(store.as_ref(), 2, WHOLE, Some(spent("nonce"))).await {
            Err(StoreError::ChallengeSpent) => {}
            other => panic!("{}: replay accepted after a purge: {other:?}", backend.name),
        }
        // Once it has expired it is forgotten (and the challenge itself no longer valid).
        store
            .purge_abuse_state(HALF + Duration::milliseconds(1))
            .await
            .expect("purge");
        create(store.as_ref(), 3, HALF, Some(spent("nonce")))
            .await
            .expect("forgotten");
    }
}

#[tokio::test]
async fn reports_received_in_one_second_are_told_apart() {
    for backend in backends().await {
        let store = backend.open().await;
        let earlier = create(store.as_ref(), 1, WHOLE, None)
            .await
            .expect("stored");
        let later = create(store.as_ref(), 2, HALF, None).await.expect("stored");
        let quarter = WHOLE + Duration::milliseconds(250);
        let received = |after, before| {
            let store = store.clone();
            async move {
                let filter = ReportFilter {
                    received_after: after,
                    received_before: before,
                    ..ReportFilter::default()
                };
                let page = store.list_reports(&filter).await.expect("list");
                page.items.iter().map(|r| r.id).collect::<Vec<_>>()
            }
        };
        assert_eq!(
            received(Some(quarter), None).await,
            [later],
            "{}",
            backend.name
        );
        assert_eq!(
            received(None, Some(quarter)).await,
            [earlier],
            "{}",
            backend.name
        );
        assert_eq!(received(Some(WHOLE), Some(HALF)).await, [earlier]);
    }
}

#[tokio::test]
async fn the_first_response_is_the_earliest_event() {
    for backend in backends().await {
        let store = backend.open().await;
        let id = create(store.as_ref(), 1, WHOLE - Duration::hours(1), None)
            .await
            .expect("stored");
        for (from, to, at) in [
            (ReportState::New, ReportState::Triaged, WHOLE),
            (ReportState::Triaged, ReportState::Assigned, HALF),
        ] {
            let step = Transition {
                from,
                to,
                reason: None,
                duplicate_of: None,
            };
            store
                .transition_report(id, &step, &triager(), &[], at)
                .await
                .expect("moved");
        }
        let times = store.open_report_times(10).await.expect("times");
        assert_eq!(times[0].responded_at, Some(WHOLE), "{}", backend.name);
        assert_eq!(times[0].triaged_at, Some(WHOLE), "{}", backend.name);
    }
}

/// Whether `value` is a time in the one form SQLite keeps: `2026-03-01T09:30:00.500000Z`.
fn has_fixed_width(value: &str) -> bool {
    let bytes = value.as_bytes();
    let digits = [0..4, 5..7, 8..10, 11..13, 14..16, 17..19, 20..26];
    bytes.len() == 27
        && digits
            .into_iter()
            .all(|range| bytes[range].iter().all(u8::is_ascii_digit))
        && [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'.'),
            (26, b'Z'),
        ]
        .into_iter()
        .all(|(at, byte)| bytes[at] == byte)
}

/// Every text in the database that starts like a date and time.
async fn stored_times(pool: &SqlitePool) -> Vec<(String, String, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_schema WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'reports_fts%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    let mut times = Vec::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(pool)
                .await
                .expect("columns");
        for column in columns {
            let values: Vec<String> = sqlx::query(&format!(
                "SELECT {column} FROM {table} WHERE typeof({column}) = 'text' \
                 AND {column} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*'"
            ))
            .fetch_all(pool)
            .await
            .expect("values")
            .iter()
            .map(|row| row.get(0))
            .collect();
            for value in values {
                times.push((table.clone(), column.clone(), value));
            }
        }
    }
    times
}

#[tokio::test]
async fn sqlite_times_stored_before_are_rewritten_in_the_fixed_width() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).expect("data folder");
    let options = SqliteConnectOptions::new()
        .filename(data_dir.join("cvdesk.db"))
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.expect("connect");
    let mut earlier = sqlx::migrate!("migrations/sqlite");
    earlier.migrations = Cow::Owned(
        earlier
            .migrations
            .iter()
            .filter(|m| m.version < 14)
            .cloned()
            .collect(),
    );
    earlier.run(&pool).await.expect("earlier migrations");
    // As the store wrote them before: only the fraction digits needed, any offset.
    for statement in [
        "INSERT INTO setup_links (token_hash, expires_at) VALUES \
         ('on-the-second', '2026-03-01T09:30:00Z'), \
         ('half-a-second-later', '2026-03-01T09:30:00.5Z'), \
         ('in-paris', '2026-03-01T10:30:00.25+01:00')",
        "INSERT INTO spent_challenges (nonce, expires_at) VALUES \
         ('nonce', '2026-03-01T09:30:00.123456789Z')",
        "INSERT INTO settings (key, value, updated_at) VALUES \
         ('a', 'b', '2026-03-01T09:30:59.9999999Z')",
    ] {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .expect(statement);
    }
    sqlx::migrate!("migrations/sqlite")
        .run(&pool)
        .await
        .expect("rewrite");
    let mut found = stored_times(&pool).await;
    found.sort();
    let expected = [
        ("settings", "updated_at", "2026-03-01T09:30:59.999999Z"),
        ("setup_links", "expires_at", "2026-03-01T09:30:00.000000Z"),
        ("setup_links", "expires_at", "2026-03-01T09:30:00.250000Z"),
        ("setup_links", "expires_at", "2026-03-01T09:30:00.500000Z"),
        (
            "spent_challenges",
            "expires_at",
            "2026-03-01T09:30:00.123456Z",
        ),
    ]
    .map(|(t, c, v)| (t.to_owned(), c.to_owned(), v.to_owned()));
    assert_eq!(found, expected);
    pool.close().await;

    // And the store reads them as the same instants, in the right order.
    let store = cvdesk_store::open(&StoreLocation::Sqlite {
        data_dir: data_dir.clone(),
    })
    .await
    .expect("open");
    let quarter = WHOLE + Duration::milliseconds(250);
    assert!(!store
        .link_usable("on-the-second", true, quarter)
        .await
        .expect("read"));
    assert!(store
        .link_usable("half-a-second-later", true, quarter)
        .await
        .expect("read"));
    assert!(!store
        .link_usable("in-paris", true, quarter)
        .await
        .expect("read"));

    // Whatever the store writes from now on has the fixed width too.
    create(store.as_ref(), 1, HALF, None).await.expect("stored");
    let pool =
        SqlitePool::connect_with(SqliteConnectOptions::new().filename(data_dir.join("cvdesk.db")))
            .await
            .expect("connect");
    for (table, column, value) in stored_times(&pool).await {
        assert!(has_fixed_width(&value), "{table}.{column}: {value}");
    }
}
