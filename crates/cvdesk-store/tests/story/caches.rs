//! SQLite's caches given back once a round of background jobs is over: reads answer as
//! before, and SQLite's heap limit (the whole process's, lowered to free the pages) is
//! lifted again, or every later allocation would free pages first.

use cvdesk_store::{AccountStore as _, CacheStore as _, SqliteStore};
use sqlx::Connection;

#[tokio::test]
async fn giving_back_the_caches_keeps_every_answer_and_lifts_the_limit_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("opened");
    let before = store.user_count().await.expect("answers");

    store.release_caches().await.expect("given back");
    store.release_caches().await.expect("given back twice");

    assert_eq!(store.user_count().await.expect("answers after"), before);
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("cvdesk.db"));
    let mut connection = sqlx::sqlite::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    let limit: i64 = sqlx::query_scalar("PRAGMA soft_heap_limit")
        .fetch_one(&mut connection)
        .await
        .expect("limit");
    assert_eq!(limit, 0, "the heap limit was left in force");
}
