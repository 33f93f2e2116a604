//! Retention for both backends. Each rule is one condition, used to count (a dry run) and
//! to delete or forget (`RETURNING` a row each, counted), so the two cannot disagree.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::retention::{RetentionCounts, RetentionCutoffs};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::{SqlStore, StoredTime};
use crate::retention::RetentionStore;
use crate::{AuditOf, StoreError};

/// Which cutoff a rule compares with.
#[derive(Clone, Copy)]
enum Cutoff {
    ClientAddress,
    Spent,
    SentMail,
}

/// A rule: the statement that removes what is due (`$1` is the cutoff), and the one that
/// counts it.
struct Rule {
    remove: &'static str,
    count: &'static str,
    cutoff: Cutoff,
}

const CLIENT_ADDRESSES: Rule = Rule {
    remove: "UPDATE reports SET received_from = NULL \
             WHERE received_from IS NOT NULL AND closed_at < $1 RETURNING CAST(1 AS BIGINT)",
    count: "SELECT COUNT(*) FROM reports WHERE received_from IS NOT NULL AND closed_at < $1",
    cutoff: Cutoff::ClientAddress,
};
const SESSIONS: Rule = Rule {
    remove: "DELETE FROM sessions WHERE expires_at < $1 RETURNING CAST(1 AS BIGINT)",
    count: "SELECT COUNT(*) FROM sessions WHERE expires_at < $1",
    cutoff: Cutoff::Spent,
};
const PASSWORD_LINKS: Rule = Rule {
    remove: "DELETE FROM password_links WHERE used_at < $1 OR expires_at < $1 RETURNING CAST(1 AS BIGINT)",
    count: "SELECT COUNT(*) FROM password_links WHERE used_at < $1 OR expires_at < $1",
    cutoff: Cutoff::Spent,
};
const SETUP_LINKS: Rule = Rule {
    remove:
        "DELETE FROM setup_links WHERE used_at < $1 OR expires_at < $1 RETURNING CAST(1 AS BIGINT)",
    count: "SELECT COUNT(*) FROM setup_links WHERE used_at < $1 OR expires_at < $1",
    cutoff: Cutoff::Spent,
};
const CHALLENGES: Rule = Rule {
    remove: "DELETE FROM spent_challenges WHERE expires_at < $1 RETURNING CAST(1 AS BIGINT)",
    count: "SELECT COUNT(*) FROM spent_challenges WHERE expires_at < $1",
    cutoff: Cutoff::Spent,
};
const SENT_MAIL: Rule = Rule {
    remove: "DELETE FROM outbox WHERE sent_at < $1 RETURNING CAST(1 AS BIGINT)",
    count: "SELECT COUNT(*) FROM outbox WHERE sent_at < $1",
    cutoff: Cutoff::SentMail,
};

const SPAM_DUE: &str = "SELECT id FROM reports WHERE closed_as_spam = TRUE AND closed_at < $1 \
     ORDER BY id";

fn at(cutoffs: &RetentionCutoffs, cutoff: Cutoff) -> StoredTime {
    StoredTime(match cutoff {
        Cutoff::ClientAddress => cutoffs.client_address_before,
        Cutoff::Spent => cutoffs.spent_before,
        Cutoff::SentMail => cutoffs.sent_mail_before,
    })
}

fn count(rows: i64) -> u64 {
    u64::try_from(rows).unwrap_or(0)
}

#[derive(FromRow)]
struct RemovalRow {
    contact_removal_requested_at: Option<OffsetDateTime>,
}

#[async_trait]
impl<DB> RetentionStore for SqlStore<DB>
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
    for<'r> RemovalRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    for<'r> (String, i64): FromRow<'r, DB::Row>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn retention_due(
        &self,
        cutoffs: &RetentionCutoffs,
    ) -> Result<RetentionCounts, StoreError> {
        let mut counted = [0u64; 6];
        let rules = [
            &CLIENT_ADDRESSES,
            &SESSIONS,
            &PASSWORD_LINKS,
            &SETUP_LINKS,
            &CHALLENGES,
            &SENT_MAIL,
        ];
        for (slot, rule) in counted.iter_mut().zip(rules) {
            let rows: i64 = sqlx::query_scalar(rule.count)
                .bind(at(cutoffs, rule.cutoff))
                .fetch_one(&self.readers)
                .await?;
            *slot = count(rows);
        }
        let spam = self.spam_reports_due(cutoffs.spam_before).await?;
        Ok(RetentionCounts {
            client_addresses: counted[0],
            spam_reports: spam.len() as u64,
            sessions: counted[1],
            links: counted[2] + counted[3],
            challenges: counted[4],
            sent_mail: counted[5],
        })
    }

    async fn spam_reports_due(&self, before: OffsetDateTime) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(SPAM_DUE)
            .bind(StoredTime(before))
            .fetch_all(&self.readers)
            .await?)
    }

    async fn apply_retention(
        &self,
        cutoffs: &RetentionCutoffs,
        audit: &AuditOf<'_, RetentionCounts>,
    ) -> Result<RetentionCounts, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut removed = [0u64; 6];
        let rules = [
            &CLIENT_ADDRESSES,
            &SESSIONS,
            &PASSWORD_LINKS,
            &SETUP_LINKS,
            &CHALLENGES,
            &SENT_MAIL,
        ];
        for (slot, rule) in removed.iter_mut().zip(rules) {
            let rows: Vec<i64> = sqlx::query_scalar(rule.remove)
                .bind(at(cutoffs, rule.cutoff))
                .fetch_all(&mut *tx)
                .await?;
            *slot = rows.len() as u64;
        }
        let counts = RetentionCounts {
            client_addresses: removed[0],
            spam_reports: 0,
            sessions: removed[1],
            links: removed[2] + removed[3],
            challenges: removed[4],
            sent_mail: removed[5],
        };
        append_audit_in::<DB>(&mut tx, &audit(&counts)).await?;
        tx.commit().await?;
        Ok(counts)
    }

    async fn request_contact_removal(
        &self,
        report_id: i64,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let updated: Option<i64> = sqlx::query_scalar(
            "UPDATE reports SET contact_removal_requested_at = \
                 COALESCE(contact_removal_requested_at, $2) \
             WHERE id = $1 AND closed_at IS NOT NULL \
               AND (contact_name IS NOT NULL OR contact_email IS NOT NULL \
                    OR contact_pgp_key IS NOT NULL) \
             RETURNING id",
        )
        .bind(report_id)
        .bind(StoredTime(at))
        .fetch_optional(&self.writer)
        .await?;
        match updated {
            Some(_) => Ok(()),
            None => Err(StoreError::Conflict(
                "only a closed report with contact details can have them removed".to_owned(),
            )),
        }
    }

    async fn contact_removal_requested(
        &self,
        report_id: i64,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let row: Option<RemovalRow> =
            sqlx::query_as("SELECT contact_removal_requested_at FROM reports WHERE id = $1")
                .bind(report_id)
                .fetch_optional(&self.readers)
                .await?;
        Ok(row.and_then(|row| row.contact_removal_requested_at))
    }

    async fn remove_contact(&self, report_id: i64, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let updated: Option<i64> = sqlx::query_scalar(
            "UPDATE reports SET contact_name = NULL, contact_email = NULL, \
                 contact_pgp_key = NULL, credit = FALSE, received_from = NULL, \
                 contact_removal_requested_at = NULL \
             WHERE id = $1 AND contact_removal_requested_at IS NOT NULL RETURNING id",
        )
        .bind(report_id)
        .fetch_optional(&mut *tx)
        .await?;
        if updated.is_none() {
            return Err(StoreError::Conflict(
                "the finder has not asked to have their contact details removed".to_owned(),
            ));
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
