//! The HTML pages: one askama template struct per page, composed from `base.html`.

use askama::Template;
use axum::response::Html;
use cvdesk_domain::attachment::human_bytes;
use cvdesk_domain::challenge::Challenge;
use cvdesk_domain::report::Report;
use cvdesk_domain::sla::{Calendar, LocalTime};
use cvdesk_domain::{Field, FieldErrors, ReportInput};
use cvdesk_formats::cwe;
use cvdesk_store::Message;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::WebError;
use crate::markdown;
use crate::ServerSettings;

/// What every page shows around its content.
pub struct Layout {
    pub organization_name: String,
}

impl Layout {
    pub fn of(settings: &ServerSettings) -> Self {
        Layout {
            organization_name: settings.organization_name.clone(),
        }
    }
}

/// An instant as pages show it: `2026-11-23 15:04 UTC`.
pub fn utc_minute(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute())
}

/// An instant in the business calendar's local time, shown beside its UTC form on staff
/// pages so deadlines read in the organisation's own time; none when that time is UTC.
pub fn calendar_local(calendar: &Calendar, at: OffsetDateTime) -> Option<String> {
    match calendar.local_time() {
        LocalTime::Offset(offset) if offset.is_utc() => None,
        _ => Some(calendar.local_display(at)),
    }
}

pub fn render(page: &impl Template) -> Result<Html<String>, WebError> {
    page.render()
        .map(Html)
        .map_err(|e| WebError::Internal(format!("template failed to render: {e}").into()))
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
}

/// One refused field, for the error summary.
pub struct FieldErrorView {
    pub name: &'static str,
    pub label: &'static str,
    pub message: String,
}

pub struct TextAreaView {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub rows: u8,
    pub required: bool,
    pub value: String,
}

pub struct WeaknessOption {
    pub id: String,
    pub name: &'static str,
}

#[derive(Template)]
#[template(path = "report_form.html")]
pub struct ReportFormPage {
    pub layout: Layout,
    pub input: ReportInput,
    pub errors: Vec<FieldErrorView>,
    pub had_files: bool,
    pub text_areas: Vec<TextAreaView>,
    pub weakness_options: Vec<WeaknessOption>,
    pub short_limit: usize,
    pub max_files: usize,
    pub max_file_size: String,
    pub max_total_size: String,
    /// The check that a person is sending the report, when the desk asks for one.
    pub challenge: Option<Challenge>,
    /// A message about the whole submission, such as a rate limit.
    pub notice: Option<String>,
    /// Whether the organization has a key the report may be encrypted to.
    pub accepts_encrypted: bool,
}

/// The weaknesses finders report most, offered first by the picker (MITRE's 2024 CWE Top 25).
const COMMON_WEAKNESSES: [u32; 25] = [
    79, 787, 89, 352, 22, 125, 78, 416, 862, 434, 94, 20, 77, 287, 269, 502, 200, 863, 918, 119,
    476, 798, 190, 400, 306,
];

impl ReportFormPage {
    pub fn new(
        settings: &ServerSettings,
        input: ReportInput,
        errors: &FieldErrors,
        had_files: bool,
    ) -> Self {
        let area =
            |field: Field, label, hint, rows, required, value: &Option<String>| TextAreaView {
                name: field.form_name(),
                label,
                hint,
                rows,
                required,
                value: value.clone().unwrap_or_default(),
            };
        let text_areas = vec![
            area(
                Field::Summary,
                "Summary",
                "What is the vulnerability, in a few sentences?",
                4,
                true,
                &input.summary,
            ),
            area(
                Field::StepsToReproduce,
                "Steps to reproduce",
                "Numbered steps, requests, payloads: whatever we need to see it ourselves.",
                8,
                true,
                &input.steps_to_reproduce,
            ),
            area(
                Field::Impact,
                "Impact",
                "What could an attacker achieve, and under which conditions?",
                4,
                true,
                &input.impact,
            ),
            area(
                Field::Mitigation,
                "Possible mitigations",
                "Optional: how you think it could be fixed or worked around.",
                3,
                false,
                &input.mitigation,
            ),
        ];
        let weakness_options = COMMON_WEAKNESSES
            .iter()
            .filter_map(|&number| cwe::all().iter().find(|w| w.id.number() == number))
            .map(|w| WeaknessOption {
                id: w.id.to_string(),
                name: w.name,
            })
            .collect();
        let limits = settings.attachment_limits;
        ReportFormPage {
            layout: Layout::of(settings),
            errors: errors
                .iter()
                .map(|(field, message)| FieldErrorView {
                    name: field.form_name(),
                    label: label_of(field),
                    message: message.to_owned(),
                })
                .collect(),
            input,
            had_files,
            text_areas,
            weakness_options,
            short_limit: settings.text_limits.short,
            max_files: limits.max_files,
            max_file_size: human_bytes(limits.max_file_bytes),
            max_total_size: human_bytes(limits.max_total_bytes),
            challenge: None,
            notice: None,
            accepts_encrypted: false,
        }
    }

    pub fn with_encryption(mut self, accepts_encrypted: bool) -> Self {
        self.accepts_encrypted = accepts_encrypted;
        self
    }

    pub fn with_challenge(mut self, challenge: Option<Challenge>) -> Self {
        self.challenge = challenge;
        self
    }

    /// Adds a refused challenge to the form's problems, linked to the question.
    pub fn with_challenge_error(mut self, message: String) -> Self {
        self.errors.push(FieldErrorView {
            name: CHALLENGE_ANSWER,
            label: "Check",
            message,
        });
        self
    }

    pub fn with_notice(mut self, notice: String) -> Self {
        self.notice = Some(notice);
        self
    }

    fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.message.as_str())
    }
}

/// The form name of the typed answer to the challenge's question.
const CHALLENGE_ANSWER: &str = "challenge_answer";

pub fn label_of(field: Field) -> &'static str {
    match field {
        Field::Asset => "Affected asset",
        Field::Weakness => "Weakness",
        Field::Severity => "Severity",
        Field::Title => "Title",
        Field::Summary => "Summary",
        Field::StepsToReproduce => "Steps to reproduce",
        Field::Impact => "Impact",
        Field::Mitigation => "Possible mitigations",
        Field::Attachments => "Supporting files",
        Field::ContactName => "Name",
        Field::ContactEmail => "E-mail",
        Field::ContactPgpKey => "OpenPGP public key",
        Field::Credit => "Credit",
        Field::ThirdPartyComponent => "Third-party component",
        Field::ThirdPartyVersion => "Its version",
        Field::ThirdPartySupplier => "Its supplier",
        Field::KnownCves => "Known CVE IDs",
    }
}

#[derive(Template)]
#[template(path = "receipt.html")]
pub struct ReceiptPage {
    pub layout: Layout,
    pub reference: String,
    pub tracking_url: String,
}

#[derive(Template)]
#[template(path = "track.html")]
pub struct TrackPage {
    pub layout: Layout,
    pub report: Report,
    pub token: String,
    pub weakness_name: Option<&'static str>,
    pub received_at: String,
    pub received_display: String,
    pub messages: Vec<MessageView>,
    /// The reply as typed, when it comes back with a problem.
    pub reply: String,
    pub reply_error: Option<String>,
    /// Why the reply's files were refused, or that they must be chosen again.
    pub attachments_error: Option<String>,
    pub max_files: usize,
    pub max_file_size: String,
    pub max_total_size: String,
    /// What the page says about asking for a status update, when it says anything.
    pub update_notice: Option<String>,
    /// Whether the "ask for an update" button is offered now.
    pub may_request_update: bool,
    /// Credits proposed to the finder, for their answer.
    pub credits: Vec<crate::advisories::credits::FinderCreditView>,
    /// Whether the finder may ask, or has asked, to have their contact details removed.
    pub contact_removal: crate::contact_removal::ContactRemoval,
    /// The finder's appeal of a closing outcome: offered, filed, decided.
    pub appeal: crate::appeals::AppealView,
}

/// One message of a report's conversation, ready to show.
pub struct MessageView {
    pub from_finder: bool,
    pub author: String,
    pub at: String,
    pub at_display: String,
    /// The Markdown body rendered and cleaned.
    pub html: String,
    /// The files sent with the message.
    pub files: Vec<FileView>,
}

/// One file sent with a message: what the page says of it and the id its link needs.
pub struct FileView {
    pub id: i64,
    pub file_name: String,
    pub size: String,
    pub sha256: String,
}

impl MessageView {
    /// `for_finder`: the finder sees "Security team" rather than a staff member's address.
    pub fn of(message: &Message, for_finder: bool) -> Self {
        let author = match (message.from_finder, for_finder) {
            (true, true) => "You".to_owned(),
            (true, false) => "Finder".to_owned(),
            (false, true) => "Security team".to_owned(),
            (false, false) => message.author_label.clone(),
        };
        MessageView {
            from_finder: message.from_finder,
            author,
            at: message.created_at.format(&Rfc3339).unwrap_or_default(),
            at_display: utc_minute(message.created_at),
            html: markdown::to_safe_html(&message.body),
            files: message
                .attachments
                .iter()
                .map(|file| FileView {
                    id: file.id,
                    file_name: file.file_name.clone(),
                    size: human_bytes(file.size_bytes),
                    sha256: file.sha256.clone(),
                })
                .collect(),
        }
    }
}

impl TrackPage {
    pub fn new(
        settings: &ServerSettings,
        report: Report,
        token: String,
        messages: &[Message],
    ) -> Self {
        let weakness_name = report
            .content
            .weakness
            .and_then(cwe::lookup)
            .map(|w| w.name);
        let received_at = report.created_at.format(&Rfc3339).unwrap_or_default();
        let received_display = utc_minute(report.created_at);
        let limits = settings.attachment_limits;
        TrackPage {
            layout: Layout::of(settings),
            report,
            token,
            weakness_name,
            received_at,
            received_display,
            messages: messages.iter().map(|m| MessageView::of(m, true)).collect(),
            reply: String::new(),
            reply_error: None,
            attachments_error: None,
            max_files: limits.max_files,
            max_file_size: human_bytes(limits.max_file_bytes),
            max_total_size: human_bytes(limits.max_total_bytes),
            update_notice: None,
            may_request_update: false,
            credits: Vec::new(),
            contact_removal: Default::default(),
            appeal: Default::default(),
        }
    }

    fn size_of(&self, bytes: &u64) -> String {
        human_bytes(*bytes)
    }
}
