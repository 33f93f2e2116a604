//! A report as it lives in the desk once accepted: its reference, its state and what the
//! finder sent.

use serde::Serialize;
use time::OffsetDateTime;

use crate::draft::ReportDraft;
use crate::priority::{Exploitability, PriorityOverride};
use crate::reference::Reference;
use crate::staff::ProductId;

// The state and the severity have modules of their own, so the rules that use them need
// not depend on the report; they are still reached through it.
pub use crate::report_state::{ReportState, UnknownState};
pub use crate::severity::Severity;

/// Metadata of one supporting file; the bytes live in the store's blob area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentMeta {
    pub id: i64,
    pub file_name: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// What triage added to a report: where it belongs and how urgent it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Triage {
    pub product: Option<ProductId>,
    pub duplicate_of: Option<Reference>,
    pub exploitability: Option<Exploitability>,
    pub priority_override: Option<PriorityOverride>,
}

/// An accepted report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: i64,
    pub reference: Reference,
    pub state: ReportState,
    pub needs_info: bool,
    pub created_at: OffsetDateTime,
    pub content: ReportDraft,
    pub attachments: Vec<AttachmentMeta>,
    pub triage: Triage,
    /// The address the report was sent from (IPv4, or an IPv6 /64), when known.
    pub received_from: Option<String>,
}
