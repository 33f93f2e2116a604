//! Reminders to staff: an assigned report's update times come from its history, each
//! reminder is queued once per report, kind and due instant however often it is asked
//! for (also at once), and a team's notice addresses are kept with the team.

use cvdesk_domain::report::ReportState;
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{MailBody, MailKind, NewMail, NewReport, Store, StoreError};
use time::macros::datetime;
use time::Duration;

use crate::backends::backends;
use crate::staff::triager;

async fn report(store: &dyn Store, seed: u8) -> i64 {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some("Open redirect".into()),
            summary: Some("Summary".into()),
            steps_to_reproduce: Some("Steps".into()),
            impact: Some("Impact".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: datetime!(2026-05-04 09:00 UTC),
            tracking_token_hash: &TrackingToken::from_random_bytes([seed; 32]).hash(),
            content: &draft,
            attachments: &[],
            product: None,
            received_from: None,
            challenge: None,
            source: cvdesk_domain::report_source::ReportSource::Form,
        })
        .await
        .expect("stored")
        .id
}

fn reminder_mail(report_id: i64, recipient: &str) -> NewMail {
    NewMail {
        kind: MailKind::StaffDeadlineReminder,
        report_id: Some(report_id),
        recipient: recipient.into(),
        subject: "Triage deadline at risk".into(),
        body: MailBody::Plain("Triage is due soon.".into()),
    }
}

async fn reminders_queued(store: &dyn Store) -> usize {
    store
        .recent_mail(100)
        .await
        .expect("outbox")
        .iter()
        .filter(|mail| mail.kind == MailKind::StaffDeadlineReminder)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_reminder_is_queued_once_per_due_instant() {
    for backend in backends().await {
        let store = backend.open().await;
        let id = report(&*store, 1).await;
        let due_at = datetime!(2026-05-16 00:00 UTC);
        let now = datetime!(2026-05-15 08:00 UTC);
        let mail = [
            reminder_mail(id, "web@example.org"),
            reminder_mail(id, "lead@example.org"),
        ];
        assert!(
            store
                .queue_reminder(id, "triage", due_at, &mail, now)
                .await
                .expect("queued"),
            "{}",
            backend.name
        );
        assert_eq!(reminders_queued(&*store).await, 2, "{}", backend.name);
        // A later look, or a restart, finds the reminder sent, also when the instant
        // arrives in another offset or with a fraction of a second.
        for (again_due, again_now) in [
            (due_at, now + Duration::minutes(1)),
            (
                datetime!(2026-05-16 02:00 +02:00),
                now + Duration::minutes(2),
            ),
            (
                due_at + Duration::milliseconds(250),
                now + Duration::hours(1),
            ),
        ] {
            assert!(
                !store
                    .queue_reminder(id, "triage", again_due, &mail, again_now)
                    .await
                    .expect("asked"),
                "{}",
                backend.name
            );
        }
        assert_eq!(reminders_queued(&*store).await, 2, "{}", backend.name);

        // Instances asking at the same moment: one of them queues it.
        let racers: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                let mail = [reminder_mail(id, "web@example.org")];
                tokio::spawn(async move {
                    store
                        .queue_reminder(id, "fix", due_at, &mail, now)
                        .await
                        .expect("asked")
                })
            })
            .collect();
        let mut winners = 0;
        for racer in racers {
            winners += usize::from(racer.await.expect("joined"));
        }
        assert_eq!(winners, 1, "{}", backend.name);
        assert_eq!(reminders_queued(&*store).await, 3, "{}", backend.name);

        // Another due instant, another reminder kind or another report: a new reminder.
        let other = report(&*store, 2).await;
        for (report_id, reminder, due) in [
            (id, "triage", due_at + Duration::days(14)),
            (id, "first_response", due_at),
            (other, "triage", due_at),
        ] {
            assert!(
                store
                    .queue_reminder(
                        report_id,
                        reminder,
                        due,
                        &[reminder_mail(report_id, "x@example.org")],
                        now
                    )
                    .await
                    .expect("queued"),
                "{} {reminder}",
                backend.name
            );
        }
        assert_eq!(reminders_queued(&*store).await, 6, "{}", backend.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_times_follow_the_assignment_and_the_last_message() {
    for backend in backends().await {
        let store = backend.open().await;
        let id = report(&*store, 3).await;
        let waiting = report(&*store, 4).await;
        let step = |from, to| Transition {
            from,
            to,
            reason: None,
            duplicate_of: None,
        };
        let triaged_at = datetime!(2026-05-05 10:00 UTC);
        let assigned_at = datetime!(2026-05-06 10:00 UTC);
        store
            .transition_report(
                id,
                &step(ReportState::New, ReportState::Triaged),
                &triager(),
                &[],
                triaged_at,
            )
            .await
            .expect("triaged");
        assert_eq!(store.update_times(10).await.expect("times"), []);
        store
            .transition_report(
                id,
                &step(ReportState::Triaged, ReportState::Assigned),
                &triager(),
                &[],
                assigned_at,
            )
            .await
            .expect("assigned");
        let times = store.update_times(10).await.expect("times");
        assert_eq!(times.len(), 1, "{}", backend.name);
        assert_eq!(times[0].report_id, id);
        assert_eq!(times[0].assigned_at, Some(assigned_at), "{}", backend.name);
        assert_eq!(times[0].last_update_at, None, "{}", backend.name);

        let written_at = datetime!(2026-05-12 15:30 UTC);
        store
            .add_staff_message(id, "We are on it.", &triager(), &[], written_at)
            .await
            .expect("written");
        let times = store.update_times(10).await.expect("times");
        assert_eq!(
            times[0].last_update_at,
            Some(written_at),
            "{}",
            backend.name
        );
        assert!(times.iter().all(|t| t.report_id != waiting));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_keeps_its_notice_addresses() {
    for backend in backends().await {
        let store = backend.open().await;
        let now = datetime!(2026-05-04 09:00 UTC);
        let product = |name: &str, team: Option<&str>| cvdesk_domain::product::ProductSpec {
            name: name.to_owned(),
            team: team.map(str::to_owned),
            business_context: None,
            criticality: cvdesk_domain::priority::Criticality::Medium,
            hostnames: Vec::new(),
            url_prefixes: Vec::new(),
            aliases: Vec::new(),
        };
        store
            .create_product(
                &product("Checkout", Some("Payments")),
                None,
                now,
                &triager(),
            )
            .await
            .expect("product");
        let listed = store.teams().await.expect("teams");
        assert!(listed[0].recipients.is_empty(), "{}", backend.name);
        let addresses = [
            "pay-sec@example.org".to_owned(),
            "oncall@example.org".to_owned(),
        ];
        store
            .create_product(
                &product("Wallet", Some("Payments")),
                Some(&addresses),
                now,
                &triager(),
            )
            .await
            .expect("set");
        let listed = store.teams().await.expect("teams");
        assert_eq!(listed[0].recipients, addresses, "{}", backend.name);
        assert!(matches!(
            store
                .create_product(&product("Loose", None), Some(&addresses), now, &triager())
                .await,
            Err(StoreError::Missing(_))
        ));
        assert_eq!(store.products().await.expect("list").len(), 2);
    }
}
