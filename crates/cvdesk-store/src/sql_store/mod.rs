//! The store, written once for both backends. SQLite and PostgreSQL differ only in how
//! they are opened (pools, pragmas, migrations) and where attachment bytes live; every
//! statement is shared, with `$N` placeholders both dialects accept. Each concept has its
//! file; each file's impl blocks spell out what they need of the backend.

mod abuse;
mod accounts;
mod advisories;
mod advisory_credits;
mod advisory_rows;
mod api_tokens;
mod appeals;
mod attachment_storage;
mod audit;
mod blobs;
mod comparable;
mod coordination;
mod coordination_rows;
mod findings;
mod group_commit;
mod inbound_mail;
mod insights;
mod inventory;
mod jobs;
mod messages;
mod outbound;
mod outbox;
mod outbox_admin;
mod policy;
mod purge;
mod reminders;
mod report_groups;
mod reports;
mod retention;
mod sessions;
mod settings;
mod stored_time;
mod triage;
mod vendors;

use std::fmt::Write;

use sqlx::{Database, Pool};
use time::OffsetDateTime;

use crate::blobs::{BlobBucket, BlobDir};

pub(crate) use group_commit::GroupCommit;
pub use stored_time::StoredTime;

/// Where attachment bytes are kept.
pub enum Blobs {
    /// Files beside an embedded database.
    Files(BlobDir),
    /// The `blobs` table, so that stateless instances share them.
    Table,
    /// Objects in an S3-compatible bucket, with either database.
    Bucket(BlobBucket, Linking),
}

/// When a staged object is copied to its final key, and what keeps the sweep from
/// removing it before the transaction that names it commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linking {
    /// Before the transaction, under the bucket's lock within this process, as files are:
    /// only the one process serving SQLite stores attachments.
    BeforeCommit,
    /// Inside the transaction, under a transaction-scoped shared advisory lock that the
    /// sweep takes exclusively (PostgreSQL): instances that share the database share it.
    InTransaction,
}

pub struct SqlStore<DB: Database> {
    /// Every write goes through this pool (one connection for SQLite, which orders writes
    /// without "database is locked" retries).
    pub(crate) writer: Pool<DB>,
    pub(crate) readers: Pool<DB>,
    pub(crate) blobs: Blobs,
    /// New reports committed in groups, one fsync for all that arrived together (SQLite);
    /// without it each report is its own transaction.
    pub(crate) report_groups: Option<Box<dyn report_groups::ReportGroups<DB>>>,
    /// SQLite's write-ahead log moved into the database beside the writer, not by it.
    pub(crate) _checkpoints: Option<crate::checkpoints::Checkpoints>,
}

/// What the two dialects spell differently.
pub trait Dialect: Database {
    /// Appends a condition that every one of `words` occurs in the report `r`'s title,
    /// summary, steps or impact. Words are data, never query syntax.
    fn push_text_match(sql: &mut SqlText, words: &[String]);

    /// Where the full-text index keeps each word's matches in id order (FTS5, by rowid):
    /// appends the index joined ahead of the report `r`, matching every one of `words`,
    /// after `FROM`, and answers the column the matches come ordered by. A page ordered by
    /// id then reads only as many matches as it shows, where `push_text_match` collects
    /// every match of a common word first. `None`, and nothing appended, where the index
    /// is not ordered by id.
    fn push_reports_matching_in_id_order(
        sql: &mut SqlText,
        words: &[String],
    ) -> Option<&'static str>;

    /// The reports, as `r`, read through `index` where the planner has to be told.
    fn reports_through(index: &str) -> String;

    /// A statement that waits, within a transaction, until every transaction writing
    /// reports has ended and keeps new ones waiting until it ends; `None` where writes are
    /// one at a time anyway.
    fn wait_for_report_writers() -> Option<&'static str>;
}

/// A value bound to a `$N` placeholder of a statement assembled at run time.
pub enum Value {
    Text(String),
    Integer(i64),
    Real(f64),
    Flag(bool),
    Time(OffsetDateTime),
}

/// SQL assembled at run time (filters that may or may not apply) with its values kept
/// apart, so nothing typed by a person ever becomes SQL.
#[derive(Default)]
pub struct SqlText {
    pub text: String,
    pub values: Vec<Value>,
}

impl SqlText {
    pub fn new(text: &str) -> Self {
        SqlText {
            text: text.to_owned(),
            values: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends the next placeholder and remembers its value.
    pub fn bind(&mut self, value: Value) -> &mut Self {
        self.values.push(value);
        let _ = write!(self.text, "${}", self.values.len());
        self
    }
}
