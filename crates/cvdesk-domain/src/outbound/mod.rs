//! Outbound disclosure: the researcher's side. A case is one vulnerability disclosed to one
//! vendor under the researcher's published policy: the initial inquiry with items a–k of
//! the policy's appendix, the deadlines counted from the date of reporting, the log of
//! everything that happened, and the write-up published when the fix ships or a deadline
//! is missed.

pub mod deadlines;
pub mod form;
pub mod id;
pub mod inquiry;
pub mod log;
pub mod publication;
pub mod state;

pub use deadlines::{AgreedDate, DeadlineRules, Deadlines, Preset};
pub use form::{CaseForm, CaseInput, CveRequest, FormErrors};
pub use id::CaseId;
pub use inquiry::{Inquiry, Researcher};
pub use log::{Channel, LogEntry, LogKind};
pub use publication::{may_publish, PublishReason};
pub use state::CaseState;
