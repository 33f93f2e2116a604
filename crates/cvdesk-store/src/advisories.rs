//! Advisories as the store keeps them: the working copy of the content, the life-cycle
//! state and schedule, the immutable published revisions, the reports an advisory answers
//! and the credits proposed to their finders. Every change appends its audit entry in its
//! own transaction; the rules (what may change when) are the domain's, and the store
//! refuses a write whose expected state no longer holds, so two people (or instances)
//! acting at once cannot both succeed.

use async_trait::async_trait;
use cvdesk_domain::advisory::credit::CreditText;
use cvdesk_domain::advisory::{
    AdvisoryContent, AdvisoryId, AdvisoryState, Credit, CreditRole, Revision, RevisionHistory,
};
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::{Reference, ReferencePrefix};
use cvdesk_formats::tlp::Tlp;
use time::OffsetDateTime;

use crate::{AuditOf, NewMail, StoreError};

/// The job kind that publishes a scheduled advisory; its subject is the advisory's id.
pub const PUBLISH_JOB: &str = "advisory.publish";

/// An advisory about to be created.
pub struct NewAdvisory<'a> {
    pub prefix: &'a ReferencePrefix,
    pub content: &'a AdvisoryContent,
    /// Who drafted it (a staff e-mail).
    pub created_by: &'a str,
    pub now: OffsetDateTime,
}

/// When a scheduled advisory is to be published, and the zone it was given in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub at: OffsetDateTime,
    /// An IANA zone name or an offset (`+02:00`), as the domain's `ScheduleZone` names it.
    pub zone: String,
    /// The publisher's reason to publish before an embargo of the advisory's reports ends;
    /// without one, an embargo that holds when the time comes holds the publication back.
    pub embargo_override: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub at: OffsetDateTime,
    pub reason: String,
}

/// A credit with the report whose finder answers for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredit {
    pub id: i64,
    pub report_id: i64,
    pub report: Reference,
    pub credit: Credit,
    pub proposed_at: OffsetDateTime,
}

/// Everything about one advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    /// The row's key, for links between tables.
    pub key: i64,
    pub id: AdvisoryId,
    pub state: AdvisoryState,
    /// The working copy: what the next publication would publish.
    pub content: AdvisoryContent,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub schedule: Option<Schedule>,
    pub withdrawal: Option<Withdrawal>,
    pub history: RevisionHistory,
    pub credits: Vec<StoredCredit>,
}

/// An advisory in the staff list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisorySummary {
    pub id: AdvisoryId,
    pub state: AdvisoryState,
    /// The working copy's title.
    pub title: String,
    pub updated_at: OffsetDateTime,
    pub scheduled_at: Option<OffsetDateTime>,
    pub latest_revision: u32,
    pub products: Vec<ProductId>,
}

/// An advisory as published: its latest revision, for lists, feeds and the CSAF
/// directory, read without its full content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedSummary {
    pub id: AdvisoryId,
    pub title: String,
    pub summary: String,
    pub tlp: Tlp,
    pub version: u32,
    pub first_published_at: OffsetDateTime,
    pub latest_published_at: OffsetDateTime,
    pub withdrawn_at: Option<OffsetDateTime>,
}

/// A credit as the finder of a report sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinderCredit {
    pub id: i64,
    pub advisory: AdvisoryId,
    pub advisory_title: String,
    /// Whether the advisory is public.
    pub advisory_published: bool,
    pub credit: Credit,
}

/// One name on the hall of fame: a consented credit of a public TLP:CLEAR advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    pub text: CreditText,
    pub role: CreditRole,
    pub advisory: AdvisoryId,
    pub first_published_at: OffsetDateTime,
}

/// A finder with an agreed credit on a public TLP:CLEAR advisory, named as their latest
/// agreed credit names them, with the outcome of every report they sent: reports are
/// the same finder's when their contact addresses match, which are never returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditedFinder {
    pub text: CreditText,
    /// Each report's state and CVSS rating (`critical`, `high`, …).
    pub outcomes: Vec<(cvdesk_domain::ReportState, Option<String>)>,
}

/// A credit about to be proposed to the finder of `report_id`, with the mail to them.
pub struct NewCredit<'a> {
    pub report_id: i64,
    pub credit: &'a Credit,
    /// Who proposed it (a staff e-mail).
    pub proposed_by: &'a str,
    pub mail: &'a [NewMail],
    pub now: OffsetDateTime,
}

/// A publication about to be stored: the new revision, the state it leads to, and the
/// state the advisory must still be in (another publisher may have acted meanwhile).
pub struct NewRevision<'a> {
    pub expected: AdvisoryState,
    pub next: AdvisoryState,
    pub revision: &'a Revision,
    /// Set when the publication is a withdrawal.
    pub withdrawal: Option<&'a Withdrawal>,
}

#[async_trait]
pub trait AdvisoryStore: Send + Sync {
    /// Allocates the next id of the year of `new.now` and stores a draft, with the entry
    /// `audit` writes for the new id, in one transaction.
    async fn create_advisory(
        &self,
        new: NewAdvisory<'_>,
        audit: &AuditOf<'_, AdvisoryId>,
    ) -> Result<AdvisoryId, StoreError>;

    async fn advisory(&self, id: &AdvisoryId) -> Result<Option<Advisory>, StoreError>;

    /// Every advisory, most recently changed first; `products` limits the list to those
    /// naming one of them (a member's view).
    async fn advisories(
        &self,
        products: Option<&[ProductId]>,
        limit: u32,
    ) -> Result<Vec<AdvisorySummary>, StoreError>;

    /// The advisories that answer a report, most recent first.
    async fn advisories_of_report(&self, report_id: i64) -> Result<Vec<AdvisoryId>, StoreError>;

    /// Replaces the working copy while the advisory is still in state `expected`
    /// (`StoreError::Conflict` otherwise). Reports named in the content must exist
    /// (`StoreError::Missing`).
    async fn update_advisory(
        &self,
        id: &AdvisoryId,
        expected: AdvisoryState,
        content: &AdvisoryContent,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Schedules publication (draft or scheduled → scheduled) and queues the job that will
    /// publish it, in one transaction.
    async fn schedule_advisory(
        &self,
        id: &AdvisoryId,
        expected: AdvisoryState,
        schedule: &Schedule,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Calls a schedule off (scheduled → draft) and removes its job.
    async fn unschedule_advisory(
        &self,
        id: &AdvisoryId,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Stores a publication (the first, a revision, or a withdrawal) with its audit entry;
    /// `StoreError::Conflict` when the advisory left `expected` or the revision number was
    /// taken meanwhile.
    async fn publish_advisory(
        &self,
        id: &AdvisoryId,
        publication: NewRevision<'_>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// The latest revision of every published advisory (of one TLP label, or all), the
    /// first published first when `oldest_first`, else the newest first.
    async fn published_advisories(
        &self,
        tlp: Option<Tlp>,
        limit: u32,
    ) -> Result<Vec<PublishedSummary>, StoreError>;

    /// Proposes a credit to the finder of one of the reports the advisory answers,
    /// queueing the mail that tells them, in one transaction; returns the credit's id.
    async fn propose_credit(
        &self,
        id: &AdvisoryId,
        proposal: NewCredit<'_>,
        audit: &AuditEvent,
    ) -> Result<i64, StoreError>;

    /// Records the finder's answer when the credit belongs to `report_id` and is still
    /// `expected`; `Ok(false)` when it is not (answered meanwhile, or not theirs).
    async fn answer_credit(
        &self,
        credit_id: i64,
        report_id: i64,
        expected: &Credit,
        answer: &Credit,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;

    /// Removes a credit the finder has not accepted (proposed, declined or withdrawn).
    async fn remove_credit(
        &self,
        id: &AdvisoryId,
        credit_id: i64,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;

    /// What changes whenever the published list does: the number of published advisories
    /// and the number of published revisions. Every publication, revision and withdrawal
    /// adds a revision, and revisions are never removed, so equal versions mean the same
    /// list.
    async fn published_version(&self) -> Result<(i64, i64), StoreError>;

    /// The credits proposed to the finder of a report, oldest first.
    async fn credits_of_report(&self, report_id: i64) -> Result<Vec<FinderCredit>, StoreError>;

    /// The consented credits of published TLP:CLEAR advisories that are not withdrawn, as
    /// their latest revisions publish them, newest advisory first.
    async fn hall_of_fame(&self, limit: u32) -> Result<Vec<Acknowledgement>, StoreError>;

    /// The credited finders (at most `limit`, latest credited first), for finder points.
    async fn credited_finders(&self, limit: u32) -> Result<Vec<CreditedFinder>, StoreError>;
}
