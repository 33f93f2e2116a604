//! What one participant sees of a report: the summary only, or selected fields and files,
//! named as the report's API names them. The finder's identity, the conversation with the
//! finder and internal notes are never shared: they are not in the list.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// One thing of the report a participant may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SharedItem {
    Title,
    Summary,
    Asset,
    Weakness,
    Severity,
    StepsToReproduce,
    Impact,
    Mitigation,
    /// The third-party component the finder named.
    ThirdParty,
    KnownCves,
    /// Every file sent with the report.
    Attachments,
    /// One file, by its id.
    Attachment(i64),
}

/// The fields, in the order a page shows them.
const FIELDS: [SharedItem; 11] = [
    SharedItem::Title,
    SharedItem::Summary,
    SharedItem::Asset,
    SharedItem::Weakness,
    SharedItem::Severity,
    SharedItem::StepsToReproduce,
    SharedItem::Impact,
    SharedItem::Mitigation,
    SharedItem::ThirdParty,
    SharedItem::KnownCves,
    SharedItem::Attachments,
];

/// Most items one share names.
const MAX_ITEMS: usize = 100;

impl SharedItem {
    pub fn name(self) -> String {
        match self {
            SharedItem::Attachment(id) => format!("attachment:{id}"),
            field => field.field_name().to_owned(),
        }
    }

    fn field_name(self) -> &'static str {
        match self {
            SharedItem::Title => "title",
            SharedItem::Summary => "summary",
            SharedItem::Asset => "asset",
            SharedItem::Weakness => "weakness",
            SharedItem::Severity => "severity",
            SharedItem::StepsToReproduce => "steps_to_reproduce",
            SharedItem::Impact => "impact",
            SharedItem::Mitigation => "mitigation",
            SharedItem::ThirdParty => "third_party",
            SharedItem::KnownCves => "known_cves",
            SharedItem::Attachments | SharedItem::Attachment(_) => "attachments",
        }
    }

    /// What a coordinator's form calls it.
    pub fn label(self) -> &'static str {
        match self {
            SharedItem::Title => "Title",
            SharedItem::Summary => "Summary",
            SharedItem::Asset => "Affected asset",
            SharedItem::Weakness => "Weakness",
            SharedItem::Severity => "Severity",
            SharedItem::StepsToReproduce => "Steps to reproduce",
            SharedItem::Impact => "Impact",
            SharedItem::Mitigation => "Possible mitigations",
            SharedItem::ThirdParty => "Third-party component",
            SharedItem::KnownCves => "Known CVE IDs",
            SharedItem::Attachments => "All supporting files",
            SharedItem::Attachment(_) => "A supporting file",
        }
    }

    /// Every field a share may name (one file is `attachment:ID`).
    pub fn fields() -> &'static [SharedItem] {
        &FIELDS
    }
}

impl fmt::Display for SharedItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    #[error("choose what the participant sees: at least the summary")]
    Nothing,
    #[error("at most {MAX_ITEMS} items")]
    TooMany,
    #[error("the finder's contact details are never shared with other vendors")]
    Contact,
    #[error("'{0}' is not a field that can be shared ({1})")]
    Unknown(String, String),
    #[error("the report has no file {0}")]
    NoSuchFile(i64),
}

impl FromStr for SharedItem {
    type Err = ShareError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text == "contact" || text.starts_with("contact.") {
            return Err(ShareError::Contact);
        }
        if let Some(digits) = text.strip_prefix("attachment:") {
            let id = digits
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| digits.parse::<i64>().ok())
                .flatten()
                .filter(|id| *id > 0);
            if let Some(id) = id {
                return Ok(SharedItem::Attachment(id));
            }
        }
        FIELDS
            .into_iter()
            .find(|item| item.field_name() == text)
            .ok_or_else(|| {
                ShareError::Unknown(
                    text.chars().take(40).collect(),
                    FIELDS
                        .iter()
                        .map(|item| item.field_name())
                        .chain(["attachment:ID"])
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
    }
}

/// What one participant sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share(BTreeSet<SharedItem>);

impl Share {
    /// The items named, each checked; one file must be one of `file_ids` (the report's).
    pub fn parse(names: &[String], file_ids: &[i64]) -> Result<Share, ShareError> {
        if names.len() > MAX_ITEMS {
            return Err(ShareError::TooMany);
        }
        let mut items = BTreeSet::new();
        for name in names.iter().filter(|name| !name.trim().is_empty()) {
            let item: SharedItem = name.parse()?;
            if let SharedItem::Attachment(id) = item {
                if !file_ids.contains(&id) {
                    return Err(ShareError::NoSuchFile(id));
                }
            }
            items.insert(item);
        }
        if items.is_empty() {
            return Err(ShareError::Nothing);
        }
        Ok(Share(items))
    }

    /// A share as stored: its names, checked when it was made.
    pub fn from_stored(names: &str) -> Result<Share, ShareError> {
        let items = names
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<BTreeSet<SharedItem>, _>>()?;
        if items.is_empty() {
            return Err(ShareError::Nothing);
        }
        Ok(Share(items))
    }

    /// The names as one stored line.
    pub fn stored_text(&self) -> String {
        self.names().join(" ")
    }

    /// The summary alone.
    pub fn summary_only() -> Share {
        Share(BTreeSet::from([SharedItem::Summary]))
    }

    pub fn contains(&self, item: SharedItem) -> bool {
        self.0.contains(&item)
    }

    /// Whether the participant may download the file `id`.
    pub fn includes_file(&self, id: i64) -> bool {
        self.contains(SharedItem::Attachments) || self.contains(SharedItem::Attachment(id))
    }

    pub fn items(&self) -> impl Iterator<Item = SharedItem> + '_ {
        self.0.iter().copied()
    }

    /// The names, as stored and as the API writes them.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|item| item.name()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn fields_and_files_by_name() {
        let share = Share::parse(
            &names(&["summary", "impact", "attachment:7", "summary"]),
            &[7, 8],
        )
        .expect("valid");
        assert_eq!(share.names(), ["summary", "impact", "attachment:7"]);
        assert!(share.includes_file(7));
        assert!(!share.includes_file(8));
        assert!(!share.contains(SharedItem::StepsToReproduce));
        let all = Share::parse(&names(&["attachments"]), &[7, 8]).expect("valid");
        assert!(all.includes_file(8));
        let round_trip = Share::parse(&share.names(), &[7]).expect("valid");
        assert_eq!(round_trip, share);
        assert_eq!(
            Share::from_stored(&share.stored_text()).expect("stored"),
            share
        );
    }

    #[test]
    fn what_cannot_be_shared_is_named() {
        let table: [(&[&str], ShareError); 6] = [
            (&[], ShareError::Nothing),
            (&[" "], ShareError::Nothing),
            (&["contact"], ShareError::Contact),
            (&["contact.email"], ShareError::Contact),
            (&["attachment:9"], ShareError::NoSuchFile(9)),
            (
                &["attachment:-1"],
                ShareError::Unknown(String::new(), String::new()),
            ),
        ];
        for (given, expected) in table {
            let refused = Share::parse(&names(given), &[7]).expect_err("refused");
            assert_eq!(
                std::mem::discriminant(&refused),
                std::mem::discriminant(&expected),
                "{given:?}: {refused}"
            );
        }
        let unknown = Share::parse(&names(&["notes"]), &[]).expect_err("refused");
        assert!(
            unknown.to_string().contains("steps_to_reproduce"),
            "{unknown}"
        );
        assert!(Share::parse(&names(&["attachment:+7"]), &[7]).is_err());
        assert_eq!(
            Share::parse(&vec!["summary".to_owned(); 101], &[]),
            Err(ShareError::TooMany)
        );
    }
}
