//! Outbound cases: one vulnerability disclosed to one vendor, with its form, its state,
//! its dates and its log. A change of a case (a state move, the date of reporting, an
//! agreed date, the publication) is recorded with its log entries, its mail and its audit
//! entry in one transaction, and only if the case is still in the state the change was
//! decided from.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::outbound::log::{Channel, LogEntry, LogKind};
use cvdesk_domain::outbound::{CaseId, CaseState, Preset};
use cvdesk_domain::vendor::VendorId;
use cvdesk_domain::ReferencePrefix;
use time::{Date, OffsetDateTime};

use crate::outbox::NewMail;
use crate::{AuditOf, StoreError};

/// Largest file kept with a log entry.
pub const MAX_CASE_FILE_BYTES: usize = 10 * 1024 * 1024;

/// A case as stored. `form` is the JSON of what was typed (`CaseInput`), read through the
/// domain's rules by whoever uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCase {
    /// The row id, which reply addresses and mail name.
    pub row_id: i64,
    pub id: CaseId,
    pub vendor_id: VendorId,
    pub state: CaseState,
    pub form: String,
    pub preset: Preset,
    pub inquiry_subject: Option<String>,
    pub inquiry_body: Option<String>,
    pub reported_at: Option<OffsetDateTime>,
    pub agreed_announce_by: Option<Date>,
    pub agreed_evidence: Option<i64>,
    pub fixed_at: Option<OffsetDateTime>,
    pub published_at: Option<OffsetDateTime>,
    pub publication: Option<String>,
    pub created_at: OffsetDateTime,
    pub created_by: String,
}

/// A case about to be stored.
pub struct NewCase<'a> {
    pub prefix: &'a ReferencePrefix,
    pub vendor_id: VendorId,
    pub form: &'a str,
    pub preset: Preset,
    pub created_by: &'a str,
    pub now: OffsetDateTime,
}

/// A file to keep with a log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCaseFile {
    pub file_name: String,
    pub content: Vec<u8>,
}

/// A log entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLogEntry {
    pub kind: LogKind,
    pub at: OffsetDateTime,
    pub actor: String,
    pub channel: Option<Channel>,
    pub body: String,
    pub from_state: Option<CaseState>,
    pub to_state: Option<CaseState>,
    pub announce_by: Option<Date>,
    pub evidence: Option<i64>,
    pub version: Option<String>,
    pub encrypted: Option<bool>,
    pub signature: Option<String>,
    pub message_id: Option<String>,
    pub files: Vec<NewCaseFile>,
}

impl NewLogEntry {
    /// An entry with only its kind, time, actor and text.
    pub fn new(kind: LogKind, at: OffsetDateTime, actor: &str, body: &str) -> Self {
        NewLogEntry {
            kind,
            at,
            actor: actor.to_owned(),
            channel: None,
            body: body.to_owned(),
            from_state: None,
            to_state: None,
            announce_by: None,
            evidence: None,
            version: None,
            encrypted: None,
            signature: None,
            message_id: None,
            files: Vec::new(),
        }
    }
}

/// What a change sets on the case besides its log; `None` leaves a value as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseChange {
    pub state: Option<CaseState>,
    pub reported_at: Option<OffsetDateTime>,
    /// An agreed date with the log entry that agreed it.
    pub agreed: Option<(Date, i64)>,
    pub fixed_at: Option<OffsetDateTime>,
    /// The publication's time and its JSON.
    pub publication: Option<(OffsetDateTime, String)>,
}

/// A change to record: the case must still be in `expected`.
pub struct CaseRecord<'a> {
    pub expected: CaseState,
    pub change: CaseChange,
    pub entries: &'a [NewLogEntry],
    /// Mail about the case, queued in the change's transaction.
    pub mail: &'a [NewMail],
    /// The staff action's entry; `None` for what arrives by mail or the desk's own jobs.
    pub audit: Option<&'a AuditEvent>,
    pub now: OffsetDateTime,
}

/// The draft's form and inquiry template, as edited.
pub struct DraftEdit<'a> {
    pub vendor_id: VendorId,
    pub form: &'a str,
    pub preset: Preset,
    pub inquiry_subject: Option<&'a str>,
    pub inquiry_body: Option<&'a str>,
}

#[async_trait]
pub trait OutboundStore: Send + Sync {
    /// Allocates the next case id of the year (no gaps) and stores a draft with its
    /// `created` log entry; the audit entry for the id goes in the same transaction.
    async fn create_case(
        &self,
        new: NewCase<'_>,
        audit: &AuditOf<'_, CaseId>,
    ) -> Result<StoredCase, StoreError>;

    async fn case_by_id(&self, id: &CaseId) -> Result<Option<StoredCase>, StoreError>;

    async fn case_by_row(&self, row_id: i64) -> Result<Option<StoredCase>, StoreError>;

    /// Every case, newest first.
    async fn cases(&self) -> Result<Vec<StoredCase>, StoreError>;

    /// Replaces a draft's form and template; `Conflict` when the case is no longer a draft.
    async fn edit_draft(
        &self,
        row_id: i64,
        edit: DraftEdit<'_>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Records a change with its log entries and mail; returns the new entries' ids.
    /// `Conflict` when the case moved on meanwhile, `Missing` when an evidence entry is
    /// not this case's.
    async fn record_case(
        &self,
        row_id: i64,
        record: CaseRecord<'_>,
    ) -> Result<Vec<i64>, StoreError>;

    /// The case's log, oldest first, with its files' metadata.
    async fn case_log(&self, row_id: i64) -> Result<Vec<LogEntry>, StoreError>;

    /// One file of one case: its name and content.
    async fn case_file(
        &self,
        row_id: i64,
        file_id: i64,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError>;

    /// Records that the reminder `key` was sent, with its log entry and mail, unless it
    /// already was; returns whether it was recorded now.
    async fn record_case_reminder(
        &self,
        row_id: i64,
        key: &str,
        entry: &NewLogEntry,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// What an outbox mail was about (its case and its report, either may be absent) and
    /// where it went; `None` when the desk sent no such mail.
    async fn case_of_sent_mail(
        &self,
        outbox_id: i64,
    ) -> Result<Option<(Option<i64>, Option<i64>, String)>, StoreError>;
}
