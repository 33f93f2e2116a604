//! Outbound cases' rows: the gap-free case counter, the case, its log and files, and the
//! reminders already sent.

use async_trait::async_trait;
use cvdesk_domain::outbound::log::{LogAttachment, LogEntry};
use cvdesk_domain::outbound::{CaseId, CaseState};
use cvdesk_domain::vendor::VendorId;
use sha2::{Digest, Sha256};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::{Date, OffsetDateTime};

use super::audit::{append_audit_in, AuditRow};
use super::{SqlStore, StoredTime};
use crate::outbound::{
    CaseRecord, DraftEdit, NewCase, NewLogEntry, OutboundStore, StoredCase, MAX_CASE_FILE_BYTES,
};
use crate::outbox::NewMail;
use crate::{AuditOf, StoreError};

const NEXT_SEQUENCE: &str = "INSERT INTO case_counters (prefix, year, last_sequence) \
     VALUES ($1, $2, 1) \
     ON CONFLICT (prefix, year) DO UPDATE SET last_sequence = case_counters.last_sequence + 1 \
     RETURNING last_sequence";

const CASE_COLUMNS: &str = "SELECT id, prefix, year, sequence, vendor_id, state, form, preset, \
     inquiry_subject, inquiry_body, reported_at, agreed_announce_by, agreed_evidence, \
     fixed_at, published_at, publication, created_at, created_by FROM outbound_cases";

const LOG_COLUMNS: &str = "SELECT id, kind, at, actor, channel, body, from_state, to_state, \
     announce_by, evidence, version, encrypted, signature, message_id FROM case_log";

const INSERT_LOG: &str = "INSERT INTO case_log (case_id, kind, at, recorded_at, actor, channel, \
     body, from_state, to_state, announce_by, evidence, version, encrypted, signature, \
     message_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
     RETURNING id";

const INSERT_CASE_MAIL: &str = "INSERT INTO outbox \
     (created_at, kind, report_id, case_id, recipient, subject, format, body, next_attempt_at) \
     VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $1)";

#[derive(FromRow)]
pub struct CaseRow {
    id: i64,
    prefix: String,
    year: i64,
    sequence: i64,
    vendor_id: i64,
    state: String,
    form: String,
    preset: String,
    inquiry_subject: Option<String>,
    inquiry_body: Option<String>,
    reported_at: Option<OffsetDateTime>,
    agreed_announce_by: Option<String>,
    agreed_evidence: Option<i64>,
    fixed_at: Option<OffsetDateTime>,
    published_at: Option<OffsetDateTime>,
    publication: Option<String>,
    created_at: OffsetDateTime,
    created_by: String,
}

#[derive(FromRow)]
pub struct LogRow {
    id: i64,
    kind: String,
    at: OffsetDateTime,
    actor: String,
    channel: Option<String>,
    body: String,
    from_state: Option<String>,
    to_state: Option<String>,
    announce_by: Option<String>,
    evidence: Option<i64>,
    version: Option<String>,
    encrypted: Option<bool>,
    signature: Option<String>,
    message_id: Option<String>,
}

#[derive(FromRow)]
pub struct FileRow {
    id: i64,
    log_id: i64,
    file_name: String,
    size_bytes: i64,
    sha256: String,
}

fn corrupt(what: String) -> StoreError {
    StoreError::Corrupt(what)
}

fn parse_date(text: &str) -> Result<Date, StoreError> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|e| corrupt(format!("stored date {text:?}: {e}")))
}

fn state_of(text: &str) -> Result<CaseState, StoreError> {
    text.parse()
        .map_err(|_| corrupt(format!("unknown case state {text:?}")))
}

impl CaseRow {
    fn into_case(self) -> Result<StoredCase, StoreError> {
        let id = CaseId::new(
            self.prefix
                .parse()
                .map_err(|_| corrupt(format!("case {} prefix {:?}", self.id, self.prefix)))?,
            i32::try_from(self.year).map_err(|_| corrupt(format!("case {} year", self.id)))?,
            u32::try_from(self.sequence)
                .map_err(|_| corrupt(format!("case {} sequence", self.id)))?,
        );
        Ok(StoredCase {
            row_id: self.id,
            id,
            vendor_id: VendorId(self.vendor_id),
            state: state_of(&self.state)?,
            form: self.form,
            preset: self
                .preset
                .parse()
                .map_err(|_| corrupt(format!("case {} preset {:?}", self.id, self.preset)))?,
            inquiry_subject: self.inquiry_subject,
            inquiry_body: self.inquiry_body,
            reported_at: self.reported_at,
            agreed_announce_by: self
                .agreed_announce_by
                .as_deref()
                .map(parse_date)
                .transpose()?,
            agreed_evidence: self.agreed_evidence,
            fixed_at: self.fixed_at,
            published_at: self.published_at,
            publication: self.publication,
            created_at: self.created_at,
            created_by: self.created_by,
        })
    }
}

impl LogRow {
    fn into_entry(self, files: Vec<LogAttachment>) -> Result<LogEntry, StoreError> {
        let id = self.id;
        let bad = |what: &str| corrupt(format!("case log entry {id}: {what}"));
        Ok(LogEntry {
            id,
            kind: self.kind.parse().map_err(|_| bad("kind"))?,
            at: self.at,
            actor: self.actor,
            channel: self
                .channel
                .map(|c| c.parse().map_err(|_| bad("channel")))
                .transpose()?,
            body: self.body,
            from_state: self.from_state.as_deref().map(state_of).transpose()?,
            to_state: self.to_state.as_deref().map(state_of).transpose()?,
            announce_by: self.announce_by.as_deref().map(parse_date).transpose()?,
            evidence: self.evidence,
            version: self.version,
            encrypted: self.encrypted,
            signature: self.signature,
            message_id: self.message_id,
            attachments: files,
        })
    }
}

/// Appends `entries` to the case's log on `connection`, with their files.
async fn insert_entries<DB>(
    connection: &mut DB::Connection,
    case_id: i64,
    entries: &[NewLogEntry],
    now: OffsetDateTime,
) -> Result<Vec<i64>, StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<bool>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let mut ids = Vec::with_capacity(entries.len());
    for entry in entries {
        let id: i64 = sqlx::query_scalar(INSERT_LOG)
            .bind(case_id)
            .bind(entry.kind.as_str())
            .bind(StoredTime(entry.at))
            .bind(StoredTime(now))
            .bind(entry.actor.as_str())
            .bind(entry.channel.map(|c| c.as_str()))
            .bind(entry.body.as_str())
            .bind(entry.from_state.map(CaseState::as_str))
            .bind(entry.to_state.map(CaseState::as_str))
            .bind(entry.announce_by.map(|d| d.to_string()))
            .bind(entry.evidence)
            .bind(entry.version.as_deref())
            .bind(entry.encrypted)
            .bind(entry.signature.as_deref())
            .bind(entry.message_id.as_deref())
            .fetch_one(&mut *connection)
            .await?;
        for file in &entry.files {
            if file.content.len() > MAX_CASE_FILE_BYTES {
                return Err(StoreError::Conflict(format!(
                    "the file {} is larger than {MAX_CASE_FILE_BYTES} bytes",
                    file.file_name
                )));
            }
            let size =
                i64::try_from(file.content.len()).map_err(|_| corrupt("file size".to_owned()))?;
            sqlx::query(
                "INSERT INTO case_files (log_id, file_name, size_bytes, sha256, content) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(file.file_name.as_str())
            .bind(size)
            .bind(hex::encode(Sha256::digest(&file.content)).as_str())
            .bind(file.content.as_slice())
            .execute(&mut *connection)
            .await?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Queues mail about case `case_id` on `connection`.
async fn insert_case_mail<DB>(
    connection: &mut DB::Connection,
    case_id: i64,
    mail: &[NewMail],
    now: OffsetDateTime,
) -> Result<(), StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
{
    for one in mail {
        sqlx::query(INSERT_CASE_MAIL)
            .bind(StoredTime(now))
            .bind(one.kind.as_str())
            .bind(case_id)
            .bind(one.recipient.as_str())
            .bind(one.subject.as_str())
            .bind(one.body.format())
            .bind(one.body.text())
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

#[async_trait]
impl<DB> OutboundStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<bool>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> Option<StoredTime>: Encode<'q, DB> + Type<DB>,
    for<'r> CaseRow: FromRow<'r, DB::Row>,
    for<'r> LogRow: FromRow<'r, DB::Row>,
    for<'r> FileRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    for<'r> (String, Vec<u8>): FromRow<'r, DB::Row>,
    for<'r> (Option<i64>, Option<i64>, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_case(
        &self,
        new: NewCase<'_>,
        audit: &AuditOf<'_, CaseId>,
    ) -> Result<StoredCase, StoreError> {
        let year = new.now.year();
        let mut tx = self.writer.begin().await?;
        let sequence: i64 = sqlx::query_scalar(NEXT_SEQUENCE)
            .bind(new.prefix.as_str())
            .bind(i64::from(year))
            .fetch_one(&mut *tx)
            .await?;
        let row_id: i64 = sqlx::query_scalar(
            "INSERT INTO outbound_cases (prefix, year, sequence, vendor_id, state, form, preset, \
             created_at, created_by) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8) \
             RETURNING id",
        )
        .bind(new.prefix.as_str())
        .bind(i64::from(year))
        .bind(sequence)
        .bind(new.vendor_id.0)
        .bind(new.form)
        .bind(new.preset.as_str())
        .bind(StoredTime(new.now))
        .bind(new.created_by)
        .fetch_one(&mut *tx)
        .await?;
        let id = CaseId::new(
            new.prefix.clone(),
            year,
            u32::try_from(sequence).map_err(|_| corrupt("case sequence".to_owned()))?,
        );
        let created = NewLogEntry::new(
            cvdesk_domain::outbound::LogKind::Created,
            new.now,
            new.created_by,
            "",
        );
        insert_entries::<DB>(&mut tx, row_id, std::slice::from_ref(&created), new.now).await?;
        append_audit_in::<DB>(&mut tx, &audit(&id)).await?;
        tx.commit().await?;
        Ok(StoredCase {
            row_id,
            id,
            vendor_id: new.vendor_id,
            state: CaseState::Draft,
            form: new.form.to_owned(),
            preset: new.preset,
            inquiry_subject: None,
            inquiry_body: None,
            reported_at: None,
            agreed_announce_by: None,
            agreed_evidence: None,
            fixed_at: None,
            published_at: None,
            publication: None,
            created_at: new.now,
            created_by: new.created_by.to_owned(),
        })
    }

    async fn case_by_id(&self, id: &CaseId) -> Result<Option<StoredCase>, StoreError> {
        let row: Option<CaseRow> = sqlx::query_as(&format!(
            "{CASE_COLUMNS} WHERE prefix = $1 AND year = $2 AND sequence = $3"
        ))
        .bind(id.prefix.as_str())
        .bind(i64::from(id.year))
        .bind(i64::from(id.sequence))
        .fetch_optional(&self.readers)
        .await?;
        row.map(CaseRow::into_case).transpose()
    }

    async fn case_by_row(&self, row_id: i64) -> Result<Option<StoredCase>, StoreError> {
        let row: Option<CaseRow> = sqlx::query_as(&format!("{CASE_COLUMNS} WHERE id = $1"))
            .bind(row_id)
            .fetch_optional(&self.readers)
            .await?;
        row.map(CaseRow::into_case).transpose()
    }

    async fn cases(&self) -> Result<Vec<StoredCase>, StoreError> {
        let rows: Vec<CaseRow> = sqlx::query_as(&format!("{CASE_COLUMNS} ORDER BY id DESC"))
            .fetch_all(&self.readers)
            .await?;
        rows.into_iter().map(CaseRow::into_case).collect()
    }

    async fn edit_draft(
        &self,
        row_id: i64,
        edit: DraftEdit<'_>,
        audit: &cvdesk_domain::audit::AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let changed: Option<i64> = sqlx::query_scalar(
            "UPDATE outbound_cases SET vendor_id = $2, form = $3, preset = $4, \
             inquiry_subject = $5, inquiry_body = $6 WHERE id = $1 AND state = 'draft' \
             RETURNING id",
        )
        .bind(row_id)
        .bind(edit.vendor_id.0)
        .bind(edit.form)
        .bind(edit.preset.as_str())
        .bind(edit.inquiry_subject)
        .bind(edit.inquiry_body)
        .fetch_optional(&mut *tx)
        .await?;
        if changed.is_none() {
            return Err(StoreError::Conflict(
                "the case is no longer a draft; its form cannot change".to_owned(),
            ));
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_case(
        &self,
        row_id: i64,
        record: CaseRecord<'_>,
    ) -> Result<Vec<i64>, StoreError> {
        let change = &record.change;
        let mut tx = self.writer.begin().await?;
        // Takes the case's row lock and checks its state in one statement.
        let updated: Option<i64> = sqlx::query_scalar(
            "UPDATE outbound_cases SET state = COALESCE($3, state), \
             reported_at = COALESCE($4, reported_at), \
             agreed_announce_by = COALESCE($5, agreed_announce_by), \
             agreed_evidence = COALESCE($6, agreed_evidence), \
             fixed_at = COALESCE($7, fixed_at), \
             published_at = COALESCE($8, published_at), \
             publication = COALESCE($9, publication) \
             WHERE id = $1 AND state = $2 RETURNING id",
        )
        .bind(row_id)
        .bind(record.expected.as_str())
        .bind(change.state.map(CaseState::as_str))
        .bind(change.reported_at.map(StoredTime))
        .bind(change.agreed.map(|(date, _)| date.to_string()))
        .bind(change.agreed.map(|(_, evidence)| evidence))
        .bind(change.fixed_at.map(StoredTime))
        .bind(change.publication.as_ref().map(|(at, _)| StoredTime(*at)))
        .bind(change.publication.as_ref().map(|(_, json)| json.as_str()))
        .fetch_optional(&mut *tx)
        .await?;
        if updated.is_none() {
            return Err(StoreError::Conflict(
                "the case changed meanwhile; reload it and try again".to_owned(),
            ));
        }
        let evidence = change
            .agreed
            .map(|(_, evidence)| evidence)
            .into_iter()
            .chain(record.entries.iter().filter_map(|entry| entry.evidence));
        for evidence in evidence {
            let owner: Option<i64> =
                sqlx::query_scalar("SELECT case_id FROM case_log WHERE id = $1")
                    .bind(evidence)
                    .fetch_optional(&mut *tx)
                    .await?;
            if owner != Some(row_id) {
                return Err(StoreError::Missing(format!(
                    "log entry {evidence} is not a message of this case"
                )));
            }
        }
        let ids = insert_entries::<DB>(&mut tx, row_id, record.entries, record.now).await?;
        insert_case_mail::<DB>(&mut tx, row_id, record.mail, record.now).await?;
        if let Some(audit) = record.audit {
            append_audit_in::<DB>(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn case_log(&self, row_id: i64) -> Result<Vec<LogEntry>, StoreError> {
        let rows: Vec<LogRow> =
            sqlx::query_as(&format!("{LOG_COLUMNS} WHERE case_id = $1 ORDER BY id"))
                .bind(row_id)
                .fetch_all(&self.readers)
                .await?;
        let files: Vec<FileRow> = sqlx::query_as(
            "SELECT f.id, f.log_id, f.file_name, f.size_bytes, f.sha256 FROM case_files f \
             JOIN case_log l ON l.id = f.log_id WHERE l.case_id = $1 ORDER BY f.id",
        )
        .bind(row_id)
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter()
            .map(|row| {
                let attachments = files
                    .iter()
                    .filter(|file| file.log_id == row.id)
                    .map(|file| LogAttachment {
                        id: file.id,
                        file_name: file.file_name.clone(),
                        size_bytes: u64::try_from(file.size_bytes).unwrap_or_default(),
                        sha256: file.sha256.clone(),
                    })
                    .collect();
                row.into_entry(attachments)
            })
            .collect()
    }

    async fn case_file(
        &self,
        row_id: i64,
        file_id: i64,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT f.file_name, f.content FROM case_files f JOIN case_log l ON l.id = f.log_id \
             WHERE l.case_id = $1 AND f.id = $2",
        )
        .bind(row_id)
        .bind(file_id)
        .fetch_optional(&self.readers)
        .await?)
    }

    async fn record_case_reminder(
        &self,
        row_id: i64,
        key: &str,
        entry: &NewLogEntry,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO case_reminders (case_id, key, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id, key) DO NOTHING RETURNING case_id",
        )
        .bind(row_id)
        .bind(key)
        .bind(StoredTime(now))
        .fetch_optional(&mut *tx)
        .await?;
        if inserted.is_none() {
            return Ok(false);
        }
        insert_entries::<DB>(&mut tx, row_id, std::slice::from_ref(entry), now).await?;
        insert_case_mail::<DB>(&mut tx, row_id, mail, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn case_of_sent_mail(
        &self,
        outbox_id: i64,
    ) -> Result<Option<(Option<i64>, Option<i64>, String)>, StoreError> {
        let row: Option<(Option<i64>, Option<i64>, String)> =
            sqlx::query_as("SELECT case_id, report_id, recipient FROM outbox WHERE id = $1")
                .bind(outbox_id)
                .fetch_optional(&self.readers)
                .await?;
        Ok(row)
    }
}
