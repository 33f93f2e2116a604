//! The vendor directory: the parties the desk contacts, shared by outbound cases and
//! everything else that reaches out.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::vendor::{VendorDetails, VendorId};
use time::OffsetDateTime;

use crate::{AuditOf, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    pub id: VendorId,
    pub details: VendorDetails,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[async_trait]
pub trait VendorStore: Send + Sync {
    /// Stores a new vendor; the audit entry `audit` writes for its id is appended in the
    /// same transaction.
    async fn create_vendor(
        &self,
        details: &VendorDetails,
        audit: &AuditOf<'_, VendorId>,
        now: OffsetDateTime,
    ) -> Result<Vendor, StoreError>;

    /// Replaces a vendor's details; `None` when there is no such vendor (nothing is
    /// recorded then).
    async fn update_vendor(
        &self,
        id: VendorId,
        details: &VendorDetails,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<Option<Vendor>, StoreError>;

    async fn vendor(&self, id: VendorId) -> Result<Option<Vendor>, StoreError>;

    /// Every vendor, by name.
    async fn vendors(&self) -> Result<Vec<Vendor>, StoreError>;
}
