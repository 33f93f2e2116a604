//! Table statistics on SQLite: opening the store gathers none (it answers at once however
//! much a table grew), and a refresh afterwards, on a connection of its own, analyses each
//! index of a grown table and leaves current statistics alone.

use cvdesk_store::{AccountStore as _, SqliteStore, StatisticsStore as _};
use sqlx::Connection;

async fn stat_rows(data: &std::path::Path, table: &str) -> Vec<(String, String)> {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(data.join("cvdesk.db"));
    let mut connection = sqlx::sqlite::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    let exists: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            .fetch_one(&mut connection)
            .await
            .expect("schema");
    if exists == 0 {
        return Vec::new();
    }
    sqlx::query_as("SELECT coalesce(idx, ''), stat FROM sqlite_stat1 WHERE tbl = ?1 ORDER BY idx")
        .bind(table)
        .fetch_all(&mut connection)
        .await
        .expect("statistics")
}

async fn grow_spent_challenges(data: &std::path::Path, rows: u32) {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(data.join("cvdesk.db"));
    let mut connection = sqlx::sqlite::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
         INSERT INTO spent_challenges (nonce, expires_at) \
         SELECT 'nonce-' || i || '-' || ?1, '2026-12-06T00:00:00.000000Z' FROM n",
    )
    .bind(rows)
    .execute(&mut connection)
    .await
    .expect("rows added");
}

#[tokio::test]
async fn the_store_opens_without_analysing_and_a_refresh_analyses_each_grown_index() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    let store = SqliteStore::open(data).await.expect("opened");
    store.refresh_statistics().await.expect("first refresh");
    drop(store);

    grow_spent_challenges(data, 20_000).await;
    let store = SqliteStore::open(data).await.expect("opened again");
    assert_eq!(
        stat_rows(data, "spent_challenges").await,
        Vec::<(String, String)>::new(),
        "opening gathered statistics"
    );
    assert_eq!(store.user_count().await.expect("answers"), 0);

    let refresh = store
        .refresh_statistics()
        .await
        .expect("refresh")
        .expect("SQLite gathers its own statistics");
    assert!(
        refresh.tables.contains(&"spent_challenges".to_owned()),
        "{refresh:?}"
    );
    for index in [
        "spent_challenges_expires",
        "sqlite_autoindex_spent_challenges_1",
    ] {
        assert!(refresh.analysed.contains(&index.to_owned()), "{refresh:?}");
    }
    let rows = stat_rows(data, "spent_challenges").await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (index, stat) in &rows {
        assert!(stat.starts_with("20000 "), "{index}: {stat}");
    }

    // Current statistics are left alone; a 25-fold growth is analysed again.
    let again = store
        .refresh_statistics()
        .await
        .expect("refresh")
        .expect("SQLite");
    assert!(
        !again.tables.contains(&"spent_challenges".to_owned()),
        "{again:?}"
    );
    grow_spent_challenges(data, 600_000).await;
    let grown = store
        .refresh_statistics()
        .await
        .expect("refresh")
        .expect("SQLite");
    assert!(
        grown.tables.contains(&"spent_challenges".to_owned()),
        "{grown:?}"
    );
    let rows = stat_rows(data, "spent_challenges").await;
    assert!(
        rows.iter().all(|(_, stat)| stat.starts_with("620000 ")),
        "{rows:?}"
    );
}
