//! `POST /api/v1/reports`: the report form as JSON.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use cvdesk_domain::report_source::ReportSource;
use cvdesk_domain::third_party::ThirdPartyInput;
use cvdesk_domain::ReportInput;
use serde::{Deserialize, Serialize};

use cvdesk_domain::challenge::{Response, Solved};
use time::OffsetDateTime;

use crate::auth::api_token::ApiStaff;
use crate::client_address::ClientAddress;
use crate::error::{ApiError, WebError};
use crate::intake::{accept_report, admit, IntakeError, Origin};
use crate::uploads::ReceivedFiles;
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportSubmission {
    asset: Option<String>,
    weakness: Option<String>,
    severity: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    steps_to_reproduce: Option<String>,
    impact: Option<String>,
    mitigation: Option<String>,
    contact: Option<ContactSubmission>,
    credit: Option<bool>,
    third_party: Option<ThirdPartySubmission>,
    known_cves: Option<Vec<String>>,
}

/// The third-party component the report is about, when it is someone else's.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ThirdPartySubmission {
    component: Option<String>,
    version: Option<String>,
    supplier: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ContactSubmission {
    name: Option<String>,
    email: Option<String>,
    pgp_key: Option<String>,
}

#[derive(Serialize)]
pub struct ReportCreated {
    reference: String,
    tracking_token: String,
    tracking_url: String,
    status: &'static str,
}

/// Headers that carry a solved challenge: the token from `GET /api/v1/challenge`, and
/// the counter found for it.
const CHALLENGE_HEADER: &str = "cvdesk-challenge";
const SOLUTION_HEADER: &str = "cvdesk-challenge-solution";

/// A fresh challenge for API clients without a token.
#[derive(Serialize)]
pub struct ChallengeOffer {
    token: String,
    difficulty: u8,
    algorithm: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

pub async fn get_challenge(
    State(state): State<AppState>,
) -> Result<Json<ChallengeOffer>, ApiError> {
    let challenge = state.challenges.issue(state.clock.now())?;
    Ok(Json(ChallengeOffer {
        token: challenge.token,
        difficulty: challenge.difficulty,
        algorithm: "sha256(token \":\" counter) has difficulty leading zero bits",
        expires_at: challenge.expires_at,
    }))
}

pub async fn post_report(
    State(state): State<AppState>,
    client: ClientAddress,
    staff: Result<ApiStaff, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ReportCreated>), ApiError> {
    // Staff with an API token file reports for others (from e-mail, say): no limit, no
    // challenge. A token that is presented must be valid.
    let is_staff = if headers.contains_key(header::AUTHORIZATION) {
        staff?;
        true
    } else {
        false
    };
    if !is_staff {
        admit(&state, &client).await?;
    }
    let challenge = if is_staff || !state.challenges.enabled() {
        None
    } else {
        Some(solved_challenge(&state, &headers)?)
    };
    let submission: ReportSubmission = parse_json(&headers, body)?;
    let contact = submission.contact.unwrap_or_default();
    let third_party = submission.third_party.unwrap_or_default();
    let input = ReportInput {
        asset: submission.asset,
        weakness: submission.weakness,
        severity: submission.severity,
        title: submission.title,
        summary: submission.summary,
        steps_to_reproduce: submission.steps_to_reproduce,
        impact: submission.impact,
        mitigation: submission.mitigation,
        contact_name: contact.name,
        contact_email: contact.email,
        contact_pgp_key: contact.pgp_key,
        credit: submission.credit.unwrap_or(false),
        third_party: ThirdPartyInput {
            component: third_party.component,
            version: third_party.version,
            supplier: third_party.supplier,
            known_cves: submission.known_cves.unwrap_or_default(),
        },
    };
    let source = if is_staff {
        ReportSource::Staff
    } else {
        ReportSource::Api
    };
    let origin = Origin {
        client,
        challenge,
        source,
    };
    match accept_report(&state, &input, ReceivedFiles::default(), &origin).await {
        Ok(accepted) => Ok((
            StatusCode::CREATED,
            Json(ReportCreated {
                reference: accepted.report.reference.to_string(),
                tracking_token: accepted.token.as_str().to_owned(),
                tracking_url: accepted.tracking_url,
                status: accepted.report.state.as_str(),
            }),
        )),
        Err(IntakeError::Invalid(errors)) => {
            let fields: BTreeMap<String, String> = errors
                .iter()
                .map(|(field, message)| (field.json_path().to_owned(), message.to_owned()))
                .collect();
            Err(WebError::Invalid {
                code: "invalid_report",
                message: format!(
                    "The report was not accepted: {} {} to be fixed.",
                    fields.len(),
                    if fields.len() == 1 {
                        "field needs"
                    } else {
                        "fields need"
                    }
                ),
                fields,
            }
            .into())
        }
        Err(IntakeError::ChallengeSpent) => Err(WebError::Refused {
            code: "challenge_spent",
            message: "This challenge was already used for a report. Fetch a new one from \
                      GET /api/v1/challenge."
                .to_owned(),
        }
        .into()),
        Err(IntakeError::Failed(error)) => Err(error.into()),
    }
}

/// The challenge the headers carry, verified; 403 with what to do otherwise.
fn solved_challenge(state: &AppState, headers: &HeaderMap) -> Result<Solved, WebError> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
    };
    let (Some(token), Some(counter)) = (header(CHALLENGE_HEADER), header(SOLUTION_HEADER)) else {
        return Err(WebError::Refused {
            code: "challenge_required",
            message: "Submitting without an API token needs a solved challenge: fetch one \
                      from GET /api/v1/challenge and send its token in Cvdesk-Challenge and \
                      your counter in Cvdesk-Challenge-Solution."
                .to_owned(),
        });
    };
    state
        .challenges
        .verify(token, Response::Counter(counter), state.clock.now())
        .map_err(|refusal| WebError::Refused {
            code: "challenge_invalid",
            message: format!(
                "The challenge was refused: {refusal}. Fetch a new one from GET /api/v1/challenge."
            ),
        })
}

/// Reads a JSON body, answering 415 for another media type, 413 for an oversized body
/// and 400 with serde's position and reason for anything that is not the expected shape.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, WebError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(WebError::UnsupportedMediaType(
            "Send the body as JSON with Content-Type: application/json.".to_owned(),
        ));
    }
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            WebError::PayloadTooLarge(format!(
                "The body is larger than the limit of {} bytes.",
                super::JSON_BODY_LIMIT
            ))
        } else {
            WebError::bad_request("malformed_body", rejection.body_text())
        }
    })?;
    // serde would read a JSON array into a struct's fields in order; bodies are objects.
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
        return Err(WebError::bad_request(
            "malformed_json",
            "The body is not valid JSON for this request: send an object, not an array.",
        ));
    }
    serde_json::from_slice(&body).map_err(|error| {
        WebError::bad_request(
            "malformed_json",
            format!("The body is not valid JSON for this request: {error}."),
        )
    })
}
