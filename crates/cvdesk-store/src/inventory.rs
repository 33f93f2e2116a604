//! The product inventory and the teams that own products.

use async_trait::async_trait;
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
    /// `Conflict` when the name is taken.
    async fn create_team(&self, name: &str, now: OffsetDateTime) -> Result<TeamId, StoreError>;

    async fn teams(&self) -> Result<Vec<Team>, StoreError>;

    /// Replaces the addresses the team's staff notices go to (checked by the caller);
    /// `Missing` when there is no such team.
    async fn set_team_recipients(
        &self,
        team: TeamId,
        recipients: &[String],
    ) -> Result<(), StoreError>;

    /// `Conflict` when the name is taken.
    async fn create_product(
        &self,
        spec: &ProductSpec,
        now: OffsetDateTime,
    ) -> Result<ProductId, StoreError>;

    async fn update_product(&self, id: ProductId, spec: &ProductSpec) -> Result<(), StoreError>;

    async fn products(&self) -> Result<Vec<Product>, StoreError>;

    async fn product(&self, id: ProductId) -> Result<Option<Product>, StoreError>;
}
