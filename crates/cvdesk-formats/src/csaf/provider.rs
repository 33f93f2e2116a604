//! The files of a CSAF 2.0 trusted provider (§7.1): `provider-metadata.json`, and per TLP
//! folder `index.txt`, `changes.csv` and a ROLIE feed. Values only: where they are served
//! and how documents are hashed and signed belongs to the server.

use std::fmt::Write as _;

use serde::Serialize;

use super::document::{Publisher, TlpV1Label};
use crate::timestamp::Timestamp;

/// `provider-metadata.json`. Fields in alphabetical order, like the documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderMetadata {
    /// Where this file itself is served.
    pub canonical_url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub distributions: Vec<ProviderDistribution>,
    pub last_updated: Timestamp,
    #[serde(rename = "list_on_CSAF_aggregators")]
    pub list_on_csaf_aggregators: bool,
    /// Always "2.0".
    pub metadata_version: &'static str,
    #[serde(rename = "mirror_on_CSAF_aggregators")]
    pub mirror_on_csaf_aggregators: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub public_openpgp_keys: Vec<OpenPgpKey>,
    pub publisher: Publisher,
    pub role: ProviderRole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderRole {
    CsafPublisher,
    CsafProvider,
    CsafTrustedProvider,
}

/// One way the documents can be fetched: a directory (with `index.txt` and
/// `changes.csv`), ROLIE feeds, or both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderDistribution {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolie: Option<Rolie>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rolie {
    pub feeds: Vec<RolieFeedRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolieFeedRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub tlp_label: TlpV1Label,
    pub url: String,
}

/// A key the documents are signed with, and where to fetch it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenPgpKey {
    /// The key's fingerprint in upper-case hex, without spaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    pub url: String,
}

/// One published document as the directory files list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The path inside the TLP folder, from [`super::distribution_path`].
    pub path: String,
    pub current_release_date: Timestamp,
}

/// `index.txt` (requirement 12): every document's path, one a line, in path order.
pub fn index_txt(entries: &[DirectoryEntry]) -> String {
    let mut paths: Vec<&str> = entries.iter().map(|entry| entry.path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    paths.iter().fold(String::new(), |mut text, path| {
        text.push_str(path);
        text.push('\n');
        text
    })
}

/// `changes.csv` (requirement 13): `path,current_release_date` rows without a header,
/// newest first (ties by path so the file is reproducible). Fields are written unquoted,
/// as CSAF 2.1 asks and CSAF 2.0 readers accept; the paths the desk writes never contain
/// a comma or a quote.
pub fn changes_csv(entries: &[DirectoryEntry]) -> String {
    let mut rows: Vec<&DirectoryEntry> = entries.iter().collect();
    rows.sort_by(|a, b| {
        b.current_release_date
            .cmp(&a.current_release_date)
            .then_with(|| a.path.cmp(&b.path))
    });
    let mut text = String::new();
    for row in rows {
        // Writing to a String cannot fail.
        let _ = writeln!(text, "{},{}", row.path, row.current_release_date);
    }
    text
}

/// The information-type category every CSAF ROLIE feed carries.
pub const ROLIE_CATEGORY_SCHEME: &str = "urn:ietf:params:rolie:category:information-type";
/// The schema ROLIE entries name for CSAF 2.0 documents.
pub const CSAF_SCHEMA_URL: &str =
    "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json";

/// A ROLIE feed (RFC 8322, JSON form) of one TLP folder's documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolieFeed {
    pub feed: RolieFeedBody,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolieFeedBody {
    pub category: Vec<RolieCategory>,
    pub entry: Vec<RolieEntry>,
    /// Letters, digits and `+-_.` only, e.g. `csaf-feed-tlp-white`.
    pub id: String,
    /// The first link must be `self`, pointing at the feed's own `.json` URL.
    pub link: Vec<RolieLink>,
    pub title: String,
    pub updated: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolieCategory {
    pub scheme: String,
    pub term: String,
}

impl RolieCategory {
    pub fn csaf() -> RolieCategory {
        RolieCategory {
            scheme: ROLIE_CATEGORY_SCHEME.to_owned(),
            term: "csaf".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolieLink {
    pub href: String,
    pub rel: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolieEntry {
    pub content: RolieContent,
    pub format: RolieFormat,
    /// The document's tracking id.
    pub id: String,
    /// `self`, then the `hash` links and the `signature` link.
    pub link: Vec<RolieLink>,
    pub published: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<RolieSummary>,
    pub title: String,
    pub updated: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolieContent {
    pub src: String,
    #[serde(rename = "type")]
    pub content_type: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolieFormat {
    pub schema: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolieSummary {
    pub content: String,
}

/// What the feed needs to know of one published document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedDocument {
    pub tracking_id: String,
    pub title: String,
    pub summary: Option<String>,
    /// The document's absolute URL; its `.sha256`, `.sha512` and `.asc` files sit beside it.
    pub url: String,
    pub initial_release_date: Timestamp,
    pub current_release_date: Timestamp,
}

impl RolieEntry {
    /// The entry for a document, linking the document, both hash files and the signature
    /// (a checker notes a feed that links only one of the hashes).
    pub fn for_document(document: &FeedDocument) -> RolieEntry {
        let link = |rel: &str, suffix: &str| RolieLink {
            href: format!("{}{suffix}", document.url),
            rel: rel.to_owned(),
        };
        RolieEntry {
            content: RolieContent {
                src: document.url.clone(),
                content_type: "application/json",
            },
            format: RolieFormat {
                schema: CSAF_SCHEMA_URL,
                version: "2.0",
            },
            id: document.tracking_id.clone(),
            link: vec![
                link("self", ""),
                link("hash", ".sha256"),
                link("hash", ".sha512"),
                link("signature", ".asc"),
            ],
            published: document.initial_release_date,
            summary: document
                .summary
                .clone()
                .map(|content| RolieSummary { content }),
            title: document.title.clone(),
            updated: document.current_release_date,
        }
    }
}

impl RolieFeed {
    /// A feed of `documents`, newest change first. `updated` is the newest document's
    /// change, or `empty_since` when there are none, so the feed only changes when its
    /// content does.
    pub fn new(
        id: &str,
        title: &str,
        feed_url: &str,
        documents: &[FeedDocument],
        empty_since: Timestamp,
    ) -> RolieFeed {
        let mut sorted: Vec<&FeedDocument> = documents.iter().collect();
        sorted.sort_by(|a, b| {
            b.current_release_date
                .cmp(&a.current_release_date)
                .then_with(|| a.tracking_id.cmp(&b.tracking_id))
        });
        let updated = sorted
            .first()
            .map_or(empty_since, |newest| newest.current_release_date);
        RolieFeed {
            feed: RolieFeedBody {
                category: vec![RolieCategory::csaf()],
                entry: sorted.into_iter().map(RolieEntry::for_document).collect(),
                id: id.to_owned(),
                link: vec![RolieLink {
                    href: feed_url.to_owned(),
                    rel: "self".to_owned(),
                }],
                title: title.to_owned(),
                updated,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn entry(path: &str, at: time::OffsetDateTime) -> DirectoryEntry {
        DirectoryEntry {
            path: path.to_owned(),
            current_release_date: at.into(),
        }
    }

    #[test]
    fn index_lists_each_path_once_in_order() {
        let entries = [
            entry("2026/b.json", datetime!(2026-01-02 0:00 UTC)),
            entry("2025/a.json", datetime!(2026-01-03 0:00 UTC)),
            entry("2026/b.json", datetime!(2026-01-02 0:00 UTC)),
        ];
        assert_eq!(index_txt(&entries), "2025/a.json\n2026/b.json\n");
        assert_eq!(index_txt(&[]), "");
    }

    #[test]
    fn changes_are_newest_first_path_first() {
        let entries = [
            entry("2026/b.json", datetime!(2026-01-02 0:00 UTC)),
            entry("2025/a.json", datetime!(2026-01-03 10:00 UTC)),
            entry("2026/c.json", datetime!(2026-01-02 0:00 UTC)),
        ];
        assert_eq!(
            changes_csv(&entries),
            "2025/a.json,2026-01-03T10:00:00.000Z\n\
             2026/b.json,2026-01-02T00:00:00.000Z\n\
             2026/c.json,2026-01-02T00:00:00.000Z\n"
        );
    }

    #[test]
    fn feed_entries_link_hashes_and_signature() {
        let document = FeedDocument {
            tracking_id: "EXA-2026-0001".to_owned(),
            title: "Example".to_owned(),
            summary: None,
            url: "https://example.com/.well-known/csaf/white/2026/exa-2026-0001.json".to_owned(),
            initial_release_date: datetime!(2026-11-01 10:00 UTC).into(),
            current_release_date: datetime!(2026-11-02 10:00 UTC).into(),
        };
        let entry = RolieEntry::for_document(&document);
        let base = "https://example.com/.well-known/csaf/white/2026/exa-2026-0001.json";
        let links: Vec<(&str, String)> = entry
            .link
            .iter()
            .map(|link| (link.rel.as_str(), link.href.clone()))
            .collect();
        assert_eq!(
            links,
            [
                ("self", base.to_owned()),
                ("hash", format!("{base}.sha256")),
                ("hash", format!("{base}.sha512")),
                ("signature", format!("{base}.asc")),
            ]
        );
    }
}
