//! Reports: intake writes, lookups by tracking token and reference, attachments.

use async_trait::async_trait;
use cvdesk_domain::attachment::{human_bytes, AttachmentError};
use cvdesk_domain::report::{AttachmentMeta, Report, ReportState};
use cvdesk_domain::similarity::TERMS_VERSION;
use cvdesk_domain::{Reference, TrackingTokenHash};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::AuditRow;
use super::comparable;
use super::group_commit::{Batch, Expected};
use super::outbox::insert_mail;
use super::{SqlStore, StoredTime};
use crate::rows::{self, AttachmentRow, Binding, ReportRow};
use crate::{
    AttachmentContent, AuditOf, BlobSweep, BlobWriter, ComposeMail, NewAttachment, NewReport,
    PurgedReport, ReportStore, SpentChallenge, StoreError,
};

/// Records a challenge as used, answering no row when it already was.
pub(super) const SPEND_CHALLENGE: &str = "INSERT INTO spent_challenges (nonce, expires_at) \
     VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING RETURNING nonce";

/// Counts a report's files into its running total (the report form's, at intake).
const ADD_ATTACHMENT_BYTES: &str =
    "UPDATE reports SET attachment_bytes = attachment_bytes + $2 WHERE id = $1";

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<f64>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'r> ReportRow: FromRow<'r, DB::Row>,
    for<'r> AttachmentRow: FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn with_attachments(&self, row: Option<ReportRow>) -> Result<Option<Report>, StoreError> {
        let Some(row) = row else {
            return Ok(None);
        };
        let attachments = sqlx::query_as(rows::ATTACHMENTS_OF_REPORT)
            .bind(row.id())
            .fetch_all(&self.readers)
            .await?;
        Ok(Some(row.into_report(attachments)?))
    }
}

/// Recording supporting files, whether sent with the report form or with a reply.
impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'q> Option<Vec<u8>>: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// Records the staged files as the report's, sent with the message `message_id` when
    /// there is one. Files were linked by `link_files` before the transaction began;
    /// uploads in the database are linked here.
    pub(super) async fn insert_attachments(
        &self,
        connection: &mut DB::Connection,
        report_id: i64,
        message_id: Option<i64>,
        files: &[NewAttachment],
    ) -> Result<Vec<AttachmentMeta>, StoreError> {
        let mut attachments = Vec::with_capacity(files.len());
        for file in files {
            self.link_row(&mut *connection, &file.blob).await?;
            let size = i64::try_from(file.blob.size_bytes).map_err(|_| too_large())?;
            let id: i64 = sqlx::query_scalar(rows::INSERT_ATTACHMENT)
                .bind(report_id)
                .bind(file.name.as_str())
                .bind(size)
                .bind(file.blob.sha256.as_str())
                .bind(message_id)
                .fetch_one(&mut *connection)
                .await?;
            attachments.push(AttachmentMeta {
                id,
                file_name: file.name.as_str().to_owned(),
                size_bytes: file.blob.size_bytes,
                sha256: file.blob.sha256.clone(),
            });
        }
        Ok(attachments)
    }
}

fn too_large() -> StoreError {
    StoreError::Corrupt("attachment larger than the store can record".to_owned())
}

/// The bytes of `files` together.
pub(super) fn total_bytes(files: &[NewAttachment]) -> Result<i64, StoreError> {
    let total: u64 = files.iter().map(|file| file.blob.size_bytes).sum();
    i64::try_from(total).map_err(|_| too_large())
}

/// Counts `adding` bytes of files into the report's running total, inside the
/// transaction that stores them, or refuses them: the report is closed, or would pass
/// `max_report_bytes`. The report's row stays locked until the transaction ends, so
/// replies arriving at once are counted one after the other.
pub(super) async fn count_files<DB>(
    connection: &mut DB::Connection,
    report_id: i64,
    adding: i64,
    max_report_bytes: u64,
) -> Result<(), StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'r> (String, i64): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    let (state, received): (String, i64) = sqlx::query_as(
        "UPDATE reports SET attachment_bytes = attachment_bytes WHERE id = $1 \
         RETURNING state, attachment_bytes",
    )
    .bind(report_id)
    .fetch_one(&mut *connection)
    .await?;
    let state: ReportState = state
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("report {report_id} has an unknown state")))?;
    if !state.is_open() {
        return Err(StoreError::FilesRefused(AttachmentError::ReportClosed));
    }
    let after = u64::try_from(received.saturating_add(adding)).unwrap_or(u64::MAX);
    if after > max_report_bytes {
        return Err(StoreError::FilesRefused(AttachmentError::ReportFull {
            limit: human_bytes(max_report_bytes),
        }));
    }
    sqlx::query(ADD_ATTACHMENT_BYTES)
        .bind(report_id)
        .bind(adding)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Writing a new report, in a transaction of its own or as a member of a group.
impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> Option<f64>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'q> Option<Vec<u8>>: Decode<'q, DB> + Type<DB>,
    for<'r> ReportRow: FromRow<'r, DB::Row>,
    for<'r> AttachmentRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    for<'r> (String, i64): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    /// A new report's rows in the open transaction `connection`: its challenge spent, its
    /// reference number counted, the report with its words, files and mail.
    async fn insert_report(
        &self,
        connection: &mut DB::Connection,
        new: &NewReport<'_>,
        compose: &ComposeMail<'_>,
    ) -> Result<Report, StoreError> {
        let year = i64::from(new.received_at.year());
        if let Some(challenge) = new.challenge {
            Self::spend_challenge(&mut *connection, SPEND_CHALLENGE, challenge).await?;
        }
        let sequence: i64 = sqlx::query_scalar(rows::NEXT_SEQUENCE)
            .bind(new.prefix.as_str())
            .bind(year)
            .fetch_one(&mut *connection)
            .await?;
        let report_id: i64 =
            rows::bind_report(sqlx::query_scalar(rows::INSERT_REPORT), new, year, sequence)
                .fetch_one(&mut *connection)
                .await?;
        // Counted now, so showing the report later compares words, not full texts.
        sqlx::query(comparable::UPSERT_TERMS)
            .bind(report_id)
            .bind(i64::from(TERMS_VERSION))
            .bind(comparable::encoded_terms(new.content).as_str())
            .execute(&mut *connection)
            .await?;
        let attachments = self
            .insert_report_files(&mut *connection, report_id, new.attachments)
            .await?;
        let report = rows::accepted_report(new, report_id, sequence, attachments)?;
        insert_mail::<DB>(&mut *connection, &compose(&report), new.received_at).await?;
        Ok(report)
    }

    /// Spends `challenge` with `spend`: `SPEND_CHALLENGE`, perhaps after statements sent in
    /// the same string. A challenge already spent is refused.
    pub(super) async fn spend_challenge(
        connection: &mut DB::Connection,
        spend: &str,
        challenge: SpentChallenge<'_>,
    ) -> Result<(), StoreError> {
        let spent: Option<String> = sqlx::query_scalar(spend)
            .bind(challenge.nonce)
            .bind(StoredTime(challenge.expires_at))
            .fetch_optional(&mut *connection)
            .await?;
        match spent {
            Some(_) => Ok(()),
            None => Err(StoreError::ChallengeSpent),
        }
    }

    /// The report form's files of the new report `report_id`, counted into its total.
    pub(super) async fn insert_report_files(
        &self,
        connection: &mut DB::Connection,
        report_id: i64,
        files: &[NewAttachment],
    ) -> Result<Vec<AttachmentMeta>, StoreError> {
        let attachments = self
            .insert_attachments(&mut *connection, report_id, None, files)
            .await?;
        if !files.is_empty() {
            sqlx::query(ADD_ATTACHMENT_BYTES)
                .bind(report_id)
                .bind(total_bytes(files)?)
                .execute(&mut *connection)
                .await?;
        }
        Ok(attachments)
    }
}

/// Spends the challenge `$1` (expiring at `$2`) when there is one; changes no row when
/// there is none or it was spent before.
const SPEND_ANY_CHALLENGE: &str = "INSERT INTO spent_challenges (nonce, expires_at) \
     SELECT $1, $2 WHERE $1 IS NOT NULL ON CONFLICT (nonce) DO NOTHING";

/// Appends the statements that advance the year's sequence, spend the challenge if there
/// is one, and insert a report with the id and number the group expects: the same
/// statements for every report, so that reports written together make one text.
pub(super) fn push_expected_report(batch: &mut Batch) {
    batch
        .push(rows::ADVANCE_SEQUENCE)
        .push(SPEND_ANY_CHALLENGE)
        .push(rows::INSERT_EXPECTED_REPORT);
}

/// Binds the values of `push_expected_report`, in order.
pub(super) fn bind_expected_report<'q, DB, Q>(
    query: Q,
    new: &'q NewReport<'_>,
    year: i64,
    expected: &Expected,
) -> Q
where
    DB: Database,
    Q: Binding<'q, DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    Option<String>: Encode<'q, DB> + Type<DB>,
    Option<f64>: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    StoredTime: Encode<'q, DB> + Type<DB>,
    Option<StoredTime>: Encode<'q, DB> + Type<DB>,
{
    let nonce = new.challenge.map(|challenge| challenge.nonce);
    let query = query
        .value(new.prefix.as_str())
        .value(year)
        .value(nonce)
        .value(
            new.challenge
                .map(|challenge| StoredTime(challenge.expires_at)),
        );
    rows::bind_report(query, new, year, expected.sequence)
        .value(expected.id)
        .value(nonce)
}

#[async_trait]
impl<DB> ReportStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> Option<f64>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'q> Option<Vec<u8>>: Decode<'q, DB> + Type<DB>,
    for<'r> ReportRow: FromRow<'r, DB::Row>,
    for<'r> AttachmentRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    for<'r> (String, i64): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }

    async fn create_report_with_mail(
        &self,
        new: NewReport<'_>,
        compose: &ComposeMail<'_>,
    ) -> Result<Report, StoreError> {
        // Held until the commit, so no sweep removes a file this report names.
        let linked = self.link_files(new.attachments).await?;
        let report = match &self.report_groups {
            Some(groups) => groups.create_report(self, &new, compose).await?,
            None => {
                let mut tx = self.writer.begin().await?;
                let report = self.insert_report(&mut tx, &new, compose).await?;
                tx.commit().await?;
                report
            }
        };
        drop(linked);
        Ok(report)
    }

    async fn report_by_tracking_token(
        &self,
        hash: &TrackingTokenHash,
    ) -> Result<Option<Report>, StoreError> {
        let row = sqlx::query_as(&rows::report_by_tracking_token())
            .bind(hash.as_str())
            .fetch_optional(&self.readers)
            .await?;
        self.with_attachments(row).await
    }

    async fn report_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<Report>, StoreError> {
        let row = sqlx::query_as(&rows::report_by_reference())
            .bind(reference.prefix.as_str())
            .bind(i64::from(reference.year))
            .bind(i64::from(reference.sequence))
            .fetch_optional(&self.readers)
            .await?;
        self.with_attachments(row).await
    }

    async fn attachment(
        &self,
        report_id: i64,
        attachment_id: i64,
    ) -> Result<Option<AttachmentContent>, StoreError> {
        let row: Option<AttachmentRow> = sqlx::query_as(rows::ATTACHMENT_OF_REPORT)
            .bind(report_id)
            .bind(attachment_id)
            .fetch_optional(&self.readers)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let meta = row.into_meta()?;
        let content = self.read_blob(&meta.sha256, meta.size_bytes).await?;
        Ok(Some(AttachmentContent { meta, content }))
    }

    async fn begin_blob(&self) -> Result<BlobWriter, StoreError> {
        self.begin_blob_writer().await
    }

    async fn attachment_bytes(&self, report_id: i64) -> Result<u64, StoreError> {
        let bytes: i64 = sqlx::query_scalar("SELECT attachment_bytes FROM reports WHERE id = $1")
            .bind(report_id)
            .fetch_one(&self.readers)
            .await?;
        u64::try_from(bytes).map_err(|_| {
            StoreError::Corrupt(format!("report {report_id} has {bytes} bytes of files"))
        })
    }

    async fn sweep_blobs(&self, now: OffsetDateTime) -> Result<BlobSweep, StoreError> {
        self.sweep(now).await
    }

    async fn purge_spam_report(
        &self,
        report_id: i64,
        audit: &AuditOf<'_, PurgedReport>,
    ) -> Result<PurgedReport, StoreError> {
        self.purge_spam(report_id, audit).await
    }
}

#[cfg(test)]
mod tests {
    use cvdesk_domain::report_source::ReportSource;
    use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
    use sqlx::sqlite::SqlitePoolOptions;
    use sqlx::{Sqlite, SqlitePool};
    use time::macros::datetime;

    use super::super::group_commit::{Batch, Expected, CLOSE_REPORT, OPEN_REPORT};
    use super::{bind_expected_report, push_expected_report};
    use crate::{NewReport, SpentChallenge};

    async fn store() -> SqlitePool {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("in-memory database");
        sqlx::migrate!("migrations/sqlite")
            .run(&pool)
            .await
            .expect("migrations");
        pool
    }

    /// Writes report `token` as id `id` and number `sequence` the way a group writer that
    /// expects them does; answers whether the database took it.
    async fn write_expected(
        pool: &SqlitePool,
        token: u8,
        id: i64,
        sequence: i64,
        challenge: Option<&str>,
    ) -> bool {
        let draft = ReportDraft::parse(
            &ReportInput {
                title: Some(format!("Report {token}")),
                summary: Some("Summary".into()),
                steps_to_reproduce: Some("Steps".into()),
                impact: Some("Impact".into()),
                ..ReportInput::default()
            },
            TextLimits::default(),
        )
        .expect("valid draft");
        let prefix = ReferencePrefix::default();
        let hash = TrackingToken::from_random_bytes([token; 32]).hash();
        let expires_at = datetime!(2026-06-01 13:00 UTC);
        let new = NewReport {
            prefix: &prefix,
            received_at: datetime!(2026-06-01 12:00 UTC),
            tracking_token_hash: &hash,
            content: &draft,
            attachments: &[],
            product: None,
            received_from: None,
            challenge: challenge.map(|nonce| SpentChallenge { nonce, expires_at }),
            source: ReportSource::Api,
        };
        let mut batch = Batch::default();
        batch.push(OPEN_REPORT);
        push_expected_report(&mut batch);
        batch.push(CLOSE_REPORT);
        let expected = Expected {
            prefix: prefix.as_str().to_owned(),
            year: 2026,
            id,
            sequence,
        };
        let written =
            bind_expected_report(sqlx::query::<Sqlite>(batch.text()), &new, 2026, &expected)
                .execute(pool)
                .await;
        if written.is_err() {
            sqlx::query("ROLLBACK TO report; RELEASE report")
                .execute(pool)
                .await
                .expect("rollback to the savepoint");
        }
        written.is_ok()
    }

    async fn stored(pool: &SqlitePool) -> Vec<(i64, i64)> {
        sqlx::query_as("SELECT id, reference_sequence FROM reports ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("reports")
    }

    #[tokio::test]
    async fn a_report_is_stored_only_under_the_number_its_sequence_reaches() {
        let pool = store().await;
        assert!(write_expected(&pool, 1, 1, 1, None).await);
        assert!(
            !write_expected(&pool, 2, 2, 3, None).await,
            "a number past the sequence"
        );
        assert!(
            !write_expected(&pool, 2, 2, 1, None).await,
            "a number already given"
        );
        assert!(
            !write_expected(&pool, 2, 1, 2, None).await,
            "an id already taken"
        );
        assert!(write_expected(&pool, 2, 2, 2, None).await);
        assert_eq!(stored(&pool).await, [(1, 1), (2, 2)]);
    }

    #[tokio::test]
    async fn a_report_with_a_challenge_spent_before_is_not_stored() {
        let pool = store().await;
        assert!(write_expected(&pool, 1, 1, 1, Some("nonce")).await);
        assert!(!write_expected(&pool, 2, 2, 2, Some("nonce")).await);
        assert!(write_expected(&pool, 3, 2, 2, Some("another nonce")).await);
        assert_eq!(stored(&pool).await, [(1, 1), (2, 2)]);
    }
}
