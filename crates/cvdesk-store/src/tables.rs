//! The desk's tables, named once: in the order their rows can be written (every table after
//! the tables its foreign keys name), for the counts a backup records and the order a store
//! copy writes in. A test compares the list with both schemas, so a table a new migration
//! adds cannot be left out of backups and copies.

/// Every table that holds the desk's data, parents first. Attachment bytes are not here:
/// SQLite keeps them as files and PostgreSQL in `blobs` (`BLOB_TABLES`); they are copied as
/// bytes named by their hash, before the attachments that name them.
pub const DATA_TABLES: &[&str] = &[
    "teams",
    "products",
    "reports",
    "advisories",
    "advisory_counters",
    "advisory_credits",
    "advisory_products",
    "advisory_reports",
    "advisory_revisions",
    "users",
    "api_tokens",
    "appeals",
    "messages",
    "attachments",
    "audit_head",
    "audit_log",
    "case_counters",
    "vendors",
    "outbound_cases",
    "case_log",
    "case_files",
    "case_reminders",
    "coordination_embargoes",
    "participants",
    "coordination_log",
    "coordination_messages",
    "embargo_proposals",
    "inbound_mail",
    "jobs",
    "nominations",
    "notes",
    "outbox",
    "participant_reminders",
    "participant_statuses",
    "password_failures",
    "password_links",
    "policy_versions",
    "rate_limits",
    "recovery_codes",
    "reference_counters",
    "reminders_sent",
    "report_events",
    "report_terms",
    "sessions",
    "settings",
    "setup_links",
    "spent_challenges",
    "supplier_agreements",
    "team_members",
];

/// Where PostgreSQL keeps attachment bytes: `blobs` names them by hash, with the bytes in
/// the row or in the chunks of an upload.
pub const BLOB_TABLES: &[&str] = &["blobs", "blob_uploads", "blob_chunks"];

/// Tables the desk derives from the others and builds again when they are missing: the
/// dashboards' kept parts. Never copied or restored; a copy starts without them.
pub const DERIVED_TABLES: &[&str] = &["dashboard_parts", "dashboard_part_reports"];

/// The tables SQLite derives from others (the full-text index of reports, kept by
/// triggers) or keeps for itself; rebuilt, never copied.
pub const SQLITE_DERIVED_PREFIXES: &[&str] = &["reports_fts", "sqlite_", "_sqlx_"];

/// The row a fresh store's migrations write, which an empty store still has: the audit
/// chain's head before its first entry.
pub const SEEDED_TABLE: &str = "audit_head";

/// A condition that is true of any row of `table` a fresh store would not have.
pub fn holds_data_condition(table: &str) -> &'static str {
    if table == SEEDED_TABLE {
        "sequence <> 0"
    } else {
        "TRUE"
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn no_table_is_named_twice() {
        let unique: BTreeSet<_> = DATA_TABLES.iter().chain(BLOB_TABLES).collect();
        assert_eq!(unique.len(), DATA_TABLES.len() + BLOB_TABLES.len());
    }

    #[tokio::test]
    async fn the_list_is_the_sqlite_schema_in_foreign_key_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::SqliteStore::open(dir.path()).await.expect("opened");
        let names: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(&store.readers)
                .await
                .expect("tables");
        let schema: BTreeSet<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|name| {
                !SQLITE_DERIVED_PREFIXES
                    .iter()
                    .any(|prefix| name.starts_with(prefix))
                    && !DERIVED_TABLES.contains(name)
            })
            .collect();
        let listed: BTreeSet<&str> = DATA_TABLES.iter().copied().collect();
        assert_eq!(schema, listed, "the schema's tables and DATA_TABLES differ");
        for (position, table) in DATA_TABLES.iter().enumerate() {
            let parents: Vec<String> =
                sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)")
                    .bind(table)
                    .fetch_all(&store.readers)
                    .await
                    .expect("foreign keys");
            for parent in parents.iter().filter(|parent| parent.as_str() != *table) {
                let before = DATA_TABLES[..position].contains(&parent.as_str());
                assert!(before, "{table} names {parent}, which comes after it");
            }
        }
    }
}
