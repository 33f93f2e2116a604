//! The queue, state changes with their history, notes and assessments.

use async_trait::async_trait;
use cvdesk_domain::access::ProductScope;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::priority::{Exploitability, PriorityOverride};
use cvdesk_domain::report::ReportState;
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::Reference;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::comparable::{ComparableRow, UncountedRow};
use super::outbox::insert_mail;
use super::{Dialect, SqlStore, SqlText, StoredTime, Value};
use crate::outbox::NewMail;
use crate::triage::{
    Author, ComparableReport, Note, OpenReportTimes, QueueCursor, ReportEvent, ReportFilter,
    ReportPage, ReportSort, ReportSummary, TriageStore,
};
use crate::StoreError;

/// Longest full-text query: more words than this add nothing but cost.
const MAX_SEARCH_WORDS: usize = 20;

#[derive(FromRow)]
pub struct SummaryRow {
    id: i64,
    reference_prefix: String,
    reference_year: i64,
    reference_sequence: i64,
    state: String,
    needs_info: bool,
    created_at: OffsetDateTime,
    title: String,
    asset: Option<String>,
    cvss_score: Option<f64>,
    cvss_rating: Option<String>,
    product_id: Option<i64>,
}

#[derive(FromRow)]
pub struct EventRow {
    at: OffsetDateTime,
    actor_label: String,
    kind: String,
    from_state: Option<String>,
    to_state: Option<String>,
    detail: String,
}

#[derive(FromRow)]
pub struct NoteRow {
    id: i64,
    author_label: String,
    body: String,
    created_at: OffsetDateTime,
}

#[derive(FromRow)]
pub struct OpenTimesRow {
    id: i64,
    reference_prefix: String,
    reference_year: i64,
    reference_sequence: i64,
    title: String,
    state: String,
    product_id: Option<i64>,
    created_at: OffsetDateTime,
    cvss_rating: Option<String>,
    responded_at: Option<OffsetDateTime>,
    triaged_at: Option<OffsetDateTime>,
}

/// A stored rating as the formats name it; an unknown word counts as unscored.
fn rating(text: &str) -> Option<cvdesk_formats::cvss::Severity> {
    use cvdesk_formats::cvss::Severity;
    [
        Severity::None,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ]
    .into_iter()
    .find(|severity| severity.as_str() == text)
}

pub(super) fn reference(prefix: &str, year: i64, sequence: i64) -> Result<Reference, StoreError> {
    let corrupt =
        |what: String| StoreError::Corrupt(format!("reference {prefix}-{year}-{sequence}: {what}"));
    Ok(Reference::new(
        prefix.parse().map_err(|e| corrupt(format!("{e}")))?,
        i32::try_from(year).map_err(|e| corrupt(e.to_string()))?,
        u32::try_from(sequence).map_err(|e| corrupt(e.to_string()))?,
    ))
}

fn state(text: Option<String>) -> Result<Option<ReportState>, StoreError> {
    text.map(|t| t.parse().map_err(|e| StoreError::Corrupt(format!("{e}"))))
        .transpose()
}

/// Words of a search, as typed; empty when there is nothing to search for.
fn search_words(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split_whitespace()
        .take(MAX_SEARCH_WORDS)
        .map(|word| word.chars().take(100).collect())
        .collect()
}

impl<DB> SqlStore<DB>
where
    DB: Database + Dialect,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
{
    /// Records one line of a report's history inside the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_event(
        connection: &mut DB::Connection,
        report_id: i64,
        author: Author<'_>,
        kind: &str,
        from: Option<ReportState>,
        to: Option<ReportState>,
        detail: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO report_events (report_id, at, actor_id, actor_label, kind, from_state, \
             to_state, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(report_id)
        .bind(StoredTime(now))
        .bind(author.id.map(|user| user.0))
        .bind(author.label)
        .bind(kind)
        .bind(from.map(ReportState::as_str))
        .bind(to.map(ReportState::as_str))
        .bind(detail)
        .execute(&mut *connection)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl<DB> TriageStore for SqlStore<DB>
where
    DB: Database + Dialect,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<f64>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> SummaryRow: FromRow<'r, DB::Row>,
    for<'r> EventRow: FromRow<'r, DB::Row>,
    for<'r> NoteRow: FromRow<'r, DB::Row>,
    for<'r> ComparableRow: FromRow<'r, DB::Row>,
    for<'r> UncountedRow: FromRow<'r, DB::Row>,
    for<'r> (String, OffsetDateTime): FromRow<'r, DB::Row>,
    for<'r> OpenTimesRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn list_reports(&self, filter: &ReportFilter) -> Result<ReportPage, StoreError> {
        let mut sql = SqlText::new(
            "SELECT r.id, r.reference_prefix, r.reference_year, r.reference_sequence, r.state, \
             r.needs_info, r.created_at, r.title, r.asset, r.cvss_score, r.cvss_rating, \
             r.product_id FROM ",
        );
        let words = search_words(filter.text.as_deref());
        // A search ordered by id reads the index's matches in that order where it can.
        let matched_in_order = match filter.sort {
            ReportSort::Newest | ReportSort::Oldest if !words.is_empty() => {
                DB::push_reports_matching_in_id_order(&mut sql, &words)
            }
            _ => None,
        };
        let id = match matched_in_order {
            Some(id) => id,
            None => {
                sql.push("reports r WHERE 1 = 1");
                if !words.is_empty() {
                    sql.push(" AND ");
                    DB::push_text_match(&mut sql, &words);
                }
                "r.id"
            }
        };
        if !filter.states.is_empty() {
            sql.push(" AND r.state IN (");
            for (i, state) in filter.states.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(Value::Text(state.as_str().to_owned()));
            }
            sql.push(")");
        }
        if let Some(product) = filter.product {
            sql.push(" AND r.product_id = ")
                .bind(Value::Integer(product.0));
        }
        if filter.without_product {
            sql.push(" AND r.product_id IS NULL");
        }
        if let Some(score) = filter.min_score {
            sql.push(" AND r.cvss_score >= ").bind(Value::Real(score));
        }
        if let Some(needs_info) = filter.needs_info {
            sql.push(" AND r.needs_info = ")
                .bind(Value::Flag(needs_info));
        }
        if let Some(address) = &filter.received_from {
            sql.push(" AND r.received_from = ")
                .bind(Value::Text(address.clone()));
        }
        if let Some(after) = filter.received_after {
            sql.push(" AND r.created_at >= ").bind(Value::Time(after));
        }
        if let Some(before) = filter.received_before {
            sql.push(" AND r.created_at < ").bind(Value::Time(before));
        }
        if let ProductScope::Only(products) = &filter.scope {
            if products.is_empty() {
                sql.push(" AND 1 = 0");
            } else {
                sql.push(" AND r.product_id IN (");
                for (i, product) in products.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind(Value::Integer(product.0));
                }
                sql.push(")");
            }
        }
        match (filter.sort, filter.after) {
            (ReportSort::Newest, Some(after)) => {
                sql.push(&format!(" AND {id} < "))
                    .bind(Value::Integer(after.id));
            }
            (ReportSort::Oldest, Some(after)) => {
                sql.push(&format!(" AND {id} > "))
                    .bind(Value::Integer(after.id));
            }
            (ReportSort::Severity, Some(after)) => {
                let score = after.score.unwrap_or(-1.0);
                sql.push(" AND (COALESCE(r.cvss_score, -1) < ")
                    .bind(Value::Real(score))
                    .push(" OR (COALESCE(r.cvss_score, -1) = ")
                    .bind(Value::Real(score))
                    .push(" AND r.id < ")
                    .bind(Value::Integer(after.id))
                    .push("))");
            }
            (_, None) => {}
        }
        sql.push(&match filter.sort {
            ReportSort::Newest => format!(" ORDER BY {id} DESC"),
            ReportSort::Oldest => format!(" ORDER BY {id} ASC"),
            ReportSort::Severity => " ORDER BY COALESCE(r.cvss_score, -1) DESC, r.id DESC".into(),
        });
        let limit = i64::from(filter.limit.clamp(1, 500));
        sql.push(" LIMIT ").bind(Value::Integer(limit + 1));
        let mut query = sqlx::query_as::<DB, SummaryRow>(&sql.text);
        for value in sql.values {
            query = match value {
                Value::Text(text) => query.bind(text),
                Value::Integer(number) => query.bind(number),
                Value::Real(number) => query.bind(number),
                Value::Flag(flag) => query.bind(flag),
                Value::Time(time) => query.bind(StoredTime(time)),
            };
        }
        let mut rows = query.fetch_all(&self.readers).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = match (more, rows.last()) {
            (true, Some(last)) => Some(QueueCursor {
                score: (filter.sort == ReportSort::Severity)
                    .then(|| last.cvss_score.unwrap_or(-1.0)),
                id: last.id,
            }),
            _ => None,
        };
        let items = rows
            .into_iter()
            .map(|row| {
                Ok(ReportSummary {
                    reference: reference(
                        &row.reference_prefix,
                        row.reference_year,
                        row.reference_sequence,
                    )?,
                    state: row
                        .state
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("report {}: {e}", row.id)))?,
                    id: row.id,
                    needs_info: row.needs_info,
                    created_at: row.created_at,
                    title: row.title,
                    asset: row.asset,
                    score: row.cvss_score,
                    rating: row.cvss_rating,
                    product: row.product_id.map(ProductId),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(ReportPage { items, next })
    }

    async fn transition_report(
        &self,
        report_id: i64,
        transition: &Transition,
        audit: &AuditEvent,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let author = Author::from(audit);
        let mut tx = self.writer.begin().await?;
        let duplicate_of = transition.duplicate_of.as_ref().map(ToString::to_string);
        let moved: Option<i64> = sqlx::query_scalar(
            "UPDATE reports SET state = $3, duplicate_of = $4, updated_at = $5, \
             needs_info = CASE WHEN $6 THEN needs_info ELSE FALSE END \
             WHERE id = $1 AND state = $2 RETURNING id",
        )
        .bind(report_id)
        .bind(transition.from.as_str())
        .bind(transition.to.as_str())
        .bind(duplicate_of.as_deref())
        .bind(StoredTime(now))
        .bind(transition.to.is_open())
        .fetch_optional(&mut *tx)
        .await?;
        if moved.is_none() {
            return Err(StoreError::Conflict(
                "the report changed while you were looking at it; reload and try again".to_owned(),
            ));
        }
        let detail = match (&transition.reason, &duplicate_of) {
            (Some(reason), Some(original)) => format!("duplicate of {original}: {reason}"),
            (None, Some(original)) => format!("duplicate of {original}"),
            (Some(reason), None) => reason.clone(),
            (None, None) => String::new(),
        };
        Self::record_event(
            &mut tx,
            report_id,
            author,
            "transition",
            Some(transition.from),
            Some(transition.to),
            &detail,
            now,
        )
        .await?;
        insert_mail::<DB>(&mut tx, mail, now).await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_needs_info(
        &self,
        report_id: i64,
        needs_info: bool,
        audit: &AuditEvent,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let author = Author::from(audit);
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE reports SET needs_info = $2, updated_at = $3 WHERE id = $1")
            .bind(report_id)
            .bind(needs_info)
            .bind(StoredTime(now))
            .execute(&mut *tx)
            .await?;
        let kind = if needs_info {
            "needs_info.set"
        } else {
            "needs_info.cleared"
        };
        Self::record_event(&mut tx, report_id, author, kind, None, None, "", now).await?;
        insert_mail::<DB>(&mut tx, mail, now).await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_product(
        &self,
        report_id: i64,
        product: Option<ProductId>,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let author = Author::from(audit);
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE reports SET product_id = $2, updated_at = $3 WHERE id = $1")
            .bind(report_id)
            .bind(product.map(|p| p.0))
            .bind(StoredTime(now))
            .execute(&mut *tx)
            .await?;
        let detail = product.map_or_else(|| "none".to_owned(), |p| p.0.to_string());
        Self::record_event(
            &mut tx, report_id, author, "product", None, None, &detail, now,
        )
        .await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_assessment(
        &self,
        report_id: i64,
        exploitability: Option<Exploitability>,
        priority_override: Option<&PriorityOverride>,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let author = Author::from(audit);
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "UPDATE reports SET exploitability = $2, priority_override = $3, \
             priority_override_reason = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(report_id)
        .bind(exploitability.map(Exploitability::as_str))
        .bind(priority_override.map(|o| o.priority.as_str()))
        .bind(priority_override.map(|o| o.reason.as_str()))
        .bind(StoredTime(now))
        .execute(&mut *tx)
        .await?;
        let detail = format!(
            "exploitability: {}; priority override: {}",
            exploitability.map_or("not assessed", Exploitability::as_str),
            priority_override.map_or_else(
                || "none".to_owned(),
                |o| format!("{} ({})", o.priority.as_str(), o.reason)
            )
        );
        Self::record_event(
            &mut tx,
            report_id,
            author,
            "assessment",
            None,
            None,
            &detail,
            now,
        )
        .await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_classification(
        &self,
        report_id: i64,
        weakness: Option<cvdesk_formats::cwe::CweId>,
        severity: Option<&cvdesk_domain::report::Severity>,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let author = Author::from(audit);
        let mut tx = self.writer.begin().await?;
        let weakness = weakness.map(|w| w.to_string());
        sqlx::query(
            "UPDATE reports SET weakness = $2, cvss_vector = $3, cvss_version = $4, \
             cvss_score = $5, cvss_rating = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(report_id)
        .bind(weakness.as_deref())
        .bind(severity.map(|s| s.vector.as_str()))
        .bind(severity.map(|s| s.version.as_str()))
        .bind(severity.map(|s| s.score))
        .bind(severity.map(|s| s.rating.as_str()))
        .bind(StoredTime(now))
        .execute(&mut *tx)
        .await?;
        let detail = format!(
            "weakness: {}; severity: {}",
            weakness.as_deref().unwrap_or("none"),
            severity.map_or("none", |s| s.vector.as_str())
        );
        Self::record_event(
            &mut tx,
            report_id,
            author,
            "classification",
            None,
            None,
            &detail,
            now,
        )
        .await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_note(
        &self,
        report_id: i64,
        body: &str,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let author = Author::from(audit);
        let mut tx = self.writer.begin().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO notes (report_id, author_id, author_label, body, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(report_id)
        .bind(author.id.map(|user| user.0))
        .bind(author.label)
        .bind(body)
        .bind(StoredTime(now))
        .fetch_one(&mut *tx)
        .await?;
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn notes(&self, report_id: i64) -> Result<Vec<Note>, StoreError> {
        let rows: Vec<NoteRow> = sqlx::query_as(
            "SELECT id, author_label, body, created_at FROM notes WHERE report_id = $1 ORDER BY id",
        )
        .bind(report_id)
        .fetch_all(&self.readers)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Note {
                id: row.id,
                author_label: row.author_label,
                body: row.body,
                created_at: row.created_at,
            })
            .collect())
    }

    async fn report_events(&self, report_id: i64) -> Result<Vec<ReportEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT at, actor_label, kind, from_state, to_state, detail FROM report_events \
             WHERE report_id = $1 ORDER BY id",
        )
        .bind(report_id)
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(ReportEvent {
                    at: row.at,
                    actor_label: row.actor_label,
                    kind: row.kind,
                    from_state: state(row.from_state)?,
                    to_state: state(row.to_state)?,
                    detail: row.detail,
                })
            })
            .collect()
    }

    async fn open_report_times(&self, limit: u32) -> Result<Vec<OpenReportTimes>, StoreError> {
        let rows: Vec<OpenTimesRow> = sqlx::query_as(
            "SELECT r.id, r.reference_prefix, r.reference_year, r.reference_sequence, r.title, \
             r.state, r.product_id, r.created_at, r.cvss_rating, \
             (SELECT MIN(e.at) FROM report_events e WHERE e.report_id = r.id \
              AND e.kind IN ('message.sent', 'transition')) AS responded_at, \
             (SELECT MIN(e.at) FROM report_events e WHERE e.report_id = r.id \
              AND e.kind = 'transition' AND e.from_state = 'new') AS triaged_at \
             FROM reports r WHERE r.state IN ('new', 'triaged', 'assigned') \
             ORDER BY r.id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(OpenReportTimes {
                    reference: reference(
                        &row.reference_prefix,
                        row.reference_year,
                        row.reference_sequence,
                    )?,
                    state: row
                        .state
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("report {}: {e}", row.id)))?,
                    id: row.id,
                    title: row.title,
                    product: row.product_id.map(ProductId),
                    received_at: row.created_at,
                    responded_at: row.responded_at,
                    triaged_at: row.triaged_at,
                    severity: row.cvss_rating.as_deref().and_then(rating),
                })
            })
            .collect()
    }

    async fn acknowledgements(
        &self,
        limit: u32,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT r.contact_name, e.at FROM reports r JOIN report_events e \
             ON e.id = (SELECT MAX(id) FROM report_events \
                        WHERE report_id = r.id AND to_state = 'remediated') \
             WHERE r.credit AND r.state = 'remediated' AND r.contact_name IS NOT NULL \
             ORDER BY e.at DESC, r.id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?)
    }

    async fn comparable_reports(
        &self,
        report_id: i64,
        asset: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ComparableReport>, StoreError> {
        self.comparable_with_terms(report_id, asset, limit).await
    }
}
