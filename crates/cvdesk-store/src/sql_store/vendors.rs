//! The vendor directory's rows; lists are stored as JSON arrays.

use async_trait::async_trait;
use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::vendor::{VendorContact, VendorDetails, VendorId};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::audit::{append_audit_in, AuditRow};
use super::{SqlStore, StoredTime};
use crate::vendors::{Vendor, VendorStore};
use crate::{AuditOf, StoreError};

const COLUMNS: &str = "SELECT id, name, domains, contacts, pgp_key, policy_url, languages, \
     notes, created_at, updated_at FROM vendors";

#[derive(FromRow)]
pub struct VendorRow {
    id: i64,
    name: String,
    domains: String,
    contacts: String,
    pgp_key: Option<String>,
    policy_url: Option<String>,
    languages: String,
    notes: Option<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl VendorRow {
    fn into_vendor(self) -> Result<Vendor, StoreError> {
        let corrupt = |what: &str, error: serde_json::Error| {
            StoreError::Corrupt(format!("vendor {} {what}: {error}", self.id))
        };
        let domains: Vec<String> =
            serde_json::from_str(&self.domains).map_err(|e| corrupt("domains", e))?;
        let contacts: Vec<VendorContact> =
            serde_json::from_str(&self.contacts).map_err(|e| corrupt("contacts", e))?;
        let languages: Vec<String> =
            serde_json::from_str(&self.languages).map_err(|e| corrupt("languages", e))?;
        Ok(Vendor {
            id: VendorId(self.id),
            details: VendorDetails {
                name: self.name,
                domains,
                contacts,
                pgp_key: self.pgp_key,
                policy_url: self.policy_url,
                languages,
                notes: self.notes,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The JSON columns of `details`.
fn lists(details: &VendorDetails) -> Result<(String, String, String), StoreError> {
    let json = |value: serde_json::Result<String>| {
        value.map_err(|e| StoreError::Corrupt(format!("vendor lists: {e}")))
    };
    Ok((
        json(serde_json::to_string(&details.domains))?,
        json(serde_json::to_string(&details.contacts))?,
        json(serde_json::to_string(&details.languages))?,
    ))
}

#[async_trait]
impl<DB> VendorStore for SqlStore<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> StoredTime: Encode<'q, DB> + Type<DB>,
    for<'q> OffsetDateTime: Decode<'q, DB> + Type<DB>,
    for<'r> VendorRow: FromRow<'r, DB::Row>,
    for<'r> AuditRow: FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_vendor(
        &self,
        details: &VendorDetails,
        audit: &AuditOf<'_, VendorId>,
        now: OffsetDateTime,
    ) -> Result<Vendor, StoreError> {
        let (domains, contacts, languages) = lists(details)?;
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO vendors (name, domains, contacts, pgp_key, policy_url, languages, \
             notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             RETURNING id",
        )
        .bind(details.name.as_str())
        .bind(domains.as_str())
        .bind(contacts.as_str())
        .bind(details.pgp_key.as_deref())
        .bind(details.policy_url.as_deref())
        .bind(languages.as_str())
        .bind(details.notes.as_deref())
        .bind(StoredTime(now))
        .fetch_one(&mut *tx)
        .await?;
        append_audit_in::<DB>(&mut tx, &audit(&VendorId(id))).await?;
        tx.commit().await?;
        Ok(Vendor {
            id: VendorId(id),
            details: details.clone(),
            created_at: now,
            updated_at: now,
        })
    }

    async fn update_vendor(
        &self,
        id: VendorId,
        details: &VendorDetails,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> Result<Option<Vendor>, StoreError> {
        let (domains, contacts, languages) = lists(details)?;
        let mut tx = self.writer.begin().await?;
        let updated: Option<OffsetDateTime> = sqlx::query_scalar(
            "UPDATE vendors SET name = $2, domains = $3, contacts = $4, pgp_key = $5, \
             policy_url = $6, languages = $7, notes = $8, updated_at = $9 WHERE id = $1 \
             RETURNING created_at",
        )
        .bind(id.0)
        .bind(details.name.as_str())
        .bind(domains.as_str())
        .bind(contacts.as_str())
        .bind(details.pgp_key.as_deref())
        .bind(details.policy_url.as_deref())
        .bind(languages.as_str())
        .bind(details.notes.as_deref())
        .bind(StoredTime(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(created_at) = updated else {
            return Ok(None);
        };
        append_audit_in::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Some(Vendor {
            id,
            details: details.clone(),
            created_at,
            updated_at: now,
        }))
    }

    async fn vendor(&self, id: VendorId) -> Result<Option<Vendor>, StoreError> {
        let row: Option<VendorRow> = sqlx::query_as(&format!("{COLUMNS} WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.readers)
            .await?;
        row.map(VendorRow::into_vendor).transpose()
    }

    async fn vendors(&self) -> Result<Vec<Vendor>, StoreError> {
        let rows: Vec<VendorRow> = sqlx::query_as(&format!("{COLUMNS} ORDER BY name, id"))
            .fetch_all(&self.readers)
            .await?;
        rows.into_iter().map(VendorRow::into_vendor).collect()
    }
}
