//! SQL and row shapes shared by both backends. Placeholders are `$N`, which SQLite and
//! PostgreSQL both understand, so each statement is written once.

use cvdesk_domain::priority::{Exploitability, Priority, PriorityOverride};
use cvdesk_domain::report::{AttachmentMeta, Report, ReportState, Severity, Triage};
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::third_party::{Component, ThirdParty};
use cvdesk_domain::{Contact, Reference, ReportDraft};
use cvdesk_formats::cve_id::CveId;
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Database, Encode, Type};
use time::OffsetDateTime;

use crate::sql_store::StoredTime;
use crate::{NewReport, StoreError};

/// Advances a year's sequence (`$1` prefix, `$2` year), starting it at 1. The row lock it
/// takes serialises concurrent submissions, and a rolled-back transaction gives its number
/// back: no gaps.
macro_rules! advance_sequence {
    () => {
        "INSERT INTO reference_counters (prefix, year, last_sequence) VALUES ($1, $2, 1) \
         ON CONFLICT (prefix, year) DO UPDATE SET last_sequence = reference_counters.last_sequence + 1"
    };
}

/// Takes the next sequence number of a year (see `advance_sequence`).
pub const NEXT_SEQUENCE: &str = concat!(advance_sequence!(), " RETURNING last_sequence");

/// The columns `bind_report` gives, in order, after `INSERT INTO reports (` (and the id,
/// where the caller gives it).
macro_rules! report_columns {
    () => {
        "reference_prefix, reference_year, \
         reference_sequence, tracking_token_hash, created_at, asset, weakness, cvss_vector, \
         cvss_version, cvss_score, cvss_rating, title, summary, steps_to_reproduce, impact, \
         mitigation, contact_name, contact_email, contact_pgp_key, credit, product_id, \
         received_from, source, third_party_component, third_party_version, \
         third_party_supplier, known_cves)"
    };
}

/// The values after the sequence number.
macro_rules! report_values {
    () => {
        ", $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
         $22, $23, $24, $25, $26, $27"
    };
}

/// The sequence number `advance_sequence` reached.
macro_rules! sequence_reached {
    () => {
        "(SELECT last_sequence FROM reference_counters WHERE prefix = $1 AND year = $2)"
    };
}

pub const INSERT_REPORT: &str = concat!(
    "INSERT INTO reports (",
    report_columns!(),
    " VALUES ($1, $2, $3",
    report_values!(),
    ") RETURNING id"
);

/// Advances the year's sequence and inserts the report with the number it reached, in one
/// go (SQLite runs both statements from one call); answers the report's id and number.
/// Binds as `INSERT_REPORT`, whose `$3` it leaves unused.
pub const NUMBER_AND_INSERT_REPORT: &str = concat!(
    advance_sequence!(),
    "; INSERT INTO reports (",
    report_columns!(),
    " VALUES ($1, $2, ",
    sequence_reached!(),
    report_values!(),
    ") RETURNING id, reference_sequence"
);

/// Inserts the report as id `$28` and number `$3`, both known beforehand, after
/// `advance_sequence` and a statement spending the challenge `$29` (NULL without one). The
/// number is kept only if the sequence reached it and the challenge, if any, was spent by
/// that statement (it changed a row); otherwise it is NULL and the insert fails, so a
/// wrong guess or a replayed challenge never stores. Binds as `INSERT_REPORT`, then the id
/// and the challenge.
pub const INSERT_EXPECTED_REPORT: &str = concat!(
    "INSERT INTO reports (id, ",
    report_columns!(),
    " VALUES ($28, $1, $2, CASE WHEN ",
    sequence_reached!(),
    " = $3 AND ($29 IS NULL OR changes() = 1) THEN $3 END",
    report_values!(),
    ")"
);

/// Advances a year's sequence (`$1` prefix, `$2` year).
pub const ADVANCE_SEQUENCE: &str = advance_sequence!();

/// `$5` is the message that carried the file, NULL for the report form's files.
pub const INSERT_ATTACHMENT: &str =
    "INSERT INTO attachments (report_id, file_name, size_bytes, sha256, message_id) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id";

const REPORT_COLUMNS: &str = "SELECT id, reference_prefix, reference_year, reference_sequence, \
     state, needs_info, created_at, asset, weakness, cvss_vector, cvss_version, cvss_score, \
     cvss_rating, title, summary, steps_to_reproduce, impact, mitigation, contact_name, \
     contact_email, contact_pgp_key, credit, product_id, duplicate_of, exploitability, \
     priority_override, priority_override_reason, received_from, third_party_component, \
     third_party_version, third_party_supplier, known_cves FROM reports";

pub fn report_by_tracking_token() -> String {
    format!("{REPORT_COLUMNS} WHERE tracking_token_hash = $1")
}

pub fn report_by_reference() -> String {
    format!("{REPORT_COLUMNS} WHERE reference_prefix = $1 AND reference_year = $2 AND reference_sequence = $3")
}

/// The files sent with the report form; those sent with replies belong to their message.
pub const ATTACHMENTS_OF_REPORT: &str = "SELECT id, file_name, size_bytes, sha256 \
     FROM attachments WHERE report_id = $1 AND message_id IS NULL ORDER BY id";

/// Any file of the report, sent with the form or with a reply.
pub const ATTACHMENT_OF_REPORT: &str = "SELECT id, file_name, size_bytes, sha256 \
     FROM attachments WHERE report_id = $1 AND id = $2";

#[derive(sqlx::FromRow)]
pub struct ReportRow {
    id: i64,
    reference_prefix: String,
    reference_year: i64,
    reference_sequence: i64,
    state: String,
    needs_info: bool,
    created_at: OffsetDateTime,
    asset: Option<String>,
    weakness: Option<String>,
    cvss_vector: Option<String>,
    cvss_version: Option<String>,
    cvss_score: Option<f64>,
    cvss_rating: Option<String>,
    title: String,
    summary: String,
    steps_to_reproduce: String,
    impact: String,
    mitigation: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_pgp_key: Option<String>,
    credit: bool,
    product_id: Option<i64>,
    duplicate_of: Option<String>,
    exploitability: Option<String>,
    priority_override: Option<String>,
    priority_override_reason: Option<String>,
    received_from: Option<String>,
    third_party_component: Option<String>,
    third_party_version: Option<String>,
    third_party_supplier: Option<String>,
    known_cves: String,
}

#[derive(sqlx::FromRow)]
pub struct AttachmentRow {
    id: i64,
    file_name: String,
    size_bytes: i64,
    sha256: String,
}

impl AttachmentRow {
    pub fn into_meta(self) -> Result<AttachmentMeta, StoreError> {
        Ok(AttachmentMeta {
            id: self.id,
            file_name: self.file_name,
            size_bytes: u64::try_from(self.size_bytes).map_err(|_| {
                StoreError::Corrupt(format!("attachment {} has a negative size", self.id))
            })?,
            sha256: self.sha256,
        })
    }
}

impl ReportRow {
    pub fn id(&self) -> i64 {
        self.id
    }

    pub fn into_report(self, attachments: Vec<AttachmentRow>) -> Result<Report, StoreError> {
        let corrupt = |what: String| StoreError::Corrupt(format!("report {}: {what}", self.id));
        let reference = Reference::new(
            self.reference_prefix
                .parse()
                .map_err(|e| corrupt(format!("{e}")))?,
            i32::try_from(self.reference_year).map_err(|e| corrupt(e.to_string()))?,
            u32::try_from(self.reference_sequence).map_err(|e| corrupt(e.to_string()))?,
        );
        let state: ReportState = self.state.parse().map_err(|e| corrupt(format!("{e}")))?;
        let weakness = self
            .weakness
            .map(|w| w.parse().map_err(|e| corrupt(format!("{e}"))))
            .transpose()?;
        let severity = match (
            self.cvss_vector,
            self.cvss_version,
            self.cvss_score,
            self.cvss_rating,
        ) {
            (Some(vector), Some(version), Some(score), Some(rating)) => Some(Severity {
                vector,
                version,
                score,
                rating,
            }),
            (None, None, None, None) => None,
            _ => return Err(corrupt("incomplete CVSS columns".to_owned())),
        };
        let parse = |what: &str, e: &dyn std::fmt::Display| corrupt(format!("{what}: {e}"));
        let duplicate_of = self
            .duplicate_of
            .map(|r| {
                r.parse::<Reference>()
                    .map_err(|e| parse("duplicate_of", &e))
            })
            .transpose()?;
        let exploitability = self
            .exploitability
            .map(|e| {
                e.parse::<Exploitability>()
                    .map_err(|e| parse("exploitability", &e))
            })
            .transpose()?;
        let priority_override = match (self.priority_override, self.priority_override_reason) {
            (Some(priority), Some(reason)) => Some(PriorityOverride {
                priority: priority
                    .parse::<Priority>()
                    .map_err(|e| parse("priority_override", &e))?,
                reason,
            }),
            (None, None) => None,
            _ => return Err(corrupt("incomplete priority override".to_owned())),
        };
        let known_cves = self
            .known_cves
            .split_whitespace()
            .map(|cve| cve.parse::<CveId>().map_err(|e| parse("known_cves", &e)))
            .collect::<Result<Vec<_>, _>>()?;
        let component = match (
            self.third_party_component,
            self.third_party_version,
            self.third_party_supplier,
        ) {
            (Some(name), version, supplier) => Some(Component {
                name,
                version,
                supplier,
            }),
            (None, None, None) => None,
            _ => {
                return Err(corrupt(
                    "a third-party version or supplier without its component".to_owned(),
                ))
            }
        };
        Ok(Report {
            triage: Triage {
                product: self.product_id.map(ProductId),
                duplicate_of,
                exploitability,
                priority_override,
            },
            id: self.id,
            received_from: self.received_from,
            reference,
            state,
            needs_info: self.needs_info,
            created_at: self.created_at,
            content: ReportDraft {
                asset: self.asset,
                weakness,
                severity,
                title: self.title,
                summary: self.summary,
                steps_to_reproduce: self.steps_to_reproduce,
                impact: self.impact,
                mitigation: self.mitigation,
                contact: Contact {
                    name: self.contact_name,
                    email: self.contact_email,
                    pgp_key: self.contact_pgp_key,
                },
                credit: self.credit,
                third_party: ThirdParty {
                    component,
                    known_cves,
                },
            },
            attachments: attachments
                .into_iter()
                .map(AttachmentRow::into_meta)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// A statement that takes its values in order, whatever it answers.
pub trait Binding<'q, DB: Database>: Sized {
    fn value<T: 'q + Encode<'q, DB> + Type<DB>>(self, value: T) -> Self;
}

impl<'q, DB: Database> Binding<'q, DB> for Query<'q, DB, DB::Arguments<'q>> {
    fn value<T: 'q + Encode<'q, DB> + Type<DB>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q, DB: Database, O> Binding<'q, DB> for QueryScalar<'q, DB, O, DB::Arguments<'q>> {
    fn value<T: 'q + Encode<'q, DB> + Type<DB>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q, DB: Database, O> Binding<'q, DB> for QueryAs<'q, DB, O, DB::Arguments<'q>> {
    fn value<T: 'q + Encode<'q, DB> + Type<DB>>(self, value: T) -> Self {
        self.bind(value)
    }
}

/// Binds the columns of `INSERT_REPORT`, in order, for either backend.
pub fn bind_report<'q, DB, Q>(query: Q, new: &'q NewReport<'_>, year: i64, sequence: i64) -> Q
where
    Q: Binding<'q, DB>,
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    Option<String>: Encode<'q, DB> + Type<DB>,
    Option<f64>: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    StoredTime: Encode<'q, DB> + Type<DB>,
{
    let content = new.content;
    let severity = content.severity.as_ref();
    let component = content.third_party.component.as_ref();
    query
        .value(new.prefix.as_str())
        .value(year)
        .value(sequence)
        .value(new.tracking_token_hash.as_str())
        .value(StoredTime(new.received_at))
        .value(content.asset.as_deref())
        .value(content.weakness.map(|w| w.to_string()))
        .value(severity.map(|s| s.vector.as_str()))
        .value(severity.map(|s| s.version.as_str()))
        .value(severity.map(|s| s.score))
        .value(severity.map(|s| s.rating.as_str()))
        .value(content.title.as_str())
        .value(content.summary.as_str())
        .value(content.steps_to_reproduce.as_str())
        .value(content.impact.as_str())
        .value(content.mitigation.as_deref())
        .value(content.contact.name.as_deref())
        .value(content.contact.email.as_deref())
        .value(content.contact.pgp_key.as_deref())
        .value(content.credit)
        .value(new.product.map(|product| product.0))
        .value(new.received_from)
        .value(new.source.as_str())
        .value(component.map(|c| c.name.as_str()))
        .value(component.and_then(|c| c.version.as_deref()))
        .value(component.and_then(|c| c.supplier.as_deref()))
        // Never NULL: a report without known CVE IDs has the empty line.
        .value(Some(content.third_party.known_cves_text()))
}

/// The report just inserted, assembled from what was written rather than read back.
pub fn accepted_report(
    new: &NewReport<'_>,
    report_id: i64,
    sequence: i64,
    attachments: Vec<AttachmentMeta>,
) -> Result<Report, StoreError> {
    let sequence = u32::try_from(sequence)
        .map_err(|_| StoreError::Corrupt(format!("sequence {sequence} out of range")))?;
    Ok(Report {
        id: report_id,
        reference: Reference::new(new.prefix.clone(), new.received_at.year(), sequence),
        state: ReportState::New,
        needs_info: false,
        created_at: new.received_at,
        content: new.content.clone(),
        attachments,
        triage: Triage {
            product: new.product,
            ..Triage::default()
        },
        received_from: new.received_from.map(str::to_owned),
    })
}
