//! Triage: products, the queue's filters, search and pages, state changes with history,
//! notes and assessments.

use std::collections::BTreeSet;

use cvdesk_domain::access::ProductScope;
use cvdesk_domain::priority::{Criticality, Exploitability, Priority, PriorityOverride};
use cvdesk_domain::product::ProductSpec;
use cvdesk_domain::report::ReportState;
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{
    MailBody, MailKind, NewMail, NewReport, ReportFilter, ReportSort, Store, StoreError,
};
use time::macros::datetime;
use time::Duration;

use crate::backends::backends;
use crate::staff::triager;

pub fn spec(name: &str, hostnames: &[&str]) -> ProductSpec {
    ProductSpec {
        name: name.to_owned(),
        team: None,
        business_context: Some("customer facing".to_owned()),
        criticality: Criticality::High,
        hostnames: hostnames.iter().map(|h| (*h).to_owned()).collect(),
        url_prefixes: Vec::new(),
        aliases: vec!["Acme Shop".to_owned()],
    }
}

async fn report(
    store: &dyn Store,
    seed: u8,
    title: &str,
    summary: &str,
    severity: Option<&str>,
    product: Option<ProductId>,
) -> i64 {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some(title.to_owned()),
            summary: Some(summary.to_owned()),
            steps_to_reproduce: Some("Steps".into()),
            impact: Some("Impact".into()),
            severity: severity.map(str::to_owned),
            asset: Some("shop.example.org".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: datetime!(2026-04-01 00:00 UTC) + Duration::days(i64::from(seed)),
            tracking_token_hash: &TrackingToken::from_random_bytes([seed; 32]).hash(),
            content: &draft,
            attachments: &[],
            product,
            received_from: None,
            challenge: None,
            source: cvdesk_domain::report_source::ReportSource::Form,
        })
        .await
        .expect("stored")
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_and_teams() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-01-01 00:00 UTC);
        let mut shop = spec("Shop", &["shop.example.org", "*.shop.example.org"]);
        shop.team = Some("Web".to_owned());
        let id = store
            .create_product(&shop, None, now, &triager())
            .await
            .expect("product");
        assert!(matches!(
            store.create_product(&shop, None, now, &triager()).await,
            Err(StoreError::Conflict(_))
        ));
        let mut blog = spec("Blog", &[]);
        blog.team = Some("Web".to_owned());
        let blog = store
            .create_product(&blog, None, now, &triager())
            .await
            .expect("a second product of the same team");
        assert_eq!(store.teams().await.expect("teams").len(), 1);
        let product = store.product(id).await.expect("read").expect("found");
        assert_eq!(
            product.hostnames,
            ["shop.example.org", "*.shop.example.org"]
        );
        assert_eq!(product.team.map(|t| t.name).as_deref(), Some("Web"));
        assert_eq!(product.criticality, Criticality::High);
        shop.criticality = Criticality::Critical;
        shop.aliases.clear();
        store
            .update_product(id, &shop, now, &triager())
            .await
            .expect("updated");
        let products = store.products().await.expect("list");
        assert_eq!(products.len(), 2);
        assert_eq!(products[1].criticality, Criticality::Critical);
        assert!(products[1].aliases.is_empty(), "{}", backend.name);

        let member = crate::accounts::account(
            &*store,
            "m@example.org",
            cvdesk_domain::staff::Role::Member,
            &["Shop".to_owned()],
        )
        .await
        .expect("user");
        let user = store
            .user_by_id(member)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(
            user.products,
            BTreeSet::from([id, blog]),
            "{}: the team's products",
            backend.name
        );
        assert!(matches!(
            crate::accounts::account(
                &*store,
                "n@example.org",
                cvdesk_domain::staff::Role::Member,
                &["Nope".to_owned()],
            )
            .await,
            Err(StoreError::Missing(_))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_filters_searches_and_pages() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-01-01 00:00 UTC);
        let shop = store
            .create_product(&spec("Shop", &[]), None, now, &triager())
            .await
            .expect("product");
        let blog = store
            .create_product(&spec("Blog", &[]), None, now, &triager())
            .await
            .expect("product");
        let critical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
        let medium = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N";
        let a = report(
            &*store,
            1,
            "SQL injection in search",
            "union select",
            Some(critical),
            Some(shop),
        )
        .await;
        let b = report(
            &*store,
            2,
            "Reflected XSS in search",
            "script tag",
            Some(medium),
            Some(shop),
        )
        .await;
        let c = report(
            &*store,
            3,
            "Open redirect",
            "next parameter",
            None,
            Some(blog),
        )
        .await;
        let d = report(
            &*store,
            4,
            "Clickjacking on login",
            "no frame-ancestors",
            None,
            None,
        )
        .await;

        let ids =
            |page: cvdesk_store::ReportPage| page.items.iter().map(|r| r.id).collect::<Vec<_>>();
        let all = store
            .list_reports(&ReportFilter::default())
            .await
            .expect("list");
        assert_eq!(ids(all), [d, c, b, a], "{}: newest first", backend.name);

        let filter = ReportFilter {
            product: Some(shop),
            ..ReportFilter::default()
        };
        assert_eq!(
            ids(store.list_reports(&filter).await.expect("list")),
            [b, a]
        );
        let filter = ReportFilter {
            without_product: true,
            ..ReportFilter::default()
        };
        assert_eq!(ids(store.list_reports(&filter).await.expect("list")), [d]);
        let filter = ReportFilter {
            min_score: Some(9.0),
            ..ReportFilter::default()
        };
        assert_eq!(ids(store.list_reports(&filter).await.expect("list")), [a]);
        let filter = ReportFilter {
            sort: ReportSort::Severity,
            ..ReportFilter::default()
        };
        assert_eq!(
            ids(store.list_reports(&filter).await.expect("list")),
            [a, b, d, c]
        );

        for (text, expected) in [
            ("search", vec![b, a]),
            ("SEARCH injection", vec![a]),
            ("frame-ancestors", vec![d]),
            ("\"unbalanced OR NOT *", vec![]),
            ("next", vec![c]),
        ] {
            let filter = ReportFilter {
                text: Some(text.to_owned()),
                ..ReportFilter::default()
            };
            let found = ids(store
                .list_reports(&filter)
                .await
                .expect("search never fails"));
            assert_eq!(found, expected, "{}: search {text:?}", backend.name);
        }

        let scope = ProductScope::Only(BTreeSet::from([blog]));
        let filter = ReportFilter {
            scope,
            ..ReportFilter::default()
        };
        assert_eq!(ids(store.list_reports(&filter).await.expect("list")), [c]);
        let nothing = ReportFilter {
            scope: ProductScope::Only(BTreeSet::new()),
            ..ReportFilter::default()
        };
        assert!(store
            .list_reports(&nothing)
            .await
            .expect("list")
            .items
            .is_empty());

        let filter = ReportFilter {
            received_after: Some(datetime!(2026-04-02 12:00 UTC)),
            received_before: Some(datetime!(2026-04-04 12:00 UTC)),
            ..ReportFilter::default()
        };
        assert_eq!(
            ids(store.list_reports(&filter).await.expect("list")),
            [c, b]
        );

        for sort in [ReportSort::Newest, ReportSort::Oldest, ReportSort::Severity] {
            let mut seen = Vec::new();
            let mut filter = ReportFilter {
                sort,
                limit: 1,
                ..ReportFilter::default()
            };
            loop {
                let page = store.list_reports(&filter).await.expect("page");
                seen.extend(page.items.iter().map(|r| r.id));
                match page.next {
                    Some(next) => filter.after = Some(next),
                    None => break,
                }
            }
            let everything = ReportFilter {
                sort,
                ..ReportFilter::default()
            };
            assert_eq!(
                seen,
                ids(store.list_reports(&everything).await.expect("list")),
                "{}: {sort:?}",
                backend.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transitions_notes_and_assessments_leave_history() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-06-01 09:00 UTC);
        let id = report(&*store, 9, "IDOR on invoices", "change the id", None, None).await;
        let to_triaged = Transition {
            from: ReportState::New,
            to: ReportState::Triaged,
            reason: None,
            duplicate_of: None,
        };
        store
            .set_needs_info(id, true, &triager(), &[], now)
            .await
            .expect("flag");
        store
            .transition_report(id, &to_triaged, &triager(), &[triaged_mail(id)], now)
            .await
            .expect("moved");
        let again = store
            .transition_report(id, &to_triaged, &triager(), &[triaged_mail(id)], now)
            .await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{}: stale transition",
            backend.name
        );
        let queued: Vec<MailKind> = store
            .recent_mail(10)
            .await
            .expect("outbox")
            .iter()
            .map(|entry| entry.kind)
            .collect();
        assert_eq!(
            queued,
            [MailKind::FinderTriaged],
            "{}: mail with the move, none with the refused one",
            backend.name
        );

        let override_ = PriorityOverride {
            priority: Priority::P1,
            reason: "public exploit".into(),
        };
        store
            .set_assessment(
                id,
                Some(Exploitability::Functional),
                Some(&override_),
                &triager(),
                now,
            )
            .await
            .expect("assessed");
        let close = Transition {
            from: ReportState::Triaged,
            to: ReportState::Informative,
            reason: Some("by design".into()),
            duplicate_of: None,
        };
        store
            .transition_report(id, &close, &triager(), &[], now)
            .await
            .expect("closed");
        let note = store
            .add_note(id, "talked to the team", &triager(), now)
            .await
            .expect("note");

        let stored = store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([9; 32]).hash())
            .await
            .expect("read")
            .expect("found");
        assert_eq!(stored.state, ReportState::Informative);
        assert!(
            !stored.needs_info,
            "{}: closing clears needs-info",
            backend.name
        );
        assert_eq!(
            stored.triage.exploitability,
            Some(Exploitability::Functional)
        );
        assert_eq!(stored.triage.priority_override, Some(override_));

        let notes = store.notes(id).await.expect("notes");
        assert_eq!(
            (notes[0].id, notes[0].body.as_str()),
            (note, "talked to the team")
        );
        let events = store.report_events(id).await.expect("events");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["needs_info.set", "transition", "assessment", "transition"]
        );
        assert_eq!(events[3].to_state, Some(ReportState::Informative));
        assert_eq!(events[3].detail, "by design");
        assert_eq!(events[3].actor_label, "triager@example.org");

        let other = report(
            &*store,
            10,
            "IDOR on invoices again",
            "change the id",
            None,
            None,
        )
        .await;
        let comparable = store
            .comparable_reports(other, Some("shop.example.org"), 10)
            .await
            .expect("list");
        assert_eq!(
            comparable.iter().map(|c| c.id).collect::<Vec<_>>(),
            [id],
            "{}",
            backend.name
        );
        let later = store
            .comparable_reports(id, Some("shop.example.org"), 10)
            .await
            .expect("list");
        assert!(
            later.is_empty(),
            "{}: only earlier reports are compared",
            backend.name
        );
    }
}

fn triaged_mail(report_id: i64) -> NewMail {
    NewMail {
        kind: MailKind::FinderTriaged,
        report_id: Some(report_id),
        recipient: "ada@example.org".into(),
        subject: "Triage is done".into(),
        body: MailBody::Plain("There is news.".into()),
    }
}
