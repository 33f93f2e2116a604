//! Teams and products. Lists (host names, URL prefixes, aliases) are stored one a line.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::product::ProductSpec;
use cvdesk_domain::staff::{ProductId, TeamId};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::{SqlStore, StoredTime};
use crate::inventory::{InventoryStore, Product, Team};
use crate::StoreError;

const PRODUCT_COLUMNS: &str = "SELECT p.id, p.name, p.team_id, t.name AS team_name, \
     t.recipients AS team_recipients, \
     p.business_context, p.criticality, p.hostnames, p.url_prefixes, p.aliases \
     FROM products p LEFT JOIN teams t ON t.id = p.team_id";

#[derive(FromRow)]
pub struct ProductRow {
    id: i64,
    name: String,
    team_id: Option<i64>,
    team_name: Option<String>,
    team_recipients: Option<String>,
    business_context: String,
    criticality: String,
    hostnames: String,
    url_prefixes: String,
    aliases: String,
}

#[derive(FromRow)]
pub struct TeamRow {
    id: i64,
    name: String,
    recipients: String,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

impl TryFrom<ProductRow> for Product {
    type Error = StoreError;

    fn try_from(row: ProductRow) -> Result<Self, StoreError> {
        Ok(Product {
            id: ProductId(row.id),
            team: match (row.team_id, row.team_name) {
                (Some(id), Some(name)) => Some(Team {
                    id: TeamId(id),
                    name,
                    recipients: lines(row.team_recipients.as_deref().unwrap_or_default()),
                }),
                _ => None,
            },
            criticality: row
                .criticality
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("product {}: {e}", row.id)))?,
            hostnames: lines(&row.hostnames),
            url_prefixes: lines(&row.url_prefixes),
            aliases: lines(&row.aliases),
            name: row.name,
            business_context: row.business_context,
        })
    }
}

#[async_trait]
impl<DB> InventoryStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'r> ProductRow: FromRow<'r, DB::Row>,
    for<'r> TeamRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        let rows: Vec<TeamRow> =
            sqlx::query_as("SELECT id, name, recipients FROM teams ORDER BY name")
                .fetch_all(&self.readers)
                .await?;
        Ok(rows
            .into_iter()
            .map(|row| Team {
                id: TeamId(row.id),
                recipients: lines(&row.recipients),
                name: row.name,
            })
            .collect())
    }

    async fn create_product(
        &self,
        spec: &ProductSpec,
        team_recipients: Option<&[String]>,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<ProductId, StoreError> {
        let mut tx = self.writer.begin().await?;
        let team = team_named(&mut tx, spec.team.as_deref(), now).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO products (name, team_id, business_context, criticality, hostnames, \
             url_prefixes, aliases, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id",
        )
        .bind(spec.name.as_str())
        .bind(team)
        .bind(spec.business_context.clone().unwrap_or_default())
        .bind(spec.criticality.as_str())
        .bind(spec.hostnames.join("\n"))
        .bind(spec.url_prefixes.join("\n"))
        .bind(spec.aliases.join("\n"))
        .bind(StoredTime(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| name_taken(e, spec))?;
        if let Some(recipients) = team_recipients {
            let Some(team) = team else {
                return Err(StoreError::Missing(format!(
                    "product {:?} has no owning team to send notices to",
                    spec.name
                )));
            };
            sqlx::query("UPDATE teams SET recipients = $2 WHERE id = $1")
                .bind(team)
                .bind(recipients.join("\n"))
                .execute(&mut *tx)
                .await?;
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(ProductId(id))
    }

    async fn update_product(
        &self,
        id: ProductId,
        spec: &ProductSpec,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let team = team_named(&mut tx, spec.team.as_deref(), now).await?;
        let updated: Option<i64> = sqlx::query_scalar(
            "UPDATE products SET name = $2, team_id = $3, business_context = $4, \
             criticality = $5, hostnames = $6, url_prefixes = $7, aliases = $8 \
             WHERE id = $1 RETURNING id",
        )
        .bind(id.0)
        .bind(spec.name.as_str())
        .bind(team)
        .bind(spec.business_context.clone().unwrap_or_default())
        .bind(spec.criticality.as_str())
        .bind(spec.hostnames.join("\n"))
        .bind(spec.url_prefixes.join("\n"))
        .bind(spec.aliases.join("\n"))
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| name_taken(e, spec))?;
        if updated.is_none() {
            return Err(StoreError::Missing(format!("there is no product {}", id.0)));
        }
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn products(&self) -> Result<Vec<Product>, StoreError> {
        let rows: Vec<ProductRow> = sqlx::query_as(&format!("{PRODUCT_COLUMNS} ORDER BY p.name"))
            .fetch_all(&self.readers)
            .await?;
        rows.into_iter().map(Product::try_from).collect()
    }

    async fn product(&self, id: ProductId) -> Result<Option<Product>, StoreError> {
        let row: Option<ProductRow> = sqlx::query_as(&format!("{PRODUCT_COLUMNS} WHERE p.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.readers)
            .await?;
        row.map(Product::try_from).transpose()
    }
}

fn name_taken(error: sqlx::Error, spec: &ProductSpec) -> StoreError {
    StoreError::conflict_on_unique(
        error,
        format!("a product named {:?} exists already", spec.name),
    )
}

/// The id of the team named `name`, created in the caller's transaction when no team has
/// that name yet.
async fn team_named<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    name: Option<&str>,
    now: OffsetDateTime,
) -> Result<Option<i64>, StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Decode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let Some(name) = name else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO teams (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(StoredTime(now))
    .execute(&mut **tx)
    .await?;
    let id: i64 = sqlx::query_scalar("SELECT id FROM teams WHERE name = $1")
        .bind(name)
        .fetch_one(&mut **tx)
        .await?;
    Ok(Some(id))
}
