//! The dashboards' kept parts: once built, a dashboard gives exactly what reading every
//! report gives; the texts are what it reads; and a report received into, changed in or
//! removed from a kept part puts that part back to its reports until it is built again.

use cvdesk_domain::access::ProductScope;
use cvdesk_domain::insights::Period;
use cvdesk_domain::report::ReportState;
use cvdesk_domain::report_source::ReportSource;
use cvdesk_store::{InsightScope, PeriodFigures, Store};
use time::macros::datetime;

use crate::backends::backends;
use crate::insights::{moved, no_deadlines, receive, story, Seed, NOW, TO};
use crate::report_files::purge_entry;

/// The figures of every scope the test asks for: all products, one, and a person who
/// may see one other.
async fn figures(store: &dyn Store, scopes: &[InsightScope<'_>]) -> Vec<PeriodFigures> {
    let mut all = Vec::new();
    for scope in scopes {
        let mut figures = store
            .period_figures(*scope, &no_deadlines(), NOW)
            .await
            .expect("figures");
        // The order of these lists is not the store's to keep.
        figures
            .received
            .arrivals
            .sort_by(|a, b| (a.week, &a.source).cmp(&(b.week, &b.source)));
        figures
            .open
            .sort_by(|a, b| (&a.state, &a.rating, a.week).cmp(&(&b.state, &b.rating, b.week)));
        all.push(figures);
    }
    all
}

/// Builds the kept fortnights that ended by `NOW`; how many.
async fn build(store: &dyn Store) -> u64 {
    store.keep_dashboard_parts(NOW).await.expect("kept")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_parts_count_as_the_reports_do_and_follow_every_change() {
    // Twelve weeks: several whole fortnights, and pieces of two at the ends.
    let period = Period::new(datetime!(2026-01-05 00:00 UTC), TO, NOW).expect("period");
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let (shop, blog) = story(&*store).await;
        let (all, only_blog) = (ProductScope::All, ProductScope::Only([blog].into()));
        let scope = |product, visible| InsightScope {
            period: &period,
            product,
            visible,
        };
        let scopes = [
            scope(None, &all),
            scope(Some(shop), &all),
            scope(None, &only_blog),
        ];
        let from_reports = figures(&*store, &scopes).await;
        let received = |figures: &[PeriodFigures]| figures[0].received.outcomes.received;
        assert_eq!(received(&from_reports), 8, "{name}");

        let built = build(&*store).await;
        assert!(
            built >= 4,
            "{name}: {built} parts from 10 February to 20 April"
        );
        assert_eq!(build(&*store).await, 0, "{name}");
        assert_eq!(figures(&*store, &scopes).await, from_reports, "{name}");

        // What the dashboards read of whole fortnights is what was kept: removed behind
        // the store's back, the reports of those fortnights are not counted...
        backend
            .execute_behind_the_store("DELETE FROM dashboard_part_reports")
            .await;
        let kept_away = received(&figures(&*store, &scopes).await);
        assert!(kept_away < 8, "{name}: {kept_away}");
        // ...until the parts are no longer current: then the reports count, as they are.
        backend
            .execute_behind_the_store("UPDATE dashboard_parts SET version = version + 1")
            .await;
        assert_eq!(figures(&*store, &scopes).await, from_reports, "{name}");
        assert!(build(&*store).await >= 4, "{name}");
        assert_eq!(figures(&*store, &scopes).await, from_reports, "{name}");

        // A report received into a kept fortnight counts at once, and its part is built
        // again on the next run, alone.
        let (late, _) = receive(
            &*store,
            9,
            Seed {
                received: datetime!(2026-03-05 10:00 UTC),
                severity: None,
                weakness: None,
                product: Some(blog),
                source: ReportSource::Api,
            },
        )
        .await;
        assert_eq!(received(&figures(&*store, &scopes).await), 9, "{name}");
        assert_eq!(build(&*store).await, 1, "{name}");
        assert_eq!(received(&figures(&*store, &scopes).await), 9, "{name}");

        // Changed: closed as spam.
        use ReportState::*;
        moved(
            &*store,
            late,
            New,
            NotApplicable,
            Some("spam"),
            None,
            datetime!(2026-03-06 10:00 UTC),
        )
        .await;
        let spam = |figures: &[PeriodFigures]| figures[0].received.outcomes.spam;
        assert_eq!(spam(&figures(&*store, &scopes).await), 2, "{name}");
        assert_eq!(build(&*store).await, 1, "{name}");
        assert_eq!(spam(&figures(&*store, &scopes).await), 2, "{name}");

        // Removed: purged, and every figure is what it was before it came.
        store
            .purge_spam_report(late, &purge_entry)
            .await
            .expect("purged");
        assert_eq!(figures(&*store, &scopes).await, from_reports, "{name}");
        assert_eq!(build(&*store).await, 1, "{name}");
        assert_eq!(figures(&*store, &scopes).await, from_reports, "{name}");
    }
}
