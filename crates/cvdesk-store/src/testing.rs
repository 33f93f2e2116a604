//! Test support shared by the store's own tests and the server's integration tests.

use sqlx::Connection;

/// Creates an empty database on the PostgreSQL server at `url` (which must allow
/// `CREATE DATABASE`) and returns a URL for it, so every test starts from nothing.
pub async fn fresh_postgres_database(url: &str) -> String {
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).expect("system randomness");
    let name = format!("cvdesk_test_{}", hex::encode(random));
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    format!("{server}/{name}{query}")
}
