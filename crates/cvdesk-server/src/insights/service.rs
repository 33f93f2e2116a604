//! Works out a dashboard: asks the store for its aggregates, the domain for the figures,
//! and keeps the numbers in one structure the page, the charts, the CSV tables and the
//! JSON API all read.

use std::collections::BTreeMap;

use cvdesk_domain::access::{self, ProductScope, StaffAction};
use cvdesk_domain::insights::{
    ClockCounts, Deadlines, DurationSummary, Period, SlaClock, WeekFlows,
};
use cvdesk_domain::report_source::ReportSource;
use cvdesk_domain::staff::{Actor, ProductId};
use cvdesk_formats::cvss::Severity;
use cvdesk_store::{Arrivals, ClockDeadlines, ClockFigures, InsightScope, OpenChange, ReportGroup};
use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::query::Selection;
use crate::error::WebError;
use crate::AppState;

/// The ratings in the order the dashboards list them; `None` is unscored.
pub const RATINGS: [Option<&str>; 6] = [
    Some("critical"),
    Some("high"),
    Some("medium"),
    Some("low"),
    Some("none"),
    None,
];

/// States a report is open in.
pub const OPEN_STATES: [&str; 3] = ["new", "triaged", "assigned"];

/// How many weaknesses the dashboard lists.
const TOP_WEAKNESSES: usize = 10;

/// Days in JSON as `YYYY-MM-DD`, as the API document says (time's own form is a pair).
mod iso_date {
    use serde::ser::SerializeSeq;
    use serde::Serializer;
    use time::Date;

    pub fn one<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(date)
    }

    pub fn each<S: Serializer>(dates: &[Date], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(dates.len()))?;
        for date in dates {
            seq.serialize_element(&date.to_string())?;
        }
        seq.end()
    }
}

/// Every number of one dashboard.
#[derive(Debug, Serialize)]
pub struct Dashboard {
    /// First and last day of the period, both included.
    #[serde(serialize_with = "iso_date::one")]
    pub from: Date,
    #[serde(serialize_with = "iso_date::one")]
    pub to: Date,
    pub product_id: Option<i64>,
    #[serde(skip)]
    pub product_name: Option<String>,
    /// Product names by id, for the groups by product.
    #[serde(skip)]
    pub product_names: BTreeMap<i64, String>,
    pub durations: Vec<ClockDurations>,
    pub compliance: Vec<ClockCompliance>,
    /// The last day of each week of the period.
    #[serde(serialize_with = "iso_date::each")]
    pub week_ends: Vec<Date>,
    pub open_by_state: Vec<Series>,
    pub open_by_rating: Vec<Series>,
    pub arrivals_by_source: Vec<Series>,
    pub weaknesses: Vec<Count>,
    pub root_causes: Vec<Count>,
    pub outcomes: OutcomeShares,
    pub credits: CreditAnswers,
}

/// The times from receipt to one clock's stop.
#[derive(Debug, Serialize)]
pub struct ClockDurations {
    pub clock: SlaClock,
    pub overall: Figures,
    pub by_rating: Vec<Figures>,
    pub by_product: Vec<Figures>,
}

/// One group's figures, in seconds.
#[derive(Debug, Serialize)]
pub struct Figures {
    /// The rating (`critical` … `none`, null for unscored) or the product id, or null for
    /// all reports.
    pub group: Option<String>,
    pub count: u64,
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct ClockCompliance {
    pub clock: SlaClock,
    #[serde(flatten)]
    pub counts: ClockCounts,
    /// Met among met, missed and overdue, from 0 to 1.
    pub share: Option<f64>,
}

/// A count per week of the period.
#[derive(Debug, Serialize)]
pub struct Series {
    pub name: String,
    pub values: Vec<u64>,
}

#[derive(Debug, Serialize)]
pub struct Count {
    pub name: Option<String>,
    pub count: u64,
}

#[derive(Debug, Serialize)]
pub struct OutcomeShares {
    pub received: u64,
    pub duplicates: u64,
    pub spam: u64,
    pub duplicate_share: Option<f64>,
    pub spam_share: Option<f64>,
}

#[derive(Debug, Default, Serialize)]
pub struct CreditAnswers {
    pub proposed: u64,
    pub accepted: u64,
    pub declined: u64,
    pub withdrawn: u64,
    /// Accepted among answered (accepted, declined, withdrawn), from 0 to 1.
    pub acceptance: Option<f64>,
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn figures(group: Option<String>, summary: &DurationSummary) -> Figures {
    let seconds = |d: Option<time::Duration>| d.map(|d| d.as_seconds_f64());
    Figures {
        group,
        count: summary.count,
        median_seconds: seconds(summary.median),
        p90_seconds: seconds(summary.p90),
    }
}

/// The severity a stored rating names.
fn severity(rating: Option<&str>) -> Option<Severity> {
    match rating? {
        "critical" => Some(Severity::Critical),
        "high" => Some(Severity::High),
        "medium" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        _ => Some(Severity::None),
    }
}

/// The products `actor` may see the dashboard of, and whether `product` is one.
pub fn visible(actor: &Actor, product: Option<ProductId>) -> Result<ProductScope, WebError> {
    if !access::check(actor, StaffAction::ViewQueue, None).is_allowed() {
        return Err(WebError::Forbidden(
            "You may not see the dashboards.".into(),
        ));
    }
    let scope = access::visible_products(actor);
    match product {
        Some(product) if !scope.contains(Some(product)) => Err(WebError::NotFound),
        _ => Ok(scope),
    }
}

pub async fn load(
    state: &AppState,
    actor: &Actor,
    selection: &Selection,
) -> Result<Dashboard, WebError> {
    let now = state.clock.now();
    let visible = visible(actor, selection.product)?;
    let products = state.store.products().await?;
    let product_names: BTreeMap<i64, String> = products
        .iter()
        .filter(|p| visible.contains(Some(p.id)))
        .map(|p| (p.id.0, p.name.clone()))
        .collect();
    let product_name = match selection.product {
        Some(id) => Some(
            product_names
                .get(&id.0)
                .cloned()
                .ok_or(WebError::NotFound)?,
        ),
        None => None,
    };
    let scope = InsightScope {
        period: &selection.period,
        product: selection.product,
        visible: &visible,
    };
    // The reports' figures come from one read; the credits are counted at the same time.
    let (figures, credits) = tokio::try_join!(
        async {
            let deadlines = deadlines(state, scope, now).await?;
            Ok::<_, WebError>(state.store.period_figures(scope, &deadlines, now).await?)
        },
        credits(state, scope),
    )?;
    let (durations, compliance) = clocks(&figures.clocks);
    let (open_by_state, open_by_rating) = open_series(scope.period, figures.open);
    let counts = figures.received;
    let outcomes = counts.outcomes;
    Ok(Dashboard {
        from: selection.first_day,
        to: selection.last_day,
        product_id: selection.product.map(|p| p.0),
        product_name,
        product_names,
        durations,
        compliance,
        week_ends: selection.week_end_days(),
        open_by_state,
        open_by_rating,
        arrivals_by_source: arrivals(scope.period, counts.arrivals),
        weaknesses: counts
            .weaknesses
            .into_iter()
            .take(TOP_WEAKNESSES)
            .map(|(cwe, count)| Count {
                name: Some(cwe),
                count,
            })
            .collect(),
        root_causes: counts
            .root_causes
            .into_iter()
            .map(|(name, count)| Count { name, count })
            .collect(),
        outcomes: OutcomeShares {
            received: outcomes.received,
            duplicates: outcomes.duplicates,
            spam: outcomes.spam,
            duplicate_share: share(outcomes.duplicates, outcomes.received),
            spam_share: share(outcomes.spam, outcomes.received),
        },
        credits,
    })
}

async fn credits(state: &AppState, scope: InsightScope<'_>) -> Result<CreditAnswers, WebError> {
    let mut credits = CreditAnswers::default();
    for (consent, count) in state.store.credit_answers(scope).await? {
        match consent.as_str() {
            "proposed" => credits.proposed += count,
            "accepted" | "changed" => credits.accepted += count,
            "declined" => credits.declined += count,
            _ => credits.withdrawn += count,
        }
    }
    credits.acceptance = share(
        credits.accepted,
        credits.accepted + credits.declined + credits.withdrawn,
    );
    Ok(credits)
}

fn clock_durations(
    clock: SlaClock,
    summaries: &BTreeMap<ReportGroup, DurationSummary>,
) -> ClockDurations {
    let empty = DurationSummary {
        count: 0,
        median: None,
        p90: None,
    };
    let overall = figures(None, summaries.get(&ReportGroup::All).unwrap_or(&empty));
    let by_rating = RATINGS
        .iter()
        .filter_map(|rating| {
            let group = ReportGroup::Rating(rating.map(str::to_owned));
            summaries
                .get(&group)
                .map(|summary| figures(rating.map(str::to_owned), summary))
        })
        .collect();
    let by_product = summaries
        .iter()
        .filter_map(|(group, summary)| match group {
            ReportGroup::Product(product) => {
                Some(figures(product.map(|p| p.0.to_string()), summary))
            }
            _ => None,
        })
        .collect();
    ClockDurations {
        clock,
        overall,
        by_rating,
        by_product,
    }
}

/// The three clocks' durations and how they stand against their deadlines.
fn clocks(figures: &ClockFigures) -> (Vec<ClockDurations>, Vec<ClockCompliance>) {
    let none = BTreeMap::new();
    let durations = SlaClock::ALL
        .into_iter()
        .map(|clock| clock_durations(clock, figures.durations.get(&clock).unwrap_or(&none)))
        .collect();
    let compliance = SlaClock::ALL
        .into_iter()
        .map(|clock| {
            let counts = figures.counts.get(&clock).copied().unwrap_or_default();
            ClockCompliance {
                clock,
                counts,
                share: counts.compliance(),
            }
        })
        .collect();
    (durations, compliance)
}

/// The deadlines of the published policy's service levels, in the desk's calendar, for
/// clocks that started in the period.
async fn deadlines(
    state: &AppState,
    scope: InsightScope<'_>,
    now: OffsetDateTime,
) -> Result<ClockDeadlines, WebError> {
    let levels = state
        .store
        .current_policy()
        .await?
        .map(|version| version.settings)
        .unwrap_or_default()
        .service_levels();
    let calendar = &state.settings.calendar;
    let received = scope.period.from()..scope.period.to();
    // A fix clock starts at triage, which may come any time until now.
    let triaged = scope.period.from()..scope.period.to().max(now);
    let unavailable =
        |error: cvdesk_domain::sla::DeadlineError| WebError::Internal(Box::new(error));
    let first_response =
        Deadlines::for_rule(levels.acknowledge, calendar, received.clone()).map_err(unavailable)?;
    let triage = Deadlines::for_rule(levels.triage, calendar, received).map_err(unavailable)?;
    // Ratings that share a fix target share its deadlines.
    let mut by_rule: Vec<(cvdesk_domain::sla::Rule, Vec<Option<String>>)> = Vec::new();
    for rating in RATINGS {
        let rule = levels.remediation.for_severity(severity(rating));
        let rating = rating.map(str::to_owned);
        match by_rule.iter_mut().find(|(known, _)| *known == rule) {
            Some((_, ratings)) => ratings.push(rating),
            None => by_rule.push((rule, vec![rating])),
        }
    }
    let remediation = by_rule
        .into_iter()
        .map(|(rule, ratings)| {
            Deadlines::for_rule(rule, calendar, triaged.clone())
                .map(|deadlines| (deadlines, ratings))
                .map_err(unavailable)
        })
        .collect::<Result<_, _>>()?;
    Ok(ClockDeadlines {
        first_response,
        triage,
        remediation,
    })
}

/// Open reports at the end of each week of `period`, by state and by rating.
fn open_series(period: &Period, changes: Vec<OpenChange>) -> (Vec<Series>, Vec<Series>) {
    let mut by_state: BTreeMap<String, WeekFlows> = BTreeMap::new();
    let mut by_rating: BTreeMap<Option<String>, WeekFlows> = BTreeMap::new();
    for change in changes {
        by_state
            .entry(change.state)
            .or_insert_with(|| WeekFlows::new(period))
            .add(change.week, change.change);
        by_rating
            .entry(change.rating)
            .or_insert_with(|| WeekFlows::new(period))
            .add(change.week, change.change);
    }
    let weeks = week_count(period);
    let states = OPEN_STATES
        .iter()
        .map(|state| Series {
            name: (*state).to_owned(),
            values: by_state
                .get(*state)
                .map_or_else(|| vec![0; weeks], WeekFlows::open_at_week_ends),
        })
        .collect();
    let ratings = RATINGS
        .iter()
        .map(|rating| Series {
            name: rating.unwrap_or("unscored").to_owned(),
            values: by_rating
                .get(&rating.map(str::to_owned))
                .map_or_else(|| vec![0; weeks], WeekFlows::open_at_week_ends),
        })
        .collect();
    (states, ratings)
}

/// Arrivals per week of `period` and source, a series per source.
fn arrivals(period: &Period, arrivals: Vec<Arrivals>) -> Vec<Series> {
    let weeks = week_count(period);
    let mut by_source: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for arrival in arrivals {
        let Some(slot) = usize::try_from(arrival.week - 1)
            .ok()
            .filter(|slot| *slot < weeks)
        else {
            continue;
        };
        by_source
            .entry(arrival.source)
            .or_insert_with(|| vec![0; weeks])[slot] += arrival.count;
    }
    // Every source the desk knows, in its order, so the columns never move.
    ReportSource::ALL
        .iter()
        .map(|source| Series {
            name: source.as_str().to_owned(),
            values: by_source
                .remove(source.as_str())
                .unwrap_or_else(|| vec![0; weeks]),
        })
        .collect()
}

fn week_count(period: &Period) -> usize {
    usize::try_from(period.week_count()).unwrap_or(0)
}
