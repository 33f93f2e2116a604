//! Reports stored before the dashboards' milestones existed (migration 0020) get them from
//! their history when the store is migrated, on every backend.

use cvdesk_domain::access::ProductScope;
use cvdesk_domain::insights::{Period, SlaClock};
use cvdesk_store::{InsightScope, ReportGroup};

use crate::insights::{hours, no_deadlines, FROM, NOW, TO};

/// A report and its history as the store wrote them before migration 0020.
const EARLIER_ROWS: [&str; 4] = [
    "INSERT INTO reports (reference_prefix, reference_year, reference_sequence, \
     tracking_token_hash, state, created_at, title, summary, steps_to_reproduce, impact, \
     credit) VALUES ('CVD', 2026, 1, 'hash', 'not_applicable', '2026-03-02T09:00:00.000000Z', \
     'T', 'S', 'R', 'I', FALSE)",
    "INSERT INTO report_events (report_id, at, actor_label, kind, detail) \
     VALUES (1, '2026-03-02T13:00:00.000000Z', 'triager', 'message.sent', '')",
    "INSERT INTO report_events (report_id, at, actor_label, kind, from_state, to_state, detail) \
     VALUES (1, '2026-03-03T09:00:00.000000Z', 'triager', 'transition', 'new', 'triaged', '')",
    "INSERT INTO report_events (report_id, at, actor_label, kind, from_state, to_state, detail) \
     VALUES (1, '2026-03-04T09:00:00.000000Z', 'triager', 'transition', 'triaged', \
     'not_applicable', 'spam')",
];

#[tokio::test]
async fn milestones_of_reports_stored_before_are_read_from_their_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).expect("data folder");
    let mut locations = Vec::new();
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(data_dir.join("cvdesk.db"))
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("connect");
        let mut earlier = sqlx::migrate!("migrations/sqlite");
        earlier.migrations = std::borrow::Cow::Owned(
            earlier
                .migrations
                .iter()
                .filter(|m| m.version < 20)
                .cloned()
                .collect(),
        );
        earlier.run(&pool).await.expect("earlier migrations");
        for statement in EARLIER_ROWS {
            sqlx::query(statement)
                .execute(&pool)
                .await
                .expect(statement);
        }
        pool.close().await;
        locations.push(("sqlite", cvdesk_store::StoreLocation::Sqlite { data_dir }));
    }
    if let Ok(server) = std::env::var("CVDESK_TEST_POSTGRES_URL") {
        let url = cvdesk_store::testing::fresh_postgres_database(&server).await;
        let pool = sqlx::PgPool::connect(&url).await.expect("connect");
        let mut earlier = sqlx::migrate!("migrations/postgres");
        earlier.migrations = std::borrow::Cow::Owned(
            earlier
                .migrations
                .iter()
                .filter(|m| m.version < 20)
                .cloned()
                .collect(),
        );
        earlier.run(&pool).await.expect("earlier migrations");
        for statement in EARLIER_ROWS {
            sqlx::query(statement)
                .execute(&pool)
                .await
                .expect(statement);
        }
        pool.close().await;
        locations.push((
            "postgres",
            cvdesk_store::StoreLocation::Postgres {
                url,
                max_connections: 5,
            },
        ));
    }
    let period = Period::new(FROM, TO, NOW).expect("period");
    let all = ProductScope::All;
    let scope = InsightScope {
        period: &period,
        product: None,
        visible: &all,
    };
    for (name, location) in locations {
        let store = cvdesk_store::open(&location).await.expect("migrated");
        let response = store
            .period_figures(scope, &no_deadlines(), NOW)
            .await
            .expect("response")
            .clocks
            .durations[&SlaClock::FirstResponse][&ReportGroup::All];
        assert_eq!(response.median, hours(4), "{name}");
        let triage = store
            .period_figures(scope, &no_deadlines(), NOW)
            .await
            .expect("triage")
            .clocks
            .durations[&SlaClock::Triage][&ReportGroup::All];
        assert_eq!(triage.median, hours(24), "{name}");
        let outcomes = store
            .period_figures(scope, &no_deadlines(), NOW)
            .await
            .expect("outcomes")
            .received
            .outcomes;
        assert_eq!((outcomes.received, outcomes.spam), (1, 1), "{name}");
        let sources = store
            .period_figures(scope, &no_deadlines(), NOW)
            .await
            .expect("arrivals")
            .received
            .arrivals;
        assert_eq!(sources.len(), 1, "{name}");
        assert_eq!(sources[0].source, "form", "{name}");
    }
}
