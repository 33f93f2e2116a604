//! Triage as the store keeps it: the queue with its filters and pages, state changes with
//! who/when/why, notes, assessments, and earlier reports to compare for duplicates.

use async_trait::async_trait;
use cvdesk_domain::access::ProductScope;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::priority::{Exploitability, PriorityOverride};
use cvdesk_domain::report::ReportState;
use cvdesk_domain::staff::{ProductId, UserId};
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::Reference;
use time::OffsetDateTime;

use crate::outbox::NewMail;
use crate::StoreError;

/// Who did something, kept as text too so history reads right after an account is gone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Author<'a> {
    pub id: Option<UserId>,
    pub label: &'a str,
}

impl<'a> From<&'a AuditEvent> for Author<'a> {
    /// A staff change names in the report's history the person its audit entry names.
    fn from(event: &'a AuditEvent) -> Self {
        Author {
            id: event.actor,
            label: &event.actor_label,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportSort {
    #[default]
    Newest,
    Oldest,
    /// Highest CVSS score first; unscored reports last.
    Severity,
}

/// Where the previous page ended. Reports are ordered by id (their arrival order) or by
/// score then id, so a page boundary is one of those keys.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueCursor {
    pub score: Option<f64>,
    pub id: i64,
}

impl QueueCursor {
    pub fn encode(&self) -> String {
        match self.score {
            Some(score) => format!("{}.{score}", self.id),
            None => self.id.to_string(),
        }
    }

    /// Reads only what `encode` writes: the id's digits, then after a dot the score as
    /// `f64` displays it (a minus for the -1 that sorts unscored reports last).
    pub fn decode(text: &str) -> Option<Self> {
        // Lengths as encode can write them: an i64 id, a score from -1 to 10.
        let digits = |part: &str, most: usize| {
            (1..=most).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
        };
        let (id, score) = match text.split_once('.') {
            Some((id, score)) => {
                let unsigned = score.strip_prefix('-').unwrap_or(score);
                let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
                if !digits(whole, 2) || !digits(fraction, 17) {
                    return None;
                }
                (
                    id,
                    Some(score.parse::<f64>().ok().filter(|s| s.is_finite())?),
                )
            }
            None => (text, None),
        };
        if !digits(id, 18) {
            return None;
        }
        Some(QueueCursor {
            score,
            id: id.parse().ok()?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ReportFilter {
    /// Empty: every state.
    pub states: Vec<ReportState>,
    pub product: Option<ProductId>,
    /// Only reports no product has been chosen for.
    pub without_product: bool,
    pub min_score: Option<f64>,
    pub needs_info: Option<bool>,
    pub received_after: Option<OffsetDateTime>,
    pub received_before: Option<OffsetDateTime>,
    /// Words that must all appear in the title, summary, steps or impact.
    pub text: Option<String>,
    /// Only reports sent from this address (as intake records it).
    pub received_from: Option<String>,
    /// What the person asking may see.
    pub scope: ProductScope,
    pub sort: ReportSort,
    pub after: Option<QueueCursor>,
    pub limit: u32,
}

impl Default for ReportFilter {
    fn default() -> Self {
        ReportFilter {
            states: Vec::new(),
            product: None,
            without_product: false,
            min_score: None,
            needs_info: None,
            received_after: None,
            received_before: None,
            text: None,
            received_from: None,
            scope: ProductScope::All,
            sort: ReportSort::Newest,
            after: None,
            limit: 50,
        }
    }
}

/// A row of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSummary {
    pub id: i64,
    pub reference: Reference,
    pub state: ReportState,
    pub needs_info: bool,
    pub created_at: OffsetDateTime,
    pub title: String,
    pub asset: Option<String>,
    pub score: Option<f64>,
    pub rating: Option<String>,
    pub product: Option<ProductId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportPage {
    pub items: Vec<ReportSummary>,
    pub next: Option<QueueCursor>,
}

/// One line of a report's history.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportEvent {
    pub at: OffsetDateTime,
    pub actor_label: String,
    pub kind: String,
    pub from_state: Option<ReportState>,
    pub to_state: Option<ReportState>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub id: i64,
    pub author_label: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// An earlier report to compare with, for duplicate suggestions.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparableReport {
    pub id: i64,
    pub reference: Reference,
    pub asset: Option<String>,
    pub product: Option<ProductId>,
    /// Its counted words, as `cvdesk_domain::similarity::Terms::decode` reads them.
    pub terms: String,
}

/// What the deadline clocks of an open report start and stop on.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenReportTimes {
    pub id: i64,
    pub reference: Reference,
    pub title: String,
    pub state: ReportState,
    pub product: Option<ProductId>,
    pub received_at: OffsetDateTime,
    /// The first message to the finder or change of state: a person has responded.
    pub responded_at: Option<OffsetDateTime>,
    /// When the report first left `new`.
    pub triaged_at: Option<OffsetDateTime>,
    /// The CVSS rating, which picks the fix target; `None` while unscored.
    pub severity: Option<cvdesk_formats::cvss::Severity>,
}

#[async_trait]
pub trait TriageStore: Send + Sync {
    /// Every open report (new, triaged, assigned) with its clock times, oldest first, at
    /// most `limit`.
    async fn open_report_times(&self, limit: u32) -> Result<Vec<OpenReportTimes>, StoreError>;

    async fn list_reports(&self, filter: &ReportFilter) -> Result<ReportPage, StoreError>;

    /// Applies a planned transition if the report is still in `transition.from`, and
    /// queues `mail` (telling the finder) in the same transaction; `Conflict` when someone
    /// moved it meanwhile, and then no mail is queued.
    ///
    /// Every change below names its author in the report's history after `audit`, and
    /// appends `audit` to the audit log in its own transaction: a change whose entry
    /// cannot be written does not happen.
    async fn transition_report(
        &self,
        report_id: i64,
        transition: &Transition,
        audit: &AuditEvent,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Sets or clears the needs-info flag and queues `mail` in the same transaction.
    async fn set_needs_info(
        &self,
        report_id: i64,
        needs_info: bool,
        audit: &AuditEvent,
        mail: &[NewMail],
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    async fn set_product(
        &self,
        report_id: i64,
        product: Option<ProductId>,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    async fn set_assessment(
        &self,
        report_id: i64,
        exploitability: Option<Exploitability>,
        priority_override: Option<&PriorityOverride>,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Replaces the weakness and severity the finder gave with the triager's.
    async fn set_classification(
        &self,
        report_id: i64,
        weakness: Option<cvdesk_formats::cwe::CweId>,
        severity: Option<&cvdesk_domain::report::Severity>,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    async fn add_note(
        &self,
        report_id: i64,
        body: &str,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError>;

    async fn notes(&self, report_id: i64) -> Result<Vec<Note>, StoreError>;

    async fn report_events(&self, report_id: i64) -> Result<Vec<ReportEvent>, StoreError>;

    /// Reports received before this one, to compare it with: the most recent ones, and
    /// every one on the same asset.
    async fn comparable_reports(
        &self,
        report_id: i64,
        asset: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ComparableReport>, StoreError>;

    /// Finders who asked to be credited, by the name they gave, for reports fixed since
    /// (the newest first), with when each was marked remediated.
    async fn acknowledgements(
        &self,
        limit: u32,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for cursor in [
            QueueCursor {
                score: None,
                id: 42,
            },
            QueueCursor {
                score: Some(9.8),
                id: 7,
            },
            QueueCursor {
                score: Some(-1.0),
                id: 1,
            },
        ] {
            assert_eq!(QueueCursor::decode(&cursor.encode()), Some(cursor));
        }
        for bad in [
            "", "x", "1.x", "1.NaN", "1.inf", "a.1", "+1", "-1", "1.1e1", "1.+5", "1.5.", "1.",
            "1.100",
        ] {
            assert_eq!(QueueCursor::decode(bad), None, "{bad}");
        }
    }
}
