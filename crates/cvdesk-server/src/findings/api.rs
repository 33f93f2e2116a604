//! The findings API: `POST /api/v1/findings` files one finding, `POST /api/v1/imports`
//! previews (`"dry_run": true`) or imports a SARIF log or a CSV table. Both need a staff
//! token and are checked per product.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::finding::{finding_source, Finding};
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::{ReportDraft, ReportInput};
use serde::{Deserialize, Serialize};

use super::import::{self, ImportFormat, ImportRequest, PlanError};
use super::service::{create_finding, import_refused, may_file};
use crate::auth::{audit, ApiStaff};
use crate::error::{ApiError, WebError};
use crate::routes::api::reports::parse_json;
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingBody {
    source: String,
    title: Option<String>,
    summary: Option<String>,
    steps_to_reproduce: Option<String>,
    impact: Option<String>,
    asset: Option<String>,
    weakness: Option<String>,
    severity: Option<String>,
    mitigation: Option<String>,
    #[serde(default, deserialize_with = "cvdesk_formats::json_number::optional_id")]
    product_id: Option<i64>,
}

#[derive(Serialize)]
pub struct FindingCreated {
    reference: String,
    source: String,
    status: &'static str,
}

pub async fn post_finding(
    State(state): State<AppState>,
    staff: ApiStaff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<FindingCreated>), ApiError> {
    let body: FindingBody = parse_json(&headers, body)?;
    let mut fields = BTreeMap::new();
    let source = finding_source(&body.source)
        .map_err(|message| fields.insert("source".to_owned(), message))
        .ok();
    let product = match body.product_id {
        Some(id) if id <= 0 => {
            fields.insert(
                "product_id".to_owned(),
                "There is no such product.".to_owned(),
            );
            None
        }
        other => other.map(ProductId),
    };
    let input = ReportInput {
        asset: body.asset,
        weakness: body.weakness,
        severity: body.severity,
        title: body.title,
        summary: body.summary,
        steps_to_reproduce: body.steps_to_reproduce,
        impact: body.impact,
        mitigation: body.mitigation,
        ..ReportInput::default()
    };
    let draft = ReportDraft::parse(&input, state.settings.text_limits)
        .map_err(|errors| {
            for (field, message) in errors.iter() {
                fields.insert(field.json_path().to_owned(), message.to_owned());
            }
        })
        .ok();
    let (Some(source), Some(draft), true) = (source, draft, fields.is_empty()) else {
        return Err(WebError::Invalid {
            code: "invalid_finding",
            message: format!(
                "The finding was not stored: {} field{} to be fixed.",
                fields.len(),
                if fields.len() == 1 {
                    " needs"
                } else {
                    "s need"
                }
            ),
            fields,
        }
        .into());
    };
    let reference = create_finding(
        &state,
        &staff.user,
        Finding {
            source,
            draft,
            product,
            fingerprint: None,
            origin: String::new(),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(FindingCreated {
            reference: reference.to_string(),
            source: source.as_str().to_owned(),
            status: "new",
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    format: String,
    content: String,
    #[serde(default, deserialize_with = "cvdesk_formats::json_number::optional_id")]
    product_id: Option<i64>,
    #[serde(default)]
    dry_run: bool,
}

#[derive(Serialize)]
pub struct PreviewRowJson {
    origin: String,
    title: String,
    source: &'static str,
    product: Option<String>,
    already_stored: bool,
}

#[derive(Serialize)]
pub struct ImportJson {
    dry_run: bool,
    /// Findings that would be or were stored.
    new: usize,
    already_stored: usize,
    left_out: usize,
    /// The new reports' reference numbers (empty on a dry run).
    created: Vec<String>,
    rows: Vec<PreviewRowJson>,
}

pub async fn post_import(
    State(state): State<AppState>,
    staff: ApiStaff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ImportJson>), ApiError> {
    let actor = staff.user.actor();
    if !access::check_role(&actor, StaffAction::ChangeReport).is_allowed() {
        return Err(WebError::Forbidden("Your role may not import findings.".to_owned()).into());
    }
    let body: ImportBody = parse_json(&headers, body)?;
    let Some(format) = ImportFormat::parse(&body.format) else {
        return Err(
            WebError::bad_request("invalid_import", "The format is 'sarif' or 'csv'.").into(),
        );
    };
    let product = match body.product_id {
        Some(id) if id <= 0 => {
            return Err(import_refused(&[cvdesk_domain::finding::ImportProblem {
                place: "product_id".to_owned(),
                message: "there is no such product".to_owned(),
            }])
            .into())
        }
        other => other.map(ProductId),
    };
    let request = ImportRequest {
        format,
        text: &body.content,
        product,
    };
    let plan = import::plan(
        state.store.as_ref(),
        &request,
        state.settings.text_limits,
        &|product| may_file(&actor, product),
    )
    .await
    .map_err(|error| match error {
        PlanError::Problems(problems) => import_refused(&problems),
        PlanError::Store(error) => WebError::from(error),
    })?;
    let rows = plan
        .rows
        .iter()
        .map(|row| PreviewRowJson {
            origin: row.origin.clone(),
            title: row.title.clone(),
            source: row.source,
            product: row.product.clone(),
            already_stored: row.already_stored,
        })
        .collect();
    let (new, stored, left_out) = (plan.new_count(), plan.stored_count(), plan.left_out);
    if body.dry_run {
        return Ok((
            StatusCode::OK,
            Json(ImportJson {
                dry_run: true,
                new,
                already_stored: stored,
                left_out,
                created: Vec::new(),
                rows,
            }),
        ));
    }
    let outcome = import::apply(
        state.store.as_ref(),
        plan,
        &state.settings.reference_prefix,
        state.clock.now(),
        &|outcome| {
            audit::event(
                &state,
                Some(&staff.user),
                "",
                "findings.import",
                None,
                import::audit_detail(format, outcome),
            )
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ImportJson {
            dry_run: false,
            new: outcome.created.len(),
            already_stored: outcome.already_stored,
            left_out,
            created: outcome.created.iter().map(ToString::to_string).collect(),
            rows,
        }),
    ))
}
