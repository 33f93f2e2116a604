//! Which store a command uses, said in words: every admin command prints it, and only
//! `serve` creates a store where none exists, so a command run in the wrong folder or
//! with the wrong settings refuses and says where it looked instead of filling a new one.

use anyhow::{bail, Context};
use cvdesk_formats::redaction::redact_url;
use cvdesk_store::StoreLocation;

/// The store's place for people: the database file, or the URL without its password.
pub fn describe(location: &StoreLocation) -> String {
    match location {
        StoreLocation::Sqlite { data_dir } => format!(
            "SQLite database {}",
            cvdesk_store::sqlite_database(data_dir).display()
        ),
        StoreLocation::Postgres { url, .. } => format!("PostgreSQL database {}", redact_url(url)),
    }
}

/// Succeeds when a store exists at `location`, and otherwise says where the command
/// looked and how to point it at the desk's store.
pub async fn require_existing(location: &StoreLocation) -> anyhow::Result<()> {
    let exists = cvdesk_store::store_exists(location)
        .await
        .with_context(|| format!("cannot reach the {}", describe(location)))?;
    if !exists {
        bail!(
            "no desk's store at the {} (only `cvdesk serve` creates one); point this command \
             at the desk's data with --data DIR or CVDESK_DATA (or `data` in the \
             configuration file), or at its PostgreSQL database with --database-url or \
             CVDESK_DATABASE_URL",
            describe(location)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_is_described_without_its_password() {
        let sqlite = StoreLocation::Sqlite {
            data_dir: "/srv/cvdesk".into(),
        };
        assert_eq!(describe(&sqlite), "SQLite database /srv/cvdesk/cvdesk.db");
        let postgres = StoreLocation::Postgres {
            url: "postgres://desk:hunter2@db.example.org/desk".to_owned(),
            max_connections: 1,
        };
        let described = describe(&postgres);
        assert!(
            described.starts_with("PostgreSQL database postgres://desk"),
            "{described}"
        );
        assert!(!described.contains("hunter2"), "{described}");
    }

    #[tokio::test]
    async fn a_missing_store_is_refused_with_where_to_point() {
        let dir = tempfile::tempdir().expect("temp dir");
        let location = StoreLocation::Sqlite {
            data_dir: dir.path().join("elsewhere"),
        };
        let message = require_existing(&location)
            .await
            .expect_err("refused")
            .to_string();
        assert!(message.contains("elsewhere/cvdesk.db"), "{message}");
        for hint in ["--data", "CVDESK_DATA", "--database-url"] {
            assert!(message.contains(hint), "{message}");
        }
        assert!(!dir.path().join("elsewhere").exists(), "nothing is created");
    }
}
