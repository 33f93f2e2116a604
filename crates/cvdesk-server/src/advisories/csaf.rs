//! The CSAF 2.0 trusted provider (§7.1, requirements 1–20 but the DNS path): the provider
//! metadata, the TLP:WHITE directory with one folder per year, `index.txt`,
//! `changes.csv`, a ROLIE feed, each document with its `.sha256`, `.sha512` and detached
//! OpenPGP signature, and the organization's public key. Documents are written from the
//! stored revisions; each version's bytes, hashes and signature are kept in memory once
//! made, since a document only changes with a new revision (which has a new version).
//! `index.txt`, `changes.csv` and the feed (megabytes at ten thousand advisories) are
//! rendered together once per published list and kept until the store's published
//! version says the list changed, which any instance's publication does.
//!
//! Every file here is public, served to any client without rate limits or challenge and
//! with `Access-Control-Allow-Origin: *` (set on the routes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use cvdesk_domain::advisory::export::to_csaf;
use cvdesk_formats::csaf::{
    self, changes_csv, index_txt, DirectoryEntry, FeedDocument, OpenPgpKey, ProviderDistribution,
    ProviderMetadata, ProviderRole, Publisher, PublisherCategory, Rolie, RolieFeed, RolieFeedRef,
    TlpV1Label,
};
use cvdesk_formats::timestamp::Timestamp;
use cvdesk_formats::tlp::Tlp;
use cvdesk_store::PublishedSummary;
use sha2::{Digest, Sha256, Sha512};

use super::service::{self, Published};
use crate::error::{PageError, WebError};
use crate::openpgp;
use crate::AppState;

/// Documents listed at most; far beyond what one organization publishes.
const ALL: u32 = 1_000_000;
const FEED_NAME: &str = "csaf-feed-tlp-white.json";

/// One version of one document as served.
pub struct DocumentFiles {
    pub json: Vec<u8>,
    pub sha256: String,
    pub sha512: String,
    /// The detached signature, or why there is none.
    pub signature: Result<String, String>,
}

/// The directory's list files, rendered from one published list.
pub struct DirectoryFiles {
    index: Bytes,
    changes: Bytes,
    feed: Bytes,
    /// The latest publication in the list (the provider metadata's `last_updated`).
    last_updated: time::OffsetDateTime,
}

/// The store's published version (`AdvisoryStore::published_version`): published
/// advisories and revisions, counted.
type PublishedVersion = (i64, i64);

/// Documents already written, by tracking id and version, and the directory's list
/// files with the published version they were rendered at.
#[derive(Default)]
pub struct CsafCache {
    documents: Mutex<HashMap<(String, u32), Arc<DocumentFiles>>>,
    directory: Mutex<Option<(PublishedVersion, Arc<DirectoryFiles>)>>,
}

impl CsafCache {
    fn directory_at(&self, version: PublishedVersion) -> Option<Arc<DirectoryFiles>> {
        self.directory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|(cached, _)| *cached == version)
            .map(|(_, files)| Arc::clone(files))
    }

    fn put_directory(&self, version: PublishedVersion, files: Arc<DirectoryFiles>) {
        *self
            .directory
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((version, files));
    }

    fn get(&self, key: &(String, u32)) -> Option<Arc<DocumentFiles>> {
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    fn put(&self, key: (String, u32), files: Arc<DocumentFiles>) {
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, files);
    }
}

fn base(state: &AppState) -> String {
    format!("{}/.well-known/csaf", state.settings.public_url)
}

fn path_of(summary: &PublishedSummary) -> String {
    csaf::distribution_path(
        &summary.id.to_string(),
        Timestamp::from(summary.first_published_at),
    )
}

async fn white(state: &AppState) -> Result<Vec<PublishedSummary>, WebError> {
    Ok(state
        .store
        .published_advisories(Some(Tlp::Clear), ALL)
        .await?)
}

fn text(body: String, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `white/index.txt`: every document's path (requirement 12).
pub fn render_index(listed: &[PublishedSummary]) -> String {
    let entries: Vec<DirectoryEntry> = listed
        .iter()
        .map(|summary| DirectoryEntry {
            path: path_of(summary),
            current_release_date: summary.latest_published_at.into(),
        })
        .collect();
    index_txt(&entries)
}

/// `white/changes.csv`: path and current release date, newest first (requirement 13).
pub fn render_changes(listed: &[PublishedSummary]) -> String {
    let entries: Vec<DirectoryEntry> = listed
        .iter()
        .map(|summary| DirectoryEntry {
            path: path_of(summary),
            current_release_date: summary.latest_published_at.into(),
        })
        .collect();
    changes_csv(&entries)
}

/// The ROLIE feed of the white folder (requirement 15).
pub fn render_feed(base: &str, listed: &[PublishedSummary]) -> Result<String, WebError> {
    let documents: Vec<FeedDocument> = listed
        .iter()
        .map(|summary| FeedDocument {
            tracking_id: summary.id.to_string(),
            title: summary.title.clone(),
            summary: Some(summary.summary.clone()),
            url: format!("{base}/white/{}", path_of(summary)),
            initial_release_date: summary.first_published_at.into(),
            current_release_date: summary.latest_published_at.into(),
        })
        .collect();
    let feed = RolieFeed::new(
        "csaf-feed-tlp-white",
        "TLP:WHITE advisories",
        &format!("{base}/white/{FEED_NAME}"),
        &documents,
        Timestamp::from(time::OffsetDateTime::UNIX_EPOCH),
    );
    serde_json::to_string_pretty(&feed).map_err(WebError::internal)
}

/// The list files as of the store's published version, rendered when it changed. The
/// version is read before the list, so a publication in between is rendered again on the
/// next request rather than missed.
async fn directory(state: &AppState) -> Result<Arc<DirectoryFiles>, WebError> {
    let version = state.store.published_version().await?;
    if let Some(files) = state.csaf.directory_at(version) {
        return Ok(files);
    }
    let listed = white(state).await?;
    let files = Arc::new(DirectoryFiles {
        index: Bytes::from(render_index(&listed)),
        changes: Bytes::from(render_changes(&listed)),
        feed: Bytes::from(render_feed(&base(state), &listed)?),
        last_updated: listed
            .iter()
            .map(|summary| summary.latest_published_at)
            .max()
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
    });
    state.csaf.put_directory(version, Arc::clone(&files));
    Ok(files)
}

fn served(body: &Bytes, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body.clone()).into_response()
}

pub async fn get_index(State(state): State<AppState>) -> Result<Response, PageError> {
    Ok(served(
        &directory(&state).await?.index,
        "text/plain; charset=utf-8",
    ))
}

pub async fn get_changes(State(state): State<AppState>) -> Result<Response, PageError> {
    Ok(served(
        &directory(&state).await?.changes,
        "text/csv; charset=utf-8",
    ))
}

pub async fn get_feed(State(state): State<AppState>) -> Result<Response, PageError> {
    Ok(served(&directory(&state).await?.feed, "application/json"))
}

/// `provider-metadata.json`: a trusted provider with the directory and the ROLIE feed,
/// listing the organization key when one is configured.
pub async fn get_provider_metadata(State(state): State<AppState>) -> Result<Response, PageError> {
    let base = base(&state);
    let last_updated = directory(&state).await?.last_updated;
    let publisher = service::publisher(&state);
    let key = openpgp::load_published(&*state.store)
        .await
        .map_err(|error| WebError::Internal(Box::new(error)))?;
    let metadata = ProviderMetadata {
        canonical_url: format!("{base}/provider-metadata.json"),
        distributions: vec![
            ProviderDistribution {
                directory_url: Some(format!("{base}/white/")),
                rolie: None,
            },
            ProviderDistribution {
                directory_url: None,
                rolie: Some(Rolie {
                    feeds: vec![RolieFeedRef {
                        summary: Some("TLP:WHITE advisories".to_owned()),
                        tlp_label: TlpV1Label::White,
                        url: format!("{base}/white/{FEED_NAME}"),
                    }],
                }),
            },
        ],
        last_updated: last_updated.into(),
        list_on_csaf_aggregators: true,
        metadata_version: "2.0",
        mirror_on_csaf_aggregators: true,
        public_openpgp_keys: key
            .iter()
            .map(|key| OpenPgpKey {
                fingerprint: Some(key.fingerprint().to_owned()),
                url: format!("{base}/openpgp/{}.asc", key.fingerprint()),
            })
            .collect(),
        publisher: Publisher {
            category: PublisherCategory::Vendor,
            contact_details: publisher.contact,
            issuing_authority: None,
            name: publisher.name,
            namespace: publisher.namespace,
        },
        role: ProviderRole::CsafTrustedProvider,
    };
    let body = serde_json::to_string_pretty(&metadata).map_err(WebError::internal)?;
    Ok(text(body, "application/json"))
}

/// `openpgp/{FINGERPRINT}.asc`: the organization's public key.
pub async fn get_key(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let key = openpgp::load_published(&*state.store)
        .await
        .map_err(|error| WebError::Internal(Box::new(error)))?
        .ok_or(WebError::NotFound)?;
    if file != format!("{}.asc", key.fingerprint()) {
        return Err(WebError::NotFound.into());
    }
    Ok(text(key.armored().to_owned(), "application/pgp-keys"))
}

/// The files of the advisory's current version, written once.
pub async fn document_files(
    state: &AppState,
    published: &Published,
) -> Result<Arc<DocumentFiles>, WebError> {
    let latest = published.latest().ok_or(WebError::NotFound)?;
    let key = (published.id.to_string(), latest.number());
    if let Some(files) = state.csaf.get(&key) {
        return Ok(files);
    }
    // Dated by the revision itself, so every instance writes the same bytes.
    let document = to_csaf(
        &published.publication(),
        latest.date(),
        env!("CARGO_PKG_VERSION"),
    )
    .map_err(service::export_error)?;
    let json = serde_json::to_vec_pretty(&document).map_err(WebError::internal)?;
    let file_name = csaf::file_name(&key.0);
    let sha256 = format!("{}  {file_name}\n", hex::encode(Sha256::digest(&json)));
    let sha512 = format!("{}  {file_name}\n", hex::encode(Sha512::digest(&json)));
    let now = state.clock.now();
    let signature = match state
        .organization_signer
        .get(&*state.store, state.settings.pgp_passphrase.as_ref(), now)
        .await
    {
        Ok(Some(signer)) => {
            let bytes = json.clone();
            tokio::task::spawn_blocking(move || signer.sign_detached(&bytes, now))
                .await
                .map_err(WebError::internal)?
                .map_err(|error| error.to_string())
        }
        Ok(None) => Err("no organization key is configured".to_owned()),
        Err(openpgp::LoadError::Key(error)) => Err(error.to_string()),
        Err(openpgp::LoadError::Store(error)) => return Err(error.into()),
    };
    let files = Arc::new(DocumentFiles {
        json,
        sha256,
        sha512,
        signature,
    });
    // Only a signed copy is kept: a key configured later signs the next request's copy.
    if files.signature.is_ok() {
        state.csaf.put(key, Arc::clone(&files));
    }
    Ok(files)
}

/// `white/{year}/{file}`: a document (`.json`) or its `.sha256`, `.sha512` or `.asc`.
pub async fn get_document(
    State(state): State<AppState>,
    Path((year, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (name, suffix) = ["", ".sha256", ".sha512", ".asc"]
        .into_iter()
        .rev()
        .find_map(|suffix| {
            file.strip_suffix(&format!(".json{suffix}"))
                .map(|name| (name.to_owned(), suffix))
        })
        .ok_or(WebError::NotFound)?;
    // File names are the lower-case tracking ids (§5.1), and ids are upper case.
    let id = name.to_ascii_uppercase();
    let (_, published) = super::public::public_advisory(&state, &id).await?;
    let first = published.history.first().ok_or(WebError::NotFound)?;
    if csaf::distribution_path(&id, Timestamp::from(first.date())) != format!("{year}/{name}.json")
    {
        return Err(WebError::NotFound.into());
    }
    let files = document_files(&state, &published).await?;
    Ok(match suffix {
        "" => (
            [(header::CONTENT_TYPE, "application/json")],
            files.json.clone(),
        )
            .into_response(),
        ".sha256" => text(files.sha256.clone(), "text/plain; charset=utf-8"),
        ".sha512" => text(files.sha512.clone(), "text/plain; charset=utf-8"),
        _ => match &files.signature {
            Ok(armored) => text(armored.clone(), "application/pgp-signature"),
            Err(_) => return Err(WebError::NotFound.into()),
        },
    })
}

/// Directory listings (requirement 14): the years, then a year's files.
pub async fn get_white_listing(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    let listed = white(&state).await?;
    let mut years: Vec<String> = listed
        .iter()
        .map(|summary| path_of(summary)[..4].to_owned())
        .collect();
    years.sort_unstable();
    years.dedup();
    let mut links = vec![
        "index.txt".to_owned(),
        "changes.csv".to_owned(),
        FEED_NAME.to_owned(),
    ];
    links.extend(years.into_iter().map(|year| format!("{year}/")));
    Ok(listing("/.well-known/csaf/white/", &links))
}

pub async fn get_year_listing(
    State(state): State<AppState>,
    Path(year): Path<String>,
) -> Result<Html<String>, PageError> {
    let listed = white(&state).await?;
    let mut links = Vec::new();
    for summary in &listed {
        let path = path_of(summary);
        if let Some(file) = path.strip_prefix(&format!("{year}/")) {
            for suffix in ["", ".sha256", ".sha512", ".asc"] {
                links.push(format!("{file}{suffix}"));
            }
        }
    }
    if links.is_empty() {
        return Err(WebError::NotFound.into());
    }
    links.sort_unstable();
    Ok(listing(&format!("/.well-known/csaf/white/{year}/"), &links))
}

fn listing(title: &str, links: &[String]) -> Html<String> {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let items: String = links
        .iter()
        .map(|link| format!("<li><a href=\"{0}\">{0}</a></li>\n", escape(link)))
        .collect();
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Index of {0}</title></head>\n<body><h1>Index of {0}</h1>\n<ul>\n{items}</ul></body></html>\n",
        escape(title)
    ))
}
