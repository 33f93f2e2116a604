//! Coordinations on both backends: each change with its log entry, mail and audit entry
//! in one transaction, and a report's participants read in two statements however many
//! there are.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::coordination::{
    Affectedness, Embargo, ParticipantTokenHash, ProductStatus, ServiceAgreement,
};
use cvdesk_domain::vendor::VendorId;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::coordination_rows::{
    assemble, finish_change, insert_log, move_contact_in, AgreementRow, LogRow, MessageRow,
    NominationRow, ParticipantRow, ProposalRow, StatusRow, MESSAGE_COLUMNS, PARTICIPANT_COLUMNS,
    STATUS_COLUMNS,
};
use super::outbox::insert_mail;
use super::{SqlStore, StoredTime};
use crate::coordination::{
    Change, ContactMove, CoordinationMessage, CoordinationStore, EmbargoProposal, LogEntry,
    NewCoordinationMessage, NewNomination, NewParticipant, Nomination, Participant, StoredLogEntry,
};
use crate::outbox::NewMail;
use crate::{AuditOf, StoreError};

/// Contacts that may still owe an answer.
const WITH_DEADLINES: &str = "('contacted', 'acknowledged', 'unresponsive')";

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'r> ParticipantRow: FromRow<'r, DB::Row>,
    for<'r> StatusRow: FromRow<'r, DB::Row>,
{
    /// Participants matching `condition` (on `p`), with their statuses, bound to `id`.
    async fn participants_where(
        &self,
        condition: &str,
        id: Option<i64>,
    ) -> Result<Vec<Participant>, StoreError> {
        let participants = format!("{PARTICIPANT_COLUMNS} WHERE {condition} ORDER BY p.id");
        let statuses = format!("{STATUS_COLUMNS} WHERE {condition} ORDER BY s.id");
        let mut participant_query = sqlx::query_as::<_, ParticipantRow>(&participants);
        let mut status_query = sqlx::query_as::<_, StatusRow>(&statuses);
        if let Some(id) = id {
            participant_query = participant_query.bind(id);
            status_query = status_query.bind(id);
        }
        let mut connection = self.readers.acquire().await?;
        let rows = participant_query.fetch_all(&mut *connection).await?;
        let status_rows = status_query.fetch_all(&mut *connection).await?;
        assemble(rows, status_rows)
    }
}

#[async_trait]
impl<DB> CoordinationStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> Option<StoredTime>: Encode<'q, DB> + Type<DB>,
    for<'q> OffsetDateTime: Decode<'q, DB> + Type<DB>,
    for<'r> ParticipantRow: FromRow<'r, DB::Row>,
    for<'r> StatusRow: FromRow<'r, DB::Row>,
    for<'r> MessageRow: FromRow<'r, DB::Row>,
    for<'r> ProposalRow: FromRow<'r, DB::Row>,
    for<'r> NominationRow: FromRow<'r, DB::Row>,
    for<'r> LogRow: FromRow<'r, DB::Row>,
    for<'r> AgreementRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    for<'r> (i64, i64): FromRow<'r, DB::Row>,
    for<'r> (OffsetDateTime, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn add_participant(
        &self,
        new: NewParticipant<'_>,
        change: Change<'_>,
        audit: &AuditOf<'_, i64>,
    ) -> Result<Participant, StoreError> {
        let mut tx = self.writer.begin().await?;
        let vendor_name: Option<String> =
            sqlx::query_scalar("SELECT name FROM vendors WHERE id = $1")
                .bind(new.vendor_id.0)
                .fetch_optional(&mut *tx)
                .await?;
        let vendor_name = vendor_name.ok_or_else(|| {
            StoreError::Missing(format!("there is no vendor {}", new.vendor_id.0))
        })?;
        if let Some(nomination) = new.nomination {
            let accepted: Option<i64> = sqlx::query_scalar(
                "UPDATE nominations SET decision = 'accepted' \
                 WHERE id = $1 AND report_id = $2 AND decision = 'open' RETURNING id",
            )
            .bind(nomination)
            .bind(new.report_id)
            .fetch_optional(&mut *tx)
            .await?;
            if accepted.is_none() {
                return Err(StoreError::Conflict(
                    "the nomination was decided already".to_owned(),
                ));
            }
        }
        let nominated_by: Option<i64> = match new.nomination {
            Some(nomination) => {
                sqlx::query_scalar("SELECT participant_id FROM nominations WHERE id = $1")
                    .bind(nomination)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => None,
        };
        let deadlines = new.deadlines;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO participants (report_id, vendor_id, token_hash, shared, tlp, contact, \
             sees_participants, talks_to_all, time_zone, acknowledge_by, status_by, fix_by, \
             nominated_by, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             RETURNING id",
        )
        .bind(new.report_id)
        .bind(new.vendor_id.0)
        .bind(new.token_hash.as_str())
        .bind(new.share.stored_text())
        .bind(new.tlp.as_str())
        .bind(new.contact.as_str())
        .bind(new.sees_participants)
        .bind(new.talks_to_all)
        .bind(new.time_zone)
        .bind(StoredTime(deadlines.acknowledge_by))
        .bind(StoredTime(deadlines.status_by))
        .bind(StoredTime(deadlines.fix_by))
        .bind(nominated_by)
        .bind(StoredTime(change.now))
        .bind(new.created_by)
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| {
            StoreError::conflict_on_unique(
                error,
                format!("{vendor_name} takes part in this coordination already"),
            )
        })?;
        let entry = LogEntry {
            participant_id: Some(id),
            ..change.entry.clone()
        };
        insert_log::<DB>(&mut tx, new.report_id, &entry, change.now).await?;
        insert_mail::<DB>(&mut tx, change.mail, change.now).await?;
        append_audit_in::<DB>(&mut tx, &audit(&id)).await?;
        tx.commit().await?;
        self.participant(id)
            .await?
            .ok_or_else(|| StoreError::Missing(format!("participant {id} vanished")))
    }

    async fn participants(&self, report_id: i64) -> Result<Vec<Participant>, StoreError> {
        self.participants_where("p.report_id = $1", Some(report_id))
            .await
    }

    async fn participant(&self, participant_id: i64) -> Result<Option<Participant>, StoreError> {
        Ok(self
            .participants_where("p.id = $1", Some(participant_id))
            .await?
            .pop())
    }

    async fn participant_by_token(
        &self,
        hash: &ParticipantTokenHash,
    ) -> Result<Option<Participant>, StoreError> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM participants WHERE token_hash = $1")
                .bind(hash.as_str())
                .fetch_optional(&self.readers)
                .await?;
        match id {
            Some(id) => self.participant(id).await,
            None => Ok(None),
        }
    }

    async fn participants_with_deadlines(&self) -> Result<Vec<Participant>, StoreError> {
        self.participants_where(&format!("p.contact IN {WITH_DEADLINES}"), None)
            .await
    }

    async fn move_contact(
        &self,
        participant_id: i64,
        moved: ContactMove,
        change: Change<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        if !move_contact_in::<DB>(&mut tx, participant_id, moved, change.now).await? {
            return Err(StoreError::Conflict(
                "the participant's contact changed meanwhile; look again".to_owned(),
            ));
        }
        let report_id = report_of::<DB>(&mut tx, participant_id).await?;
        finish_change::<DB>(&mut tx, report_id, &change).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn state_product(
        &self,
        participant_id: i64,
        status: &ProductStatus,
        contact: Option<ContactMove>,
        change: Change<'_>,
    ) -> Result<(), StoreError> {
        let references = serde_json::to_string(&status.references)
            .map_err(|error| StoreError::Corrupt(format!("status references: {error}")))?;
        let vulnerability = status
            .vulnerability
            .map(|cve| cve.to_string())
            .unwrap_or_default();
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO participant_statuses (participant_id, vulnerability, product, status, \
             fixed_version, statement, refs, stated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (participant_id, vulnerability, product) DO UPDATE SET \
             status = excluded.status, fixed_version = excluded.fixed_version, \
             statement = excluded.statement, refs = excluded.refs, \
             stated_at = excluded.stated_at, approved_by = NULL, approved_at = NULL",
        )
        .bind(participant_id)
        .bind(vulnerability.as_str())
        .bind(status.product.as_str())
        .bind(status.status.as_str())
        .bind(status.fixed_version.as_deref())
        .bind(status.statement.as_deref())
        .bind(references.as_str())
        .bind(StoredTime(change.now))
        .execute(&mut *tx)
        .await?;
        if let Some(moved) = contact {
            // Moved by someone else meanwhile: their move stands.
            move_contact_in::<DB>(&mut tx, participant_id, moved, change.now).await?;
        }
        let (stated, settled): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status IN ('not_affected', 'fixed') \
             THEN 1 ELSE 0 END), 0) FROM participant_statuses WHERE participant_id = $1",
        )
        .bind(participant_id)
        .fetch_one(&mut *tx)
        .await?;
        let now = Some(StoredTime(change.now));
        let has_status = status.status != Affectedness::NotChecked;
        let resolved = stated > 0 && settled == stated;
        let report_id: i64 = sqlx::query_scalar(
            "UPDATE participants SET answered_at = COALESCE(answered_at, $2), \
             first_status_at = COALESCE(first_status_at, $3), \
             resolved_at = CASE WHEN $4 THEN COALESCE(resolved_at, $2) ELSE NULL END \
             WHERE id = $1 RETURNING report_id",
        )
        .bind(participant_id)
        .bind(now)
        .bind(if has_status { now } else { None })
        .bind(resolved)
        .fetch_one(&mut *tx)
        .await?;
        finish_change::<DB>(&mut tx, report_id, &change).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn approve_status(
        &self,
        participant_id: i64,
        status_id: i64,
        stated_at: OffsetDateTime,
        approved_by: &str,
        change: Change<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let approved: Option<i64> = sqlx::query_scalar(
            "UPDATE participant_statuses SET approved_by = $3, approved_at = $4 \
             WHERE id = $2 AND participant_id = $1 AND stated_at = $5 RETURNING id",
        )
        .bind(participant_id)
        .bind(status_id)
        .bind(approved_by)
        .bind(StoredTime(change.now))
        .bind(StoredTime(stated_at))
        .fetch_optional(&mut *tx)
        .await?;
        if approved.is_none() {
            return Err(StoreError::Conflict(
                "the participant changed this status since you saw it: look at it again".to_owned(),
            ));
        }
        let report_id = report_of::<DB>(&mut tx, participant_id).await?;
        finish_change::<DB>(&mut tx, report_id, &change).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_embargo(
        &self,
        report_id: i64,
        embargo: &Embargo,
        proposal: Option<i64>,
        change: Change<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        if let Some(proposal) = proposal {
            decide::<DB>(
                &mut tx,
                "embargo_proposals",
                report_id,
                proposal,
                "accepted",
            )
            .await?;
        }
        sqlx::query(
            "INSERT INTO coordination_embargoes (report_id, ends_at, time_zone, set_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (report_id) DO UPDATE SET \
             ends_at = excluded.ends_at, time_zone = excluded.time_zone, set_at = excluded.set_at",
        )
        .bind(report_id)
        .bind(StoredTime(embargo.ends_at()))
        .bind(embargo.zone().name())
        .bind(StoredTime(change.now))
        .execute(&mut *tx)
        .await?;
        finish_change::<DB>(&mut tx, report_id, &change).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn embargo(&self, report_id: i64) -> Result<Option<Embargo>, StoreError> {
        let row: Option<(OffsetDateTime, String)> = sqlx::query_as(
            "SELECT ends_at, time_zone FROM coordination_embargoes WHERE report_id = $1",
        )
        .bind(report_id)
        .fetch_optional(&self.readers)
        .await?;
        row.map(|(ends_at, zone)| {
            Embargo::stored(ends_at, &zone)
                .map_err(|error| StoreError::Corrupt(format!("embargo of {report_id}: {error}")))
        })
        .transpose()
    }

    async fn propose_embargo(
        &self,
        report_id: i64,
        participant_id: i64,
        embargo: &Embargo,
        reason: &str,
        change: Change<'_>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO embargo_proposals (report_id, participant_id, ends_at, time_zone, \
             reason, decision, proposed_at) VALUES ($1, $2, $3, $4, $5, 'open', $6) RETURNING id",
        )
        .bind(report_id)
        .bind(participant_id)
        .bind(StoredTime(embargo.ends_at()))
        .bind(embargo.zone().name())
        .bind(reason)
        .bind(StoredTime(change.now))
        .fetch_one(&mut *tx)
        .await?;
        finish_change::<DB>(&mut tx, report_id, &change).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn decline_embargo_proposal(
        &self,
        report_id: i64,
        proposal_id: i64,
        change: Change<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        decide::<DB>(
            &mut tx,
            "embargo_proposals",
            report_id,
            proposal_id,
            "declined",
        )
        .await?;
        finish_change::<DB>(&mut tx, report_id, &change).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn embargo_proposals(&self, report_id: i64) -> Result<Vec<EmbargoProposal>, StoreError> {
        let rows: Vec<ProposalRow> = sqlx::query_as(
            "SELECT id, participant_id, ends_at, time_zone, reason, decision, proposed_at \
             FROM embargo_proposals WHERE report_id = $1 ORDER BY id",
        )
        .bind(report_id)
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter().map(ProposalRow::into_proposal).collect()
    }

    async fn post_coordination_message(
        &self,
        message: NewCoordinationMessage<'_>,
        contact: Option<ContactMove>,
        mail: &[NewMail],
        audit: Option<&AuditEvent>,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO coordination_messages (report_id, thread, author, author_label, body, \
             tlp, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(message.report_id)
        .bind(message.thread)
        .bind(message.author)
        .bind(message.author_label)
        .bind(message.body)
        .bind(message.tlp.as_str())
        .bind(StoredTime(now))
        .fetch_one(&mut *tx)
        .await?;
        if let Some(author) = message.author {
            if let Some(moved) = contact {
                move_contact_in::<DB>(&mut tx, author, moved, now).await?;
            }
            sqlx::query(
                "UPDATE participants SET answered_at = COALESCE(answered_at, $2) WHERE id = $1",
            )
            .bind(author)
            .bind(StoredTime(now))
            .execute(&mut *tx)
            .await?;
        }
        insert_mail::<DB>(&mut tx, mail, now).await?;
        if let Some(audit) = audit {
            append_audit_in::<DB>(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn coordination_messages(
        &self,
        report_id: i64,
        participant: Option<(i64, bool)>,
    ) -> Result<Vec<CoordinationMessage>, StoreError> {
        let rows: Vec<MessageRow> = match participant {
            None => {
                sqlx::query_as(&format!(
                    "{MESSAGE_COLUMNS} WHERE report_id = $1 ORDER BY id"
                ))
                .bind(report_id)
                .fetch_all(&self.readers)
                .await?
            }
            Some((participant_id, with_all)) => {
                sqlx::query_as(&format!(
                    "{MESSAGE_COLUMNS} WHERE report_id = $1 \
                     AND (thread = $2 OR ($3 AND thread IS NULL)) ORDER BY id"
                ))
                .bind(report_id)
                .bind(participant_id)
                .bind(with_all)
                .fetch_all(&self.readers)
                .await?
            }
        };
        rows.into_iter().map(MessageRow::into_message).collect()
    }

    async fn nominate(
        &self,
        nomination: NewNomination<'_>,
        change: Change<'_>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO nominations (report_id, participant_id, vendor_name, email, reason, \
             decision, proposed_at) VALUES ($1, $2, $3, $4, $5, 'open', $6) RETURNING id",
        )
        .bind(nomination.report_id)
        .bind(nomination.participant_id)
        .bind(nomination.vendor_name)
        .bind(nomination.email)
        .bind(nomination.reason)
        .bind(StoredTime(change.now))
        .fetch_one(&mut *tx)
        .await?;
        finish_change::<DB>(&mut tx, nomination.report_id, &change).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn nominations(&self, report_id: i64) -> Result<Vec<Nomination>, StoreError> {
        let rows: Vec<NominationRow> = sqlx::query_as(
            "SELECT id, participant_id, vendor_name, email, reason, decision, proposed_at \
             FROM nominations WHERE report_id = $1 ORDER BY id",
        )
        .bind(report_id)
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter()
            .map(NominationRow::into_nomination)
            .collect()
    }

    async fn decline_nomination(
        &self,
        report_id: i64,
        nomination_id: i64,
        change: Change<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        decide::<DB>(&mut tx, "nominations", report_id, nomination_id, "declined").await?;
        finish_change::<DB>(&mut tx, report_id, &change).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_coordination_change(
        &self,
        report_id: i64,
        change: Change<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        finish_change::<DB>(&mut tx, report_id, &change).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn coordination_log(&self, report_id: i64) -> Result<Vec<StoredLogEntry>, StoreError> {
        let rows: Vec<LogRow> = sqlx::query_as(
            "SELECT at, kind, participant_id, actor, text FROM coordination_log \
             WHERE report_id = $1 ORDER BY id",
        )
        .bind(report_id)
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter().map(LogRow::into_entry).collect()
    }

    async fn record_participant_reminder(
        &self,
        participant_id: i64,
        key: &str,
        contact: Option<ContactMove>,
        change: Change<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO participant_reminders (participant_id, key, sent_at) \
             VALUES ($1, $2, $3) ON CONFLICT (participant_id, key) DO NOTHING \
             RETURNING participant_id",
        )
        .bind(participant_id)
        .bind(key)
        .bind(StoredTime(change.now))
        .fetch_optional(&mut *tx)
        .await?;
        if inserted.is_none() {
            return Ok(false);
        }
        if let Some(moved) = contact {
            move_contact_in::<DB>(&mut tx, participant_id, moved, change.now).await?;
        }
        let report_id = report_of::<DB>(&mut tx, participant_id).await?;
        finish_change::<DB>(&mut tx, report_id, &change).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_supplier_agreement(
        &self,
        vendor_id: VendorId,
        agreement: &ServiceAgreement,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM vendors WHERE id = $1")
            .bind(vendor_id.0)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::Missing(format!(
                "there is no vendor {}",
                vendor_id.0
            )));
        }
        sqlx::query(
            "INSERT INTO supplier_agreements (vendor_id, cost_bearer, mitigation_days, \
             acknowledge_business_days, reference, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (vendor_id) DO UPDATE SET cost_bearer = excluded.cost_bearer, \
             mitigation_days = excluded.mitigation_days, \
             acknowledge_business_days = excluded.acknowledge_business_days, \
             reference = excluded.reference, updated_at = excluded.updated_at",
        )
        .bind(vendor_id.0)
        .bind(agreement.cost_bearer.as_str())
        .bind(i64::from(agreement.mitigation_days))
        .bind(agreement.acknowledge_business_days.map(i64::from))
        .bind(agreement.reference.as_deref())
        .bind(StoredTime(now))
        .execute(&mut *tx)
        .await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn supplier_agreement(
        &self,
        vendor_id: VendorId,
    ) -> Result<Option<ServiceAgreement>, StoreError> {
        let row: Option<AgreementRow> = sqlx::query_as(
            "SELECT cost_bearer, mitigation_days, acknowledge_business_days, reference \
             FROM supplier_agreements WHERE vendor_id = $1",
        )
        .bind(vendor_id.0)
        .fetch_optional(&self.readers)
        .await?;
        row.map(AgreementRow::into_agreement).transpose()
    }
}

/// The report a participant takes part in.
async fn report_of<DB>(
    connection: &mut DB::Connection,
    participant_id: i64,
) -> Result<i64, StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let report_id: Option<i64> =
        sqlx::query_scalar("SELECT report_id FROM participants WHERE id = $1")
            .bind(participant_id)
            .fetch_optional(&mut *connection)
            .await?;
    report_id
        .ok_or_else(|| StoreError::Missing(format!("there is no participant {participant_id}")))
}

/// Decides an open proposal or nomination of the report; `Conflict` when it is decided.
async fn decide<DB>(
    connection: &mut DB::Connection,
    table: &str,
    report_id: i64,
    id: i64,
    decision: &str,
) -> Result<(), StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let decided: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE {table} SET decision = $3 WHERE id = $1 AND report_id = $2 \
         AND decision = 'open' RETURNING id"
    ))
    .bind(id)
    .bind(report_id)
    .bind(decision)
    .fetch_optional(&mut *connection)
    .await?;
    match decided {
        Some(_) => Ok(()),
        None => Err(StoreError::Conflict(
            "it was decided already, or is not part of this report".to_owned(),
        )),
    }
}
