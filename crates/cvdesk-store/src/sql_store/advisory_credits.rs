//! Credits on advisories: proposed to the finder of a report (with the mail that tells
//! them, in the same transaction), answered by the finder, and read back for the tracking
//! page and the hall of fame.

use std::collections::HashMap;

use cvdesk_domain::advisory::credit::CreditText;
use cvdesk_domain::advisory::{AdvisoryId, Credit};
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::ReportState;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::advisory_rows::{advisory_id, published_credits, CreditRow, FINDER_CREDITS, KEY_OF};
use super::audit::{append_audit_in, AuditRow};
use super::outbox::insert_mail;
use super::{SqlStore, StoredTime};
use crate::advisories::{Acknowledgement, CreditedFinder, FinderCredit, NewCredit};
use crate::StoreError;

/// The consent states in which staff may take a credit back: the finder has not agreed
/// to it, so nobody relies on it.
const REMOVABLE: &str = "('proposed', 'declined', 'withdrawn')";

#[derive(FromRow)]
pub struct FinderCreditRow {
    #[sqlx(flatten)]
    credit: CreditRow,
    prefix: String,
    year: i64,
    sequence: i64,
    title: String,
    latest_revision: i64,
}

/// The agreed credits of public TLP:CLEAR advisories, with the credited report and its
/// finder's contact address (lower case), latest credit first.
const CREDITED: &str = "SELECT c.id, c.report_id, c.name, c.organization, c.url, \
     lower(r.contact_email) AS finder \
     FROM advisory_credits c JOIN reports r ON r.id = c.report_id \
     JOIN advisories a ON a.id = c.advisory_id \
     JOIN advisory_revisions v ON v.advisory_id = a.id AND v.number = a.latest_revision \
     WHERE c.consent IN ('accepted', 'changed') AND a.latest_revision > 0 \
     AND a.withdrawn_at IS NULL AND v.tlp = 'TLP:CLEAR'";

#[derive(FromRow)]
pub struct CreditedRow {
    report_id: i64,
    name: String,
    organization: Option<String>,
    url: Option<String>,
    finder: Option<String>,
}

#[derive(FromRow)]
pub struct OutcomeRow {
    id: i64,
    finder: Option<String>,
    state: String,
    cvss_rating: Option<String>,
}

#[derive(FromRow)]
pub struct AcknowledgedRow {
    prefix: String,
    year: i64,
    sequence: i64,
    first_published_at: OffsetDateTime,
    credits: String,
}

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> OffsetDateTime: Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> Option<StoredTime>: Encode<'q, DB> + Type<DB>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> FinderCreditRow: FromRow<'r, DB::Row>,
    for<'r> AcknowledgedRow: FromRow<'r, DB::Row>,
    for<'r> CreditedRow: FromRow<'r, DB::Row>,
    for<'r> OutcomeRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    pub(super) async fn insert_credit(
        &self,
        id: &AdvisoryId,
        proposal: NewCredit<'_>,
        audit: &AuditEvent,
    ) -> Result<i64, StoreError> {
        let NewCredit {
            report_id,
            credit,
            proposed_by,
            mail,
            now,
        } = proposal;
        let mut tx = self.writer.begin().await?;
        let (key, _): (i64, String) = sqlx::query_as(KEY_OF)
            .bind(id.prefix.as_str())
            .bind(i64::from(id.year))
            .bind(i64::from(id.sequence))
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::Missing(format!("no advisory {id}")))?;
        let answers: Option<i64> = sqlx::query_scalar(
            "SELECT report_id FROM advisory_reports WHERE advisory_id = $1 AND report_id = $2",
        )
        .bind(key)
        .bind(report_id)
        .fetch_optional(&mut *tx)
        .await?;
        if answers.is_none() {
            return Err(StoreError::Missing(format!(
                "the report is not one that advisory {id} answers"
            )));
        }
        let credit_id: i64 = sqlx::query_scalar(
            "INSERT INTO advisory_credits (advisory_id, report_id, role, name, organization, \
             url, consent, proposed_by, proposed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(key)
        .bind(report_id)
        .bind(credit.role.as_str())
        .bind(credit.text.name.as_str())
        .bind(credit.text.organization.as_deref())
        .bind(credit.text.url.as_deref())
        .bind(credit.consent.as_str())
        .bind(proposed_by)
        .bind(StoredTime(now))
        .fetch_one(&mut *tx)
        .await?;
        insert_mail::<DB>(&mut tx, mail, now).await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(credit_id)
    }

    pub(super) async fn update_credit(
        &self,
        credit_id: i64,
        report_id: i64,
        expected: &Credit,
        answer: &Credit,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let updated: Option<i64> = sqlx::query_scalar(
            "UPDATE advisory_credits SET name = $3, organization = $4, url = $5, consent = $6, \
             answered_at = $7 WHERE id = $1 AND report_id = $2 AND consent = $8 \
             AND answered_at IS NOT DISTINCT FROM $9 RETURNING id",
        )
        .bind(credit_id)
        .bind(report_id)
        .bind(answer.text.name.as_str())
        .bind(answer.text.organization.as_deref())
        .bind(answer.text.url.as_deref())
        .bind(answer.consent.as_str())
        .bind(answer.answered_at.map(StoredTime))
        .bind(expected.consent.as_str())
        .bind(expected.answered_at.map(StoredTime))
        .fetch_optional(&mut *tx)
        .await?;
        if updated.is_none() {
            return Ok(false);
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn delete_credit(
        &self,
        id: &AdvisoryId,
        credit_id: i64,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let removed: Option<i64> = sqlx::query_scalar(&format!(
            "DELETE FROM advisory_credits WHERE id = $1 AND consent IN {REMOVABLE} \
             AND advisory_id = (SELECT id FROM advisories \
                 WHERE prefix = $2 AND year = $3 AND sequence = $4) RETURNING id"
        ))
        .bind(credit_id)
        .bind(id.prefix.as_str())
        .bind(i64::from(id.year))
        .bind(i64::from(id.sequence))
        .fetch_optional(&mut *tx)
        .await?;
        if removed.is_none() {
            return Ok(false);
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn finder_credits(
        &self,
        report_id: i64,
    ) -> Result<Vec<FinderCredit>, StoreError> {
        let rows: Vec<FinderCreditRow> = sqlx::query_as(FINDER_CREDITS)
            .bind(report_id)
            .fetch_all(&self.readers)
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(FinderCredit {
                    advisory: advisory_id(&row.prefix, row.year, row.sequence)?,
                    advisory_title: row.title,
                    advisory_published: row.latest_revision > 0,
                    id: row.credit.id,
                    credit: row.credit.into_stored()?.credit,
                })
            })
            .collect()
    }

    pub(super) async fn consented_credits(
        &self,
        limit: u32,
    ) -> Result<Vec<Acknowledgement>, StoreError> {
        let rows: Vec<AcknowledgedRow> = sqlx::query_as(
            "SELECT a.prefix, a.year, a.sequence, a.first_published_at, r.credits \
             FROM advisories a JOIN advisory_revisions r \
             ON r.advisory_id = a.id AND r.number = a.latest_revision \
             WHERE a.latest_revision > 0 AND a.withdrawn_at IS NULL AND r.tlp = 'TLP:CLEAR' \
             AND r.credits <> '[]' \
             ORDER BY a.first_published_at DESC, a.id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?;
        let mut thanked = Vec::new();
        for row in rows {
            let advisory = advisory_id(&row.prefix, row.year, row.sequence)?;
            for credit in published_credits(&row.credits)? {
                thanked.push(Acknowledgement {
                    text: credit.text,
                    role: credit.role,
                    advisory: advisory.clone(),
                    first_published_at: row.first_published_at,
                });
            }
        }
        thanked.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(thanked)
    }

    pub(super) async fn finders_with_outcomes(
        &self,
        limit: u32,
    ) -> Result<Vec<CreditedFinder>, StoreError> {
        let credited: Vec<CreditedRow> = sqlx::query_as(&format!("{CREDITED} ORDER BY c.id DESC"))
            .fetch_all(&self.readers)
            .await?;
        // A finder is their contact address, or the report alone once it has none.
        let key = |finder: &Option<String>, report_id: i64| match finder {
            Some(address) => FinderKey::Address(address.clone()),
            None => FinderKey::Report(report_id),
        };
        let mut finders: Vec<CreditedFinder> = Vec::new();
        let mut index: HashMap<FinderKey, usize> = HashMap::new();
        for row in credited {
            let finder = key(&row.finder, row.report_id);
            if index.contains_key(&finder) {
                continue;
            }
            if finders.len() == usize::try_from(limit).unwrap_or(usize::MAX) {
                break;
            }
            let text = CreditText {
                name: row.name,
                organization: row.organization,
                url: row.url,
            };
            index.insert(finder, finders.len());
            finders.push(CreditedFinder {
                text,
                outcomes: Vec::new(),
            });
        }
        let outcomes: Vec<OutcomeRow> = sqlx::query_as(&format!(
            "WITH credited AS ({CREDITED}) \
             SELECT r.id, NULLIF(lower(r.contact_email), '') AS finder, r.state, r.cvss_rating FROM reports r \
             WHERE r.id IN (SELECT report_id FROM credited) \
             OR lower(r.contact_email) IN (SELECT finder FROM credited WHERE finder IS NOT NULL)"
        ))
        .fetch_all(&self.readers)
        .await?;
        for row in outcomes {
            let finder = key(&row.finder, row.id);
            let state: ReportState = row
                .state
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("report state: {e}")))?;
            if let Some(credited) = index.get(&finder).and_then(|at| finders.get_mut(*at)) {
                credited.outcomes.push((state, row.cvss_rating));
            }
        }
        Ok(finders)
    }
}

#[derive(PartialEq, Eq, Hash)]
enum FinderKey {
    Address(String),
    Report(i64),
}
