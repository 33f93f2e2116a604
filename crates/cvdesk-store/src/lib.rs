//! Persistence. The `Store` trait is everything the desk asks of a database; SQLite (the
//! embedded default) and PostgreSQL (for several stateless instances) implement it with
//! the same SQL where the dialects agree and their own migrations where they do not.

mod abuse;
mod accounts;
mod advisories;
mod api_tokens;
mod appeals;
mod attachment_storage;
mod audit;
pub mod backup;
mod blobs;
mod caches;
mod checkpoints;
mod coordination;
pub mod copy;
mod data_folder;
mod error;
mod findings;
mod inbound_mail;
mod insights;
mod inventory;
mod jobs;
mod messages;
mod outbound;
mod outbox;
mod outbox_admin;
mod policy;
mod postgres;
mod presence;
mod reminders;
mod retention;
mod rows;
mod sessions;
mod settings;
mod sql_store;
mod sqlite;
mod statistics;
pub mod tables;
#[cfg(feature = "testing")]
pub mod testing;
mod triage;
mod vendors;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use cvdesk_domain::attachment::AttachmentName;
use cvdesk_domain::report::{AttachmentMeta, Report};
use cvdesk_domain::{Reference, ReferencePrefix, ReportDraft, TrackingTokenHash};
use cvdesk_formats::redaction::redact_url;
use time::OffsetDateTime;

pub use abuse::{AbuseStore, Bucket};
pub use accounts::{AccountStore, NewAccount, NewSecondFactor, User};
pub use advisories::{
    Acknowledgement, Advisory, AdvisoryStore, AdvisorySummary, CreditedFinder, FinderCredit,
    NewAdvisory, NewCredit, NewRevision, PublishedSummary, Schedule, StoredCredit, Withdrawal,
    PUBLISH_JOB,
};
pub use api_tokens::{ApiToken, ApiTokenStore, NewApiToken, TokenState};
pub use appeals::{AppealStore, NewAppeal};
pub use attachment_storage::{check_bucket, open_with, AttachmentStorage};
pub use audit::{AuditHead, AuditStore};
pub use blobs::{BlobSweep, BlobWriter, BucketSettings, StagedBlob, DEFAULT_REGION};
pub use caches::CacheStore;
pub use coordination::{
    Change, ContactMove, CoordinationMessage, CoordinationStore, Decision, EmbargoProposal,
    LogEntry, NewCoordinationMessage, NewNomination, NewParticipant, Nomination, Participant,
    StoredLogEntry, StoredStatus,
};
pub use error::StoreError;
pub use findings::{FindingStore, ImportOutcome, NewFindings};
pub use inbound_mail::{Delivery, InboundMailStore, NewReceivedMail, ReceivedMail};
pub use insights::{
    Arrivals, ClockDeadlines, ClockFigures, InsightScope, InsightsStore, Milestones, OpenChange,
    Outcomes, PeriodFigures, ReceivedCounts, ReportGroup,
};
pub use inventory::{InventoryStore, Product, Team};
pub use jobs::{ClaimedJob, JobEntry, JobOutcome, JobState, JobStore, NewJob};
pub use messages::{Message, MessageStore};
pub use outbound::{
    CaseChange, CaseRecord, DraftEdit, NewCase, NewCaseFile, NewLogEntry, OutboundStore,
    StoredCase, MAX_CASE_FILE_BYTES,
};
pub use outbox::{
    Failure, MailBody, MailKind, MailStatus, NewMail, OutboxEntry, OutboxMail, OutboxStore, Retry,
};
pub use outbox_admin::{OutboxAdminStore, OutboxHealth, OutboxItem, OutboxState};
pub use policy::{PolicyStore, PolicyVersion};
pub use postgres::PostgresStore;
pub use presence::{sqlite_database, store_exists};
pub use reminders::{ReminderStore, UpdateTimes};
pub use retention::RetentionStore;
pub use sessions::{Session, SessionStore};
pub use settings::{
    SettingsStore, ATTACHMENT_STORAGE, FINDER_POINTS, ORGANIZATION_PGP_KEY, REQUIRE_SECOND_FACTOR,
};
pub use sqlite::SqliteStore;
pub use statistics::{StatisticsRefresh, StatisticsStore};
pub use triage::{
    ComparableReport, Note, OpenReportTimes, QueueCursor, ReportEvent, ReportFilter, ReportPage,
    ReportSort, ReportSummary, TriageStore,
};
pub use vendors::{Vendor, VendorStore};

/// Where the data lives, chosen at run time.
#[derive(Debug, Clone)]
pub enum StoreLocation {
    /// `cvdesk.db` and `blobs/` inside this folder, created on first start.
    Sqlite { data_dir: PathBuf },
    /// A `postgres://` URL; attachment bytes are stored in the database.
    Postgres { url: String, max_connections: u32 },
}

/// A report about to be accepted, with the bytes of its supporting files.
pub struct NewReport<'a> {
    pub prefix: &'a ReferencePrefix,
    pub received_at: OffsetDateTime,
    pub tracking_token_hash: &'a TrackingTokenHash,
    pub content: &'a ReportDraft,
    pub attachments: &'a [NewAttachment],
    /// The product the routing rules chose, if any.
    pub product: Option<cvdesk_domain::staff::ProductId>,
    /// The client address as rate limits key it.
    pub received_from: Option<&'a str>,
    /// The intake challenge the finder solved; spent in the same transaction, so a
    /// replayed challenge stores nothing.
    pub challenge: Option<SpentChallenge<'a>>,
    /// How the report arrived (the form, the API, staff filing it).
    pub source: cvdesk_domain::report_source::ReportSource,
}

/// Writes the mail to queue about a report just stored, in the report's transaction.
pub type ComposeMail<'a> = dyn Fn(&Report) -> Vec<NewMail> + Send + Sync + 'a;

/// Writes the audit entry of a change that is only known once stored (a new version's
/// number, a new record's id), appended in the change's own transaction.
pub type AuditOf<'a, T> = dyn Fn(&T) -> cvdesk_domain::audit::AuditEvent + Send + Sync + 'a;

/// A solved intake challenge: its nonce, and until when it would have been accepted.
#[derive(Debug, Clone, Copy)]
pub struct SpentChallenge<'a> {
    pub nonce: &'a str,
    pub expires_at: OffsetDateTime,
}

/// A supporting file whose bytes are staged (`ReportStore::begin_blob`), waiting for the
/// transaction that records it.
pub struct NewAttachment {
    pub name: AttachmentName,
    pub blob: StagedBlob,
}

/// What purging a spam report removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgedReport {
    pub files: u64,
    pub bytes: u64,
}

/// A stored file and its bytes.
pub struct AttachmentContent {
    pub meta: AttachmentMeta,
    pub content: Vec<u8>,
}

/// Everything the desk keeps.
pub trait Store:
    ReportStore
    + AdvisoryStore
    + AccountStore
    + ApiTokenStore
    + SessionStore
    + AuditStore
    + TriageStore
    + InventoryStore
    + InsightsStore
    + OutboxAdminStore
    + SettingsStore
    + AbuseStore
    + PolicyStore
    + OutboxStore
    + MessageStore
    + ReminderStore
    + JobStore
    + VendorStore
    + OutboundStore
    + InboundMailStore
    + FindingStore
    + RetentionStore
    + AppealStore
    + CoordinationStore
    + StatisticsStore
    + CacheStore
{
}

impl<T> Store for T where
    T: ReportStore
        + AdvisoryStore
        + AccountStore
        + ApiTokenStore
        + SessionStore
        + AuditStore
        + TriageStore
        + InventoryStore
        + InsightsStore
        + OutboxAdminStore
        + SettingsStore
        + AbuseStore
        + PolicyStore
        + MessageStore
        + OutboxStore
        + ReminderStore
        + JobStore
        + VendorStore
        + OutboundStore
        + InboundMailStore
        + FindingStore
        + RetentionStore
        + AppealStore
        + CoordinationStore
        + StatisticsStore
        + CacheStore
{
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Succeeds once the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Allocates the next reference number of the year and stores the report with its
    /// files in one transaction. When this returns, the report is on disk.
    async fn create_report(&self, new: NewReport<'_>) -> Result<Report, StoreError> {
        self.create_report_with_mail(new, &|_| Vec::new()).await
    }

    /// `create_report`, and in the same transaction queues the mail `compose` writes about
    /// the new report: the report and its notifications commit together or not at all.
    async fn create_report_with_mail(
        &self,
        new: NewReport<'_>,
        compose: &ComposeMail<'_>,
    ) -> Result<Report, StoreError>;

    async fn report_by_tracking_token(
        &self,
        hash: &TrackingTokenHash,
    ) -> Result<Option<Report>, StoreError>;

    async fn report_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<Report>, StoreError>;

    /// One attachment of one report; `None` when the file does not belong to the report.
    async fn attachment(
        &self,
        report_id: i64,
        attachment_id: i64,
    ) -> Result<Option<AttachmentContent>, StoreError>;

    /// Starts receiving one file: its bytes are hashed and written as they are given, and
    /// staged until a report or message that names them is stored.
    async fn begin_blob(&self) -> Result<BlobWriter, StoreError>;

    /// Stages bytes already in memory (small files, tests).
    async fn stage_blob(&self, content: &[u8]) -> Result<StagedBlob, StoreError> {
        let mut writer = self.begin_blob().await?;
        writer.write(content).await?;
        writer.finish().await
    }

    /// The bytes of every file the report has received over its life (the report form's
    /// and every reply's).
    async fn attachment_bytes(&self, report_id: i64) -> Result<u64, StoreError>;

    /// Removes staged bytes no upload still running can need (`blobs::STALE_STAGED_AFTER`
    /// before `now`) and stored bytes no attachment names. With files beside SQLite, only
    /// the serving process may call it (a background job does): it assumes that no other
    /// process is storing attachments meanwhile.
    async fn sweep_blobs(&self, now: OffsetDateTime) -> Result<BlobSweep, StoreError>;

    /// Deletes a report closed as spam (`cvdesk_domain::spam`) with everything it holds
    /// (messages, notes, history, queued mail, attachments), appending the entry `audit`
    /// writes in the same transaction; then removes its files' bytes, unless an attachment
    /// of another report names the same content. `Conflict` when the report was not
    /// closed as spam, `Missing` when there is no such report.
    async fn purge_spam_report(
        &self,
        report_id: i64,
        audit: &AuditOf<'_, PurgedReport>,
    ) -> Result<PurgedReport, StoreError>;
}

/// Opens (creating on first use) and migrates the store at `location`, with its attachment
/// bytes kept with it; the desk itself opens its store with `open_with`.
pub async fn open(location: &StoreLocation) -> Result<Arc<dyn Store>, StoreError> {
    match location {
        StoreLocation::Sqlite { data_dir } => Ok(Arc::new(SqliteStore::open(data_dir).await?)),
        StoreLocation::Postgres {
            url,
            max_connections,
        } => Ok(Arc::new(PostgresStore::open(url, *max_connections).await?)),
    }
}

impl StoreLocation {
    /// The PostgreSQL URL when one is given, otherwise SQLite in `data_dir`.
    pub fn from_options(
        data_dir: PathBuf,
        database_url: Option<String>,
    ) -> Result<Self, StoreError> {
        match database_url {
            None => Ok(StoreLocation::Sqlite { data_dir }),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(StoreLocation::Postgres {
                    url,
                    max_connections: 10,
                })
            }
            Some(url) => Err(StoreError::UnsupportedUrl(redact_url(&url))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        let dir = PathBuf::from("d");
        assert!(matches!(
            StoreLocation::from_options(dir.clone(), None),
            Ok(StoreLocation::Sqlite { .. })
        ));
        assert!(matches!(
            StoreLocation::from_options(dir.clone(), Some("postgres://u@h/db".into())),
            Ok(StoreLocation::Postgres { .. })
        ));
        for url in ["mysql://u:secret@h/db", "mysql://h/db?password=secret"] {
            let refused = StoreLocation::from_options(dir.clone(), Some(url.into()));
            let message = refused.expect_err("mysql refused").to_string();
            assert!(!message.contains("secret"), "{message}");
        }
    }
}
