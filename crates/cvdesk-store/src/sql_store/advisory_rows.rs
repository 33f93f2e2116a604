//! The rows the advisory tables give back, and how they become the store's types. Stored
//! JSON is read through the domain's own checks, so a damaged row is reported as corrupt
//! rather than shown.

use cvdesk_domain::advisory::credit::{CreditText, PublishedCredit};
use cvdesk_domain::advisory::{
    AdvisoryContent, AdvisoryId, AdvisoryState, Consent, Credit, CreditRole, Revision,
    RevisionHistory,
};
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::{Reference, ReferencePrefix};
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::advisories::{
    Advisory, AdvisorySummary, PublishedSummary, Schedule, StoredCredit, Withdrawal,
};
use crate::StoreError;

pub const KEY_OF: &str =
    "SELECT id, state FROM advisories WHERE prefix = $1 AND year = $2 AND sequence = $3";

pub const ADVISORY_COLUMNS: &str = "SELECT id AS key, prefix, year, sequence, state, content, \
     created_by, created_at, updated_at, scheduled_at, schedule_zone, schedule_override, \
     withdrawn_at, withdrawal_reason FROM advisories";

pub const CREDIT_COLUMNS: &str = "SELECT c.id, c.report_id, r.reference_prefix, \
     r.reference_year, r.reference_sequence, c.role, c.name, c.organization, c.url, \
     c.consent, c.proposed_at, c.answered_at \
     FROM advisory_credits c JOIN reports r ON r.id = c.report_id";

/// A report's credits with the advisory each is for.
pub const FINDER_CREDITS: &str = "SELECT c.id, c.report_id, r.reference_prefix, \
     r.reference_year, r.reference_sequence, c.role, c.name, c.organization, c.url, \
     c.consent, c.proposed_at, c.answered_at, a.prefix, a.year, a.sequence, a.title, \
     a.latest_revision \
     FROM advisory_credits c JOIN reports r ON r.id = c.report_id \
     JOIN advisories a ON a.id = c.advisory_id WHERE c.report_id = $1 ORDER BY c.id";

pub const PUBLISHED_COLUMNS: &str = "SELECT a.prefix, a.year, a.sequence, r.title, r.summary, \
     r.tlp, r.number, a.first_published_at, r.published_at, a.withdrawn_at \
     FROM advisories a JOIN advisory_revisions r \
     ON r.advisory_id = a.id AND r.number = a.latest_revision";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub fn advisory_id(prefix: &str, year: i64, sequence: i64) -> Result<AdvisoryId, StoreError> {
    let bad = || corrupt(format!("advisory id {prefix}-SA-{year}-{sequence}"));
    Ok(AdvisoryId::new(
        prefix.parse::<ReferencePrefix>().map_err(|_| bad())?,
        i32::try_from(year).map_err(|_| bad())?,
        u32::try_from(sequence).map_err(|_| bad())?,
    ))
}

pub fn reference(prefix: &str, year: i64, sequence: i64) -> Result<Reference, StoreError> {
    let bad = || corrupt(format!("report reference {prefix}-{year}-{sequence}"));
    Ok(Reference::new(
        prefix.parse::<ReferencePrefix>().map_err(|_| bad())?,
        i32::try_from(year).map_err(|_| bad())?,
        u32::try_from(sequence).map_err(|_| bad())?,
    ))
}

pub fn parse_state(text: &str) -> Result<AdvisoryState, StoreError> {
    AdvisoryState::parse(text).ok_or_else(|| corrupt(format!("advisory state {text:?}")))
}

fn number(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(format!("revision number {value}")))
}

pub fn content(json: &str) -> Result<AdvisoryContent, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(format!("advisory content: {e}")))
}

pub fn published_credits(json: &str) -> Result<Vec<PublishedCredit>, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(format!("published credits: {e}")))
}

#[derive(FromRow)]
pub struct AdvisoryRow {
    pub key: i64,
    prefix: String,
    year: i64,
    sequence: i64,
    state: String,
    content: String,
    created_by: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    scheduled_at: Option<OffsetDateTime>,
    schedule_zone: Option<String>,
    schedule_override: Option<String>,
    withdrawn_at: Option<OffsetDateTime>,
    withdrawal_reason: Option<String>,
}

#[derive(FromRow)]
pub struct RevisionRow {
    number: i64,
    published_at: OffsetDateTime,
    change_summary: String,
    content: String,
    credits: String,
}

#[derive(FromRow)]
pub struct CreditRow {
    pub id: i64,
    report_id: i64,
    reference_prefix: String,
    reference_year: i64,
    reference_sequence: i64,
    role: String,
    name: String,
    organization: Option<String>,
    url: Option<String>,
    consent: String,
    proposed_at: OffsetDateTime,
    answered_at: Option<OffsetDateTime>,
}

#[derive(FromRow)]
pub struct SummaryRow {
    pub id: i64,
    prefix: String,
    year: i64,
    sequence: i64,
    state: String,
    title: String,
    updated_at: OffsetDateTime,
    scheduled_at: Option<OffsetDateTime>,
    latest_revision: i64,
}

#[derive(FromRow)]
pub struct PublishedRow {
    prefix: String,
    year: i64,
    sequence: i64,
    title: String,
    summary: String,
    tlp: String,
    number: i64,
    first_published_at: Option<OffsetDateTime>,
    published_at: OffsetDateTime,
    withdrawn_at: Option<OffsetDateTime>,
}

impl AdvisoryRow {
    pub fn into_advisory(
        self,
        revisions: Vec<RevisionRow>,
        credits: Vec<CreditRow>,
    ) -> Result<Advisory, StoreError> {
        let id = advisory_id(&self.prefix, self.year, self.sequence)?;
        let revisions = revisions
            .into_iter()
            .map(|row| {
                Ok(Revision::new(
                    number(row.number)?,
                    row.published_at,
                    row.change_summary,
                    content(&row.content)?,
                    published_credits(&row.credits)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let history = RevisionHistory::restore(revisions)
            .map_err(|e| corrupt(format!("revisions of {id}: {e}")))?;
        Ok(Advisory {
            key: self.key,
            state: parse_state(&self.state)?,
            content: content(&self.content)?,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            schedule: match (self.scheduled_at, self.schedule_zone) {
                (Some(at), Some(zone)) => Some(Schedule {
                    at,
                    zone,
                    embargo_override: self.schedule_override,
                }),
                _ => None,
            },
            withdrawal: match (self.withdrawn_at, self.withdrawal_reason) {
                (Some(at), Some(reason)) => Some(Withdrawal { at, reason }),
                _ => None,
            },
            history,
            credits: credits
                .into_iter()
                .map(CreditRow::into_stored)
                .collect::<Result<_, _>>()?,
            id,
        })
    }
}

impl CreditRow {
    pub fn into_stored(self) -> Result<StoredCredit, StoreError> {
        Ok(StoredCredit {
            id: self.id,
            report_id: self.report_id,
            report: reference(
                &self.reference_prefix,
                self.reference_year,
                self.reference_sequence,
            )?,
            credit: Credit {
                text: CreditText {
                    name: self.name,
                    organization: self.organization,
                    url: self.url,
                },
                role: CreditRole::parse(&self.role)
                    .ok_or_else(|| corrupt(format!("credit role {:?}", self.role)))?,
                consent: Consent::parse(&self.consent)
                    .ok_or_else(|| corrupt(format!("credit consent {:?}", self.consent)))?,
                answered_at: self.answered_at,
            },
            proposed_at: self.proposed_at,
        })
    }
}

impl SummaryRow {
    pub fn into_summary(self, products: Vec<ProductId>) -> Result<AdvisorySummary, StoreError> {
        Ok(AdvisorySummary {
            id: advisory_id(&self.prefix, self.year, self.sequence)?,
            state: parse_state(&self.state)?,
            title: self.title,
            updated_at: self.updated_at,
            scheduled_at: self.scheduled_at,
            latest_revision: number(self.latest_revision)?,
            products,
        })
    }
}

impl PublishedRow {
    pub fn into_summary(self) -> Result<PublishedSummary, StoreError> {
        let id = advisory_id(&self.prefix, self.year, self.sequence)?;
        Ok(PublishedSummary {
            tlp: self
                .tlp
                .parse()
                .map_err(|_| corrupt(format!("TLP label of {id}: {:?}", self.tlp)))?,
            title: self.title,
            summary: self.summary,
            version: number(self.number)?,
            first_published_at: self.first_published_at.unwrap_or(self.published_at),
            latest_published_at: self.published_at,
            withdrawn_at: self.withdrawn_at,
            id,
        })
    }
}
