//! What the dashboards and the operator's metrics ask of the store: figures over the
//! reports of a period, read in one pass (counted in the database, or read from texts the
//! database packs the period's reports into). The statistics themselves are
//! cvdesk-domain's `insights`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use cvdesk_domain::access::ProductScope;
use cvdesk_domain::insights::{ClockCounts, Deadlines, DurationSummary, Period, SlaClock};
use cvdesk_domain::staff::ProductId;
use time::OffsetDateTime;

use crate::StoreError;

/// The reports a dashboard counts: those received within the period, of one product or
/// all, limited to the products the person may see.
#[derive(Debug, Clone, Copy)]
pub struct InsightScope<'a> {
    pub period: &'a Period,
    pub product: Option<ProductId>,
    pub visible: &'a ProductScope,
}

/// A group of reports the duration figures are given for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportGroup {
    All,
    /// By CVSS rating (`critical` … `none`); `None` for reports nobody scored.
    Rating(Option<String>),
    /// By product; `None` for reports not assigned to one.
    Product(Option<ProductId>),
}

/// How many reports of one state and rating became open (`change` > 0) or stopped being
/// open in that state (`change` < 0) in a week of the period (as `Period::week_of`
/// numbers them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenChange {
    /// `new`, `triaged` or `assigned`.
    pub state: String,
    pub rating: Option<String>,
    pub week: i64,
    pub change: i64,
}

/// Reports received per week and source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrivals {
    pub week: i64,
    pub source: String,
    pub count: u64,
}

/// The deadlines the clocks of a dashboard are judged against.
#[derive(Debug, Clone)]
pub struct ClockDeadlines {
    pub first_response: Deadlines,
    pub triage: Deadlines,
    /// The fix's, each with the ratings that share it (`None` for unscored reports). Only
    /// reports that were triaged and then remediated or are still open are judged, and
    /// those of a rating not listed are not.
    pub remediation: Vec<(Deadlines, Vec<Option<String>>)>,
}

/// The durations and the deadline counts of the three clocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClockFigures {
    pub durations: BTreeMap<SlaClock, BTreeMap<ReportGroup, DurationSummary>>,
    pub counts: BTreeMap<SlaClock, ClockCounts>,
}

/// The reports received in a period, counted by what they are and where they came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceivedCounts {
    /// Per week of the period and source.
    pub arrivals: Vec<Arrivals>,
    /// Per weakness (CWE id), most frequent first, then by id.
    pub weaknesses: Vec<(String, u64)>,
    /// Per root cause (`None` for those without one yet), most frequent first.
    pub root_causes: Vec<(Option<String>, u64)>,
    pub outcomes: Outcomes,
}

/// The figures `InsightsStore::period_figures` reads from the reports of a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodFigures {
    pub clocks: ClockFigures,
    pub received: ReceivedCounts,
    /// The changes that give the open reports (of the product and visible products,
    /// whenever received) at the end of each week of the period, per state and rating.
    pub open: Vec<OpenChange>,
}

/// How the reports received ended up, for the duplicate and spam shares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub received: u64,
    pub duplicates: u64,
    pub spam: u64,
}

/// When one report reached each milestone its deadline clocks stop at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Milestones {
    pub first_response_at: Option<OffsetDateTime>,
    pub triaged_at: Option<OffsetDateTime>,
    pub remediated_at: Option<OffsetDateTime>,
    /// While the report is closed.
    pub closed_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait InsightsStore: Send + Sync {
    /// The milestones of one report; `None` when there is no such report.
    async fn milestones(&self, report_id: i64) -> Result<Option<Milestones>, StoreError>;

    /// Every figure of the reports in scope that needs each report, from one read of
    /// them: the three clocks, what was received, and the weeks the reports open during
    /// the period changed state.
    ///
    /// The clocks: per clock, the median and 90th percentile of the time from receipt to
    /// its stop (the first response, leaving `new`, becoming `remediated`) of the reports
    /// that reached it, for all of them, by rating and by product (exact: every duration
    /// is read); and how the clocks stand at `now` against `deadlines`.
    async fn period_figures(
        &self,
        scope: InsightScope<'_>,
        deadlines: &ClockDeadlines,
        now: OffsetDateTime,
    ) -> Result<PeriodFigures, StoreError>;

    /// Builds the dashboards' kept parts (the reports received in each fortnight, packed
    /// per product) that ended by `before` and are missing or out of date, so that a long
    /// period reads them instead of every report again; answers how many it built. Until
    /// a part is built again after a report of it changed, dashboards read it from the
    /// reports.
    async fn keep_dashboard_parts(&self, before: OffsetDateTime) -> Result<u64, StoreError>;

    /// The credits proposed to the finders of reports in scope, per consent (`proposed`,
    /// `accepted`, `changed`, `declined`, `withdrawn`).
    async fn credit_answers(
        &self,
        scope: InsightScope<'_>,
    ) -> Result<Vec<(String, u64)>, StoreError>;

    /// Open reports per state, for the operator's metrics.
    async fn open_reports_by_state(&self) -> Result<Vec<(String, u64)>, StoreError>;
}
