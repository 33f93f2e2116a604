//! What one dashboard counts, report by report, as the texts of its reads come in: the
//! durations and deadlines of the three clocks, what was received, and the weeks each
//! report was open in which state. Several tallies of one dashboard count on several
//! threads and are added together at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cvdesk_domain::insights::{judge, ClockCounts, Deadlines, DurationSummary, Period, SlaClock};
use cvdesk_domain::staff::ProductId;
use foldhash::HashMap;

use super::epoch_micros;
use super::kept::KeptReports;
use super::packed::{packed_rows, Fields};
use crate::insights::{
    Arrivals, ClockDeadlines, ClockFigures, OpenChange, Outcomes, PeriodFigures, ReceivedCounts,
    ReportGroup,
};
use crate::StoreError;

const MICROS: i64 = 1_000_000;

/// What a report is counted under by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Rating,
    Source,
    Weakness,
    Cause,
}

impl Role {
    const ALL: [Role; 4] = [Role::Rating, Role::Source, Role::Weakness, Role::Cause];

    fn index(self) -> usize {
        self as usize
    }
}

/// One report received in the period, as the dashboards count it: its names (`N`, the
/// text itself or a number standing for it), how it ended, and its milestones in
/// microseconds since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Received<N> {
    pub rating: Option<N>,
    pub source: N,
    pub weakness: Option<N>,
    pub root_cause: Option<N>,
    pub duplicate: bool,
    pub spam: bool,
    pub created: i64,
    pub first_response: Option<i64>,
    pub triaged: Option<i64>,
    pub assigned: Option<i64>,
    pub remediated: Option<i64>,
    pub closed: Option<i64>,
}

impl<N> Received<N> {
    /// The same report with each name given by `number`.
    pub fn numbered<M>(self, mut number: impl FnMut(Role, N) -> M) -> Received<M> {
        Received {
            rating: self.rating.map(|name| number(Role::Rating, name)),
            source: number(Role::Source, self.source),
            weakness: self.weakness.map(|name| number(Role::Weakness, name)),
            root_cause: self.root_cause.map(|name| number(Role::Cause, name)),
            duplicate: self.duplicate,
            spam: self.spam,
            created: self.created,
            first_response: self.first_response,
            triaged: self.triaged,
            assigned: self.assigned,
            remediated: self.remediated,
            closed: self.closed,
        }
    }
}

/// A text of reports to count, as a read gives it.
pub(super) enum Text {
    /// Rows of `RECEIVED_FIELDS`.
    Received(String),
    /// Rows of `OPEN_FIELDS`: reports counted for the weeks they were open only.
    OpenOnly(String),
    /// A kept part's reports of one product (`kept::encode`).
    Kept {
        product: Option<i64>,
        reports: Vec<u8>,
    },
}

/// Names seen in the texts, each kept once and numbered in order of first sight, so what
/// is counted can outlive the texts.
#[derive(Default)]
struct Names {
    names: Vec<String>,
    numbers: HashMap<String, usize>,
}

impl Names {
    fn number(&mut self, name: &str) -> usize {
        if let Some(number) = self.numbers.get(name) {
            return *number;
        }
        self.names.push(name.to_owned());
        self.numbers.insert(name.to_owned(), self.names.len() - 1);
        self.names.len() - 1
    }

    fn name(&self, number: usize) -> &str {
        self.names.get(number).map_or("", String::as_str)
    }
}

/// The groups a report of this rating and product counts in.
fn groups_of(rating: Option<&str>, product: Option<i64>) -> [ReportGroup; 3] {
    [
        ReportGroup::All,
        ReportGroup::Rating(rating.map(str::to_owned)),
        ReportGroup::Product(product.map(ProductId)),
    ]
}

/// The figures of each group from the durations by rating and product. One group's
/// durations are gathered at a time, so a long period holds its durations about twice,
/// not once per group they count in.
fn summaries(
    by_pair: HashMap<(Option<&str>, Option<i64>), Vec<i64>>,
) -> BTreeMap<ReportGroup, DurationSummary> {
    let pairs: Vec<([ReportGroup; 3], Vec<i64>)> = by_pair
        .into_iter()
        .map(|((rating, product), seconds)| (groups_of(rating, product), seconds))
        .collect();
    let groups: BTreeSet<&ReportGroup> = pairs.iter().flat_map(|(groups, _)| groups).collect();
    groups
        .into_iter()
        .map(|group| {
            let members = || pairs.iter().filter(|(groups, _)| groups.contains(group));
            let mut seconds = Vec::with_capacity(members().map(|(_, s)| s.len()).sum());
            for (_, pair) in members() {
                seconds.extend_from_slice(pair);
            }
            (group.clone(), DurationSummary::of(&mut seconds))
        })
        .collect()
}

/// How one clock that started at `start` and stopped at `done` stands at `now` (all in
/// microseconds); nothing when the deadlines do not cover its start.
fn judged(deadlines: &Deadlines, start: i64, done: Option<i64>, now: i64) -> ClockCounts {
    deadlines
        .due_for_micros(start)
        .map_or_else(ClockCounts::default, |due| judge(due, done, now))
}

/// The weeks of a period (`Period::week_of`), in integer microseconds.
#[derive(Debug, Clone)]
pub(super) struct Weeks {
    /// Where the first week begins, then where each week ends.
    bounds: Vec<i64>,
}

impl Weeks {
    pub fn of(period: &Period) -> Result<Weeks, StoreError> {
        Ok(Weeks {
            bounds: period
                .week_bounds()
                .iter()
                .map(|bound| epoch_micros(*bound))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The week of the instant `micros`: 0 at or before the first week, one past the last
    /// after the period.
    pub fn week(&self, micros: i64) -> i64 {
        i64::try_from(self.bounds.partition_point(|bound| *bound < micros)).unwrap_or(i64::MAX)
    }
}

/// Which of the fix deadlines a rating's reports are judged against, if any.
fn fix_rule(deadlines: &ClockDeadlines, rating: Option<&str>) -> Option<usize> {
    deadlines
        .remediation
        .iter()
        .position(|(_, ratings)| ratings.iter().any(|r| r.as_deref() == rating))
}

/// A report's rating (numbered in `Tally::names`) and product.
type Pair = (Option<usize>, Option<i64>);

/// What one dashboard counts.
pub(super) struct Tally {
    weeks: Weeks,
    deadlines: Arc<ClockDeadlines>,
    /// In microseconds.
    now: i64,
    /// Per `Role`, the names counted.
    names: [Names; 4],
    /// The fix deadlines (an index into `deadlines.remediation`) of each rating, by its
    /// number, and of unscored reports.
    fix_rules: Vec<Option<usize>>,
    unscored_fix_rule: Option<usize>,
    /// Per clock (in `SlaClock::ALL` order), the durations of the reports that reached
    /// its stop by rating and product, and its deadline counts.
    durations: [HashMap<Pair, Vec<i64>>; 3],
    clock_counts: [ClockCounts; 3],
    /// Per week and source.
    arrivals: HashMap<(i64, usize), u64>,
    /// Per weakness, by its number.
    weaknesses: Vec<u64>,
    /// Per root cause: the first for reports without one, then by the cause's number.
    root_causes: Vec<u64>,
    outcomes: Outcomes,
    /// Per state, rating and week, how many more reports were open in it at the week's end.
    open: HashMap<(&'static str, Option<usize>, i64), i64>,
}

/// Adds `count` at `index` of `counts`, which grows to hold it.
fn add_at(counts: &mut Vec<u64>, index: usize, count: u64) {
    if counts.len() <= index {
        counts.resize(index + 1, 0);
    }
    counts[index] += count;
}

impl Tally {
    pub fn new(weeks: Weeks, deadlines: Arc<ClockDeadlines>, now: i64) -> Tally {
        Tally {
            weeks,
            unscored_fix_rule: fix_rule(&deadlines, None),
            deadlines,
            now,
            names: Default::default(),
            fix_rules: Vec::new(),
            durations: Default::default(),
            clock_counts: [ClockCounts::default(); 3],
            arrivals: HashMap::default(),
            weaknesses: Vec::new(),
            root_causes: Vec::new(),
            outcomes: Outcomes::default(),
            open: HashMap::default(),
        }
    }

    /// A tally of the same dashboard with nothing counted yet.
    pub fn empty_copy(&self) -> Tally {
        Tally::new(self.weeks.clone(), Arc::clone(&self.deadlines), self.now)
    }

    /// Counts the reports of one text.
    pub fn count(&mut self, text: &Text) -> Result<(), StoreError> {
        match text {
            Text::Received(packed) => self.received(packed),
            Text::OpenOnly(packed) => self.open_only(packed),
            Text::Kept { product, reports } => self.kept(*product, reports),
        }
    }

    fn received(&mut self, packed: &str) -> Result<(), StoreError> {
        for fields in packed_rows(packed) {
            let (product, report) = Fields::received(fields)?;
            let names = &mut self.names;
            let report = report.numbered(|role, name| names[role.index()].number(name));
            self.add(&report, product);
        }
        Ok(())
    }

    fn kept(&mut self, product: Option<i64>, kept: &[u8]) -> Result<(), StoreError> {
        let mut reports = KeptReports::new(kept)?;
        // The text's own numbers of its names, and this tally's, found once per role.
        let mut numbers: [Vec<Option<usize>>; 4] =
            std::array::from_fn(|_| vec![None; reports.names().len()]);
        while let Some(report) = reports.next_report()? {
            let text_names = reports.names();
            let names = &mut self.names;
            let report = report.numbered(|role, key| {
                *numbers[role.index()][key]
                    .get_or_insert_with(|| names[role.index()].number(text_names[key]))
            });
            self.add(&report, product);
        }
        Ok(())
    }

    /// Counts one report received in the period.
    fn add(&mut self, report: &Received<usize>, product: Option<i64>) {
        let (created, rating) = (report.created, report.rating);
        let stops = [report.first_response, report.triaged, report.remediated];
        for (pairs, stop) in self.durations.iter_mut().zip(stops) {
            if let Some(stop) = stop {
                let seconds = stop.saturating_sub(created) / MICROS;
                pairs.entry((rating, product)).or_default().push(seconds);
            }
        }
        let (deadlines, now) = (&*self.deadlines, self.now);
        let counts = &mut self.clock_counts;
        let first_response = &deadlines.first_response;
        counts[0] = counts[0] + judged(first_response, created, report.first_response, now);
        counts[1] = counts[1] + judged(&deadlines.triage, created, report.triaged, now);
        // The fix clock runs from triage, for reports remediated or still open.
        let fixing = report
            .triaged
            .filter(|_| report.remediated.is_some() || report.closed.is_none());
        let rule = match rating {
            Some(rating) => {
                while self.fix_rules.len() <= rating {
                    let name = self.names[Role::Rating.index()].name(self.fix_rules.len());
                    self.fix_rules.push(fix_rule(deadlines, Some(name)));
                }
                self.fix_rules[rating]
            }
            None => self.unscored_fix_rule,
        };
        if let (Some(triaged), Some(rule)) = (fixing, rule) {
            let (fix, _) = &deadlines.remediation[rule];
            counts[2] = counts[2] + judged(fix, triaged, report.remediated, now);
        }

        *self
            .arrivals
            .entry((self.weeks.week(created), report.source))
            .or_default() += 1;
        if let Some(weakness) = report.weakness {
            add_at(&mut self.weaknesses, weakness, 1);
        }
        add_at(
            &mut self.root_causes,
            report.root_cause.map_or(0, |c| c + 1),
            1,
        );
        self.outcomes.received += 1;
        self.outcomes.duplicates += u64::from(report.duplicate);
        self.outcomes.spam += u64::from(report.spam);

        self.count_open(
            rating,
            Some(created),
            report.triaged,
            report.assigned,
            report.closed,
        );
    }

    fn open_only(&mut self, packed: &str) -> Result<(), StoreError> {
        for mut fields in packed_rows(packed) {
            let rating = fields
                .text()?
                .map(|rating| self.names[Role::Rating.index()].number(rating));
            let created = fields.integer()?;
            let triaged = fields.integer()?;
            let assigned = fields.integer()?;
            let closed = fields.integer()?;
            fields.end()?;
            self.count_open(rating, created, triaged, assigned, closed);
        }
        Ok(())
    }

    /// Each state a report passed through is an interval: new from receipt until it left
    /// new, triaged from then until assigned or closed, assigned until closed.
    fn count_open(
        &mut self,
        rating: Option<usize>,
        created: Option<i64>,
        triaged: Option<i64>,
        assigned: Option<i64>,
        closed: Option<i64>,
    ) {
        let intervals = [
            ("new", created, triaged.or(closed)),
            ("triaged", triaged, assigned.or(closed)),
            ("assigned", assigned, closed),
        ];
        for (state, opened, ended) in intervals {
            let Some(opened) = opened else { continue };
            let week = self.weeks.week(opened);
            *self.open.entry((state, rating, week)).or_default() += 1;
            if let Some(ended) = ended {
                let week = self.weeks.week(ended);
                *self.open.entry((state, rating, week)).or_default() -= 1;
            }
        }
    }

    /// Adds what `other`, a tally of other texts of the same dashboard, counted.
    pub fn merge(&mut self, other: Tally) {
        // Each of the other's numbers, as this tally numbers the same name.
        let mut numbers = Role::ALL.map(|_| Vec::new());
        for role in Role::ALL {
            let theirs = &other.names[role.index()].names;
            numbers[role.index()] = theirs
                .iter()
                .map(|name| self.names[role.index()].number(name))
                .collect();
        }
        let mine = |role: Role, number: usize| numbers[role.index()][number];
        let rating = |number: Option<usize>| number.map(|number| mine(Role::Rating, number));
        for (durations, theirs) in self.durations.iter_mut().zip(other.durations) {
            for ((number, product), seconds) in theirs {
                durations
                    .entry((rating(number), product))
                    .or_default()
                    .extend_from_slice(&seconds);
            }
        }
        for (counts, theirs) in self.clock_counts.iter_mut().zip(other.clock_counts) {
            *counts = *counts + theirs;
        }
        for ((week, source), count) in other.arrivals {
            *self
                .arrivals
                .entry((week, mine(Role::Source, source)))
                .or_default() += count;
        }
        for (weakness, count) in other.weaknesses.into_iter().enumerate() {
            add_at(&mut self.weaknesses, mine(Role::Weakness, weakness), count);
        }
        for (slot, count) in other.root_causes.into_iter().enumerate() {
            let slot = slot.checked_sub(1).map_or(0, |c| mine(Role::Cause, c) + 1);
            add_at(&mut self.root_causes, slot, count);
        }
        self.outcomes.received += other.outcomes.received;
        self.outcomes.duplicates += other.outcomes.duplicates;
        self.outcomes.spam += other.outcomes.spam;
        for ((state, number, week), change) in other.open {
            *self.open.entry((state, rating(number), week)).or_default() += change;
        }
    }

    pub fn figures(self) -> PeriodFigures {
        let Tally {
            names,
            durations,
            clock_counts,
            arrivals,
            weaknesses,
            root_causes,
            outcomes,
            open,
            ..
        } = self;
        let [ratings, sources, weakness_names, causes] = &names;
        let mut weaknesses: Vec<(String, u64)> = weaknesses
            .into_iter()
            .enumerate()
            .filter(|(_, count)| *count > 0)
            .map(|(weakness, count)| (weakness_names.name(weakness).to_owned(), count))
            .collect();
        weaknesses.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut root_causes: Vec<(Option<String>, u64)> = root_causes
            .into_iter()
            .enumerate()
            .filter(|(_, count)| *count > 0)
            .map(|(slot, count)| {
                let cause = slot.checked_sub(1).map(|c| causes.name(c).to_owned());
                (cause, count)
            })
            .collect();
        root_causes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        // Each clock's medians on a thread of its own.
        let durations = std::thread::scope(|scope| {
            let clocks: Vec<_> = SlaClock::ALL
                .into_iter()
                .zip(durations)
                .map(|(clock, by_pair)| {
                    scope.spawn(move || {
                        let by_pair = by_pair
                            .into_iter()
                            .map(|((rating, product), seconds)| {
                                (
                                    (rating.map(|rating| ratings.name(rating)), product),
                                    seconds,
                                )
                            })
                            .collect();
                        (clock, summaries(by_pair))
                    })
                })
                .collect();
            clocks
                .into_iter()
                .map(|clock| {
                    clock
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        let clocks = ClockFigures {
            durations,
            counts: SlaClock::ALL.into_iter().zip(clock_counts).collect(),
        };
        let received = ReceivedCounts {
            arrivals: arrivals
                .into_iter()
                .map(|((week, source), count)| Arrivals {
                    week,
                    source: sources.name(source).to_owned(),
                    count,
                })
                .collect(),
            weaknesses,
            root_causes,
            outcomes,
        };
        let open = open
            .into_iter()
            .filter(|(_, change)| *change != 0)
            .map(|((state, rating, week), change)| OpenChange {
                state: state.to_owned(),
                rating: rating.map(|rating| ratings.name(rating).to_owned()),
                week,
                change,
            })
            .collect();
        PeriodFigures {
            clocks,
            received,
            open,
        }
    }
}
