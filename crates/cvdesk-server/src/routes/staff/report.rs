//! One report for staff: everything the finder sent, and the triage panel. Every change is
//! a small form that posts, is checked by the domain rules and the per-product
//! authorisation, is recorded in the report's history and the audit log, and comes back
//! to this page.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::priority::{self, Exploitability, Priority, PriorityInputs, PriorityOverride};
use cvdesk_domain::report::{Report, ReportState, Severity};
use cvdesk_domain::similarity::{self, Candidate, ReportText, Suggestion};
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::workflow::{self, CurrentReport, TransitionRequest};
use cvdesk_domain::Reference;
use cvdesk_formats::cvss::Cvss;
use cvdesk_formats::cwe;
use cvdesk_store::{Author, Note, ReportEvent};
use serde::Deserialize;

use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::report_access::report_for;
use crate::routes::api::staff_reports::apply_transition;
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::routes::track::download;
use crate::views::render;
use crate::AppState;

/// How many earlier reports are compared, and how alike they must be to be suggested.
const COMPARED_REPORTS: u32 = 500;
const SUGGESTION_THRESHOLD: f64 = 0.25;

#[derive(Template)]
#[template(path = "staff/report.html")]
struct ReportPage {
    layout: StaffLayout,
    report: Report,
    received: String,
    notice: Option<String>,
    problem: Option<String>,
    product_name: Option<String>,
    products: Vec<(i64, String)>,
    current_product: Option<i64>,
    weakness_name: Option<&'static str>,
    weakness_value: String,
    severity_value: String,
    allowed: Vec<ReportState>,
    may_change: bool,
    may_note: bool,
    notes: Vec<Note>,
    events: Vec<ReportEvent>,
    computed_priority: &'static str,
    effective_priority: &'static str,
    explanation: Vec<String>,
    formula: &'static str,
    exploitability_options: Vec<(&'static str, &'static str)>,
    exploitability_value: &'static str,
    priority_options: Vec<&'static str>,
    override_value: &'static str,
    override_reason: String,
    suggestions: Vec<Suggestion>,
    draft: MoveDraft,
}

impl ReportPage {
    fn is_current_product(&self, id: &i64) -> bool {
        self.current_product == Some(*id)
    }

    fn is_same(&self, option: &str, chosen: &str) -> bool {
        option == chosen
    }

    fn is_draft_target(&self, target: &ReportState) -> bool {
        self.draft.to == target.as_str()
    }

    fn percent(&self, score: &f64) -> String {
        format!("{:.0} %", score * 100.0)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

/// What was typed into the move form, shown again when the move is refused.
#[derive(Default)]
struct MoveDraft {
    to: String,
    duplicate_of: String,
    reason: String,
}

async fn show(
    state: &AppState,
    staff: &StaffUser,
    report: Report,
    notice: Option<String>,
    problem: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    show_with(
        state,
        staff,
        report,
        notice,
        problem,
        status,
        MoveDraft::default(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn show_with(
    state: &AppState,
    staff: &StaffUser,
    report: Report,
    notice: Option<String>,
    problem: Option<String>,
    status: StatusCode,
    draft: MoveDraft,
) -> Result<Response, PageError> {
    let actor = staff.user.actor();
    let current = CurrentReport {
        reference: &report.reference,
        state: report.state,
        product: report.triage.product,
    };
    let allowed = workflow::allowed_targets(&actor, &current);
    let may_change =
        access::check(&actor, StaffAction::ChangeReport, report.triage.product).is_allowed();
    let may_note =
        access::check(&actor, StaffAction::AddInternalNote, report.triage.product).is_allowed();
    let products = state.store.products().await?;
    let product = report
        .triage
        .product
        .and_then(|id| products.iter().find(|p| p.id == id));
    let cvss = report
        .content
        .severity
        .as_ref()
        .and_then(|s| Cvss::parse(&s.vector).ok());
    let assessment = priority::assess(&PriorityInputs {
        severity: report.content.severity.as_ref().map(|s| s.score),
        criticality: product.map(|p| p.criticality),
        exploitability: report.triage.exploitability,
        attack_complexity_high: cvss.as_ref().map(priority::attack_complexity_high),
    });
    let effective = assessment.effective(report.triage.priority_override.as_ref());
    let comparable = state
        .store
        .comparable_reports(report.id, report.content.asset.as_deref(), COMPARED_REPORTS)
        .await?;
    // Only reports this person may see are compared, so suggestions never reveal another
    // team's reports.
    let candidates: Vec<Candidate> = comparable
        .iter()
        .filter(|c| access::check(&actor, StaffAction::ViewReport, c.product).is_allowed())
        .map(|c| Candidate {
            id: c.id,
            reference: &c.reference,
            text: ReportText {
                title: &c.title,
                summary: &c.summary,
                steps: &c.steps_to_reproduce,
                asset: c.asset.as_deref(),
            },
        })
        .collect();
    let suggestions = similarity::suggest_duplicates(
        &ReportText::of_draft(&report.content),
        &candidates,
        5,
        SUGGESTION_THRESHOLD,
    );
    let page = ReportPage {
        layout: StaffLayout::of(state, staff),
        received: format!(
            "{} {:02}:{:02} UTC",
            report.created_at.date(),
            report.created_at.hour(),
            report.created_at.minute()
        ),
        notice,
        problem,
        product_name: product.map(|p| p.name.clone()),
        current_product: report.triage.product.map(|p| p.0),
        products: products.iter().map(|p| (p.id.0, p.name.clone())).collect(),
        weakness_name: report
            .content
            .weakness
            .and_then(cwe::lookup)
            .map(|w| w.name),
        weakness_value: report
            .content
            .weakness
            .map(|w| w.to_string())
            .unwrap_or_default(),
        severity_value: report
            .content
            .severity
            .as_ref()
            .map(|s| s.vector.clone())
            .unwrap_or_default(),
        allowed,
        may_change,
        may_note,
        notes: state.store.notes(report.id).await?,
        events: state.store.report_events(report.id).await?,
        computed_priority: assessment.computed.as_str(),
        effective_priority: effective.as_str(),
        explanation: assessment.explanation,
        formula: priority::formula(),
        exploitability_options: Exploitability::ALL
            .iter()
            .map(|e| (e.as_str(), e.label()))
            .collect(),
        exploitability_value: report
            .triage
            .exploitability
            .map_or("", Exploitability::as_str),
        priority_options: [Priority::P1, Priority::P2, Priority::P3, Priority::P4]
            .iter()
            .map(|p| p.as_str())
            .collect(),
        override_value: report
            .triage
            .priority_override
            .as_ref()
            .map_or("", |o| o.priority.as_str()),
        override_reason: report
            .triage
            .priority_override
            .as_ref()
            .map(|o| o.reason.clone())
            .unwrap_or_default(),
        suggestions,
        draft,
        report,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn get_report(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let report = report_for(&state, &staff.user, &reference, StaffAction::ViewReport).await?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "report.view",
        Some(&subject),
        "",
    )
    .await?;
    let notice = match done.done.as_str() {
        "moved" => Some("The report was moved.".to_owned()),
        "saved" => Some("Saved.".to_owned()),
        "note" => Some("Note added.".to_owned()),
        _ => None,
    };
    show(&state, &staff, report, notice, None, StatusCode::OK).await
}

pub async fn get_attachment(
    State(state): State<AppState>,
    staff: StaffUser,
    Path((reference, attachment_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let report = report_for(&state, &staff.user, &reference, StaffAction::ViewReport).await?;
    let attachment_id: i64 = attachment_id.parse().map_err(|_| WebError::NotFound)?;
    let file = state
        .store
        .attachment(report.id, attachment_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "attachment.download",
        Some(&subject),
        file.meta.sha256.clone(),
    )
    .await?;
    Ok(download(&file.meta.file_name, file.content))
}

/// Loads the report for a change, checking the form's CSRF token first.
async fn for_change(
    state: &AppState,
    staff: &StaffUser,
    reference: &str,
    csrf_token: &str,
    action: StaffAction,
) -> Result<Report, PageError> {
    staff.check_csrf(csrf_token)?;
    Ok(report_for(state, &staff.user, reference, action).await?)
}

fn back(report: &Report, done: &str) -> Response {
    Redirect::to(&format!("/staff/reports/{}?done={done}", report.reference)).into_response()
}

fn author(staff: &StaffUser) -> Author<'_> {
    Author {
        id: Some(staff.user.id),
        label: &staff.user.email,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TransitionForm {
    csrf_token: String,
    to: String,
    reason: String,
    duplicate_of: String,
}

pub async fn post_transition(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<TransitionForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::ChangeReport,
    )
    .await?;
    let draft = MoveDraft {
        to: submitted.to.clone(),
        duplicate_of: submitted.duplicate_of.trim().to_uppercase(),
        reason: submitted.reason.clone(),
    };
    let refuse = |message: String, status: StatusCode| (Some(message), status);
    let outcome = match (
        submitted.to.parse::<ReportState>(),
        draft.duplicate_of.as_str(),
    ) {
        (Err(e), _) => Err(refuse(e.to_string(), StatusCode::UNPROCESSABLE_ENTITY)),
        (Ok(to), "") => Ok((to, None)),
        (Ok(to), text) => match text.parse::<Reference>() {
            Ok(original) => Ok((to, Some(original))),
            Err(e) => Err(refuse(e.to_string(), StatusCode::UNPROCESSABLE_ENTITY)),
        },
    };
    let (to, duplicate_of) = match outcome {
        Ok(parsed) => parsed,
        Err((problem, status)) => {
            return show_with(&state, &staff, report, None, problem, status, draft).await
        }
    };
    let reason = Some(submitted.reason.trim().to_owned()).filter(|r| !r.is_empty());
    match apply_transition(
        &state,
        &staff.user,
        &report,
        TransitionRequest {
            to,
            reason,
            duplicate_of,
        },
    )
    .await
    {
        Ok(transition) => {
            let subject = report.reference.to_string();
            let detail = format!("{} -> {}", transition.from, transition.to);
            audit::record(
                &state,
                Some(&staff.user),
                "",
                "report.transition",
                Some(&subject),
                detail,
            )
            .await?;
            Ok(back(&report, "moved"))
        }
        Err(WebError::Conflict(message)) => {
            show_with(
                &state,
                &staff,
                report,
                None,
                Some(message),
                StatusCode::CONFLICT,
                draft,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NeedsInfoForm {
    csrf_token: String,
    value: String,
}

pub async fn post_needs_info(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<NeedsInfoForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::ChangeReport,
    )
    .await?;
    let current = CurrentReport {
        reference: &report.reference,
        state: report.state,
        product: report.triage.product,
    };
    if let Err(refused) = workflow::may_flag_needs_info(&staff.user.actor(), &current) {
        return show(
            &state,
            &staff,
            report,
            None,
            Some(refused.to_string()),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let flag = submitted.value == "yes";
    state
        .store
        .set_needs_info(report.id, flag, author(&staff), state.clock.now())
        .await?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "report.needs_info",
        Some(&subject),
        flag.to_string(),
    )
    .await?;
    Ok(back(&report, "saved"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProductForm {
    csrf_token: String,
    product_id: String,
}

pub async fn post_product(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<ProductForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::ChangeReport,
    )
    .await?;
    let product = match submitted.product_id.as_str() {
        "" => None,
        text => match text.parse::<i64>().ok().map(ProductId) {
            Some(id) if state.store.product(id).await?.is_some() => Some(id),
            _ => {
                return show(
                    &state,
                    &staff,
                    report,
                    None,
                    Some("Choose a product from the list.".into()),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        },
    };
    let actor = staff.user.actor();
    if !access::check(&actor, StaffAction::ChangeReport, product).is_allowed() {
        return show(
            &state,
            &staff,
            report,
            None,
            Some("You may only assign reports to your own products.".into()),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    state
        .store
        .set_product(report.id, product, author(&staff), state.clock.now())
        .await?;
    let subject = report.reference.to_string();
    let detail = product.map_or_else(|| "none".to_owned(), |p| p.0.to_string());
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "report.product",
        Some(&subject),
        detail,
    )
    .await?;
    Ok(back(&report, "saved"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ClassificationForm {
    csrf_token: String,
    weakness: String,
    severity: String,
}

pub async fn post_classification(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<ClassificationForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::ChangeReport,
    )
    .await?;
    let weakness = match submitted.weakness.trim() {
        "" => None,
        text => match cwe::parse_known(text) {
            Ok(found) => Some(found.id),
            Err(e) => {
                return show(
                    &state,
                    &staff,
                    report,
                    None,
                    Some(e.to_string()),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        },
    };
    let severity = match submitted.severity.trim() {
        "" => None,
        text => match Cvss::parse(text) {
            Ok(cvss) => Some(Severity::of(&cvss)),
            Err(e) => {
                return show(
                    &state,
                    &staff,
                    report,
                    None,
                    Some(format!("This is not a valid CVSS vector: {e}.")),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        },
    };
    state
        .store
        .set_classification(
            report.id,
            weakness,
            severity.as_ref(),
            author(&staff),
            state.clock.now(),
        )
        .await?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "report.classification",
        Some(&subject),
        submitted.severity.trim().to_owned(),
    )
    .await?;
    Ok(back(&report, "saved"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssessmentForm {
    csrf_token: String,
    exploitability: String,
    priority_override: String,
    override_reason: String,
}

pub async fn post_assessment(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<AssessmentForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::ChangeReport,
    )
    .await?;
    let exploitability = match submitted.exploitability.as_str() {
        "" => None,
        text => match text.parse::<Exploitability>() {
            Ok(value) => Some(value),
            Err(e) => {
                return show(
                    &state,
                    &staff,
                    report,
                    None,
                    Some(e.to_string()),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        },
    };
    let priority_override = match submitted.priority_override.as_str() {
        "" => None,
        text => match text
            .parse::<Priority>()
            .map_err(|e| e.to_string())
            .and_then(|p| {
                PriorityOverride::new(p, &submitted.override_reason).map_err(|e| e.to_string())
            }) {
            Ok(value) => Some(value),
            Err(message) => {
                return show(
                    &state,
                    &staff,
                    report,
                    None,
                    Some(message),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        },
    };
    state
        .store
        .set_assessment(
            report.id,
            exploitability,
            priority_override.as_ref(),
            author(&staff),
            state.clock.now(),
        )
        .await?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "report.assessment",
        Some(&subject),
        "",
    )
    .await?;
    Ok(back(&report, "saved"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    csrf_token: String,
    body: String,
}

/// Longest internal note, in characters.
const NOTE_MAX_CHARS: usize = 20_000;

pub async fn post_note(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<NoteForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::AddInternalNote,
    )
    .await?;
    let body = submitted.body.trim();
    if body.is_empty() || body.chars().count() > NOTE_MAX_CHARS || body.contains('\0') {
        let message = format!("Write a note of 1 to {NOTE_MAX_CHARS} characters.");
        return show(
            &state,
            &staff,
            report,
            None,
            Some(message),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    state
        .store
        .add_note(report.id, body, author(&staff), state.clock.now())
        .await?;
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "report.note",
        Some(&subject),
        "",
    )
    .await?;
    Ok(back(&report, "note"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CvssQuery {
    vector: String,
}

/// Scores a vector for the live display on the report page; the same strict parser as
/// saving, so what it shows is what will be stored.
pub async fn get_cvss(
    _staff: StaffUser,
    Query(query): Query<CvssQuery>,
) -> axum::Json<serde_json::Value> {
    let answer = match Cvss::parse(query.vector.trim()) {
        Ok(cvss) => {
            let scores = cvss.scores();
            serde_json::json!({
                "vector": cvss.to_string(),
                "version": cvss.version().as_str(),
                "score": scores.score,
                "severity": scores.severity.as_str(),
            })
        }
        Err(error) => serde_json::json!({ "error": error.to_string() }),
    };
    axum::Json(answer)
}
