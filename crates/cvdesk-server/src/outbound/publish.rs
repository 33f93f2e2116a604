//! Publishing a case: the write-up (description, affected and fixed versions, CVE, score
//! and the timeline built from the case log) is fixed at publication and served at
//! `/disclosures/{id}` and in the Atom feed `/disclosures.atom`. When a deadline was missed the policy has the
//! write-up document the communication with the vendor too; the person may include it in
//! any case.

use cvdesk_domain::outbound::log::{self, Channel, LogKind, TimelineRow};
use cvdesk_domain::outbound::publication::{may_publish, PublishReason};
use cvdesk_domain::outbound::CaseState;
use cvdesk_domain::Severity;
use cvdesk_store::{CaseChange, CaseRecord, NewLogEntry};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::cases::{CaseError, CaseView, Context};

/// What the person adds when publishing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    /// The public description; the technical details when absent.
    pub description: Option<String>,
    /// Whether to include the communication log; by default, when a deadline was missed.
    pub include_communication: Option<bool>,
}

/// One message of the communication log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Communication {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `sent`, `reported`, `vendor_reply` or `deadline_agreed`.
    pub kind: String,
    pub channel: Option<String>,
    pub body: String,
}

/// The published write-up, kept as JSON with the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Writeup {
    pub id: String,
    pub title: String,
    pub vendor: String,
    pub product: String,
    pub vulnerability_type: String,
    pub description: String,
    pub affected_versions: Vec<String>,
    pub fixed_version: Option<String>,
    pub cve: Option<String>,
    pub cvss_vector: String,
    pub cvss_score: f64,
    pub cvss_rating: String,
    /// Why it was published now, in a sentence.
    pub reason: String,
    pub deadline_missed: bool,
    /// The researcher, when they wished to be credited.
    pub credit: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    pub communication: Option<Vec<Communication>>,
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub date: String,
    pub event: String,
}

impl From<TimelineRow> for TimelineEntry {
    fn from(row: TimelineRow) -> Self {
        TimelineEntry {
            date: row.date.to_string(),
            event: row.event,
        }
    }
}

/// The answer to a publication.
#[derive(Debug, Serialize)]
pub struct Published {
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
    pub reason: PublishReason,
    pub urls: PublishedUrls,
}

#[derive(Debug, Serialize)]
pub struct PublishedUrls {
    pub html: String,
    pub atom: String,
    pub csaf: String,
}

/// Where a published case is found, under `public_url`; its CSAF document ends in the file
/// name CSAF gives its tracking id (section 5.1), as a canonical URL must.
pub fn urls(public_url: &str, id: &str) -> PublishedUrls {
    PublishedUrls {
        html: format!("{public_url}/disclosures/{id}"),
        atom: format!("{public_url}/disclosures.atom"),
        csaf: format!(
            "{public_url}/disclosures/{id}/{}",
            cvdesk_formats::csaf::file_name(id)
        ),
    }
}

/// Publishes the case when the policy allows it now.
pub async fn publish(
    context: &Context<'_>,
    view: &CaseView,
    input: &PublishInput,
    public_url: &str,
    actor: &str,
    audit: &cvdesk_domain::audit::AuditEvent,
) -> Result<Published, CaseError> {
    let reason = may_publish(view.case.state, &view.deadlines, context.now)
        .map_err(|refusal| CaseError::Conflict(refusal.to_string()))?;
    let mut errors = cvdesk_domain::outbound::FormErrors::default();
    let description = cvdesk_domain::outbound::form::text(
        &mut errors,
        "description",
        input.description.as_deref(),
        cvdesk_domain::outbound::form::LONG_TEXT,
        true,
    );
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    let writeup = writeup(context, view, reason, description, input, context.now);
    let json = serde_json::to_string(&writeup)
        .map_err(|e| cvdesk_store::StoreError::Corrupt(format!("write-up: {e}")))?;
    let mut entry = NewLogEntry::new(LogKind::Published, context.now, actor, reason.sentence());
    entry.from_state = Some(view.case.state);
    entry.to_state = Some(CaseState::Published);
    context
        .store
        .record_case(
            view.case.row_id,
            CaseRecord {
                expected: view.case.state,
                change: CaseChange {
                    state: Some(CaseState::Published),
                    publication: Some((context.now, json)),
                    ..CaseChange::default()
                },
                entries: std::slice::from_ref(&entry),
                mail: &[],
                audit: Some(audit),
                now: context.now,
            },
        )
        .await?;
    let id = view.case.id.to_string();
    Ok(Published {
        urls: urls(public_url, &id),
        id,
        published_at: context.now,
        reason,
    })
}

fn writeup(
    context: &Context<'_>,
    view: &CaseView,
    reason: PublishReason,
    description: Option<String>,
    input: &PublishInput,
    now: OffsetDateTime,
) -> Writeup {
    let form = &view.form;
    let scores = form.severity.scores();
    let mut timeline: Vec<TimelineEntry> = log::timeline(&view.log)
        .into_iter()
        .map(TimelineEntry::from)
        .collect();
    let deadline_missed = reason.requires_communication_log();
    if deadline_missed {
        timeline.push(TimelineEntry {
            date: now.date().to_string(),
            event: reason.sentence().trim_end_matches('.').to_owned(),
        });
    }
    timeline.push(TimelineEntry {
        date: now.date().to_string(),
        event: "Published".to_owned(),
    });
    let include = input.include_communication.unwrap_or(deadline_missed);
    let communication = include.then(|| {
        log::communication(&view.log)
            .into_iter()
            .map(|entry| Communication {
                at: entry.at,
                kind: entry.kind.as_str().to_owned(),
                channel: entry.channel.map(Channel::as_str).map(str::to_owned),
                body: entry.body.clone(),
            })
            .collect()
    });
    let fixed_version = view
        .log
        .iter()
        .rev()
        .find(|entry| entry.kind == LogKind::FixReleased)
        .and_then(|entry| entry.version.clone());
    let credit = context
        .settings
        .researcher
        .as_ref()
        .filter(|researcher| form.credit.unwrap_or(researcher.credit))
        .map(|researcher| researcher.name.clone());
    let severity = Severity::of(&form.severity);
    Writeup {
        id: view.case.id.to_string(),
        title: form.title.clone(),
        vendor: view.vendor.details.name.clone(),
        product: form.product.clone(),
        vulnerability_type: form.vulnerability_type.clone(),
        description: description.unwrap_or_else(|| form.technical_details.clone()),
        affected_versions: form.versions_tested.clone(),
        fixed_version,
        cve: form.cve.cve_id().map(ToString::to_string),
        cvss_vector: severity.vector,
        cvss_score: scores.score,
        cvss_rating: scores.severity.as_str().to_owned(),
        reason: reason.sentence().to_owned(),
        deadline_missed,
        credit,
        timeline,
        communication,
        published_at: now,
    }
}
