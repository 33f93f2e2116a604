//! The report form: shown empty, shown again with the finder's text and a message per
//! field when something must change, or answered with the receipt once stored.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use cvdesk_domain::challenge::{Challenge, ChallengeError, Response as ChallengeResponse, Solved};
use cvdesk_domain::report_source::ReportSource;
use cvdesk_domain::third_party::split_cve_list;
use cvdesk_domain::{Field, FieldErrors, ReportDraft, ReportInput};

use crate::client_address::ClientAddress;
use crate::error::{PageError, WebError};
use crate::intake::{accept_report, admit, IntakeError, Origin};
use crate::intake::{admit_answer, QuestionRefusal};
use crate::intake_challenge::explain;
use crate::routes::policy::has_encryption_key;
use crate::uploads::{malformed, read_text, FileReceiver, ReceivedFiles};
use crate::views::{render, Layout, ReceiptPage, ReportFormPage};
use crate::AppState;

pub async fn get_report_form(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    let page = ReportFormPage::new(
        &state.settings,
        ReportInput::default(),
        &FieldErrors::default(),
        false,
    )
    .with_challenge(fresh_challenge(&state)?)
    .with_encryption(
        state
            .public_cache
            .has_key(has_encryption_key(&state))
            .await?,
    );
    Ok(render(&page)?)
}

pub async fn post_report_form(
    State(state): State<AppState>,
    client: ClientAddress,
    multipart: Multipart,
) -> Result<Response, PageError> {
    // The rate limit is counted before any of the body is read: a refused submission
    // stores nothing and holds nothing but its text.
    let admitted = match admit(&state, &client).await {
        Ok(()) => None,
        Err(error @ WebError::TooManyRequests { .. }) => Some(error),
        Err(error) => return Err(error.into()),
    };
    let form = read_form(&state, multipart, admitted.is_none()).await?;
    let input = form.input;
    let had_files = form.files.sent_any;
    let accepts_encrypted = has_encryption_key(&state).await?;
    let form_again = |errors: &FieldErrors| -> Result<ReportFormPage, WebError> {
        Ok(
            ReportFormPage::new(&state.settings, input.clone(), errors, had_files)
                .with_challenge(fresh_challenge(&state)?)
                .with_encryption(accepts_encrypted),
        )
    };
    if let Some(error) = admitted {
        // The finder's text comes back with the 429, so nothing typed is lost.
        let page = form_again(&FieldErrors::default())?.with_notice(error.to_string());
        return Ok((error.status(), error.retry_after(), render(&page)?).into_response());
    }
    let challenge = match form.challenge {
        Ok(solved) => solved,
        Err(refusal) => {
            // Show every other problem too, so one round trip fixes them all.
            let errors = ReportDraft::parse(&input, state.settings.text_limits)
                .err()
                .unwrap_or_default();
            let page = form_again(&errors)?.with_challenge_error(explain(&refusal));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    match admit_answer(&state, &client, challenge.as_ref()).await {
        Ok(()) => {}
        Err(QuestionRefusal {
            error: error @ WebError::TooManyRequests { .. },
            notice,
        }) => {
            // As over the general limit, the finder's text comes back with the 429.
            let page = form_again(&FieldErrors::default())?.with_notice(notice);
            return Ok((error.status(), error.retry_after(), render(&page)?).into_response());
        }
        Err(QuestionRefusal { error, .. }) => return Err(error.into()),
    }
    let origin = Origin {
        client,
        challenge,
        source: ReportSource::Form,
    };
    match accept_report(&state, &input, form.files, &origin).await {
        Ok(accepted) => {
            let page = ReceiptPage {
                layout: Layout::of(&state.settings),
                reference: accepted.report.reference.to_string(),
                tracking_url: accepted.tracking_url,
            };
            Ok((StatusCode::CREATED, render(&page)?).into_response())
        }
        Err(IntakeError::Invalid(errors)) => {
            let page = form_again(&errors)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(IntakeError::ChallengeSpent) => {
            let page = form_again(&FieldErrors::default())?
                .with_challenge_error(SPENT_CHALLENGE.to_owned());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(IntakeError::Failed(error)) => Err(error.into()),
    }
}

/// What a finder reads when a challenge comes back a second time.
pub const SPENT_CHALLENGE: &str = "This check was already used to send a report. \
     Answer the new question (or let the page finish its check) and send again.";

/// A new challenge for the form, when the desk asks for one.
fn fresh_challenge(state: &AppState) -> Result<Option<Challenge>, WebError> {
    if state.challenges.enabled() {
        state.challenges.issue(state.clock.now()).map(Some)
    } else {
        Ok(None)
    }
}

/// The challenge fields of the form as sent.
#[derive(Default)]
struct ChallengeFields {
    token: Option<String>,
    solution: Option<String>,
    answer: Option<String>,
}

impl ChallengeFields {
    /// The token, and the script's counter when it found one, otherwise the typed answer.
    fn response(&self) -> Result<(&str, ChallengeResponse<'_>), ChallengeError> {
        fn given(field: &Option<String>) -> Option<&str> {
            field.as_deref().filter(|value| !value.trim().is_empty())
        }
        let token = given(&self.token).ok_or(ChallengeError::Missing)?;
        let response = match (given(&self.solution), given(&self.answer)) {
            (Some(counter), _) => ChallengeResponse::Counter(counter),
            (None, Some(answer)) => ChallengeResponse::Answer(answer),
            (None, None) => return Err(ChallengeError::Missing),
        };
        Ok((token, response))
    }
}

/// The report form as read: the finder's text, their files (stored only when the
/// submission was admitted and its challenge met), and the challenge's verdict.
struct SubmittedForm {
    input: ReportInput,
    files: ReceivedFiles,
    /// The challenge met (`None` when the desk asks for none), or why it was refused.
    challenge: Result<Option<Solved>, ChallengeError>,
}

/// Reads every part, keeping all text even when a file breaks a limit, so the form can be
/// shown again with nothing the finder typed lost. The challenge is judged before the
/// first file is stored: the form puts its fields before the file input, and a file that
/// comes first finds the challenge missing. Files of a submission that was not `admitted`
/// or failed its challenge are read and thrown away.
async fn read_form(
    state: &AppState,
    mut multipart: Multipart,
    admitted: bool,
) -> Result<SubmittedForm, WebError> {
    // UTF-8 needs at most four bytes a character; anything longer is refused by the rules.
    let text_cap = state.settings.text_limits.long.saturating_mul(4) + 4;
    let mut input = ReportInput::default();
    let mut files = FileReceiver::new(
        state.store.as_ref(),
        state.settings.attachment_limits,
        u64::MAX,
    );
    let mut fields = ChallengeFields::default();
    let mut verdict = None;
    while let Some(part) = multipart.next_field().await.map_err(malformed)? {
        let name = part.name().unwrap_or_default().to_owned();
        if name == Field::Attachments.form_name() {
            let met = verdict.get_or_insert_with(|| judge(state, &fields));
            if admitted && met.is_ok() {
                files.receive(part).await?;
            } else {
                files.discard(part).await?;
            }
            continue;
        }
        let slot = match name.as_str() {
            "asset" => &mut input.asset,
            "weakness" => &mut input.weakness,
            "severity" => &mut input.severity,
            "title" => &mut input.title,
            "summary" => &mut input.summary,
            "steps_to_reproduce" => &mut input.steps_to_reproduce,
            "impact" => &mut input.impact,
            "mitigation" => &mut input.mitigation,
            "contact_name" => &mut input.contact_name,
            "contact_email" => &mut input.contact_email,
            "contact_pgp_key" => &mut input.contact_pgp_key,
            "third_party_component" => &mut input.third_party.component,
            "third_party_version" => &mut input.third_party.version,
            "third_party_supplier" => &mut input.third_party.supplier,
            "known_cves" => {
                let bytes = read_text(part, text_cap).await?.unwrap_or_default();
                input.third_party.known_cves = split_cve_list(&String::from_utf8_lossy(&bytes));
                continue;
            }
            "credit" => {
                input.credit = read_text(part, 16).await?.is_some();
                continue;
            }
            "challenge" => &mut fields.token,
            "challenge_solution" => &mut fields.solution,
            "challenge_answer" => &mut fields.answer,
            _ => {
                read_text(part, 0).await?;
                continue;
            }
        };
        let bytes = read_text(part, text_cap).await?.unwrap_or_default();
        *slot = Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok(SubmittedForm {
        input,
        files: files.finish(),
        challenge: verdict.unwrap_or_else(|| judge(state, &fields)),
    })
}

/// The challenge met by the fields read so far, when the desk asks for one.
fn judge(state: &AppState, fields: &ChallengeFields) -> Result<Option<Solved>, ChallengeError> {
    if !state.challenges.enabled() {
        return Ok(None);
    }
    let (token, response) = fields.response()?;
    state
        .challenges
        .verify(token, response, state.clock.now())
        .map(Some)
}
