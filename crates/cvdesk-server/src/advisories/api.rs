//! The staff API for advisories: `POST /api/v1/advisories` (a draft), `GET` one or the
//! list, `PATCH` (a JSON merge patch over the advisory as typed), `POST …/publish` and
//! `POST …/withdraw`. Bad content answers 422 `invalid_advisory` with a message per field
//! and stores nothing; a move the life cycle refuses answers 409.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::advisory::{AdvisoryInput, AdvisoryState, Revision};
use cvdesk_store::Advisory;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::service::{self, Published};
use crate::auth::ApiStaff;
use crate::error::{ApiError, WebError};
use crate::routes::api::reports::parse_json;
use crate::AppState;

/// Most advisories one list answers.
const LIST_LIMIT: u32 = 500;

#[derive(Serialize)]
pub struct AdvisoryJson {
    id: String,
    state: AdvisoryState,
    #[serde(flatten)]
    content: AdvisoryInput,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    scheduled_at: Option<OffsetDateTime>,
    time_zone: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    first_published_at: Option<OffsetDateTime>,
    version: Option<u32>,
    #[serde(with = "time::serde::rfc3339::option")]
    withdrawn_at: Option<OffsetDateTime>,
    withdrawal_reason: Option<String>,
    revisions: Vec<RevisionJson>,
    credits: Vec<CreditJson>,
    urls: Option<UrlsJson>,
}

#[derive(Serialize)]
struct RevisionJson {
    number: u32,
    #[serde(with = "time::serde::rfc3339")]
    published_at: OffsetDateTime,
    summary: String,
}

#[derive(Serialize)]
struct CreditJson {
    id: i64,
    report: String,
    name: String,
    organization: Option<String>,
    url: Option<String>,
    role: &'static str,
    consent: &'static str,
}

#[derive(Serialize)]
pub struct UrlsJson {
    html: String,
    csaf: String,
    osv: String,
    cve: Vec<String>,
}

#[derive(Serialize)]
pub struct PublishedJson {
    id: String,
    version: u32,
    #[serde(with = "time::serde::rfc3339")]
    published_at: OffsetDateTime,
    urls: UrlsJson,
}

#[derive(Serialize)]
pub struct ListJson {
    items: Vec<ListItem>,
}

#[derive(Serialize)]
struct ListItem {
    id: String,
    state: AdvisoryState,
    title: String,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    version: u32,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PublishBody {
    summary: Option<String>,
    /// Publishing before an embargo of the advisory's reports ends needs a reason.
    override_embargo: Option<OverrideBody>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OverrideBody {
    reason: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WithdrawBody {
    reason: String,
}

fn urls_json(state: &AppState, published: &Published) -> UrlsJson {
    UrlsJson {
        osv: format!("{}/osv.json", published.urls.html),
        html: published.urls.html.clone(),
        csaf: published.urls.csaf.clone(),
        cve: published
            .cve_urls(state)
            .into_iter()
            .map(|(_, url)| url)
            .collect(),
    }
}

pub fn advisory_json(state: &AppState, advisory: &Advisory) -> AdvisoryJson {
    let published = Published::of(state, advisory);
    AdvisoryJson {
        id: advisory.id.to_string(),
        state: advisory.state,
        content: advisory.content.to_input(),
        created_at: advisory.created_at,
        updated_at: advisory.updated_at,
        scheduled_at: advisory.schedule.as_ref().map(|s| s.at),
        time_zone: advisory.schedule.as_ref().map(|s| s.zone.clone()),
        first_published_at: advisory.history.first().map(Revision::date),
        version: advisory.history.latest().map(Revision::number),
        withdrawn_at: advisory.withdrawal.as_ref().map(|w| w.at),
        withdrawal_reason: advisory.withdrawal.as_ref().map(|w| w.reason.clone()),
        revisions: advisory
            .history
            .revisions()
            .iter()
            .map(|revision| RevisionJson {
                number: revision.number(),
                published_at: revision.date(),
                summary: revision.summary().to_owned(),
            })
            .collect(),
        credits: advisory
            .credits
            .iter()
            .map(|stored| CreditJson {
                id: stored.id,
                report: stored.report.to_string(),
                name: stored.credit.text.name.clone(),
                organization: stored.credit.text.organization.clone(),
                url: stored.credit.text.url.clone(),
                role: stored.credit.role.as_str(),
                consent: stored.credit.consent.as_str(),
            })
            .collect(),
        urls: published.as_ref().map(|p| urls_json(state, p)),
    }
}

async fn reload(state: &AppState, advisory: &Advisory) -> Result<Advisory, WebError> {
    state
        .store
        .advisory(&advisory.id)
        .await?
        .ok_or(WebError::NotFound)
}

pub async fn post_advisory(
    State(state): State<AppState>,
    staff: ApiStaff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<AdvisoryJson>), ApiError> {
    service::may_write(&staff.user.actor())?;
    let input: AdvisoryInput = parse_json(&headers, body)?;
    let id = service::create(&state, &staff.user, &input)
        .await
        .map_err(WebError::from)?;
    let advisory = state.store.advisory(&id).await?.ok_or(WebError::NotFound)?;
    Ok((StatusCode::CREATED, Json(advisory_json(&state, &advisory))))
}

pub async fn list_advisories(
    State(state): State<AppState>,
    staff: ApiStaff,
) -> Result<Json<ListJson>, ApiError> {
    let actor = staff.user.actor();
    let scope = match cvdesk_domain::access::visible_products(&actor) {
        cvdesk_domain::access::ProductScope::All => None,
        cvdesk_domain::access::ProductScope::Only(products) => {
            Some(products.into_iter().collect::<Vec<_>>())
        }
    };
    let listed = state.store.advisories(scope.as_deref(), LIST_LIMIT).await?;
    Ok(Json(ListJson {
        items: listed
            .into_iter()
            .map(|summary| ListItem {
                id: summary.id.to_string(),
                state: summary.state,
                title: summary.title,
                updated_at: summary.updated_at,
                version: summary.latest_revision,
            })
            .collect(),
    }))
}

pub async fn get_advisory(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
) -> Result<Json<AdvisoryJson>, ApiError> {
    let advisory =
        service::load(&state, &staff.user.actor(), &id, StaffAction::ViewAdvisory).await?;
    Ok(Json(advisory_json(&state, &advisory)))
}

/// Applies an RFC 7396 merge patch: objects merge key by key, `null` removes, anything
/// else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(fields) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            if let Value::Object(current) = target {
                for (key, value) in fields {
                    if value.is_null() {
                        current.remove(key);
                    } else {
                        merge_patch(current.entry(key.clone()).or_insert(Value::Null), value);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

pub async fn patch_advisory(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AdvisoryJson>, ApiError> {
    let advisory =
        service::load(&state, &staff.user.actor(), &id, StaffAction::WriteAdvisory).await?;
    let patch: serde_json::Map<String, Value> = parse_json(&headers, body)?;
    let mut current =
        serde_json::to_value(advisory.content.to_input()).map_err(WebError::internal)?;
    merge_patch(&mut current, &Value::Object(patch));
    let input: AdvisoryInput = serde_json::from_value(current).map_err(|error| {
        WebError::bad_request(
            "malformed_json",
            format!("The patched advisory is not valid JSON for an advisory: {error}."),
        )
    })?;
    service::update(&state, &staff.user, &advisory, &input)
        .await
        .map_err(WebError::from)?;
    Ok(Json(advisory_json(
        &state,
        &reload(&state, &advisory).await?,
    )))
}

pub async fn post_publish(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PublishedJson>, ApiError> {
    let advisory =
        service::load(&state, &staff.user.actor(), &id, StaffAction::WriteAdvisory).await?;
    let body: PublishBody = parse_json(&headers, body)?;
    // The first publication needs no words of its own; a revision says what changed.
    let summary = match body.summary {
        Some(summary) => summary,
        None if advisory.history.revisions().is_empty() => "Initial version.".to_owned(),
        None => String::new(),
    };
    let reason = body.override_embargo.map(|given| given.reason);
    let revision = service::publish(
        &state,
        Some(&staff.user),
        &advisory,
        &summary,
        service::EmbargoRule::Check(reason.as_deref()),
    )
    .await
    .map_err(WebError::from)?;
    let advisory = reload(&state, &advisory).await?;
    let published = Published::of(&state, &advisory).ok_or(WebError::NotFound)?;
    Ok(Json(PublishedJson {
        id: advisory.id.to_string(),
        version: revision.number(),
        published_at: revision.date(),
        urls: urls_json(&state, &published),
    }))
}

pub async fn post_withdraw(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AdvisoryJson>, ApiError> {
    let advisory =
        service::load(&state, &staff.user.actor(), &id, StaffAction::WriteAdvisory).await?;
    let body: WithdrawBody = parse_json(&headers, body)?;
    service::withdraw(&state, &staff.user, &advisory, &body.reason)
        .await
        .map_err(WebError::from)?;
    Ok(Json(advisory_json(
        &state,
        &reload(&state, &advisory).await?,
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::merge_patch;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}, "list": [1, 2]});
        merge_patch(
            &mut target,
            &json!({"a": "z", "c": {"f": null}, "list": [3], "new": {"x": 1}}),
        );
        assert_eq!(
            target,
            json!({"a": "z", "c": {"d": "e"}, "list": [3], "new": {"x": 1}})
        );
    }
}
