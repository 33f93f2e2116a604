//! Whether a store already exists at a location, found without creating anything, so
//! that only `cvdesk serve` makes a new one and an admin command run in the wrong folder
//! says so instead of filling a new, empty store.

use std::path::PathBuf;

use sqlx::{Connection, PgConnection};

use crate::{StoreError, StoreLocation};

/// The SQLite database file inside a data folder.
pub fn sqlite_database(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("cvdesk.db")
}

/// Whether the location holds a desk's store. For PostgreSQL this makes one connection
/// outside any pool, so an unreachable server is reported with its cause (connection
/// refused, unknown host, wrong password) rather than as a pool that timed out.
pub async fn store_exists(location: &StoreLocation) -> Result<bool, StoreError> {
    match location {
        StoreLocation::Sqlite { data_dir } => {
            let database = sqlite_database(data_dir);
            tokio::fs::try_exists(&database)
                .await
                .map_err(|source| StoreError::Io {
                    action: "cannot look for",
                    path: database,
                    source,
                })
        }
        StoreLocation::Postgres { url, .. } => {
            let mut connection = PgConnection::connect(url).await?;
            // The migrations' own table is the first thing a new desk creates.
            let exists: bool =
                sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_one(&mut connection)
                    .await?;
            connection.close().await?;
            Ok(exists)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_empty_folder_holds_no_store() {
        let dir = tempfile::tempdir().expect("temp dir");
        let location = StoreLocation::Sqlite {
            data_dir: dir.path().join("missing"),
        };
        assert!(!store_exists(&location).await.expect("looked"));
        crate::open(&location).await.expect("opened");
        assert!(store_exists(&location).await.expect("looked"));
    }

    #[tokio::test]
    async fn an_unreachable_postgres_names_the_cause() {
        // Port 1 on loopback answers nothing: the connection is refused at once.
        let location = StoreLocation::Postgres {
            url: "postgres://desk@127.0.0.1:1/desk".to_owned(),
            max_connections: 1,
        };
        let error = store_exists(&location).await.expect_err("unreachable");
        let message = error.to_string().to_lowercase();
        assert!(message.contains("connection refused"), "{message}");
        assert!(!message.contains("timed out"), "{message}");
    }
}
