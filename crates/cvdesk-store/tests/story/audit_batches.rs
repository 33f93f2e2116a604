//! Verifying the audit chain a batch at a time gives the answer verifying it whole gives,
//! wherever the batches fall.

use cvdesk_domain::audit::{AuditEvent, ChainBreak};
use time::macros::datetime;

use crate::backends::backends;

fn event(n: i64) -> AuditEvent {
    AuditEvent {
        at: datetime!(2026-07-01 12:00 UTC),
        actor: None,
        actor_label: "cli".to_owned(),
        action: "user.create".to_owned(),
        subject: Some(format!("user{n}@example.org")),
        detail: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_is_verified_in_batches() {
    for backend in backends().await {
        let store = backend.open().await;
        for n in 1..=7 {
            store.append_audit(event(n)).await.expect("appended");
        }
        for batch in [1, 2, 3, 7, 100] {
            let verified = store
                .verify_audit_chain(batch)
                .await
                .expect("read")
                .expect("intact");
            assert_eq!(verified.count, 7, "{}: batches of {batch}", backend.name);
        }
        backend
            .execute_behind_the_store("UPDATE audit_log SET detail = 'x' WHERE sequence = 5")
            .await;
        for batch in [1, 2, 4, 100] {
            assert_eq!(
                store.verify_audit_chain(batch).await.expect("read"),
                Err(ChainBreak::Changed { sequence: 5 }),
                "{}: batches of {batch}",
                backend.name
            );
        }
        backend
            .execute_behind_the_store("DELETE FROM audit_log WHERE sequence >= 5")
            .await;
        assert_eq!(
            store.verify_audit_chain(2).await.expect("read"),
            Err(ChainBreak::Truncated {
                sequence: 5,
                count: 4,
                recorded: 7
            }),
            "{}: the head still counts what was removed",
            backend.name
        );
    }
}
