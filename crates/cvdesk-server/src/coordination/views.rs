//! What the coordination pages and API show: participants with their contact as of now
//! (silence past the acknowledgement deadline shows as unresponsive) and their product
//! statuses, the embargo in UTC, in the zone it was set in and in a viewer's own, and what
//! a participant was given to see.

use cvdesk_domain::advisory::ScheduleZone;
use cvdesk_domain::coordination::{ContactStatus, Embargo, SharedItem};
use cvdesk_domain::report::{AttachmentMeta, Report};
use cvdesk_store::{CoordinationMessage, Participant, StoredStatus};
use serde::Serialize;
use time::OffsetDateTime;

use crate::views::utc_minute;

/// The embargo as every viewer gets it.
#[derive(Serialize)]
pub struct EmbargoJson {
    /// The instant in UTC, RFC 3339.
    pub ends_at: String,
    /// The zone it was set in.
    pub time_zone: String,
    /// The instant with that zone's offset, RFC 3339.
    pub local: String,
    /// "2027-02-10 16:00 UTC — 17:00 CET (Europe/Berlin)".
    pub display: String,
    /// Whether it still holds.
    pub running: bool,
    /// The same instant in the viewer's own zone, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub viewer: Option<ViewerTime>,
}

#[derive(Serialize)]
pub struct ViewerTime {
    pub time_zone: String,
    pub local: String,
    pub display: String,
}

impl EmbargoJson {
    pub fn of(embargo: &Embargo, viewer: Option<&str>, now: OffsetDateTime) -> EmbargoJson {
        let viewer = viewer
            .and_then(|name| name.parse::<ScheduleZone>().ok())
            .filter(|zone| zone != embargo.zone())
            .map(|zone| ViewerTime {
                time_zone: zone.name().to_owned(),
                local: embargo.local_text(&zone),
                display: embargo.display_in(&zone),
            });
        EmbargoJson {
            ends_at: embargo.ends_at_text(),
            time_zone: embargo.zone().name().to_owned(),
            local: embargo.local_text(embargo.zone()),
            display: embargo.display(),
            running: embargo.is_running(now),
            viewer,
        }
    }
}

#[derive(Serialize)]
pub struct StatusJson {
    pub id: i64,
    pub product: String,
    /// The CVE ID it is about; `null` for the report's vulnerability as a whole.
    pub vulnerability: Option<String>,
    pub status: &'static str,
    pub fixed_version: Option<String>,
    pub statement: Option<String>,
    pub references: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub stated_at: OffsetDateTime,
    /// Whether the coordinator approved it for publication.
    pub approved: bool,
}

impl StatusJson {
    pub fn of(stored: &StoredStatus) -> StatusJson {
        let status = &stored.status;
        StatusJson {
            id: stored.id,
            product: status.product.clone(),
            vulnerability: status.vulnerability.map(|cve| cve.to_string()),
            status: status.status.as_str(),
            fixed_version: status.fixed_version.clone(),
            statement: status.statement.clone(),
            references: status.references.clone(),
            stated_at: stored.stated_at,
            approved: stored.approved.is_some(),
        }
    }
}

#[derive(Serialize)]
pub struct DeadlinesJson {
    #[serde(with = "time::serde::rfc3339")]
    pub acknowledge_by: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub status_by: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub fix_by: OffsetDateTime,
}

/// One participant as the coordinator sees it.
#[derive(Serialize)]
pub struct ParticipantJson {
    pub id: i64,
    pub vendor_id: i64,
    pub vendor: String,
    pub tlp: &'static str,
    pub shared: Vec<String>,
    pub contact: ContactStatus,
    pub sees_participants: bool,
    pub talks_to_all: bool,
    pub time_zone: Option<String>,
    pub deadlines: DeadlinesJson,
    pub statuses: Vec<StatusJson>,
    /// The participant that nominated it, if one did.
    pub nominated_by: Option<i64>,
}

/// The contact as of `now`: a contacted participant past its deadline is unresponsive.
pub fn shown_contact(participant: &Participant, now: OffsetDateTime) -> ContactStatus {
    participant
        .contact
        .shown(Some(participant.deadlines.acknowledge_by), now)
}

impl ParticipantJson {
    pub fn of(participant: &Participant, now: OffsetDateTime) -> ParticipantJson {
        ParticipantJson {
            id: participant.id,
            vendor_id: participant.vendor_id.0,
            vendor: participant.vendor_name.clone(),
            tlp: participant.tlp.as_str(),
            shared: participant.share.names(),
            contact: shown_contact(participant, now),
            sees_participants: participant.sees_participants,
            talks_to_all: participant.talks_to_all,
            time_zone: participant.time_zone.clone(),
            deadlines: DeadlinesJson {
                acknowledge_by: participant.deadlines.acknowledge_by,
                status_by: participant.deadlines.status_by,
                fix_by: participant.deadlines.fix_by,
            },
            statuses: participant.statuses.iter().map(StatusJson::of).collect(),
            nominated_by: participant.nominated_by,
        }
    }
}

/// A message of a thread, as a participant or the coordinator reads it.
#[derive(Serialize)]
pub struct MessageJson {
    /// `coordinator`, or the vendor that wrote it.
    pub from: String,
    /// Whether every participant allowed to reads it, rather than one participant.
    pub to_all: bool,
    pub tlp: &'static str,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl MessageJson {
    pub fn of(message: &CoordinationMessage) -> MessageJson {
        MessageJson {
            from: if message.author.is_some() {
                message.author_label.clone()
            } else {
                "coordinator".to_owned()
            },
            to_all: message.thread.is_none(),
            tlp: message.tlp.as_str(),
            body: message.body.clone(),
            created_at: message.created_at,
        }
    }
}

/// One shared text of the report, as a page shows it.
pub struct SharedText {
    pub name: String,
    pub label: &'static str,
    pub text: String,
}

/// The report's fields a participant was given, in page order; files apart.
pub fn shared_texts(report: &Report, participant: &Participant) -> Vec<SharedText> {
    let content = &report.content;
    SharedItem::fields()
        .iter()
        .filter(|item| participant.share.contains(**item))
        .filter_map(|item| {
            let text = match item {
                SharedItem::Title => Some(content.title.clone()),
                SharedItem::Summary => Some(content.summary.clone()),
                SharedItem::Asset => content.asset.clone(),
                SharedItem::Weakness => content.weakness.map(|cwe| cwe.to_string()),
                SharedItem::Severity => content
                    .severity
                    .as_ref()
                    .map(|s| format!("{} — {} ({})", s.vector, s.score, s.rating)),
                SharedItem::StepsToReproduce => Some(content.steps_to_reproduce.clone()),
                SharedItem::Impact => Some(content.impact.clone()),
                SharedItem::Mitigation => content.mitigation.clone(),
                SharedItem::ThirdParty => content.third_party.component.as_ref().map(|c| {
                    let mut text = c.name.clone();
                    if let Some(version) = &c.version {
                        text.push_str(&format!(" {version}"));
                    }
                    if let Some(supplier) = &c.supplier {
                        text.push_str(&format!(" (supplier: {supplier})"));
                    }
                    text
                }),
                SharedItem::KnownCves => {
                    Some(content.third_party.known_cves_text()).filter(|text| !text.is_empty())
                }
                SharedItem::Attachments | SharedItem::Attachment(_) => None,
            }?;
            Some(SharedText {
                name: item.name(),
                label: item.label(),
                text,
            })
        })
        .collect()
}

/// The report's files a participant may download.
pub fn shared_files<'a>(report: &'a Report, participant: &Participant) -> Vec<&'a AttachmentMeta> {
    report
        .attachments
        .iter()
        .filter(|file| participant.share.includes_file(file.id))
        .collect()
}

/// An instant as the coordination pages show it.
pub fn when(at: OffsetDateTime) -> String {
    utc_minute(at)
}
