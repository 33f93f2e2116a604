//! The audit log: concurrent appends form one chain that verifies against its head.

use std::sync::Arc;

use cvdesk_domain::audit::{self, AuditEvent};
use cvdesk_domain::staff::UserId;
use time::macros::datetime;

use crate::backends::backends;

fn event(n: i64) -> AuditEvent {
    AuditEvent {
        at: datetime!(2026-07-01 12:00:00.123456789 UTC),
        actor: (n % 2 == 0).then_some(UserId(n)),
        actor_label: format!("user{n}@example.org"),
        action: "report.view".to_owned(),
        subject: Some(format!("CVD-2026-{n:04}")),
        detail: format!("{{\"n\":{n}}}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_form_one_verifiable_chain() {
    for backend in backends().await {
        let store = backend.open().await;
        let head = store.audit_head().await.expect("head");
        assert_eq!(head.count, 0);
        assert_eq!(head.last_hash, audit::GENESIS_HASH);

        let tasks: Vec<_> = (1..=40)
            .map(|n| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.append_audit(event(n)).await.expect("appended") })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
        let head = store.audit_head().await.expect("head");
        assert_eq!(head.count, 40, "{}", backend.name);

        let mut entries = Vec::new();
        let mut after = 0;
        loop {
            let page = store.audit_entries_after(after, 15).await.expect("page");
            let Some(last) = page.last() else { break };
            after = last.sequence;
            entries.extend(page);
        }
        let verified = audit::verify_against(entries, Some((head.count, &head.last_hash)))
            .unwrap_or_else(|e| panic!("{}: {e}", backend.name));
        assert_eq!(verified.count, 40);

        let newest = store.audit_entries_before(None, 5).await.expect("newest");
        let sequences: Vec<i64> = newest.iter().map(|e| e.sequence).collect();
        assert_eq!(sequences, [40, 39, 38, 37, 36], "{}", backend.name);
        let older = store.audit_entries_before(Some(3), 5).await.expect("older");
        assert_eq!(older.iter().map(|e| e.sequence).collect::<Vec<_>>(), [2, 1]);
    }
}
