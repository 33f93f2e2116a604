//! The public side of outbound disclosure: the published write-ups (`/disclosures`,
//! `/disclosures/{id}`, its CSAF document, `/disclosures.atom`) and the researcher's own policy
//! (`/disclosure-policy`), generated from the same deadline settings the cases follow so
//! the inquiry can link it (item a).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use cvdesk_formats::atom::{Entry, Feed, Person};
use cvdesk_store::StoredCase;

use super::publish::Writeup;
use crate::error::{PageError, WebError};
use crate::views::{render, Layout};
use crate::AppState;

struct ListItem {
    id: String,
    title: String,
    vendor: String,
    published: String,
}

#[derive(Template)]
#[template(path = "disclosures.html")]
struct DisclosuresPage {
    layout: Layout,
    items: Vec<ListItem>,
}

#[derive(Template)]
#[template(path = "disclosure.html")]
struct DisclosurePage {
    layout: Layout,
    w: Writeup,
    published: String,
}

#[derive(Template)]
#[template(path = "disclosure_policy.html")]
struct PolicyPage {
    layout: Layout,
    researcher: String,
    verify_days: u32,
    announce_days: u32,
    grace_days: u32,
    after_fix_days: u32,
    contact: Option<String>,
}

fn writeup_of(case: &StoredCase) -> Result<Option<Writeup>, WebError> {
    case.publication
        .as_deref()
        .map(|json| {
            serde_json::from_str(json).map_err(|e| {
                WebError::internal(cvdesk_store::StoreError::Corrupt(format!(
                    "write-up of {}: {e}",
                    case.id
                )))
            })
        })
        .transpose()
}

/// Every published write-up, newest first.
async fn published(state: &AppState) -> Result<Vec<Writeup>, WebError> {
    let mut writeups = Vec::new();
    for case in state.store.cases().await? {
        if let Some(writeup) = writeup_of(&case)? {
            writeups.push(writeup);
        }
    }
    writeups.sort_by_key(|writeup| std::cmp::Reverse(writeup.published_at));
    Ok(writeups)
}

pub async fn get_disclosures(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    let items = published(&state)
        .await?
        .into_iter()
        .map(|w| ListItem {
            published: w.published_at.date().to_string(),
            id: w.id,
            title: w.title,
            vendor: w.vendor,
        })
        .collect();
    Ok(render(&DisclosuresPage {
        layout: Layout::of(&state.settings),
        items,
    })?)
}

pub async fn get_disclosure(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let id = id.parse().map_err(|_| WebError::NotFound)?;
    let case = state
        .store
        .case_by_id(&id)
        .await?
        .ok_or(WebError::NotFound)?;
    let writeup = writeup_of(&case)?.ok_or(WebError::NotFound)?;
    Ok(render(&DisclosurePage {
        layout: Layout::of(&state.settings),
        published: writeup.published_at.date().to_string(),
        w: writeup,
    })?)
}

pub async fn get_disclosures_atom(State(state): State<AppState>) -> Result<Response, PageError> {
    let writeups = published(&state).await?;
    let base = &state.settings.public_url;
    let updated = writeups
        .first()
        .map_or(state.clock.now(), |w| w.published_at);
    let feed = Feed {
        id: format!("{base}/disclosures.atom"),
        title: format!("{} disclosures", state.settings.organization_name),
        updated: updated.into(),
        self_link: format!("{base}/disclosures.atom"),
        alternate_link: Some(format!("{base}/disclosures")),
        author: Person {
            name: state.settings.organization_name.clone(),
            uri: Some(base.clone()),
        },
        entries: writeups
            .into_iter()
            .map(|w| Entry {
                id: format!("{base}/disclosures/{}", w.id),
                link: format!("{base}/disclosures/{}", w.id),
                title: format!("{}: {}", w.id, w.title),
                updated: w.published_at.into(),
                published: Some(w.published_at.into()),
                summary: Some(format!(
                    "{} in {} ({})",
                    w.vulnerability_type, w.product, w.vendor
                )),
                author: None,
            })
            .collect(),
    };
    let xml = feed.to_xml().map_err(WebError::internal)?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

/// The write-up as a CSAF 2.0 document, publisher category `discoverer`.
pub async fn get_disclosure_csaf(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    if file != cvdesk_formats::csaf::file_name(&id) {
        return Err(WebError::NotFound.into());
    }
    let id = id.parse().map_err(|_| WebError::NotFound)?;
    let case = state
        .store
        .case_by_id(&id)
        .await?
        .ok_or(WebError::NotFound)?;
    let writeup = writeup_of(&case)?.ok_or(WebError::NotFound)?;
    let base = &state.settings.public_url;
    let urls = super::publish::urls(base, &writeup.id);
    let (html_url, csaf_url) = (urls.html, urls.csaf);
    let researcher = state.outbound.researcher.as_ref();
    let name = researcher
        .and_then(|r| r.organization.clone().or_else(|| Some(r.name.clone())))
        .unwrap_or_else(|| state.settings.organization_name.clone());
    let document = super::csaf::document(
        &writeup,
        &super::csaf::Issuer {
            name: &name,
            namespace: base,
            contact: researcher.map(|r| r.email.as_str()),
            html_url: &html_url,
            csaf_url: &csaf_url,
        },
        state.clock.now(),
        env!("CARGO_PKG_VERSION"),
    );
    let json = serde_json::to_string_pretty(&document).map_err(WebError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

pub async fn get_disclosure_policy(
    State(state): State<AppState>,
) -> Result<Html<String>, PageError> {
    let settings = &state.outbound;
    let rules = settings.rules(settings.preset);
    Ok(render(&PolicyPage {
        layout: Layout::of(&state.settings),
        researcher: settings
            .researcher
            .as_ref()
            .and_then(|r| r.organization.clone().or_else(|| Some(r.name.clone())))
            .unwrap_or_else(|| state.settings.organization_name.clone()),
        verify_days: rules.verify_business_days,
        announce_days: rules.announce_calendar_days,
        grace_days: rules.grace_days,
        after_fix_days: rules.publish_after_fix_days,
        contact: settings.researcher.as_ref().map(|r| r.email.clone()),
    })?)
}
