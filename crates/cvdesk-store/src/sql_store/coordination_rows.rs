//! The rows of a coordination and the statements shared by its writes: the log entry, the
//! mail and the audit entry that go with every change, and the contact moves.

use cvdesk_domain::coordination::{
    ContactStatus, Embargo, LogKind, ParticipantDeadlines, ProductStatus, ServiceAgreement, Share,
};
use cvdesk_domain::vendor::VendorId;
use cvdesk_formats::tlp::Tlp;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::outbox::insert_mail;
use super::StoredTime;
use crate::coordination::{
    Change, ContactMove, CoordinationMessage, Decision, EmbargoProposal, LogEntry, Nomination,
    Participant, StoredLogEntry, StoredStatus,
};
use crate::StoreError;

pub const PARTICIPANT_COLUMNS: &str = "SELECT p.id, p.report_id, p.vendor_id, \
     v.name AS vendor_name, p.shared, p.tlp, p.contact, p.sees_participants, p.talks_to_all, \
     p.time_zone, p.acknowledge_by, p.status_by, p.fix_by, p.answered_at, p.first_status_at, \
     p.resolved_at, p.nominated_by, p.created_at, r.reference_prefix, r.reference_year, \
     r.reference_sequence FROM participants p JOIN vendors v ON v.id = p.vendor_id \
     JOIN reports r ON r.id = p.report_id";

pub const STATUS_COLUMNS: &str = "SELECT s.id, s.participant_id, s.vulnerability, s.product, \
     s.status, s.fixed_version, s.statement, s.refs, s.stated_at, s.approved_by, s.approved_at \
     FROM participant_statuses s JOIN participants p ON p.id = s.participant_id";

pub const MESSAGE_COLUMNS: &str = "SELECT id, thread, author, author_label, body, tlp, \
     created_at FROM coordination_messages";

#[derive(FromRow)]
pub struct ParticipantRow {
    id: i64,
    report_id: i64,
    vendor_id: i64,
    vendor_name: String,
    shared: String,
    tlp: String,
    contact: String,
    sees_participants: bool,
    talks_to_all: bool,
    time_zone: Option<String>,
    acknowledge_by: OffsetDateTime,
    status_by: OffsetDateTime,
    fix_by: OffsetDateTime,
    answered_at: Option<OffsetDateTime>,
    first_status_at: Option<OffsetDateTime>,
    resolved_at: Option<OffsetDateTime>,
    nominated_by: Option<i64>,
    created_at: OffsetDateTime,
    reference_prefix: String,
    reference_year: i64,
    reference_sequence: i64,
}

#[derive(FromRow)]
pub struct StatusRow {
    id: i64,
    participant_id: i64,
    vulnerability: String,
    product: String,
    status: String,
    fixed_version: Option<String>,
    statement: Option<String>,
    refs: String,
    stated_at: OffsetDateTime,
    approved_by: Option<String>,
    approved_at: Option<OffsetDateTime>,
}

#[derive(FromRow)]
pub struct MessageRow {
    id: i64,
    thread: Option<i64>,
    author: Option<i64>,
    author_label: String,
    body: String,
    tlp: String,
    created_at: OffsetDateTime,
}

#[derive(FromRow)]
pub struct ProposalRow {
    id: i64,
    participant_id: i64,
    ends_at: OffsetDateTime,
    time_zone: String,
    reason: String,
    decision: String,
    proposed_at: OffsetDateTime,
}

#[derive(FromRow)]
pub struct NominationRow {
    id: i64,
    participant_id: i64,
    vendor_name: String,
    email: String,
    reason: String,
    decision: String,
    proposed_at: OffsetDateTime,
}

#[derive(FromRow)]
pub struct LogRow {
    at: OffsetDateTime,
    kind: String,
    participant_id: Option<i64>,
    actor: String,
    text: String,
}

#[derive(FromRow)]
pub struct AgreementRow {
    cost_bearer: String,
    mitigation_days: i64,
    acknowledge_business_days: Option<i64>,
    reference: Option<String>,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("coordination: {what}"))
}

fn tlp(text: &str) -> Result<Tlp, StoreError> {
    text.parse().map_err(corrupt)
}

fn decision(text: &str) -> Result<Decision, StoreError> {
    Decision::parse(text).ok_or_else(|| corrupt(format!("decision '{text}'")))
}

impl ParticipantRow {
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The participant with `statuses` (rows of this participant only).
    pub fn into_participant(self, statuses: Vec<StoredStatus>) -> Result<Participant, StoreError> {
        Ok(Participant {
            id: self.id,
            report_id: self.report_id,
            report_reference: super::triage::reference(
                &self.reference_prefix,
                self.reference_year,
                self.reference_sequence,
            )?,
            vendor_id: VendorId(self.vendor_id),
            vendor_name: self.vendor_name,
            share: Share::from_stored(&self.shared).map_err(corrupt)?,
            tlp: tlp(&self.tlp)?,
            contact: self.contact.parse::<ContactStatus>().map_err(corrupt)?,
            sees_participants: self.sees_participants,
            talks_to_all: self.talks_to_all,
            time_zone: self.time_zone,
            deadlines: ParticipantDeadlines {
                acknowledge_by: self.acknowledge_by,
                status_by: self.status_by,
                fix_by: self.fix_by,
            },
            answered_at: self.answered_at,
            first_status_at: self.first_status_at,
            resolved_at: self.resolved_at,
            nominated_by: self.nominated_by,
            created_at: self.created_at,
            statuses,
        })
    }
}

impl StatusRow {
    pub fn participant_id(&self) -> i64 {
        self.participant_id
    }

    pub fn into_status(self) -> Result<StoredStatus, StoreError> {
        let vulnerability = match self.vulnerability.as_str() {
            "" => None,
            cve => Some(cve.parse().map_err(corrupt)?),
        };
        Ok(StoredStatus {
            id: self.id,
            status: ProductStatus {
                vulnerability,
                product: self.product,
                status: self.status.parse().map_err(corrupt)?,
                fixed_version: self.fixed_version,
                statement: self.statement,
                references: serde_json::from_str(&self.refs).map_err(corrupt)?,
            },
            stated_at: self.stated_at,
            approved: match (self.approved_by, self.approved_at) {
                (Some(by), Some(at)) => Some((by, at)),
                (None, None) => None,
                _ => return Err(corrupt("an approval without its time or approver")),
            },
        })
    }
}

/// Each participant with its own statuses, from the rows of one query each.
pub fn assemble(
    participants: Vec<ParticipantRow>,
    statuses: Vec<StatusRow>,
) -> Result<Vec<Participant>, StoreError> {
    let mut by_participant: std::collections::HashMap<i64, Vec<StoredStatus>> =
        std::collections::HashMap::new();
    for row in statuses {
        let participant = row.participant_id();
        by_participant
            .entry(participant)
            .or_default()
            .push(row.into_status()?);
    }
    participants
        .into_iter()
        .map(|row| {
            let statuses = by_participant.remove(&row.id()).unwrap_or_default();
            row.into_participant(statuses)
        })
        .collect()
}

impl MessageRow {
    pub fn into_message(self) -> Result<CoordinationMessage, StoreError> {
        Ok(CoordinationMessage {
            id: self.id,
            thread: self.thread,
            author: self.author,
            author_label: self.author_label,
            body: self.body,
            tlp: tlp(&self.tlp)?,
            created_at: self.created_at,
        })
    }
}

impl ProposalRow {
    pub fn into_proposal(self) -> Result<EmbargoProposal, StoreError> {
        Ok(EmbargoProposal {
            id: self.id,
            participant_id: self.participant_id,
            embargo: Embargo::stored(self.ends_at, &self.time_zone).map_err(corrupt)?,
            reason: self.reason,
            decision: decision(&self.decision)?,
            proposed_at: self.proposed_at,
        })
    }
}

impl NominationRow {
    pub fn into_nomination(self) -> Result<Nomination, StoreError> {
        Ok(Nomination {
            id: self.id,
            participant_id: self.participant_id,
            vendor_name: self.vendor_name,
            email: self.email,
            reason: self.reason,
            decision: decision(&self.decision)?,
            proposed_at: self.proposed_at,
        })
    }
}

impl LogRow {
    pub fn into_entry(self) -> Result<StoredLogEntry, StoreError> {
        Ok(StoredLogEntry {
            at: self.at,
            kind: self.kind.parse::<LogKind>().map_err(corrupt)?,
            participant_id: self.participant_id,
            actor: self.actor,
            text: self.text,
        })
    }
}

impl AgreementRow {
    pub fn into_agreement(self) -> Result<ServiceAgreement, StoreError> {
        let days = |value: i64| u32::try_from(value).map_err(corrupt);
        Ok(ServiceAgreement {
            cost_bearer: self.cost_bearer.parse().map_err(corrupt)?,
            mitigation_days: days(self.mitigation_days)?,
            acknowledge_business_days: self.acknowledge_business_days.map(days).transpose()?,
            reference: self.reference,
        })
    }
}

/// Writes what goes with every change: its log entry (about `report_id`), its mail and,
/// for a staff action, its audit entry.
pub async fn finish_change<DB>(
    connection: &mut DB::Connection,
    report_id: i64,
    change: &Change<'_>,
) -> Result<(), StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
{
    insert_log::<DB>(&mut *connection, report_id, &change.entry, change.now).await?;
    insert_mail::<DB>(&mut *connection, change.mail, change.now).await?;
    if let Some(audit) = change.audit {
        append_audit_in::<DB>(&mut *connection, audit).await?;
    }
    Ok(())
}

pub async fn insert_log<DB>(
    connection: &mut DB::Connection,
    report_id: i64,
    entry: &LogEntry,
    now: OffsetDateTime,
) -> Result<(), StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO coordination_log (report_id, participant_id, kind, at, actor, text) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(report_id)
    .bind(entry.participant_id)
    .bind(entry.kind.as_str())
    .bind(StoredTime(now))
    .bind(entry.actor.as_str())
    .bind(entry.text.as_str())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Makes a contact move if the participant still stands where the move starts; `false`
/// when it does not.
pub async fn move_contact_in<DB>(
    connection: &mut DB::Connection,
    participant_id: i64,
    moved: ContactMove,
    now: OffsetDateTime,
) -> Result<bool, StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<StoredTime>: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    // Acknowledging or declining is an answer: the acknowledgement clock stops.
    let answered = matches!(
        moved.to,
        ContactStatus::Acknowledged | ContactStatus::Declined
    )
    .then_some(StoredTime(now));
    let moved_row: Option<i64> = sqlx::query_scalar(
        "UPDATE participants SET contact = $3, answered_at = COALESCE(answered_at, $4) \
         WHERE id = $1 AND contact = $2 RETURNING id",
    )
    .bind(participant_id)
    .bind(moved.from.as_str())
    .bind(moved.to.as_str())
    .bind(answered)
    .fetch_optional(&mut *connection)
    .await?;
    Ok(moved_row.is_some())
}
