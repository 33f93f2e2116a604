//! Coordination with other vendors about a report: its participants with what each sees,
//! their contact and product statuses, the embargo and proposals to move it, nominations,
//! the message threads, the coordination log, deadline reminders, and the suppliers'
//! service agreements. Every change is written with its log entry, its mail and (for a
//! staff action) its audit entry in one transaction.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::coordination::{
    ContactStatus, Embargo, LogKind, ParticipantDeadlines, ParticipantTokenHash, ProductStatus,
    ServiceAgreement, Share,
};
use cvdesk_domain::vendor::VendorId;
use cvdesk_domain::Reference;
use cvdesk_formats::tlp::Tlp;
use time::OffsetDateTime;

use crate::outbox::NewMail;
use crate::{AuditOf, StoreError};

/// A vendor about to join a report's coordination.
pub struct NewParticipant<'a> {
    pub report_id: i64,
    pub vendor_id: VendorId,
    pub token_hash: &'a ParticipantTokenHash,
    pub share: &'a Share,
    pub tlp: Tlp,
    /// `Contacted` when an invitation is queued with it, else `NotContacted`.
    pub contact: ContactStatus,
    /// Whether it sees who else takes part.
    pub sees_participants: bool,
    /// Whether it may write to, and read, the thread of all participants.
    pub talks_to_all: bool,
    /// The zone it reads times in, besides UTC and the embargo's.
    pub time_zone: Option<&'a str>,
    pub deadlines: ParticipantDeadlines,
    /// The open nomination this participant answers, which becomes accepted.
    pub nomination: Option<i64>,
    pub created_by: &'a str,
}

/// A participant with its statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub id: i64,
    pub report_id: i64,
    pub report_reference: Reference,
    pub vendor_id: VendorId,
    pub vendor_name: String,
    pub share: Share,
    pub tlp: Tlp,
    /// As stored; `ContactStatus::shown` gives what a page shows.
    pub contact: ContactStatus,
    pub sees_participants: bool,
    pub talks_to_all: bool,
    pub time_zone: Option<String>,
    pub deadlines: ParticipantDeadlines,
    /// When it first answered through its link.
    pub answered_at: Option<OffsetDateTime>,
    /// When it first stated a status other than not checked.
    pub first_status_at: Option<OffsetDateTime>,
    /// When every product it stated was last found fixed or not affected.
    pub resolved_at: Option<OffsetDateTime>,
    pub nominated_by: Option<i64>,
    pub created_at: OffsetDateTime,
    pub statuses: Vec<StoredStatus>,
}

/// One product's status as the participant stated it, and its approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStatus {
    pub id: i64,
    pub status: ProductStatus,
    pub stated_at: OffsetDateTime,
    /// Who approved it for publication, and when; cleared when the participant changes it.
    pub approved: Option<(String, OffsetDateTime)>,
}

/// The log entry a change writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub kind: LogKind,
    pub participant_id: Option<i64>,
    /// A staff member's address, `participant: Vendor`, or `desk`.
    pub actor: String,
    pub text: String,
}

/// What every change writes with it.
pub struct Change<'a> {
    pub entry: LogEntry,
    pub mail: &'a [NewMail],
    /// A staff action's audit entry; participants' actions are in the log only.
    pub audit: Option<&'a AuditEvent>,
    pub now: OffsetDateTime,
}

/// A move on the contact axis that must still start from `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactMove {
    pub from: ContactStatus,
    pub to: ContactStatus,
}

/// A coordination log entry as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLogEntry {
    pub at: OffsetDateTime,
    pub kind: LogKind,
    pub participant_id: Option<i64>,
    pub actor: String,
    pub text: String,
}

/// A message in a coordination thread.
pub struct NewCoordinationMessage<'a> {
    pub report_id: i64,
    /// The participant whose thread with the coordinator it is in; `None` for the thread
    /// of all participants.
    pub thread: Option<i64>,
    /// The participant who wrote it; `None` for the coordinator.
    pub author: Option<i64>,
    pub author_label: &'a str,
    pub body: &'a str,
    pub tlp: Tlp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordinationMessage {
    pub id: i64,
    pub thread: Option<i64>,
    pub author: Option<i64>,
    pub author_label: String,
    pub body: String,
    pub tlp: Tlp,
    pub created_at: OffsetDateTime,
}

/// Where a proposal or nomination stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Open,
    Accepted,
    Declined,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Open => "open",
            Decision::Accepted => "accepted",
            Decision::Declined => "declined",
        }
    }

    pub fn parse(text: &str) -> Option<Decision> {
        [Decision::Open, Decision::Accepted, Decision::Declined]
            .into_iter()
            .find(|decision| decision.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbargoProposal {
    pub id: i64,
    pub participant_id: i64,
    pub embargo: Embargo,
    pub reason: String,
    pub decision: Decision,
    pub proposed_at: OffsetDateTime,
}

/// A vendor a participant asks the coordinator to bring in.
pub struct NewNomination<'a> {
    pub report_id: i64,
    pub participant_id: i64,
    pub vendor_name: &'a str,
    pub email: &'a str,
    pub reason: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nomination {
    pub id: i64,
    pub participant_id: i64,
    pub vendor_name: String,
    pub email: String,
    pub reason: String,
    pub decision: Decision,
    pub proposed_at: OffsetDateTime,
}

#[async_trait]
pub trait CoordinationStore: Send + Sync {
    /// Adds a participant, with its log entry, invitation mail and the audit entry `audit`
    /// writes for its id. `Conflict` when the vendor already takes part, or the
    /// nomination it answers is no longer open.
    async fn add_participant(
        &self,
        new: NewParticipant<'_>,
        change: Change<'_>,
        audit: &AuditOf<'_, i64>,
    ) -> Result<Participant, StoreError>;

    /// A report's participants in the order they joined, each with its statuses.
    async fn participants(&self, report_id: i64) -> Result<Vec<Participant>, StoreError>;

    async fn participant(&self, participant_id: i64) -> Result<Option<Participant>, StoreError>;

    async fn participant_by_token(
        &self,
        hash: &ParticipantTokenHash,
    ) -> Result<Option<Participant>, StoreError>;

    /// Participants who may still owe an answer (contacted, acknowledged or unresponsive),
    /// for the deadline job.
    async fn participants_with_deadlines(&self) -> Result<Vec<Participant>, StoreError>;

    /// Moves a participant on the contact axis; `Conflict` when it no longer stands at
    /// `moved.from` (someone else moved it first).
    async fn move_contact(
        &self,
        participant_id: i64,
        moved: ContactMove,
        change: Change<'_>,
    ) -> Result<(), StoreError>;

    /// Records a participant's status of one product (replacing its earlier one, whose
    /// approval lapses), with the contact move its answer makes, if any.
    async fn state_product(
        &self,
        participant_id: i64,
        status: &ProductStatus,
        contact: Option<ContactMove>,
        change: Change<'_>,
    ) -> Result<(), StoreError>;

    /// Approves a status for publication, as stated at `stated_at`; `Conflict` when the
    /// participant changed it since.
    async fn approve_status(
        &self,
        participant_id: i64,
        status_id: i64,
        stated_at: OffsetDateTime,
        approved_by: &str,
        change: Change<'_>,
    ) -> Result<(), StoreError>;

    /// Sets the report's embargo (accepting `proposal`, when one is named).
    async fn set_embargo(
        &self,
        report_id: i64,
        embargo: &Embargo,
        proposal: Option<i64>,
        change: Change<'_>,
    ) -> Result<(), StoreError>;

    async fn embargo(&self, report_id: i64) -> Result<Option<Embargo>, StoreError>;

    async fn propose_embargo(
        &self,
        report_id: i64,
        participant_id: i64,
        embargo: &Embargo,
        reason: &str,
        change: Change<'_>,
    ) -> Result<i64, StoreError>;

    /// Declines an open proposal; `Conflict` when it was decided already.
    async fn decline_embargo_proposal(
        &self,
        report_id: i64,
        proposal_id: i64,
        change: Change<'_>,
    ) -> Result<(), StoreError>;

    async fn embargo_proposals(&self, report_id: i64) -> Result<Vec<EmbargoProposal>, StoreError>;

    /// Stores a message, with the contact move a participant's answer makes, if any.
    async fn post_coordination_message(
        &self,
        message: NewCoordinationMessage<'_>,
        contact: Option<ContactMove>,
        mail: &[NewMail],
        audit: Option<&AuditEvent>,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError>;

    /// Every message of a report (for the coordinator), or those `participant` may read:
    /// its own thread, and the thread of all when `with_all`.
    async fn coordination_messages(
        &self,
        report_id: i64,
        participant: Option<(i64, bool)>,
    ) -> Result<Vec<CoordinationMessage>, StoreError>;

    async fn nominate(
        &self,
        nomination: NewNomination<'_>,
        change: Change<'_>,
    ) -> Result<i64, StoreError>;

    async fn nominations(&self, report_id: i64) -> Result<Vec<Nomination>, StoreError>;

    /// Declines an open nomination; `Conflict` when it was decided already.
    async fn decline_nomination(
        &self,
        report_id: i64,
        nomination_id: i64,
        change: Change<'_>,
    ) -> Result<(), StoreError>;

    /// Records a change that moves nothing of the coordination itself (an advisory
    /// published before the embargo ends): its log entry, mail and audit entry.
    async fn record_coordination_change(
        &self,
        report_id: i64,
        change: Change<'_>,
    ) -> Result<(), StoreError>;

    /// The report's coordination log, oldest first.
    async fn coordination_log(&self, report_id: i64) -> Result<Vec<StoredLogEntry>, StoreError>;

    /// Records the deadline reminder `key` of a participant with its log entry, mail and
    /// contact move, unless it was recorded before; `true` when recorded now.
    async fn record_participant_reminder(
        &self,
        participant_id: i64,
        key: &str,
        contact: Option<ContactMove>,
        change: Change<'_>,
    ) -> Result<bool, StoreError>;

    /// Records a supplier's service agreement, replacing any earlier one; `Missing` when
    /// there is no such vendor.
    async fn set_supplier_agreement(
        &self,
        vendor_id: VendorId,
        agreement: &ServiceAgreement,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    async fn supplier_agreement(
        &self,
        vendor_id: VendorId,
    ) -> Result<Option<ServiceAgreement>, StoreError>;
}
