//! The backends every story runs on: SQLite always, PostgreSQL when
//! `CVDESK_TEST_POSTGRES_URL` names a server on which the tests may create databases.

use std::sync::Arc;

use cvdesk_store::{Store, StoreLocation};
use sqlx::Connection;

pub struct Backend {
    pub name: &'static str,
    location: StoreLocation,
    _dir: Option<tempfile::TempDir>,
}

impl Backend {
    pub async fn open(&self) -> Arc<dyn Store> {
        cvdesk_store::open(&self.location)
            .await
            .unwrap_or_else(|e| panic!("{}: open: {e}", self.name))
    }

    /// Runs `sql` on the database behind the store's back, as a damaged or tampered
    /// database would look to it.
    pub async fn execute_behind_the_store(&self, sql: &str) {
        let done = match &self.location {
            StoreLocation::Sqlite { data_dir } => {
                let options =
                    sqlx::sqlite::SqliteConnectOptions::new().filename(data_dir.join("cvdesk.db"));
                let mut connection = sqlx::sqlite::SqliteConnection::connect_with(&options)
                    .await
                    .expect("connect to SQLite");
                sqlx::query(sql).execute(&mut connection).await.map(drop)
            }
            StoreLocation::Postgres { url, .. } => {
                let mut connection = sqlx::postgres::PgConnection::connect(url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(sql).execute(&mut connection).await.map(drop)
            }
        };
        done.unwrap_or_else(|e| panic!("{}: {sql}: {e}", self.name));
    }

    /// Runs `sql` behind the store's back and asserts that the database refuses it.
    pub async fn execute_behind_the_store_expecting_refusal(&self, sql: &str) {
        let done = match &self.location {
            StoreLocation::Sqlite { data_dir } => {
                let options =
                    sqlx::sqlite::SqliteConnectOptions::new().filename(data_dir.join("cvdesk.db"));
                let mut connection = sqlx::sqlite::SqliteConnection::connect_with(&options)
                    .await
                    .expect("connect to SQLite");
                sqlx::query(sql).execute(&mut connection).await.map(drop)
            }
            StoreLocation::Postgres { url, .. } => {
                let mut connection = sqlx::postgres::PgConnection::connect(url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(sql).execute(&mut connection).await.map(drop)
            }
        };
        assert!(done.is_err(), "{}: {sql} went through", self.name);
    }
}

pub async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut backends = vec![Backend {
        name: "sqlite",
        location: StoreLocation::Sqlite {
            data_dir: dir.path().join("data"),
        },
        _dir: Some(dir),
    }];
    if let Ok(url) = std::env::var("CVDESK_TEST_POSTGRES_URL") {
        backends.push(Backend {
            name: "postgres",
            location: StoreLocation::Postgres {
                url: cvdesk_store::testing::fresh_postgres_database(&url).await,
                max_connections: 20,
            },
            _dir: None,
        });
    }
    backends
}
