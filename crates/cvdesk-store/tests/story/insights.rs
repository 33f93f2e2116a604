//! The dashboards' aggregates: reports with known timestamps give exactly the medians,
//! 90th percentiles, deadline shares, weekly open counts and arrivals worked out by hand
//! below, on every backend; the milestones come from the report's own moves.

use std::collections::{BTreeMap, BTreeSet};

use cvdesk_domain::access::ProductScope;
use cvdesk_domain::insights::{ClockCounts, Deadlines, Period, SlaClock, WeekFlows};
use cvdesk_domain::report::ReportState;
use cvdesk_domain::report_source::ReportSource;
use cvdesk_domain::sla::{Calendar, Rule};
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::{
    Reference, ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken,
};
use cvdesk_store::{ClockDeadlines, InsightScope, NewReport, ReportGroup, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::backends::backends;
use crate::staff::triager;
use crate::triage::spec;

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H";
const MEDIUM: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N";
const LOW: &str = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N";
/// Four whole weeks, Monday 2 March to Monday 30 March 2026.
pub const FROM: OffsetDateTime = datetime!(2026-03-02 00:00 UTC);
pub const TO: OffsetDateTime = datetime!(2026-03-30 00:00 UTC);
pub const NOW: OffsetDateTime = datetime!(2026-04-20 00:00 UTC);

pub struct Seed {
    pub received: OffsetDateTime,
    pub severity: Option<&'static str>,
    pub weakness: Option<&'static str>,
    pub product: Option<ProductId>,
    pub source: ReportSource,
}

/// Deadlines for tests of the durations alone: the fix clock judges no rating.
pub fn no_deadlines() -> ClockDeadlines {
    ClockDeadlines {
        first_response: Deadlines::After(Duration::days(1)),
        triage: Deadlines::After(Duration::days(1)),
        remediation: Vec::new(),
    }
}

pub async fn receive(store: &dyn Store, n: u8, seed: Seed) -> (i64, Reference) {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some(format!("Report {n}")),
            summary: Some("Summary".into()),
            steps_to_reproduce: Some("Steps".into()),
            impact: Some("Impact".into()),
            severity: seed.severity.map(str::to_owned),
            weakness: seed.weakness.map(str::to_owned),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    let report = store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: seed.received,
            tracking_token_hash: &TrackingToken::from_random_bytes([n; 32]).hash(),
            content: &draft,
            attachments: &[],
            product: seed.product,
            received_from: None,
            challenge: None,
            source: seed.source,
        })
        .await
        .expect("stored");
    (report.id, report.reference)
}

async fn answer(store: &dyn Store, report: i64, at: OffsetDateTime) {
    store
        .add_staff_message(report, "Thank you", &triager(), &[], at)
        .await
        .expect("message");
}

pub async fn moved(
    store: &dyn Store,
    report: i64,
    from: ReportState,
    to: ReportState,
    reason: Option<&str>,
    duplicate_of: Option<Reference>,
    at: OffsetDateTime,
) {
    let transition = Transition {
        from,
        to,
        reason: reason.map(str::to_owned),
        duplicate_of,
    };
    store
        .transition_report(report, &transition, &triager(), &[], at)
        .await
        .expect("moved");
}

/// The reports of the story, in and around the period, with their lives:
///
/// | report | received | rating, product | first response | left new | then |
/// |---|---|---|---|---|---|
/// | 1 | Mon 2 Mar 09:00 | critical, Shop | +4 h | +24 h | assigned 4 Mar 09:00, remediated 12 Mar 09:00 (+10 days) |
/// | 2 | Tue 3 Mar 10:00 | high, Shop | +48 h | +72 h | assigned 9 Mar 10:00, still open |
/// | 3 | Wed 4 Mar 12:00 | high, Blog | +16 days (the move) | +16 days | informative 21 Mar 12:00 |
/// | 4 | Fri 13 Mar 17:00 | medium, Blog | none | still new | |
/// | 5 | Mon 23 Mar 08:00 | unscored, none, API | +30 min | +1 h (spam) | |
/// | 6 | Thu 26 Mar 15:00 | critical, Shop, staff | +24 h | +25 h (duplicate of 1) | |
/// | 7 | Fri 20 Feb | low, Shop | none | still new | (before the period, open in it) |
/// | 8 | Tue 10 Feb | low, Shop | | closed 15 Feb | (closed before the period) |
pub async fn story(store: &dyn Store) -> (ProductId, ProductId) {
    let shop = store
        .create_product(&spec("Shop", &[]), None, FROM, &triager())
        .await
        .expect("shop");
    let blog = store
        .create_product(&spec("Blog", &[]), None, FROM, &triager())
        .await
        .expect("blog");
    let seed = |received, severity, weakness, product, source| Seed {
        received,
        severity,
        weakness,
        product,
        source,
    };
    use ReportSource::{Api, Form, Staff};
    use ReportState::*;
    let cwe79 = Some("CWE-79");
    let (r1, first) = receive(
        store,
        1,
        seed(
            datetime!(2026-03-02 09:00 UTC),
            Some(CRITICAL),
            cwe79,
            Some(shop),
            Form,
        ),
    )
    .await;
    answer(store, r1, datetime!(2026-03-02 13:00 UTC)).await;
    moved(
        store,
        r1,
        New,
        Triaged,
        None,
        None,
        datetime!(2026-03-03 09:00 UTC),
    )
    .await;
    moved(
        store,
        r1,
        Triaged,
        Assigned,
        None,
        None,
        datetime!(2026-03-04 09:00 UTC),
    )
    .await;
    moved(
        store,
        r1,
        Assigned,
        Remediated,
        None,
        None,
        datetime!(2026-03-12 09:00 UTC),
    )
    .await;

    let (r2, _) = receive(
        store,
        2,
        seed(
            datetime!(2026-03-03 10:00 UTC),
            Some(HIGH),
            cwe79,
            Some(shop),
            Form,
        ),
    )
    .await;
    answer(store, r2, datetime!(2026-03-05 10:00 UTC)).await;
    moved(
        store,
        r2,
        New,
        Triaged,
        None,
        None,
        datetime!(2026-03-06 10:00 UTC),
    )
    .await;
    moved(
        store,
        r2,
        Triaged,
        Assigned,
        None,
        None,
        datetime!(2026-03-09 10:00 UTC),
    )
    .await;

    let (r3, _) = receive(
        store,
        3,
        seed(
            datetime!(2026-03-04 12:00 UTC),
            Some(HIGH),
            Some("CWE-89"),
            Some(blog),
            Form,
        ),
    )
    .await;
    moved(
        store,
        r3,
        New,
        Triaged,
        None,
        None,
        datetime!(2026-03-20 12:00 UTC),
    )
    .await;
    moved(
        store,
        r3,
        Triaged,
        Informative,
        Some("known"),
        None,
        datetime!(2026-03-21 12:00 UTC),
    )
    .await;

    receive(
        store,
        4,
        seed(
            datetime!(2026-03-13 17:00 UTC),
            Some(MEDIUM),
            Some("CWE-89"),
            Some(blog),
            Form,
        ),
    )
    .await;

    let (r5, _) = receive(
        store,
        5,
        seed(datetime!(2026-03-23 08:00 UTC), None, None, None, Api),
    )
    .await;
    answer(store, r5, datetime!(2026-03-23 08:30 UTC)).await;
    moved(
        store,
        r5,
        New,
        NotApplicable,
        Some("spam"),
        None,
        datetime!(2026-03-23 09:00 UTC),
    )
    .await;

    let (r6, _) = receive(
        store,
        6,
        seed(
            datetime!(2026-03-26 15:00 UTC),
            Some(CRITICAL),
            cwe79,
            Some(shop),
            Staff,
        ),
    )
    .await;
    answer(store, r6, datetime!(2026-03-27 15:00 UTC)).await;
    moved(
        store,
        r6,
        New,
        Duplicate,
        None,
        Some(first),
        datetime!(2026-03-27 16:00 UTC),
    )
    .await;

    receive(
        store,
        7,
        seed(
            datetime!(2026-02-20 10:00 UTC),
            Some(LOW),
            None,
            Some(shop),
            Form,
        ),
    )
    .await;
    let (r8, _) = receive(
        store,
        8,
        seed(
            datetime!(2026-02-10 10:00 UTC),
            Some(LOW),
            None,
            Some(shop),
            Form,
        ),
    )
    .await;
    moved(
        store,
        r8,
        New,
        Informative,
        Some("known"),
        None,
        datetime!(2026-02-15 10:00 UTC),
    )
    .await;
    (shop, blog)
}

pub fn hours(n: i64) -> Option<Duration> {
    Some(Duration::hours(n))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_count_what_was_worked_out_by_hand() {
    let period = Period::new(FROM, TO, NOW).expect("period");
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let (shop, blog) = story(&*store).await;
        let all = ProductScope::All;
        let scope = InsightScope {
            period: &period,
            product: None,
            visible: &all,
        };

        // First responses: 30 min, 4 h, 24 h, 48 h, 16 days; report 4 has none yet.
        let response = store
            .period_figures(scope, &no_deadlines(), NOW)
            .await
            .expect("first response")
            .clocks
            .durations
            .remove(&SlaClock::FirstResponse)
            .expect("the first response clock");
        let overall = response[&ReportGroup::All];
        assert_eq!(overall.count, 5, "{name}");
        assert_eq!(overall.median, hours(24), "{name}");
        assert_eq!(overall.p90, hours(16 * 24), "{name}");
        // Critical: 4 h and 24 h, so the median is their mean; the 90th percentile is the
        // 2nd of 2.
        let critical = response[&ReportGroup::Rating(Some("critical".into()))];
        assert_eq!(
            (critical.median, critical.p90),
            (hours(14), hours(24)),
            "{name}"
        );
        let high = response[&ReportGroup::Rating(Some("high".into()))];
        assert_eq!(
            (high.median, high.p90),
            (hours(9 * 24), hours(16 * 24)),
            "{name}"
        );
        let unscored = response[&ReportGroup::Rating(None)];
        assert_eq!(unscored.median, Some(Duration::minutes(30)), "{name}");
        // Shop: 4 h, 24 h, 48 h; the 90th percentile is the 3rd of 3.
        let in_shop = response[&ReportGroup::Product(Some(shop))];
        assert_eq!(
            (in_shop.median, in_shop.p90),
            (hours(24), hours(48)),
            "{name}"
        );
        let in_blog = response[&ReportGroup::Product(Some(blog))];
        assert_eq!(
            (in_blog.count, in_blog.median),
            (1, hours(16 * 24)),
            "{name}"
        );
        assert_eq!(
            response[&ReportGroup::Product(None)].median,
            Some(Duration::minutes(30)),
            "{name}"
        );

        // Triage: 1 h, 24 h, 25 h, 72 h, 16 days.
        let triage = store
            .period_figures(scope, &no_deadlines(), NOW)
            .await
            .expect("triage")
            .clocks
            .durations[&SlaClock::Triage][&ReportGroup::All];
        assert_eq!(
            (triage.count, triage.median, triage.p90),
            (5, hours(25), hours(16 * 24)),
            "{name}"
        );
        // Remediation: only report 1, ten days after it arrived.
        let fixed = store
            .period_figures(scope, &no_deadlines(), NOW)
            .await
            .expect("remediation")
            .clocks
            .durations[&SlaClock::Remediation][&ReportGroup::All];
        assert_eq!((fixed.count, fixed.median), (1, hours(240)), "{name}");

        // Deadlines: five and ten working days from receipt. Report 3 answered and was
        // triaged late, report 4 is overdue on both; the rest were in time.
        let calendar = Calendar::default();
        let working_days = |days| {
            Deadlines::for_rule(Rule::WorkingDays(days), &calendar, FROM..TO).expect("table")
        };
        let others = [
            Some("high"),
            Some("medium"),
            Some("low"),
            Some("none"),
            None,
        ]
        .map(|rating| rating.map(str::to_owned))
        .to_vec();
        // The fix: 7 days for critical reports from triage, 90 for the rest.
        let rules = [
            (
                Deadlines::After(Duration::days(7)),
                vec![Some("critical".to_owned())],
            ),
            (Deadlines::After(Duration::days(90)), others),
        ];
        let judged = |remediation: Vec<(Deadlines, Vec<Option<String>>)>| ClockDeadlines {
            first_response: working_days(5),
            triage: working_days(10),
            remediation,
        };
        let counts = store
            .period_figures(scope, &judged(rules.to_vec()), NOW)
            .await
            .expect("counts")
            .clocks
            .counts;
        for clock in [SlaClock::FirstResponse, SlaClock::Triage] {
            assert_eq!(
                counts[&clock],
                ClockCounts {
                    met: 4,
                    missed: 1,
                    overdue: 1,
                    running: 0
                },
                "{name} {clock:?}"
            );
            assert_eq!(counts[&clock].compliance(), Some(4.0 / 6.0), "{name}");
        }
        // Report 1 was remediated nine days after triage, past the critical 7 days; report
        // 2 is still within its 90 days; reports 3, 5 and 6 were closed otherwise and
        // report 4 was never triaged.
        let fix_under = |rules: &[(Deadlines, Vec<Option<String>>)]| {
            let deadlines = judged(rules.to_vec());
            let store = &store;
            async move {
                store
                    .period_figures(scope, &deadlines, NOW)
                    .await
                    .expect("fix")
                    .clocks
                    .counts[&SlaClock::Remediation]
            }
        };
        let critical_fix = fix_under(&rules[..1]).await;
        assert_eq!(
            (critical_fix.missed, critical_fix.decided()),
            (1, 1),
            "{name}"
        );
        assert_eq!(
            fix_under(&rules[1..]).await,
            ClockCounts {
                running: 1,
                ..ClockCounts::default()
            },
            "{name}"
        );
        assert_eq!(
            counts[&SlaClock::Remediation],
            ClockCounts {
                missed: 1,
                running: 1,
                ..ClockCounts::default()
            },
            "{name}"
        );

        // Open at the end of each week (9, 16, 23, 30 March), whenever received.
        let mut by_state: BTreeMap<String, WeekFlows> = BTreeMap::new();
        for change in store
            .period_figures(scope, &no_deadlines(), NOW)
            .await
            .expect("open")
            .open
        {
            by_state
                .entry(change.state.clone())
                .or_insert_with(|| WeekFlows::new(&period))
                .add(change.week, change.change);
        }
        let open = |state: &str| by_state[state].open_at_week_ends();
        assert_eq!(open("new"), [2, 3, 2, 2], "{name}");
        assert_eq!(open("triaged"), [1, 0, 0, 0], "{name}");
        assert_eq!(open("assigned"), [1, 1, 1, 1], "{name}");

        let arrivals: BTreeSet<(i64, String, u64)> = store
            .period_figures(scope, &no_deadlines(), NOW)
            .await
            .expect("arrivals")
            .received
            .arrivals
            .into_iter()
            .map(|a| (a.week, a.source, a.count))
            .collect();
        assert_eq!(
            arrivals,
            BTreeSet::from([
                (1, "form".to_owned(), 3),
                (2, "form".to_owned(), 1),
                (4, "api".to_owned(), 1),
                (4, "staff".to_owned(), 1),
            ]),
            "{name}"
        );
        assert_eq!(
            store
                .period_figures(scope, &no_deadlines(), NOW)
                .await
                .expect("weaknesses")
                .received
                .weaknesses,
            [("CWE-79".to_owned(), 3), ("CWE-89".to_owned(), 2)],
            "{name}"
        );
        let outcomes = store
            .period_figures(scope, &no_deadlines(), NOW)
            .await
            .expect("outcomes")
            .received
            .outcomes;
        assert_eq!(
            (outcomes.received, outcomes.duplicates, outcomes.spam),
            (6, 1, 1),
            "{name}"
        );
        backend
            .execute_behind_the_store(
                "UPDATE reports SET root_cause = 'implementation' WHERE title IN ('Report 1', 'Report 2')",
            )
            .await;
        assert_eq!(
            store
                .period_figures(scope, &no_deadlines(), NOW)
                .await
                .expect("causes")
                .received
                .root_causes,
            [(None, 4), (Some("implementation".to_owned()), 2)],
            "{name}"
        );

        // A member of the blog's team sees its reports only.
        let blog_only = ProductScope::Only([blog].into());
        let theirs = InsightScope {
            visible: &blog_only,
            ..scope
        };
        let seen = store
            .period_figures(theirs, &no_deadlines(), NOW)
            .await
            .expect("member")
            .clocks
            .durations
            .remove(&SlaClock::FirstResponse)
            .expect("the first response clock");
        assert_eq!(
            seen.get(&ReportGroup::All).map(|s| s.count),
            Some(1),
            "{name}"
        );
        assert!(
            !seen.contains_key(&ReportGroup::Product(Some(shop))),
            "{name}"
        );
        assert_eq!(
            store
                .period_figures(theirs, &no_deadlines(), NOW)
                .await
                .expect("outcomes")
                .received
                .outcomes
                .received,
            2,
            "{name}"
        );
        let nobody = ProductScope::Only(BTreeSet::new());
        assert_eq!(
            store
                .period_figures(
                    InsightScope {
                        visible: &nobody,
                        ..scope
                    },
                    &no_deadlines(),
                    NOW
                )
                .await
                .expect("outcomes")
                .received
                .outcomes
                .received,
            0,
            "{name}"
        );
        assert_eq!(
            store.open_reports_by_state().await.expect("open"),
            [("assigned".to_owned(), 1), ("new".to_owned(), 2),],
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_a_report_clears_its_close() {
    let period = Period::new(FROM, TO, NOW).expect("period");
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let (r1, _) = receive(
            &*store,
            1,
            Seed {
                received: datetime!(2026-03-02 09:00 UTC),
                severity: None,
                weakness: None,
                product: None,
                source: ReportSource::Form,
            },
        )
        .await;
        use ReportState::*;
        moved(
            &*store,
            r1,
            New,
            NotApplicable,
            Some("Spam "),
            None,
            datetime!(2026-03-03 09:00 UTC),
        )
        .await;
        let all = ProductScope::All;
        let scope = InsightScope {
            period: &period,
            product: None,
            visible: &all,
        };
        assert_eq!(
            store
                .period_figures(scope, &no_deadlines(), NOW)
                .await
                .expect("outcomes")
                .received
                .outcomes
                .spam,
            1,
            "{name}"
        );
        moved(
            &*store,
            r1,
            NotApplicable,
            Triaged,
            Some("not spam"),
            None,
            datetime!(2026-03-10 09:00 UTC),
        )
        .await;
        assert_eq!(
            store
                .period_figures(scope, &no_deadlines(), NOW)
                .await
                .expect("outcomes")
                .received
                .outcomes
                .spam,
            0,
            "{name}"
        );
        let mut flows = WeekFlows::new(&period);
        for change in store
            .period_figures(scope, &no_deadlines(), NOW)
            .await
            .expect("open")
            .open
        {
            if change.state == "triaged" {
                flows.add(change.week, change.change);
            }
        }
        // Open again: counted as triaged from when it first left new, as the report keeps
        // when it first left new and when it was last closed.
        assert_eq!(flows.open_at_week_ends(), [1, 1, 1, 1], "{name}");
    }
}
