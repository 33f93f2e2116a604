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
use cvdesk_domain::priority::{self, Exploitability, Priority, PriorityInputs};
use cvdesk_domain::report::{Report, ReportState};
use cvdesk_domain::similarity::{self, Candidate, ReportText, Suggestion};
use cvdesk_domain::staff::ProductId;
use cvdesk_domain::workflow::{self, CurrentReport};
use cvdesk_formats::cvss::Cvss;
use cvdesk_formats::cwe;
use cvdesk_store::{Note, ReportEvent};
use serde::Deserialize;

use crate::auth::{audit, StaffUser};
use crate::error::{PageError, WebError};
use crate::openpgp::{self, Passphrase};
use crate::report_access::{report_for, viewed_report};
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::routes::track::download;
use crate::triage::{self, ActionError};
use crate::views::{render, utc_minute, MessageView};
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
    may_message: bool,
    messages: Vec<MessageView>,
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
    /// The report body decrypted with the organization key, shown once, never stored.
    decrypted: Option<String>,
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

    /// An address for a query string (an IPv6 /64 carries `:` and `/`).
    fn encoded(&self, address: &str) -> String {
        crate::percent::encode(address)
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
    let page = report_page(state, staff, report, notice, problem, draft).await?;
    Ok((status, render(&page)?).into_response())
}

async fn report_page(
    state: &AppState,
    staff: &StaffUser,
    report: Report,
    notice: Option<String>,
    problem: Option<String>,
    draft: MoveDraft,
) -> Result<ReportPage, PageError> {
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
        received: utc_minute(report.created_at),
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
        may_message: access::check(&actor, StaffAction::MessageFinder, report.triage.product)
            .is_allowed(),
        messages: state
            .store
            .messages(report.id)
            .await?
            .iter()
            .map(|m| MessageView::of(m, false))
            .collect(),
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
        decrypted: None,
    };
    Ok(page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecryptForm {
    csrf_token: String,
}

/// Decrypts a report body the finder encrypted to the organization key and shows it on
/// the report page; the plain text is not stored, and each reading is in the audit log.
pub async fn post_decrypt(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    submitted: Result<Form<DecryptForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    let report = for_change(
        &state,
        &staff,
        &reference,
        &submitted.csrf_token,
        StaffAction::ViewReport,
    )
    .await?;
    if !report.content.is_encrypted() {
        let problem = "This report was not sent encrypted.".to_owned();
        return show(
            &state,
            &staff,
            report,
            None,
            Some(problem),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let now = state.clock.now();
    let key = openpgp::load(
        state.store.as_ref(),
        state
            .settings
            .pgp_passphrase
            .as_ref()
            .map(Passphrase::as_str),
        now,
    )
    .await;
    let decrypted = match key {
        Ok(Some(key)) => key
            .decrypt(&report.content.summary)
            .map_err(|error| format!("The report could not be decrypted: {error}.")),
        Ok(None) => Err("No organization key is configured: see cvdesk pgp import.".to_owned()),
        Err(error) => Err(format!("The organization key cannot be used: {error}.")),
    };
    let text = match decrypted {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(problem) => {
            return show(
                &state,
                &staff,
                report,
                None,
                Some(problem),
                StatusCode::CONFLICT,
            )
            .await
        }
    };
    let subject = report.reference.to_string();
    audit::record(
        &state,
        Some(&staff.user),
        "",
        "report.decrypt",
        Some(&subject),
        "web".to_owned(),
    )
    .await?;
    let mut page = report_page(&state, &staff, report, None, None, MoveDraft::default()).await?;
    page.decrypted = Some(text);
    Ok(render(&page)?.into_response())
}

pub async fn get_report(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let report = viewed_report(&state, &staff.user, &reference, "web").await?;
    let notice = match done.done.as_str() {
        "moved" => Some("The report was moved.".to_owned()),
        "saved" => Some("Saved.".to_owned()),
        "note" => Some("Note added.".to_owned()),
        "message" => Some("Message sent to the finder.".to_owned()),
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

/// Back to the report after a change, or the page again with the refusal and what was
/// typed into the move form.
async fn after(
    state: &AppState,
    staff: &StaffUser,
    report: Report,
    outcome: Result<(), ActionError>,
    done: &str,
    draft: MoveDraft,
) -> Result<Response, PageError> {
    let (message, status) = match outcome {
        Ok(()) => {
            let to = format!("/staff/reports/{}?done={done}", report.reference);
            return Ok(Redirect::to(&to).into_response());
        }
        Err(ActionError::Invalid(message)) => (message, StatusCode::UNPROCESSABLE_ENTITY),
        Err(ActionError::Refused(message)) => (message, StatusCode::CONFLICT),
        Err(ActionError::Forbidden(message)) => (message, StatusCode::FORBIDDEN),
        Err(ActionError::Failed(error)) => return Err(error.into()),
    };
    show_with(state, staff, report, None, Some(message), status, draft).await
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
    let outcome = match triage::parse_transition(
        &submitted.to,
        Some(&submitted.reason),
        Some(&submitted.duplicate_of),
    ) {
        Ok(request) => triage::transition(&state, &staff.user, &report, request)
            .await
            .map(|_| ()),
        Err(refused) => Err(refused),
    };
    let draft = MoveDraft {
        to: submitted.to,
        duplicate_of: submitted.duplicate_of.trim().to_uppercase(),
        reason: submitted.reason,
    };
    after(&state, &staff, report, outcome, "moved", draft).await
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
    let outcome =
        triage::set_needs_info(&state, &staff.user, &report, submitted.value == "yes").await;
    after(
        &state,
        &staff,
        report,
        outcome,
        "saved",
        MoveDraft::default(),
    )
    .await
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
    let outcome = match submitted.product_id.as_str() {
        "" => triage::set_product(&state, &staff.user, &report, None).await,
        text => match text.parse::<i64>() {
            Ok(id) => triage::set_product(&state, &staff.user, &report, Some(ProductId(id))).await,
            Err(_) => Err(ActionError::Invalid(
                "Choose a product from the list.".into(),
            )),
        },
    };
    after(
        &state,
        &staff,
        report,
        outcome,
        "saved",
        MoveDraft::default(),
    )
    .await
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
    let outcome = triage::set_classification(
        &state,
        &staff.user,
        &report,
        &submitted.weakness,
        &submitted.severity,
    )
    .await;
    after(
        &state,
        &staff,
        report,
        outcome,
        "saved",
        MoveDraft::default(),
    )
    .await
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
    let outcome = triage::set_assessment(
        &state,
        &staff.user,
        &report,
        &submitted.exploitability,
        &submitted.priority_override,
        &submitted.override_reason,
    )
    .await;
    after(
        &state,
        &staff,
        report,
        outcome,
        "saved",
        MoveDraft::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    csrf_token: String,
    body: String,
}

pub async fn post_message(
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
        StaffAction::MessageFinder,
    )
    .await?;
    let outcome = triage::send_message(&state, &staff.user, &report, &submitted.body)
        .await
        .map(|_| ());
    after(
        &state,
        &staff,
        report,
        outcome,
        "message",
        MoveDraft::default(),
    )
    .await
}

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
    let outcome = triage::add_note(&state, &staff.user, &report, &submitted.body)
        .await
        .map(|_| ());
    after(
        &state,
        &staff,
        report,
        outcome,
        "note",
        MoveDraft::default(),
    )
    .await
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
