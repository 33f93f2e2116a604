//! Appeals: filed once, only against informative, duplicate and not-applicable outcomes,
//! with the closer noted and the staff notice queued with it; decided once, a reopening
//! moving the report back to triaged; nothing happens when the audit entry cannot be
//! written.

use cvdesk_domain::appeal::{AppealOutcome, Decision};
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::report::ReportState;
use cvdesk_domain::staff::{Role, UserId};
use cvdesk_domain::workflow::Transition;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::{
    MailBody, MailKind, NewAccount, NewAppeal, NewMail, NewReport, Store, StoreError,
};
use time::macros::datetime;

use crate::backends::backends;
use crate::staff::triager;

async fn account(store: &dyn Store, email: &str) -> UserId {
    store
        .create_account(
            &NewAccount {
                email,
                role: Role::Triager,
                products: &[],
                password_link_hash: &format!("link-{email}"),
                password_link_expires_at: datetime!(2026-12-01 00:00 UTC),
                created_at: datetime!(2026-01-01 00:00 UTC),
            },
            &triager(),
        )
        .await
        .expect("account")
}

async fn report(store: &dyn Store, seed: u8) -> i64 {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some(format!("Report {seed}")),
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
            received_at: datetime!(2026-04-01 00:00 UTC),
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

fn by(user: UserId) -> AuditEvent {
    let mut event = triager();
    event.actor = Some(user);
    event
}

fn notice(report_id: i64) -> NewMail {
    NewMail {
        kind: MailKind::StaffAppealFiled,
        report_id: Some(report_id),
        recipient: "security@example.org".into(),
        subject: "[CVD] The finder contested the outcome".into(),
        body: MailBody::Plain("Read the report".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appeal_is_filed_once_and_decided_once() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let closer = account(&*store, "closer@example.org").await;
        let id = report(&*store, 1).await;
        let at = datetime!(2026-05-01 10:00 UTC);
        let mail = [notice(id)];
        let appeal = |reason| NewAppeal {
            report_id: id,
            reason,
            at,
            staff_mail: &mail,
        };
        assert!(
            matches!(
                store.file_appeal(appeal("early"), &triager()).await,
                Err(StoreError::Conflict(_))
            ),
            "{name}: an open report cannot be appealed"
        );
        let close = Transition {
            from: ReportState::New,
            to: ReportState::Informative,
            reason: Some("Expected behaviour".into()),
            duplicate_of: None,
        };
        store
            .transition_report(
                id,
                &close,
                &by(closer),
                &[],
                datetime!(2026-04-20 00:00 UTC),
            )
            .await
            .expect("closed");
        store
            .file_appeal(appeal("It leaks tokens"), &triager())
            .await
            .expect("filed");
        assert!(
            matches!(
                store.file_appeal(appeal("again"), &triager()).await,
                Err(StoreError::Conflict(_))
            ),
            "{name}: once"
        );
        let filed = store.appeal(id).await.expect("read").expect("filed");
        assert_eq!(filed.reason, "It leaks tokens", "{name}");
        assert_eq!(filed.contested_state, ReportState::Informative, "{name}");
        assert_eq!(filed.closed_by, Some(closer), "{name}: the closer is noted");
        assert!(filed.is_open(), "{name}");
        let queued = store.recent_mail(10).await.expect("outbox");
        assert!(
            queued
                .iter()
                .any(|mail| mail.kind == MailKind::StaffAppealFiled && mail.report_id == Some(id)),
            "{name}: the staff notice is queued with the appeal"
        );

        let decider = account(&*store, "decider@example.org").await;
        let reopen = Decision {
            outcome: AppealOutcome::Reopened,
            reason: None,
        };
        store
            .decide_appeal(
                id,
                &reopen,
                decider,
                datetime!(2026-05-02 09:00 UTC),
                &by(decider),
            )
            .await
            .expect("decided");
        let hash = TrackingToken::from_random_bytes([1; 32]).hash();
        let reopened = store
            .report_by_tracking_token(&hash)
            .await
            .expect("read")
            .expect("there");
        assert_eq!(
            reopened.state,
            ReportState::Triaged,
            "{name}: back to triaged"
        );
        let decided = store.appeal(id).await.expect("read").expect("there");
        assert_eq!(decided.decision, Some(reopen.clone()), "{name}");
        assert_eq!(decided.decided_by, Some(decider), "{name}");
        assert!(
            matches!(
                store
                    .decide_appeal(
                        id,
                        &reopen,
                        decider,
                        datetime!(2026-05-03 09:00 UTC),
                        &by(decider)
                    )
                    .await,
                Err(StoreError::Conflict(_))
            ),
            "{name}: decided once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_outcome_keeps_the_report_closed_and_a_failed_audit_changes_nothing() {
    for backend in backends().await {
        let name = backend.name;
        let store = backend.open().await;
        let id = report(&*store, 2).await;
        let close = Transition {
            from: ReportState::New,
            to: ReportState::NotApplicable,
            reason: Some("Out of scope".into()),
            duplicate_of: None,
        };
        store
            .transition_report(id, &close, &triager(), &[], datetime!(2026-04-20 00:00 UTC))
            .await
            .expect("closed");
        let at = datetime!(2026-05-01 10:00 UTC);
        store
            .file_appeal(
                NewAppeal {
                    report_id: id,
                    reason: "In scope",
                    at,
                    staff_mail: &[],
                },
                &triager(),
            )
            .await
            .expect("filed");
        assert_eq!(
            store
                .appeal(id)
                .await
                .expect("read")
                .expect("filed")
                .closed_by,
            None,
            "{name}"
        );

        let decider = account(&*store, "decider@example.org").await;
        store.append_audit(triager()).await.expect("an entry");
        backend
            .execute_behind_the_store(
                "DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log)",
            )
            .await;
        let reopen = Decision {
            outcome: AppealOutcome::Reopened,
            reason: None,
        };
        let refused = store
            .decide_appeal(id, &reopen, decider, at, &triager())
            .await;
        assert!(
            matches!(refused, Err(StoreError::Corrupt(_))),
            "{name}: {refused:?}"
        );
        assert!(
            store
                .appeal(id)
                .await
                .expect("read")
                .expect("there")
                .is_open(),
            "{name}"
        );
        let hash = TrackingToken::from_random_bytes([2; 32]).hash();
        let report = store
            .report_by_tracking_token(&hash)
            .await
            .expect("read")
            .expect("there");
        assert_eq!(
            report.state,
            ReportState::NotApplicable,
            "{name}: nothing moved"
        );
    }
}
