//! The staff pages: a form for one finding, and imports with a preview before anything
//! is stored. Every form carries the session's CSRF token; filing and importing are
//! audited with the change.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::finding::{finding_source, Finding, ImportProblem, FINDING_SOURCES};
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::{ReportDraft, ReportInput};
use serde::Deserialize;

use super::import::{self, ImportFormat, ImportRequest, PlanError, PreviewRow, MAX_IMPORT_BYTES};
use super::service::{create_finding, may_file};
use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

const REFUSAL: &str = "Your role may not file findings.";

/// The report texts of the form: name, label, and whether it is long text.
const TEXT_FIELDS: [(&str, &str, bool); 8] = [
    ("title", "Title", false),
    ("summary", "Summary", true),
    ("steps_to_reproduce", "Steps to reproduce", true),
    ("impact", "Impact", true),
    ("asset", "Affected asset (optional)", false),
    ("weakness", "Weakness, e.g. CWE-89 (optional)", false),
    ("severity", "Severity as a CVSS vector (optional)", false),
    ("mitigation", "Mitigation (optional)", true),
];

#[derive(Deserialize, Default)]
pub struct FindingForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    steps_to_reproduce: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    asset: String,
    #[serde(default)]
    weakness: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    mitigation: String,
}

#[derive(Template)]
#[template(path = "staff/finding_new.html")]
struct FindingPage {
    layout: StaffLayout,
    input: FindingForm,
    errors: BTreeMap<String, String>,
    sources: Vec<(&'static str, &'static str)>,
    products: Vec<(i64, String)>,
    text_fields: [(&'static str, &'static str, bool); 8],
}

impl FindingPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn is_same(&self, option: &str, chosen: &str) -> bool {
        option == chosen
    }

    fn value(&self, field: &str) -> &str {
        let input = &self.input;
        match field {
            "title" => &input.title,
            "summary" => &input.summary,
            "steps_to_reproduce" => &input.steps_to_reproduce,
            "impact" => &input.impact,
            "asset" => &input.asset,
            "weakness" => &input.weakness,
            "severity" => &input.severity,
            "mitigation" => &input.mitigation,
            _ => "",
        }
    }
}

/// Refuses (403) a role that may file no finding at all (viewers, publishers); a member
/// may file about their teams' products.
fn may_file_any(staff: &StaffUser) -> Result<(), PageError> {
    if access::check_role(&staff.user.actor(), StaffAction::ChangeReport).is_allowed() {
        Ok(())
    } else {
        Err(WebError::Forbidden(REFUSAL.to_owned()).into())
    }
}

/// The products this person may file findings about.
async fn fileable_products(
    state: &AppState,
    staff: &StaffUser,
) -> Result<Vec<(i64, String)>, PageError> {
    let actor = staff.user.actor();
    Ok(state
        .store
        .products()
        .await?
        .into_iter()
        .filter(|product| may_file(&actor, Some(product.id)))
        .map(|product| (product.id.0, product.name))
        .collect())
}

async fn finding_page(
    state: &AppState,
    staff: &StaffUser,
    input: FindingForm,
    errors: BTreeMap<String, String>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FindingPage {
        layout: StaffLayout::of(state, staff),
        input,
        errors,
        sources: FINDING_SOURCES
            .iter()
            .map(|source| (source.as_str(), source.label()))
            .collect(),
        products: fileable_products(state, staff).await?,
        text_fields: TEXT_FIELDS,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn get_new_finding(
    State(state): State<AppState>,
    staff: StaffUser,
) -> Result<Response, PageError> {
    may_file_any(&staff)?;
    finding_page(&state, &staff, FindingForm::default(), BTreeMap::new()).await
}

pub async fn post_finding(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<FindingForm>, FormRejection>,
) -> Result<Response, PageError> {
    may_file_any(&staff)?;
    let form = crate::routes::staff::form(submitted)?;
    staff.check_csrf(&form.csrf_token)?;
    let mut errors = BTreeMap::new();
    let source = finding_source(&form.source)
        .map_err(|message| errors.insert("source".to_owned(), message))
        .ok();
    let product = match form.product_id.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(id) if id > 0 => Some(ProductId(id)),
            _ => {
                errors.insert(
                    "product_id".to_owned(),
                    "Choose a product from the list.".to_owned(),
                );
                None
            }
        },
    };
    let optional = |text: &str| Some(text.to_owned()).filter(|text| !text.trim().is_empty());
    let input = ReportInput {
        asset: optional(&form.asset),
        weakness: optional(&form.weakness),
        severity: optional(&form.severity),
        title: optional(&form.title),
        summary: optional(&form.summary),
        steps_to_reproduce: optional(&form.steps_to_reproduce),
        impact: optional(&form.impact),
        mitigation: optional(&form.mitigation),
        ..ReportInput::default()
    };
    let draft = ReportDraft::parse(&input, state.settings.text_limits)
        .map_err(|found| {
            for (field, message) in found.iter() {
                errors.insert(field.form_name().to_owned(), message.to_owned());
            }
        })
        .ok();
    let (Some(source), Some(draft), true) = (source, draft, errors.is_empty()) else {
        return finding_page(&state, &staff, form, errors).await;
    };
    let finding = Finding {
        source,
        draft,
        product,
        fingerprint: None,
        origin: String::new(),
    };
    match create_finding(&state, &staff.user, finding).await {
        Ok(reference) => Ok(Redirect::to(&format!("/staff/reports/{reference}")).into_response()),
        Err(WebError::Invalid { fields, .. }) => finding_page(&state, &staff, form, fields).await,
        Err(WebError::Forbidden(message)) => {
            finding_page(
                &state,
                &staff,
                form,
                BTreeMap::from([("product_id".to_owned(), message)]),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "staff/imports.html")]
struct ImportsPage {
    layout: StaffLayout,
    problems: Vec<ImportProblem>,
    notice: Option<String>,
    format: &'static str,
    product: Option<i64>,
    products: Vec<(i64, String)>,
    sources: String,
}

impl ImportsPage {
    fn is_product(&self, id: &i64) -> bool {
        self.product == Some(*id)
    }
}

async fn imports_page(
    state: &AppState,
    staff: &StaffUser,
    request: Option<&ImportRequest<'_>>,
    problems: Vec<ImportProblem>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ImportsPage {
        layout: StaffLayout::of(state, staff),
        problems,
        notice,
        format: request.map_or("sarif", |request| request.format.as_str()),
        product: request.and_then(|request| request.product).map(|id| id.0),
        products: fileable_products(state, staff).await?,
        sources: FINDING_SOURCES
            .iter()
            .map(|source| source.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    };
    Ok((status, render(&page)?).into_response())
}

/// What the last import stored, shown after its redirect.
#[derive(Deserialize)]
pub struct ImportedQuery {
    imported: Option<usize>,
    already_stored: Option<usize>,
}

pub async fn get_imports(
    State(state): State<AppState>,
    staff: StaffUser,
    query: Result<Query<ImportedQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    may_file_any(&staff)?;
    let notice = match query {
        Ok(Query(ImportedQuery {
            imported: Some(imported),
            already_stored,
        })) => Some(format!(
            "{imported} finding{} imported, {} already stored. They are in the queue as new reports.",
            if imported == 1 { "" } else { "s" },
            already_stored.unwrap_or(0)
        )),
        _ => None,
    };
    imports_page(&state, &staff, None, Vec::new(), notice).await
}

#[derive(Template)]
#[template(path = "staff/import_preview.html")]
struct PreviewPage {
    layout: StaffLayout,
    rows: Vec<PreviewRow>,
    new_count: usize,
    stored_count: usize,
    left_out: usize,
    format: &'static str,
    product_id: String,
    content: String,
}

/// The fields of the import form, as uploaded.
#[derive(Default)]
struct Upload {
    csrf_token: String,
    format: String,
    product_id: String,
    content: String,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, WebError> {
    let mut upload = Upload::default();
    let malformed = |error: axum::extract::multipart::MultipartError| {
        WebError::bad_request(
            "malformed_form",
            format!("The form could not be read: {error}"),
        )
    };
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            if bytes.len() + chunk.len() > MAX_IMPORT_BYTES {
                return Err(WebError::PayloadTooLarge(format!(
                    "One import reads at most {MAX_IMPORT_BYTES} bytes."
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(bytes).map_err(|_| {
            WebError::bad_request("malformed_form", format!("The {name} is not UTF-8 text."))
        })?;
        match name.as_str() {
            "csrf_token" => upload.csrf_token = text,
            "format" => upload.format = text,
            "product_id" => upload.product_id = text,
            "file" => upload.content = text,
            _ => {}
        }
    }
    Ok(upload)
}

/// The request the form describes, or the page again with what is wrong.
fn request_of<'a>(
    format: &str,
    product_id: &str,
    content: &'a str,
) -> Result<ImportRequest<'a>, ImportProblem> {
    let format = ImportFormat::parse(format).ok_or_else(|| ImportProblem {
        place: String::new(),
        message: "Choose SARIF or CSV.".to_owned(),
    })?;
    let product = match product_id.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .map(ProductId)
                .ok_or_else(|| ImportProblem {
                    place: String::new(),
                    message: "Choose a product from the list.".to_owned(),
                })?,
        ),
    };
    Ok(ImportRequest {
        format,
        text: content,
        product,
    })
}

pub async fn post_import_preview(
    State(state): State<AppState>,
    staff: StaffUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    may_file_any(&staff)?;
    let multipart = multipart.map_err(|rejection| {
        WebError::bad_request(
            "malformed_form",
            format!("The form could not be read: {rejection}"),
        )
    })?;
    let upload = read_upload(multipart).await?;
    staff.check_csrf(&upload.csrf_token)?;
    let request = match request_of(&upload.format, &upload.product_id, &upload.content) {
        Ok(request) => request,
        Err(problem) => return imports_page(&state, &staff, None, vec![problem], None).await,
    };
    let actor = staff.user.actor();
    let plan = match import::plan(
        state.store.as_ref(),
        &request,
        state.settings.text_limits,
        &|product| may_file(&actor, product),
    )
    .await
    {
        Ok(plan) => plan,
        Err(PlanError::Problems(problems)) => {
            return imports_page(&state, &staff, Some(&request), problems, None).await
        }
        Err(PlanError::Store(error)) => return Err(WebError::from(error).into()),
    };
    let page = PreviewPage {
        layout: StaffLayout::of(&state, &staff),
        new_count: plan.new_count(),
        stored_count: plan.stored_count(),
        left_out: plan.left_out,
        rows: plan.rows,
        format: request.format.as_str(),
        product_id: request
            .product
            .map(|id| id.0.to_string())
            .unwrap_or_default(),
        content: upload.content.clone(),
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    content: String,
}

pub async fn post_import(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<ConfirmForm>, FormRejection>,
) -> Result<Response, PageError> {
    may_file_any(&staff)?;
    let form = crate::routes::staff::form(submitted)?;
    staff.check_csrf(&form.csrf_token)?;
    let request = match request_of(&form.format, &form.product_id, &form.content) {
        Ok(request) => request,
        Err(problem) => return imports_page(&state, &staff, None, vec![problem], None).await,
    };
    let actor = staff.user.actor();
    // Checked again: the inventory or the stored findings may have changed since the preview.
    let plan = match import::plan(
        state.store.as_ref(),
        &request,
        state.settings.text_limits,
        &|product| may_file(&actor, product),
    )
    .await
    {
        Ok(plan) => plan,
        Err(PlanError::Problems(problems)) => {
            return imports_page(&state, &staff, Some(&request), problems, None).await
        }
        Err(PlanError::Store(error)) => return Err(WebError::from(error).into()),
    };
    let format = request.format;
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
    Ok(Redirect::to(&format!(
        "/staff/imports?imported={}&already_stored={}",
        outcome.created.len(),
        outcome.already_stored
    ))
    .into_response())
}
