//! The case service: writing a case from its form, reading it with its deadlines, log and
//! inquiry, sending the inquiry, recording what the vendor says and does, moving it on and
//! publishing it. Handlers and the command line call these; the rules are the domain's and
//! every change is one store transaction with its log entries, mail and audit entry.

use cvdesk_domain::audit::AuditEvent;
use cvdesk_domain::outbound::deadlines::{self, AgreedDate, Deadlines};
use cvdesk_domain::outbound::inquiry::{self, Inquiry, InquiryFacts};
use cvdesk_domain::outbound::log::{Channel, LogEntry, LogKind};
use cvdesk_domain::outbound::state::check_move;
use cvdesk_domain::outbound::{CaseForm, CaseId, CaseInput, CaseState, FormErrors, Preset};
use cvdesk_domain::sla::Calendar;
use cvdesk_domain::vendor::VendorId;
use cvdesk_store::{
    CaseChange, CaseRecord, DraftEdit, NewCase, NewLogEntry, NewMail, Store, StoreError,
    StoredCase, Vendor,
};
use time::{Date, OffsetDateTime};

use super::settings::OutboundSettings;

/// Why a case action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("not found")]
    NotFound,
    #[error("the case form has errors")]
    Invalid(FormErrors),
    /// The rules refuse it now (409).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CaseError> for crate::error::WebError {
    fn from(error: CaseError) -> Self {
        match error {
            CaseError::NotFound => crate::error::WebError::NotFound,
            CaseError::Invalid(errors) => crate::error::WebError::Invalid {
                code: "invalid_case",
                message: "The case has errors; each field says what to change.".to_owned(),
                fields: errors.0,
            },
            CaseError::Conflict(message) => crate::error::WebError::Conflict(message),
            CaseError::Store(StoreError::Conflict(message)) => {
                crate::error::WebError::Conflict(message)
            }
            CaseError::Store(StoreError::Missing(message)) => crate::error::WebError::Invalid {
                code: "invalid_event",
                message: message.clone(),
                fields: [("evidence_message_id".to_owned(), message)].into(),
            },
            CaseError::Store(other) => crate::error::WebError::internal(other),
        }
    }
}

/// A case with everything read from it.
pub struct CaseView {
    pub case: StoredCase,
    pub input: CaseInput,
    pub form: CaseForm,
    pub vendor: Vendor,
    /// Reckoned from the date of reporting, or from now while a draft.
    pub deadlines: Deadlines,
    pub log: Vec<LogEntry>,
    pub inquiry: Inquiry,
    /// Items a–k the case's inquiry template no longer carries.
    pub missing_items: Vec<char>,
    /// The announcement deadline has come while the vendor still has the case.
    pub decision_needed: bool,
    pub moves: &'static [CaseState],
}

/// What the services need besides the store.
pub struct Context<'a> {
    pub store: &'a dyn Store,
    pub settings: &'a OutboundSettings,
    pub calendar: &'a Calendar,
    pub prefix: &'a cvdesk_domain::ReferencePrefix,
    pub now: OffsetDateTime,
}

fn invalid(field: &str, message: impl Into<String>) -> CaseError {
    let mut errors = FormErrors::default();
    errors.add(field, message);
    CaseError::Invalid(errors)
}

async fn vendor_of(store: &dyn Store, input: &CaseInput) -> Result<Vendor, CaseError> {
    let Some(id) = input.vendor_id else {
        return Err(invalid("vendor_id", "required: the vendor's id"));
    };
    store
        .vendor(VendorId(id))
        .await?
        .ok_or_else(|| invalid("vendor_id", format!("there is no vendor {id}")))
}

fn preset_of(input: &CaseInput, settings: &OutboundSettings) -> Result<Preset, CaseError> {
    match input.preset.as_deref() {
        None | Some("") => Ok(settings.preset),
        Some(text) => text
            .parse()
            .map_err(|error: deadlines::UnknownPreset| invalid("preset", error.to_string())),
    }
}

/// Checks `input` and stores it as a draft.
pub async fn create(
    context: &Context<'_>,
    input: &CaseInput,
    created_by: &str,
    audit: &(dyn Fn(&CaseId) -> AuditEvent + Send + Sync),
) -> Result<CaseView, CaseError> {
    let form = CaseForm::parse(input);
    let vendor = vendor_of(context.store, input).await;
    let preset = preset_of(input, context.settings);
    let (form, vendor, preset) = match (form, vendor, preset) {
        (Ok(form), Ok(vendor), Ok(preset)) => (form, vendor, preset),
        (form, vendor, preset) => {
            let mut errors = form.err().unwrap_or_default();
            for error in [vendor.err(), preset.err()].into_iter().flatten() {
                match error {
                    CaseError::Invalid(more) => {
                        for (field, message) in more.0 {
                            errors.add(&field, message);
                        }
                    }
                    other => return Err(other),
                }
            }
            return Err(CaseError::Invalid(errors));
        }
    };
    drop(form);
    let json =
        serde_json::to_string(input).map_err(|e| StoreError::Corrupt(format!("case form: {e}")))?;
    let stored = context
        .store
        .create_case(
            NewCase {
                prefix: context.prefix,
                vendor_id: vendor.id,
                form: &json,
                preset,
                created_by,
                now: context.now,
            },
            audit,
        )
        .await?;
    view(context, stored).await
}

/// Replaces a draft's form and, when given, its own inquiry template.
pub async fn edit(
    context: &Context<'_>,
    case: &StoredCase,
    input: &CaseInput,
    template: Option<(&str, &str)>,
    audit: &AuditEvent,
) -> Result<CaseView, CaseError> {
    let form = CaseForm::parse(input).map_err(CaseError::Invalid)?;
    drop(form);
    let vendor = vendor_of(context.store, input).await?;
    let preset = preset_of(input, context.settings)?;
    if let Some((subject, body)) = template {
        inquiry::placeholders(subject).map_err(|e| invalid("inquiry_subject", e.to_string()))?;
        inquiry::placeholders(body).map_err(|e| invalid("inquiry_body", e.to_string()))?;
    }
    let json =
        serde_json::to_string(input).map_err(|e| StoreError::Corrupt(format!("case form: {e}")))?;
    context
        .store
        .edit_draft(
            case.row_id,
            DraftEdit {
                vendor_id: vendor.id,
                form: &json,
                preset,
                inquiry_subject: template.map(|(subject, _)| subject),
                inquiry_body: template.map(|(_, body)| body),
            },
            audit,
        )
        .await?;
    load_row(context, case.row_id).await
}

/// The case named `id` (e.g. `CVD-OUT-2026-0001`).
pub async fn load(context: &Context<'_>, id: &str) -> Result<CaseView, CaseError> {
    let id: CaseId = id.parse().map_err(|_| CaseError::NotFound)?;
    let case = context
        .store
        .case_by_id(&id)
        .await?
        .ok_or(CaseError::NotFound)?;
    view(context, case).await
}

pub async fn load_row(context: &Context<'_>, row_id: i64) -> Result<CaseView, CaseError> {
    let case = context
        .store
        .case_by_row(row_id)
        .await?
        .ok_or(CaseError::NotFound)?;
    view(context, case).await
}

/// The deadlines of `case`, from its date of reporting (or `now` for a draft).
pub fn deadlines_of(
    case: &StoredCase,
    settings: &OutboundSettings,
    calendar: &Calendar,
    now: OffsetDateTime,
) -> Result<Deadlines, StoreError> {
    let agreed = case.agreed_announce_by.map(|announce_by| AgreedDate {
        announce_by,
        evidence: case
            .agreed_evidence
            .map(|id| format!("case log entry {id}"))
            .unwrap_or_default(),
    });
    deadlines::compute(
        calendar,
        &settings.rules(case.preset),
        case.reported_at.unwrap_or(now),
        agreed.as_ref(),
        case.fixed_at,
    )
    .map_err(|e| StoreError::Corrupt(format!("case {} deadlines: {e}", case.id)))
}

async fn view(context: &Context<'_>, case: StoredCase) -> Result<CaseView, CaseError> {
    let input: CaseInput = serde_json::from_str(&case.form)
        .map_err(|e| StoreError::Corrupt(format!("case {} form: {e}", case.id)))?;
    let form = CaseForm::parse(&input)
        .map_err(|_| StoreError::Corrupt(format!("case {} form no longer reads", case.id)))?;
    let vendor = context
        .store
        .vendor(case.vendor_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("case {} has no vendor", case.id)))?;
    let deadlines = deadlines_of(&case, context.settings, context.calendar, context.now)?;
    let log = context.store.case_log(case.row_id).await?;
    let subject = case
        .inquiry_subject
        .clone()
        .unwrap_or_else(|| context.settings.inquiry_subject.clone());
    let body = case
        .inquiry_body
        .clone()
        .unwrap_or_else(|| context.settings.inquiry_body.clone());
    let researcher = context
        .settings
        .researcher
        .clone()
        .unwrap_or_else(|| inquiry::Researcher {
            name: "(researcher name not configured)".to_owned(),
            email: "(researcher e-mail not configured)".to_owned(),
            phone: None,
            organization: None,
            policy_url: String::new(),
            credit: true,
        });
    let case_id = case.id.to_string();
    let inquiry = inquiry::write(
        &subject,
        &body,
        &InquiryFacts {
            case_id: &case_id,
            vendor_name: &vendor.details.name,
            form: &form,
            researcher: &researcher,
            deadlines: &deadlines,
            verify_business_days: context.settings.verify_business_days,
            reply_address: None,
            today: context.now.date(),
        },
    );
    let missing_items = inquiry::missing_items(&subject, &body);
    let decision_needed =
        case.state.is_open_with_vendor() && context.now >= deadlines.announcement_due;
    let moves = case.state.manual_targets();
    Ok(CaseView {
        case,
        input,
        form,
        vendor,
        deadlines,
        log,
        inquiry,
        missing_items,
        decision_needed,
        moves,
    })
}

/// An event recorded by a person.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub kind: String,
    pub body: Option<String>,
    /// When it happened, RFC 3339; now when absent.
    pub at: Option<String>,
    /// With `deadline_agreed`: the agreed date, YYYY-MM-DD.
    pub announce_by: Option<String>,
    /// With `deadline_agreed`: the log entry of the message that agreed it.
    #[serde(default, deserialize_with = "cvdesk_formats::json_number::optional_id")]
    pub evidence_message_id: Option<i64>,
    /// With `fix_released`.
    pub version: Option<String>,
    /// With `vendor_reply` and `reported`: email, web_form, phone or other.
    pub channel: Option<String>,
}

/// Records `event` on the case, with the state move it implies.
pub async fn record_event(
    context: &Context<'_>,
    view: &CaseView,
    event: &EventInput,
    actor: &str,
    files: Vec<cvdesk_store::NewCaseFile>,
    audit: &AuditEvent,
) -> Result<Vec<i64>, CaseError> {
    let mut errors = FormErrors::default();
    let body = cvdesk_domain::outbound::form::text(
        &mut errors,
        "body",
        event.body.as_deref(),
        cvdesk_domain::outbound::form::LONG_TEXT,
        true,
    )
    .unwrap_or_default();
    let at = match event.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => context.now,
        Some(text) => {
            match OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
                Ok(at) if at <= context.now => at,
                Ok(_) => {
                    errors.add("at", "may not be in the future");
                    context.now
                }
                Err(_) => {
                    errors.add("at", "an RFC 3339 time such as 2026-03-02T10:00:00Z");
                    context.now
                }
            }
        }
    };
    let channel = match event.channel.as_deref() {
        None | Some("") => None,
        Some(text) => match text.parse::<Channel>() {
            Ok(channel) => Some(channel),
            Err(message) => {
                errors.add("channel", message);
                None
            }
        },
    };
    // Checked whatever the kind, so a field sent is never taken unread.
    let announce_by = match event.announce_by.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match Date::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day]"),
        ) {
            Ok(date) => Some(date),
            Err(_) => {
                errors.add("announce_by", "a date such as 2026-07-15");
                None
            }
        },
    };
    let version = cvdesk_domain::outbound::form::text(
        &mut errors,
        "version",
        event.version.as_deref(),
        cvdesk_domain::outbound::form::SHORT_TEXT,
        false,
    );
    let state = view.case.state;
    let mut entry = NewLogEntry::new(LogKind::Note, at, actor, &body);
    entry.channel = channel;
    entry.files = files;
    let mut change = CaseChange::default();
    match event.kind.as_str() {
        "note" => {
            if body.is_empty() {
                errors.add("body", "required");
            }
        }
        "vendor_reply" => {
            entry.kind = LogKind::VendorReply;
            entry.channel = channel.or(Some(Channel::Other));
            if body.is_empty() {
                errors.add("body", "required: what the vendor said");
            }
            if state == CaseState::Draft {
                return Err(CaseError::Conflict(
                    "the case has not been reported yet; send the inquiry first".to_owned(),
                ));
            }
            if state == CaseState::Reported {
                change.state = Some(CaseState::Acknowledged);
                entry.from_state = Some(state);
                entry.to_state = Some(CaseState::Acknowledged);
            }
        }
        "reported" => {
            entry.kind = LogKind::Reported;
            if !matches!(
                channel,
                Some(Channel::WebForm | Channel::Phone | Channel::Other)
            ) {
                errors.add(
                    "channel",
                    "web_form, phone or other: how the vendor was told",
                );
            }
            if state != CaseState::Draft {
                return Err(CaseError::Conflict(format!(
                    "the case is already {}",
                    state.label()
                )));
            }
            change.state = Some(CaseState::Reported);
            change.reported_at = Some(at);
            entry.from_state = Some(state);
            entry.to_state = Some(CaseState::Reported);
        }
        "deadline_agreed" => {
            entry.kind = LogKind::DeadlineAgreed;
            let date = match (announce_by, event.announce_by.as_deref().map(str::trim)) {
                (None, None | Some("")) => {
                    errors.add("announce_by", "required: the agreed date, YYYY-MM-DD");
                    None
                }
                (date, _) => date,
            };
            let Some(evidence) = event.evidence_message_id else {
                errors.add(
                    "evidence_message_id",
                    "required: the log entry of the message that agreed the date in writing",
                );
                return Err(CaseError::Invalid(errors));
            };
            if !view.log.iter().any(|entry| {
                entry.id == evidence && matches!(entry.kind, LogKind::VendorReply | LogKind::Sent)
            }) {
                errors.add(
                    "evidence_message_id",
                    format!("entry {evidence} is not a message of this case"),
                );
            }
            if !state.is_open_with_vendor() {
                return Err(CaseError::Conflict(format!(
                    "a {} case has no deadline to agree",
                    state.label()
                )));
            }
            if let Some(date) = date {
                change.agreed = Some((date, evidence));
                entry.announce_by = Some(date);
                entry.evidence = Some(evidence);
            }
        }
        "fix_released" => {
            entry.kind = LogKind::FixReleased;
            entry.version = version.clone();
            if !state.is_open_with_vendor() {
                return Err(CaseError::Conflict(format!(
                    "a {} case cannot receive a fix",
                    state.label()
                )));
            }
            change.state = Some(CaseState::Fixed);
            change.fixed_at = Some(at);
            entry.from_state = Some(state);
            entry.to_state = Some(CaseState::Fixed);
        }
        other => {
            errors.add(
                "kind",
                format!(
                    "'{}' is not an event (vendor_reply, deadline_agreed, fix_released, note, reported)",
                    other.chars().take(40).collect::<String>()
                ),
            );
        }
    }
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    Ok(context
        .store
        .record_case(
            view.case.row_id,
            CaseRecord {
                expected: state,
                change,
                entries: std::slice::from_ref(&entry),
                mail: &[],
                audit: Some(audit),
                now: context.now,
            },
        )
        .await?)
}

/// Moves the case by hand.
pub async fn move_case(
    context: &Context<'_>,
    view: &CaseView,
    to: &str,
    reason: Option<&str>,
    actor: &str,
    audit: &AuditEvent,
) -> Result<(), CaseError> {
    let mut errors = FormErrors::default();
    let reason = cvdesk_domain::outbound::form::text(
        &mut errors,
        "reason",
        reason,
        cvdesk_domain::outbound::form::LONG_TEXT,
        true,
    );
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    let to: CaseState = to
        .parse()
        .map_err(|e: cvdesk_domain::outbound::state::MoveError| invalid("to", e.to_string()))?;
    check_move(view.case.state, to).map_err(|e| CaseError::Conflict(e.to_string()))?;
    let mut entry = NewLogEntry::new(
        LogKind::Moved,
        context.now,
        actor,
        reason.as_deref().unwrap_or(""),
    );
    entry.from_state = Some(view.case.state);
    entry.to_state = Some(to);
    context
        .store
        .record_case(
            view.case.row_id,
            CaseRecord {
                expected: view.case.state,
                change: CaseChange {
                    state: Some(to),
                    fixed_at: (to == CaseState::Fixed).then_some(context.now),
                    ..CaseChange::default()
                },
                entries: std::slice::from_ref(&entry),
                mail: &[],
                audit: Some(audit),
                now: context.now,
            },
        )
        .await?;
    Ok(())
}

/// Records a vendor's message that arrived by mail, moving a reported case to
/// acknowledged. No person acted, so no audit entry: the received mail is kept.
pub async fn record_mail_reply(
    store: &dyn Store,
    case: &StoredCase,
    mut entry: NewLogEntry,
    now: OffsetDateTime,
) -> Result<Vec<i64>, StoreError> {
    let mut change = CaseChange::default();
    if case.state == CaseState::Reported {
        change.state = Some(CaseState::Acknowledged);
        entry.from_state = Some(case.state);
        entry.to_state = Some(CaseState::Acknowledged);
    }
    store
        .record_case(
            case.row_id,
            CaseRecord {
                expected: case.state,
                change,
                entries: std::slice::from_ref(&entry),
                mail: &[],
                audit: None,
                now,
            },
        )
        .await
}

/// Queues `mail` as the inquiry and records the case as reported.
pub async fn record_sent(
    context: &Context<'_>,
    view: &CaseView,
    mail: NewMail,
    encrypted: bool,
    actor: &str,
    audit: &AuditEvent,
) -> Result<(), CaseError> {
    let first = view.case.state == CaseState::Draft;
    let mut entry = NewLogEntry::new(
        LogKind::Sent,
        context.now,
        actor,
        &format!("Subject: {}\n\n{}", view.inquiry.subject, view.inquiry.body),
    );
    entry.channel = Some(Channel::Email);
    entry.encrypted = Some(encrypted);
    let mut change = CaseChange::default();
    if first {
        change.state = Some(CaseState::Reported);
        change.reported_at = Some(context.now);
        entry.from_state = Some(CaseState::Draft);
        entry.to_state = Some(CaseState::Reported);
    } else if !view.case.state.is_open_with_vendor() {
        return Err(CaseError::Conflict(format!(
            "a {} case is not sent again",
            view.case.state.label()
        )));
    }
    context
        .store
        .record_case(
            view.case.row_id,
            CaseRecord {
                expected: view.case.state,
                change,
                entries: std::slice::from_ref(&entry),
                mail: std::slice::from_ref(&mail),
                audit: Some(audit),
                now: context.now,
            },
        )
        .await?;
    Ok(())
}
