//! The staff member whose changes the stories make, with the audit entry each change
//! writes in its own transaction.

use cvdesk_domain::audit::AuditEvent;
use time::macros::datetime;

pub fn triager() -> AuditEvent {
    AuditEvent {
        at: datetime!(2026-03-01 09:00 UTC),
        actor: None,
        actor_label: "triager@example.org".to_owned(),
        action: "report.change".to_owned(),
        subject: None,
        detail: String::new(),
    }
}
