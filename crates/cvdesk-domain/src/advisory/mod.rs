//! Security advisories (ETSI clauses 5.5.3–5.5.5): their ids, content and its rules, life
//! cycle, immutable revisions and the readable diff between them, credits with the
//! finder's consent, and the documents a published revision becomes (CSAF 2.0, CVE JSON
//! 5.2, OSV, Atom).

pub mod content;
pub mod credit;
pub mod diff;
pub mod export;
mod id;
pub mod lifecycle;
pub mod revision;
pub mod versions;

pub use crate::sla::{ScheduleError, ScheduleZone};
pub use content::{AdvisoryContent, AdvisoryFieldErrors, AdvisoryInput};
pub use credit::{Consent, Credit, CreditRole, CreditText, PublishedCredit};
pub use diff::{diff, FieldChange};
pub use id::{AdvisoryId, AdvisoryIdError};
pub use lifecycle::{AdvisoryAction, AdvisoryState, TransitionError};
pub use revision::{Revision, RevisionError, RevisionHistory};
pub use versions::VersionSpec;
