//! Finder points (ETSI clause 5.5.3), off until an admin turns them on: the setting's page
//! (`/staff/finder-points`) and API (`GET`/`PUT /api/v1/finder-points`), each change
//! audited, and each credited finder's total for the hall of fame.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FormRejection};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::finder_points::{FinderPoints, PointsTable, OUTCOMES};
use cvdesk_store::{User, FINDER_POINTS};
use serde::Serialize;
use serde_json::Value;

use crate::auth::{audit, ApiStaff, StaffUser};
use crate::error::{ApiError, PageError, WebError};
use crate::routes::api::reports::parse_json;
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

const REFUSAL: &str = "Only admins set finder points.";

/// Most finders whose points the hall of fame lists.
const FINDERS_LISTED: u32 = 500;

/// The setting as stored; absent (never set) means off.
pub async fn current(state: &AppState) -> Result<FinderPoints, WebError> {
    match state.store.setting(FINDER_POINTS).await? {
        None => Ok(FinderPoints::default()),
        Some(json) => serde_json::from_str(&json).map_err(|error| {
            WebError::Internal(format!("the stored finder points do not read: {error}").into())
        }),
    }
}

async fn save(state: &AppState, user: &User, points: &FinderPoints) -> Result<(), WebError> {
    let json =
        serde_json::to_string(points).map_err(|error| WebError::Internal(Box::new(error)))?;
    let entry = audit::event(
        state,
        Some(user),
        "",
        "finder_points.change",
        None,
        if points.enabled {
            format!("on: {}", describe(&points.table))
        } else {
            "off".to_owned()
        },
    );
    state
        .store
        .change_setting(FINDER_POINTS, &json, state.clock.now(), &entry)
        .await?;
    Ok(())
}

fn describe(table: &PointsTable) -> String {
    OUTCOMES
        .iter()
        .map(|(name, _)| format!("{name}={}", table.get(name).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A credited finder's name and points, for `/thanks`.
pub struct FinderTotal {
    pub name: String,
    pub organization: Option<String>,
    pub points: i64,
}

/// The table and each credited finder's total, highest first, when points are on; `None`
/// when off.
pub async fn totals(state: &AppState) -> Result<Option<(PointsTable, Vec<FinderTotal>)>, WebError> {
    let setting = current(state).await?;
    let Some(table) = setting.active() else {
        return Ok(None);
    };
    let mut totals: Vec<FinderTotal> = state
        .store
        .credited_finders(FINDERS_LISTED)
        .await?
        .into_iter()
        .map(|finder| FinderTotal {
            points: table.total(
                finder
                    .outcomes
                    .iter()
                    .map(|(state, rating)| (*state, rating.as_deref())),
            ),
            name: finder.text.name,
            organization: finder.text.organization,
        })
        .collect();
    totals.sort_by(|a, b| b.points.cmp(&a.points).then_with(|| a.name.cmp(&b.name)));
    Ok(Some((*table, totals)))
}

/// How each outcome scores, for the hall of fame's explanation.
pub fn scale(table: &PointsTable) -> Vec<(&'static str, i64)> {
    OUTCOMES
        .iter()
        .map(|(name, label)| (*label, table.get(name).unwrap_or_default()))
        .collect()
}

#[derive(Template)]
#[template(path = "staff/finder_points.html")]
struct SettingPage {
    layout: StaffLayout,
    enabled: bool,
    /// Each outcome: field name, label, what is typed (or stored).
    outcomes: Vec<(&'static str, &'static str, String)>,
    errors: BTreeMap<String, String>,
    notice: Option<String>,
}

impl SettingPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

fn page(
    state: &AppState,
    staff: &StaffUser,
    enabled: bool,
    typed: &dyn Fn(&str) -> String,
    errors: BTreeMap<String, String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SettingPage {
        layout: StaffLayout::of(state, staff),
        enabled,
        outcomes: OUTCOMES
            .iter()
            .map(|(name, label)| (*name, *label, typed(name)))
            .collect(),
        errors,
        notice,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn get_setting(
    State(state): State<AppState>,
    staff: StaffUser,
    query: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    staff.require(StaffAction::ManageSettings, REFUSAL)?;
    let setting = current(&state).await?;
    let notice = (query.0.as_deref() == Some("saved")).then(|| "Saved.".to_owned());
    let typed = |name: &str| {
        setting
            .table
            .get(name)
            .map(|points| points.to_string())
            .unwrap_or_default()
    };
    page(
        &state,
        &staff,
        setting.enabled,
        &typed,
        BTreeMap::new(),
        notice,
    )
}

pub async fn post_setting(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<BTreeMap<String, String>>, FormRejection>,
) -> Result<Response, PageError> {
    staff.require(StaffAction::ManageSettings, REFUSAL)?;
    let mut form = crate::routes::staff::form(submitted)?;
    staff.check_csrf(form.remove("csrf_token").as_deref().unwrap_or(""))?;
    let enabled = form.remove("enabled").is_some_and(|value| value == "yes");
    match FinderPoints::parse(enabled, &form) {
        Ok(points) => {
            save(&state, &staff.user, &points).await?;
            Ok(Redirect::to("/staff/finder-points?saved").into_response())
        }
        Err(errors) => {
            let typed = |name: &str| form.get(name).cloned().unwrap_or_default();
            page(&state, &staff, enabled, &typed, errors, None)
        }
    }
}

#[derive(Serialize)]
pub struct SettingJson {
    enabled: bool,
    points: BTreeMap<&'static str, i64>,
}

impl SettingJson {
    fn of(setting: &FinderPoints) -> Self {
        SettingJson {
            enabled: setting.enabled,
            points: OUTCOMES
                .iter()
                .map(|(name, _)| (*name, setting.table.get(name).unwrap_or_default()))
                .collect(),
        }
    }
}

fn require_admin(staff: &ApiStaff) -> Result<(), WebError> {
    if access::check(&staff.user.actor(), StaffAction::ManageSettings, None).is_allowed() {
        Ok(())
    } else {
        Err(WebError::Forbidden(REFUSAL.to_owned()))
    }
}

pub async fn get_setting_json(
    State(state): State<AppState>,
    staff: ApiStaff,
) -> Result<Json<SettingJson>, ApiError> {
    require_admin(&staff)?;
    Ok(Json(SettingJson::of(&current(&state).await?)))
}

/// `PUT /api/v1/finder-points {"enabled": bool, "points": {outcome: whole number}}`; an
/// outcome left out keeps its default.
pub async fn put_setting_json(
    State(state): State<AppState>,
    staff: ApiStaff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SettingJson>, ApiError> {
    require_admin(&staff)?;
    let body: serde_json::Map<String, Value> = parse_json(&headers, body)?;
    let mut errors = BTreeMap::new();
    for key in body.keys() {
        if key != "enabled" && key != "points" {
            errors.insert(
                key.clone(),
                "is not a field; send enabled and points".to_owned(),
            );
        }
    }
    let enabled = match body.get("enabled") {
        Some(Value::Bool(enabled)) => *enabled,
        _ => {
            errors.insert(
                "enabled".to_owned(),
                "say true (points on) or false (off)".to_owned(),
            );
            false
        }
    };
    let mut typed = BTreeMap::new();
    match body.get("points") {
        None => {}
        Some(Value::Object(points)) => {
            for (outcome, value) in points {
                let text = match value {
                    // JSON Schema's integers include 411.0.
                    Value::Number(number) => cvdesk_formats::json_number::whole_of(number)
                        .map_or_else(|| number.to_string(), |whole| whole.to_string()),
                    Value::String(text) => format!("\"{text}\""),
                    other => other.to_string(),
                };
                typed.insert(outcome.clone(), text);
            }
        }
        Some(_) => {
            errors.insert(
                "points".to_owned(),
                "give an object of outcome names and whole numbers".to_owned(),
            );
        }
    }
    let parsed = FinderPoints::parse(enabled, &typed).map_err(|fields| {
        fields
            .into_iter()
            .map(|(outcome, message)| (format!("points.{outcome}"), message))
            .collect::<BTreeMap<_, _>>()
    });
    let points = match parsed {
        Ok(points) if errors.is_empty() => points,
        Ok(_) => return Err(invalid(errors).into()),
        Err(fields) => {
            errors.extend(fields);
            return Err(invalid(errors).into());
        }
    };
    save(&state, &staff.user, &points).await?;
    Ok(Json(SettingJson::of(&points)))
}

fn invalid(fields: BTreeMap<String, String>) -> WebError {
    WebError::Invalid {
        code: "invalid_finder_points",
        message: "The finder points were not changed: see fields.".to_owned(),
        fields,
    }
}
