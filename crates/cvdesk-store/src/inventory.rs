//! The product inventory and the teams that own products. A product and the team it names
//! are saved together, with the audit entry, in one transaction: a refused product
//! creates no team.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::priority::Criticality;
use cvdesk_domain::product::{ProductRoute, ProductSpec};
use cvdesk_domain::staff::{ProductId, TeamId};
use time::OffsetDateTime;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    /// Where staff notices about the team's reports go; empty for the global recipients.
    pub recipients: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub team: Option<Team>,
    pub business_context: String,
    pub criticality: Criticality,
    pub hostnames: Vec<String>,
    pub url_prefixes: Vec<String>,
    pub aliases: Vec<String>,
}

impl Product {
    pub fn route(&self) -> ProductRoute {
        ProductRoute {
            product: self.id,
            name: self.name.clone(),
            hostnames: self.hostnames.clone(),
            url_prefixes: self.url_prefixes.clone(),
            aliases: self.aliases.clone(),
        }
    }
}

#[async_trait]
pub trait InventoryStore: Send + Sync {
    async fn teams(&self) -> Result<Vec<Team>, StoreError>;

    /// Adds a product, creating its team when no team has that name yet. With
    /// `team_recipients`, the team's staff notices go to those addresses (checked by the
    /// caller) from now on; `Missing` when the product names no team. `Conflict` when the
    /// product's name is taken.
    async fn create_product(
        &self,
        spec: &ProductSpec,
        team_recipients: Option<&[String]>,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<ProductId, StoreError>;

    /// Changes a product, creating its team when new; `Missing` when there is no such
    /// product, `Conflict` when the new name is taken.
    async fn update_product(
        &self,
        id: ProductId,
        spec: &ProductSpec,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    async fn products(&self) -> Result<Vec<Product>, StoreError>;

    async fn product(&self, id: ProductId) -> Result<Option<Product>, StoreError>;
}
