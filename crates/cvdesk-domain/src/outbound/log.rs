//! The case log: everything that happened on a case, in order, with who, when and by
//! which channel. The timeline of a published write-up is read from it, and when a
//! deadline was missed the write-up may carry the whole communication it records.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::state::CaseState;

/// What a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// The case was written.
    Created,
    /// The inquiry (or a follow-up) went to the vendor.
    Sent,
    /// The inquiry went through the vendor's web form or a phone call, recorded by hand.
    Reported,
    /// The vendor wrote or said something.
    VendorReply,
    /// An announcement date was agreed in writing.
    DeadlineAgreed,
    /// The vendor released the fix.
    FixReleased,
    /// An internal note.
    Note,
    /// The case moved from one state to another.
    Moved,
    /// The researcher was reminded of a deadline.
    Reminder,
    /// The write-up was published.
    Published,
}

impl LogKind {
    pub const ALL: [LogKind; 10] = [
        LogKind::Created,
        LogKind::Sent,
        LogKind::Reported,
        LogKind::VendorReply,
        LogKind::DeadlineAgreed,
        LogKind::FixReleased,
        LogKind::Note,
        LogKind::Moved,
        LogKind::Reminder,
        LogKind::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Created => "created",
            LogKind::Sent => "sent",
            LogKind::Reported => "reported",
            LogKind::VendorReply => "vendor_reply",
            LogKind::DeadlineAgreed => "deadline_agreed",
            LogKind::FixReleased => "fix_released",
            LogKind::Note => "note",
            LogKind::Moved => "moved",
            LogKind::Reminder => "reminder",
            LogKind::Published => "published",
        }
    }

    /// Whether the entry is part of the communication with the vendor, which a write-up
    /// after a missed deadline documents.
    pub fn is_communication(self) -> bool {
        matches!(
            self,
            LogKind::Sent | LogKind::Reported | LogKind::VendorReply | LogKind::DeadlineAgreed
        )
    }
}

impl FromStr for LogKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LogKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| format!("unknown log kind {s:?}"))
    }
}

impl fmt::Display for LogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How something reached or left the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    WebForm,
    Phone,
    /// Recorded by a person from somewhere else (a meeting, a letter).
    Other,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Email,
        Channel::WebForm,
        Channel::Phone,
        Channel::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::WebForm => "web_form",
            Channel::Phone => "phone",
            Channel::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "e-mail",
            Channel::WebForm => "web form",
            Channel::Phone => "phone",
            Channel::Other => "other",
        }
    }
}

impl FromStr for Channel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|channel| channel.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not a channel (email, web_form, phone, other)"))
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub id: i64,
    pub kind: LogKind,
    /// When it happened (for a vendor's reply: when the vendor wrote it).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who recorded it: a staff e-mail, `mail` for mail received, `desk` for the desk itself.
    pub actor: String,
    pub channel: Option<Channel>,
    pub body: String,
    pub from_state: Option<CaseState>,
    pub to_state: Option<CaseState>,
    /// With `deadline_agreed`.
    pub announce_by: Option<Date>,
    /// With `deadline_agreed`: the entry of the message that agreed it.
    pub evidence: Option<i64>,
    /// With `fix_released`.
    pub version: Option<String>,
    /// For mail: whether it was OpenPGP-encrypted.
    pub encrypted: Option<bool>,
    /// For mail received: whether its signature was checked against the vendor's key.
    pub signature: Option<String>,
    /// For mail: its Message-ID.
    pub message_id: Option<String>,
    /// Files kept with the entry (evidence of a web form or a call, mail attachments).
    pub attachments: Vec<LogAttachment>,
}

/// A file kept with a log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogAttachment {
    pub id: i64,
    pub file_name: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// One row of a published timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineRow {
    pub date: Date,
    pub event: String,
}

/// The timeline of a case: reported, acknowledged, verified or disputed, agreed dates,
/// fixed and published, each with its date and channel, in order.
pub fn timeline(entries: &[LogEntry]) -> Vec<TimelineRow> {
    let mut rows = Vec::new();
    let mut acknowledged = false;
    for entry in entries {
        let via = |entry: &LogEntry| {
            entry
                .channel
                .map(|channel| format!(" by {}", channel.label()))
                .unwrap_or_default()
        };
        let event = match entry.kind {
            LogKind::Sent if !rows_mention(&rows, "Reported") => Some(format!(
                "Reported to the vendor{}{}",
                via(entry),
                match entry.encrypted {
                    Some(true) => " (OpenPGP-encrypted)",
                    Some(false) => " (unencrypted)",
                    None => "",
                }
            )),
            LogKind::Sent => Some(format!("Follow-up sent to the vendor{}", via(entry))),
            LogKind::Reported => Some(format!("Reported to the vendor{}", via(entry))),
            LogKind::VendorReply if !acknowledged => {
                acknowledged = true;
                Some(format!("Vendor acknowledged the report{}", via(entry)))
            }
            LogKind::VendorReply => None,
            LogKind::DeadlineAgreed => entry
                .announce_by
                .map(|date| format!("Announcement date {date} agreed in writing")),
            LogKind::FixReleased => Some(match &entry.version {
                Some(version) => format!("Fix released in version {version}"),
                None => "Fix released".to_owned(),
            }),
            LogKind::Moved => match entry.to_state {
                Some(CaseState::Acknowledged) if !acknowledged => {
                    acknowledged = true;
                    Some("Vendor acknowledged the report".to_owned())
                }
                Some(CaseState::Verified) => Some("Vendor verified the vulnerability".to_owned()),
                Some(CaseState::Disputed) => Some("Vendor disputed the vulnerability".to_owned()),
                Some(CaseState::FixPlanned) => Some("Vendor planned a fix".to_owned()),
                Some(CaseState::Fixed) => Some("Fix released".to_owned()),
                _ => None,
            },
            LogKind::Published => Some("Published".to_owned()),
            LogKind::Created | LogKind::Note | LogKind::Reminder => None,
        };
        if let Some(event) = event {
            rows.push(TimelineRow {
                date: entry.at.date(),
                event,
            });
        }
    }
    rows
}

fn rows_mention(rows: &[TimelineRow], start: &str) -> bool {
    rows.iter().any(|row| row.event.starts_with(start))
}

/// The entries a write-up after a missed deadline documents: every message between the
/// researcher and the vendor.
pub fn communication(entries: &[LogEntry]) -> Vec<&LogEntry> {
    entries
        .iter()
        .filter(|entry| entry.kind.is_communication())
        .collect()
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    fn entry(id: i64, kind: LogKind, at: OffsetDateTime) -> LogEntry {
        LogEntry {
            id,
            kind,
            at,
            actor: "ada@research.example".into(),
            channel: None,
            body: String::new(),
            from_state: None,
            to_state: None,
            announce_by: None,
            evidence: None,
            version: None,
            encrypted: None,
            signature: None,
            message_id: None,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn the_timeline_reads_the_log() {
        let mut sent = entry(2, LogKind::Sent, datetime!(2026-03-02 10:00 UTC));
        sent.channel = Some(Channel::Email);
        sent.encrypted = Some(true);
        let mut reply = entry(3, LogKind::VendorReply, datetime!(2026-03-03 09:00 UTC));
        reply.channel = Some(Channel::Email);
        let mut verified = entry(4, LogKind::Moved, datetime!(2026-03-05 09:00 UTC));
        verified.to_state = Some(CaseState::Verified);
        let mut agreed = entry(5, LogKind::DeadlineAgreed, datetime!(2026-03-06 09:00 UTC));
        agreed.announce_by = Some(date!(2026 - 07 - 15));
        let mut fixed = entry(6, LogKind::FixReleased, datetime!(2026-06-01 09:00 UTC));
        fixed.version = Some("4.2.2".into());
        let log = [
            entry(1, LogKind::Created, datetime!(2026-03-01 10:00 UTC)),
            sent,
            reply.clone(),
            reply,
            verified,
            agreed,
            entry(7, LogKind::Note, datetime!(2026-06-02 09:00 UTC)),
            fixed,
            entry(8, LogKind::Published, datetime!(2026-06-03 09:00 UTC)),
        ];
        let rows: Vec<(String, String)> = timeline(&log)
            .into_iter()
            .map(|row| (row.date.to_string(), row.event))
            .collect();
        let expected = [
            (
                "2026-03-02",
                "Reported to the vendor by e-mail (OpenPGP-encrypted)",
            ),
            ("2026-03-03", "Vendor acknowledged the report by e-mail"),
            ("2026-03-05", "Vendor verified the vulnerability"),
            (
                "2026-03-06",
                "Announcement date 2026-07-15 agreed in writing",
            ),
            ("2026-06-01", "Fix released in version 4.2.2"),
            ("2026-06-03", "Published"),
        ]
        .map(|(date, event)| (date.to_owned(), event.to_owned()));
        assert_eq!(rows, expected);
        assert_eq!(communication(&log).len(), 4);
    }

    #[test]
    fn names_round_trip() {
        for kind in LogKind::ALL {
            assert_eq!(kind.as_str().parse::<LogKind>(), Ok(kind));
        }
        for channel in Channel::ALL {
            assert_eq!(channel.as_str().parse::<Channel>(), Ok(channel));
        }
    }
}
