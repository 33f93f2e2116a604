//! The public side: `/advisories` (TLP:CLEAR only, newest first), one advisory's page, the
//! Atom feed, and each advisory's OSV entry and CVE records. A draft, a scheduled advisory
//! and anything not TLP:CLEAR is missing to the public.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use cvdesk_domain::advisory::export::{atom_entry, to_cve_record, to_osv};
use cvdesk_domain::advisory::AdvisoryId;
use cvdesk_formats::atom::{Feed, Person};
use cvdesk_formats::cve_id::CveId;
use cvdesk_formats::timestamp::Timestamp;
use cvdesk_formats::tlp::Tlp;
use cvdesk_store::Advisory;

use super::service::{self, Published};
use super::views::{AdvisoryListPage, AdvisoryPage, AdvisoryView, ListedAdvisory};
use crate::error::{PageError, WebError};
use crate::views::{render, utc_minute, Layout};
use crate::AppState;

/// Most advisories the list and the feed show.
const LISTED: u32 = 1_000;

/// A published TLP:CLEAR advisory, or 404.
pub async fn public_advisory(
    state: &AppState,
    id: &str,
) -> Result<(Advisory, Published), WebError> {
    let id: AdvisoryId = id.parse().map_err(|_| WebError::NotFound)?;
    let advisory = state.store.advisory(&id).await?.ok_or(WebError::NotFound)?;
    let published = Published::of(state, &advisory).ok_or(WebError::NotFound)?;
    match published.latest() {
        Some(latest) if latest.content().tlp == Tlp::Clear => Ok((advisory, published)),
        _ => Err(WebError::NotFound),
    }
}

pub fn cve_links(state: &AppState, published: &Published) -> Vec<(String, String)> {
    published
        .cve_urls(state)
        .into_iter()
        .map(|(cve, url)| (cve.to_string(), url))
        .collect()
}

pub async fn get_advisories(State(state): State<AppState>) -> Result<Html<Bytes>, PageError> {
    let page = state
        .public_cache
        .advisory_list(advisory_list(&state))
        .await?;
    Ok(Html(page))
}

async fn advisory_list(state: &AppState) -> Result<Bytes, WebError> {
    let listed = state
        .store
        .published_advisories(Some(Tlp::Clear), LISTED)
        .await?;
    let advisories = listed
        .into_iter()
        .map(|advisory| ListedAdvisory {
            id: advisory.id.to_string(),
            title: advisory.title,
            summary: advisory.summary,
            first_published: Timestamp::from(advisory.first_published_at).to_string(),
            first_published_display: utc_minute(advisory.first_published_at),
            latest_display: utc_minute(advisory.latest_published_at),
            version: advisory.version,
            withdrawn: advisory.withdrawn_at.is_some(),
        })
        .collect();
    Ok(Bytes::from(
        render(&AdvisoryListPage {
            layout: Layout::of(&state.settings),
            advisories,
        })?
        .0,
    ))
}

pub async fn get_advisory(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let (_, published) = public_advisory(&state, &id).await?;
    let advisory =
        AdvisoryView::of(&published, cve_links(&state, &published)).ok_or(WebError::NotFound)?;
    Ok(render(&AdvisoryPage {
        layout: Layout::of(&state.settings),
        advisory,
        preview: false,
        public_files: true,
    })?)
}

fn json_response(body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response()
}

pub async fn get_osv(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (_, published) = public_advisory(&state, &id).await?;
    let entry = to_osv(&published.publication()).map_err(service::export_error)?;
    Ok(json_response(
        serde_json::to_vec_pretty(&entry).map_err(WebError::internal)?,
    ))
}

/// `/advisories/{id}/cve/{file}` where the file is `CVE-YYYY-NNNN.json`.
pub async fn get_cve(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let cve: CveId = file
        .strip_suffix(".json")
        .and_then(|name| name.parse().ok())
        .ok_or(WebError::NotFound)?;
    let (_, published) = public_advisory(&state, &id).await?;
    let record = to_cve_record(&published.publication(), cve).map_err(service::export_error)?;
    Ok(json_response(
        serde_json::to_vec_pretty(&record).map_err(WebError::internal)?,
    ))
}

/// `/advisories.atom`: one entry per public advisory, updated with each revision.
pub async fn get_atom(State(state): State<AppState>) -> Result<Response, PageError> {
    let listed = state
        .store
        .published_advisories(Some(Tlp::Clear), LISTED)
        .await?;
    let base = &state.settings.public_url;
    let mut entries = Vec::with_capacity(listed.len());
    let mut updated = None;
    for summary in &listed {
        let Some(advisory) = state.store.advisory(&summary.id).await? else {
            continue;
        };
        let Some(published) = Published::of(&state, &advisory) else {
            continue;
        };
        let entry = atom_entry(&published.publication()).map_err(service::export_error)?;
        updated = updated.max(Some(entry.updated));
        entries.push(entry);
    }
    entries.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
    let feed = Feed {
        id: format!("{base}/advisories.atom"),
        title: format!("{} security advisories", state.settings.organization_name),
        // An empty feed keeps one fixed date, so it changes only when an advisory does.
        updated: updated.unwrap_or_else(|| Timestamp::from(time::OffsetDateTime::UNIX_EPOCH)),
        self_link: format!("{base}/advisories.atom"),
        alternate_link: Some(format!("{base}/advisories")),
        author: Person {
            name: state.settings.organization_name.clone(),
            uri: Some(base.clone()),
        },
        entries,
    };
    let xml = feed.to_xml().map_err(WebError::internal)?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response())
}
