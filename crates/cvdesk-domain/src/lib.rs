//! The rules of coordinated vulnerability disclosure. Pure: no I/O, no clock, no
//! randomness of its own. Time and random bytes come in as arguments so every rule can be
//! tested with fixed values.

pub mod access;
pub mod advisory;
pub mod appeal;
pub mod attachment;
pub mod audit;
pub mod challenge;
pub mod coordination;
pub mod draft;
pub mod finder_points;
pub mod finding;
pub mod insights;
pub mod limits;
pub mod message;
pub mod outbound;
pub mod policy;
pub mod priority;
pub mod product;
pub mod reference;
pub mod reply_address;
pub mod report;
pub mod report_field;
pub mod report_source;
pub mod report_state;
pub mod retention;
pub mod root_cause;
pub mod root_cause_analysis;
pub mod secret;
pub mod severity;
pub mod sign_in;
pub mod similarity;
pub mod sla;
pub mod spam;
pub mod staff;
pub mod third_party;
pub mod totp;
pub mod tracking;
pub mod vendor;
pub mod workflow;

pub use attachment::{AttachmentLimits, AttachmentName};
pub use draft::{Contact, Field, FieldErrors, ReportDraft, ReportInput, TextLimits};
pub use reference::{Reference, ReferencePrefix};
pub use report_state::ReportState;
pub use severity::Severity;
pub use tracking::{TrackingToken, TrackingTokenHash};
