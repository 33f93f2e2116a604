//! Multi-party coordination (ETSI clause 5.6.2; FIRST's multi-party guidelines): a report
//! shared with other vendors, each a participant who sees only what was chosen for them,
//! under a TLP 2.0 label, until one coordinated release instant (the embargo).
//!
//! Each participant stands on two axes that are never merged (VINCE folds them into one
//! "Unknown", which its users cannot read): `contact` (were they reached, did they answer)
//! and, per vulnerability and product, `affectedness` (not checked, under investigation,
//! affected, not affected, fixed in a version). A vendor that never answered is
//! `not_checked` and, once its deadline passes, `unresponsive`: never `not_affected`.
//! The coordinator approves what a participant states before it is published.
//!
//! Pure rules only: times and random bytes come in as arguments.

pub mod agreement;
pub mod contact;
pub mod deadlines;
pub mod embargo;
pub mod link;
pub mod log;
pub mod position;
pub mod share;
pub mod status;
pub mod tlp;

pub use agreement::{CostBearer, ServiceAgreement};
pub use contact::{ContactActor, ContactRefused, ContactStatus};
pub use deadlines::{DeadlineRules, ParticipantDeadlines};
pub use embargo::{Embargo, EmbargoError};
pub use link::{ParticipantToken, ParticipantTokenHash};
pub use log::LogKind;
pub use position::VendorPosition;
pub use share::{Share, ShareError, SharedItem};
pub use status::{Affectedness, ProductStatus, StatusInput};
