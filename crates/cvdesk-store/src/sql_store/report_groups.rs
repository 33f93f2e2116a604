//! New reports written in groups on SQLite (`group_commit`): most together with the
//! others that are ready, the rest one writer at a time, asking the sequence for their
//! number.

use async_trait::async_trait;
use cvdesk_domain::report::Report;
use cvdesk_domain::similarity::TERMS_VERSION;
use sqlx::{Database, Sqlite};

use super::comparable;
use super::group_commit::{
    Batch, GroupCommit, Member, Reservation, Statements, Values, CLOSE_REPORT, OPEN_REPORT,
};
use super::outbox::{bind_mail, INSERT_MAIL};
use super::reports::{bind_expected_report, push_expected_report, SPEND_CHALLENGE};
use super::{SqlStore, StoredTime};
use crate::rows::{self, Binding};
use crate::{ComposeMail, NewReport, StoreError};

/// How many times a report is offered to the queue before it is written the careful way
/// whatever the queue knows: the queue forgets its numbers whenever a report is written
/// that way, and a writer must not chase them for ever.
const OFFERS: usize = 3;

/// Where new reports are written together rather than each in its own transaction.
#[async_trait]
pub(crate) trait ReportGroups<DB: Database>: Send + Sync {
    /// `create_report_with_mail`, within a group.
    async fn create_report(
        &self,
        store: &SqlStore<DB>,
        new: &NewReport<'_>,
        compose: &ComposeMail<'_>,
    ) -> Result<Report, StoreError>;
}

#[async_trait]
impl ReportGroups<Sqlite> for GroupCommit {
    async fn create_report(
        &self,
        store: &SqlStore<Sqlite>,
        new: &NewReport<'_>,
        compose: &ComposeMail<'_>,
    ) -> Result<Report, StoreError> {
        let year = i64::from(new.received_at.year());
        let prefix = new.prefix.as_str();
        let mut member = self.join();
        // Reports with files link them by id as they are written: always the careful way.
        let mut offers = if new.attachments.is_empty() {
            OFFERS
        } else {
            0
        };
        loop {
            if offers > 0 {
                offers -= 1;
                if let Some(reservation) = member.reserve(prefix, year) {
                    let (report, statements) = expected_report(new, compose, year, &reservation)?;
                    if member.submit(reservation, statements).await? {
                        return Ok(report);
                    }
                }
            }
            member.take_turn().await?;
            if offers == 0 || !member.knows_next(prefix, year) {
                break;
            }
            // Another writer learnt the next number while this one waited.
            member.release_turn();
        }
        member.forget_next();
        let report = store
            .insert_report_in_turn(&mut member, new, compose)
            .await?;
        member.written().await?;
        Ok(report)
    }
}

/// Queues a report's mails (`$2`, a JSON array of them) as written at `$1`: one statement
/// however many mails there are, so that every report's statements are the same.
const INSERT_MAILS: &str = "INSERT INTO outbox \
     (created_at, kind, report_id, recipient, subject, format, body, next_attempt_at) \
     SELECT $1, json_extract(m.value, '$.kind'), json_extract(m.value, '$.report_id'), \
     json_extract(m.value, '$.recipient'), json_extract(m.value, '$.subject'), \
     json_extract(m.value, '$.format'), json_extract(m.value, '$.body'), $1 \
     FROM json_each($2) AS m ORDER BY m.key";

/// A report without files, in the statements every such report is written with: its id
/// and number are those its place in the queue was given, so its mail is composed before
/// it is stored; the insert fails if the sequence does not reach that number (or the
/// challenge was spent before).
fn expected_report(
    new: &NewReport<'_>,
    compose: &ComposeMail<'_>,
    year: i64,
    reservation: &Reservation,
) -> Result<(Report, Statements), StoreError> {
    let expected = &reservation.expected;
    let report = rows::accepted_report(new, expected.id, expected.sequence, Vec::new())?;
    let mails: Vec<serde_json::Value> = compose(&report)
        .iter()
        .map(|mail| {
            serde_json::json!({
                "kind": mail.kind.as_str(),
                "report_id": mail.report_id,
                "recipient": mail.recipient,
                "subject": mail.subject,
                "format": mail.body.format(),
                "body": mail.body.text(),
            })
        })
        .collect();
    let mails = serde_json::Value::Array(mails).to_string();
    let terms = comparable::encoded_terms(new.content);
    let values = bind_expected_report(Values::default(), new, year, expected)
        .value(expected.id)
        .value(i64::from(TERMS_VERSION))
        .value(terms.as_str())
        .value(StoredTime(new.received_at))
        .value(mails.as_str());
    Ok((
        report,
        Statements {
            batch: expected_report_statements(),
            values,
        },
    ))
}

/// The statements of `expected_report`, from `OPEN_REPORT` to `CLOSE_REPORT`.
fn expected_report_statements() -> Batch {
    let mut batch = Batch::default();
    batch.push(OPEN_REPORT);
    push_expected_report(&mut batch);
    batch
        .push(comparable::UPSERT_TERMS)
        .push(INSERT_MAILS)
        .push(CLOSE_REPORT);
    batch
}

impl SqlStore<Sqlite> {
    /// `insert_report` by a writer holding the group's connection: the same statements,
    /// sent as few strings as the values allow (two, or three with a challenge or files).
    async fn insert_report_in_turn(
        &self,
        member: &mut Member,
        new: &NewReport<'_>,
        compose: &ComposeMail<'_>,
    ) -> Result<Report, StoreError> {
        let year = i64::from(new.received_at.year());
        let connection = member.connection()?;
        let mut opening = format!("{OPEN_REPORT}; ");
        if let Some(challenge) = new.challenge {
            let spend = format!("{opening}{SPEND_CHALLENGE}");
            Self::spend_challenge(&mut *connection, &spend, challenge).await?;
            opening.clear();
        }
        let insert = format!("{opening}{}", rows::NUMBER_AND_INSERT_REPORT);
        let (report_id, sequence): (i64, i64) =
            rows::bind_report(sqlx::query_as(&insert), new, year, 0)
                .fetch_one(&mut *connection)
                .await?;
        let attachments = self
            .insert_report_files(&mut *connection, report_id, new.attachments)
            .await?;
        let report = rows::accepted_report(new, report_id, sequence, attachments)?;
        let mail = compose(&report);
        let terms = comparable::encoded_terms(new.content);
        let mut batch = Batch::default();
        batch.push(comparable::UPSERT_TERMS);
        for _ in &mail {
            batch.push(INSERT_MAIL);
        }
        batch.push(CLOSE_REPORT);
        let mut query = sqlx::query(batch.text())
            .bind(report_id)
            .bind(i64::from(TERMS_VERSION))
            .bind(terms.as_str());
        for one in &mail {
            query = bind_mail(query, one, new.received_at);
        }
        query.execute(&mut *connection).await?;
        member.wrote(new.prefix.as_str(), year, report_id, sequence);
        Ok(report)
    }
}
