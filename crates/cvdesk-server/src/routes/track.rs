//! The finder's tracking page, their replies with files, and their attachment downloads.
//! An unknown token costs the same work as a known one: hash, one indexed lookup, then 404.

use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use cvdesk_domain::attachment::AttachmentError;
use cvdesk_domain::message::{parse_body, MAX_MESSAGE_CHARS};
use cvdesk_domain::report::Report;
use cvdesk_domain::sla::{may_request_update, UPDATE_REQUEST_INTERVAL};
use cvdesk_domain::TrackingTokenHash;
use cvdesk_store::StoreError;
use serde::Deserialize;

use crate::client_address::ClientAddress;
use crate::error::{PageError, WebError};
use crate::intake::capitalise;
use crate::mail::{staff_recipients, NewsMail, StaffNews};
use crate::rate_limit::Action;
use crate::uploads::{malformed, read_text, FileReceiver, ReceivedFiles};
use crate::views::{render, TrackPage};
use crate::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TrackQuery {
    update: String,
}

pub async fn get_track(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(token): Path<String>,
    query: Result<Query<TrackQuery>, QueryRejection>,
) -> Result<Html<String>, PageError> {
    let report = tracked_report(&state, &client, &token).await?;
    let just_asked = query.is_ok_and(|Query(q)| q.update == "requested");
    let page = track_page(&state, report, token, just_asked).await?;
    Ok(render(&page)?)
}

/// The tracking page with its conversation and what it says about status updates.
async fn track_page(
    state: &AppState,
    report: Report,
    token: String,
    just_asked: bool,
) -> Result<TrackPage, WebError> {
    let messages = state.store.messages(report.id).await?;
    let last = state.store.last_update_request(report.id).await?;
    let open = report.state.is_open();
    let mut page = TrackPage::new(&state.settings, report, token, &messages);
    page.credits = crate::advisories::credits::for_tracking_page(state, page.report.id).await?;
    page.contact_removal = crate::contact_removal::for_tracking_page(state, &page.report).await?;
    page.appeal = crate::appeals::for_tracking_page(state, &page.report).await?;
    if open {
        match may_request_update(last, state.clock.now()) {
            Ok(()) => page.may_request_update = true,
            Err(too_soon) => {
                page.update_notice = Some(format!(
                    "{} You can ask again from {}.",
                    if just_asked {
                        "We have asked the team for an update."
                    } else {
                        "You asked for an update recently."
                    },
                    too_soon.next_allowed_at.date()
                ));
            }
        }
    }
    Ok(page)
}

/// "Ask for an update": at most once every 14 days (ETSI TR 103 838 clause 6.1); the
/// request is in the report's history for the staff.
pub async fn post_update_request(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let report = tracked_report(&state, &client, &token).await?;
    if !report.state.is_open() {
        let mut page = track_page(&state, report, token, false).await?;
        page.update_notice = Some("This report is closed: there is no update to wait for.".into());
        return Ok((StatusCode::CONFLICT, render(&page)?).into_response());
    }
    let now = state.clock.now();
    let staff = staff_recipients(&state, report.triage.product).await?;
    let mail = NewsMail::of(&state).to_staff(&report, StaffNews::UpdateRequested, &staff);
    match state
        .store
        .request_update(report.id, &mail, now, now - UPDATE_REQUEST_INTERVAL)
        .await?
    {
        None => {
            state.mailer.wake();
            Ok(Redirect::to(&format!("/track/{token}?update=requested#update")).into_response())
        }
        Some(_) => {
            let page = track_page(&state, report, token, false).await?;
            Ok((StatusCode::CONFLICT, render(&page)?).into_response())
        }
    }
}

/// The reply form as sent: its text, and its files read against the intake limits.
#[derive(Default)]
struct ReplyForm {
    body: String,
    files: ReceivedFiles,
}

/// The finder's reply from the tracking page, with any files. The tracking link is the
/// credential; a reply counts against the client's reply limit before its body is read,
/// and a refused one comes back with the text kept (files cannot be kept by a browser:
/// they must be chosen again). Files are taken only while the report is open and within
/// what it may receive over its life; a reply with files to a closed report is refused
/// whole, with the reason beside the file field, so the finder decides whether to send
/// the text alone.
pub async fn post_track_message(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(token): Path<String>,
    submitted: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let report = tracked_report(&state, &client, &token).await?;
    let refused = match state
        .rate_limits
        .check(
            state.store.as_ref(),
            Action::Reply,
            &client,
            state.clock.now(),
        )
        .await
    {
        Err(error @ WebError::TooManyRequests { .. }) => Some(error),
        Err(other) => return Err(other.into()),
        Ok(()) => None,
    };
    let limits = state.settings.attachment_limits;
    let open = report.state.is_open();
    let allowance = limits
        .max_report_bytes
        .saturating_sub(state.store.attachment_bytes(report.id).await?);
    let mut form = match submitted {
        Ok(multipart) => {
            read_reply(&state, multipart, refused.is_none() && open, allowance).await?
        }
        Err(_) => ReplyForm::default(),
    };
    if !open && form.files.sent_any {
        form.files.refusal = Some(AttachmentError::ReportClosed);
    }
    let had_files = form.files.sent_any;
    let outcome = match refused {
        Some(error) => Err((
            error.status(),
            error.retry_after(),
            Some(error.to_string()),
            None,
        )),
        None => {
            let body = parse_body(&form.body);
            let file_refusal = form
                .files
                .refusal
                .as_ref()
                .map(|refusal| capitalise(&refusal.to_string()));
            match (body, file_refusal) {
                (Ok(body), None) => Ok(body),
                (body, file_refusal) => Err((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    body.err(),
                    file_refusal,
                )),
            }
        }
    };
    let (status, retry_after, reply_error, attachments_error) = match outcome {
        Ok(body) => {
            let staff = staff_recipients(&state, report.triage.product).await?;
            let mail = NewsMail::of(&state).to_staff(&report, StaffNews::FinderReplied, &staff);
            let stored = state
                .store
                .add_finder_message(
                    report.id,
                    &body,
                    &form.files.files,
                    limits.max_report_bytes,
                    &mail,
                    state.clock.now(),
                )
                .await;
            match stored {
                Ok(_) => {
                    state.mailer.wake();
                    return Ok(Redirect::to(&format!("/track/{token}#messages")).into_response());
                }
                // The report closed, or another reply took its last room, since the files
                // were received.
                Err(StoreError::FilesRefused(refusal)) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    None,
                    Some(capitalise(&refusal.to_string())),
                ),
                Err(other) => return Err(WebError::from(other).into()),
            }
        }
        Err(refused) => refused,
    };
    let mut page = track_page(&state, report, token, false).await?;
    page.reply = form.body;
    page.reply_error = reply_error;
    page.attachments_error = attachments_error
        .or_else(|| had_files.then(|| "Your files were not kept: choose them again.".to_owned()));
    Ok((status, retry_after, render(&page)?).into_response())
}

/// Reads every part of the reply form, keeping the text even when a file breaks a limit.
/// Files are stored only when `take_files`, within `allowance` bytes; otherwise they are
/// read and thrown away.
async fn read_reply(
    state: &AppState,
    mut multipart: Multipart,
    take_files: bool,
    allowance: u64,
) -> Result<ReplyForm, WebError> {
    // UTF-8 needs at most four bytes a character; anything longer is refused by the rules.
    let text_cap = MAX_MESSAGE_CHARS.saturating_mul(4) + 4;
    let mut body = String::new();
    let mut files = FileReceiver::new(
        state.store.as_ref(),
        state.settings.attachment_limits,
        allowance,
    );
    while let Some(part) = multipart.next_field().await.map_err(malformed)? {
        match part.name().unwrap_or_default() {
            "attachments" if take_files => files.receive(part).await?,
            "attachments" => files.discard(part).await?,
            "body" => {
                let bytes = read_text(part, text_cap).await?.unwrap_or_default();
                body = String::from_utf8_lossy(&bytes).into_owned();
            }
            _ => {
                read_text(part, 0).await?;
            }
        }
    }
    Ok(ReplyForm {
        body,
        files: files.finish(),
    })
}

pub async fn get_track_attachment(
    State(state): State<AppState>,
    client: ClientAddress,
    Path((token, attachment_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let report = tracked_report(&state, &client, &token).await?;
    let attachment_id: i64 = attachment_id.parse().map_err(|_| WebError::NotFound)?;
    let file = state
        .store
        .attachment(report.id, attachment_id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(download(&file.meta.file_name, file.content))
}

/// The report a tracking token opens. Every lookup counts against the client's tracking
/// rate limit, so tokens cannot be guessed at speed (they carry 256 bits besides).
pub async fn tracked_report(
    state: &AppState,
    client: &ClientAddress,
    token: &str,
) -> Result<Report, WebError> {
    state
        .rate_limits
        .check(
            state.store.as_ref(),
            Action::Track,
            client,
            state.clock.now(),
        )
        .await?;
    state
        .store
        .report_by_tracking_token(&TrackingTokenHash::of_presented(token))
        .await?
        .ok_or(WebError::NotFound)
}

/// Files are only ever offered for download: never rendered, never sniffed.
pub fn download(file_name: &str, content: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        file_name.replace(|c: char| !c.is_ascii() || c == '"' || c == '\\', "_"),
        crate::percent::encode(file_name)
    );
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        content,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_is_attachment_with_safe_names() {
        let response = download("poc \"ü\".html", vec![1, 2, 3]);
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_TYPE], "application/octet-stream");
        assert_eq!(
            headers[header::CONTENT_DISPOSITION],
            "attachment; filename=\"poc ___.html\"; filename*=UTF-8''poc%20%22%C3%BC%22.html"
        );
    }
}
