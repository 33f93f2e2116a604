//! Accepting a report, shared by the web form and the JSON API: intake rules, a fresh
//! tracking token, and one durable write of the report with the mail about it. The finder
//! sees a reference number only after the store has committed.

use std::sync::Arc;

use cvdesk_domain::challenge::Solved;
use cvdesk_domain::policy::PolicySettings;
use cvdesk_domain::product;
use cvdesk_domain::report::Report;
use cvdesk_domain::{Field, FieldErrors, ReportDraft, ReportInput, TrackingToken};
use cvdesk_store::{NewReport, Product, SpentChallenge, StoreError};

use crate::client_address::ClientAddress;
use crate::error::WebError;
use crate::mail::{finder_mail_signer, team_or_global, FinderKey, NewReportMail};
use crate::random;
use crate::rate_limit::Action;
use crate::uploads::ReceivedFiles;
use crate::AppState;

/// A report in the desk, and the only copy of its tracking token that will ever exist.
pub struct Accepted {
    pub report: Report,
    pub token: TrackingToken,
    pub tracking_url: String,
}

pub enum IntakeError {
    /// The finder must change something; nothing was stored.
    Invalid(FieldErrors),
    /// The challenge was already used for another report; nothing was stored.
    ChallengeSpent,
    Failed(WebError),
}

/// Where a submission came from, and the challenge it met when one was asked for.
pub struct Origin {
    pub client: ClientAddress,
    pub challenge: Option<Solved>,
    /// How it arrived, as the dashboards count arrivals.
    pub source: cvdesk_domain::report_source::ReportSource,
}

/// Counts a submission against its client's rate limit: 429 when over it.
pub async fn admit(state: &AppState, client: &ClientAddress) -> Result<(), WebError> {
    state
        .rate_limits
        .check(
            state.store.as_ref(),
            Action::SendReport,
            client,
            state.clock.now(),
        )
        .await
}

/// Why a report sent by answering the question is not taken now; the form comes back
/// with the finder's text and this notice, as a 429 with `Retry-After`.
pub struct QuestionRefusal {
    pub error: WebError,
    pub notice: String,
}

/// The question path's own checks, after its answer was found right: the address's
/// limit of answered reports, and the cool-down while answered reports surge (a script
/// answers at once, a person writing a report does not). The proof-of-work path is
/// counted only by `admit`.
pub async fn admit_answer(
    state: &AppState,
    client: &ClientAddress,
    solved: Option<&Solved>,
) -> Result<(), QuestionRefusal> {
    let Some(solved) = solved.filter(|solved| solved.by_question) else {
        return Ok(());
    };
    let now = state.clock.now();
    let cool_down = state.challenges.question_cool_down(now);
    let waited = now - solved.issued_at;
    if waited < cool_down {
        let wait = cool_down - waited;
        let seconds = u64::try_from(wait.whole_seconds()).unwrap_or(0).max(1);
        return Err(QuestionRefusal {
            error: WebError::TooManyRequests {
                retry_after_seconds: seconds,
            },
            notice: format!(
                "Many reports are arriving through the question right now, so an answer is \
                 taken only {} after its question is shown. Your text is kept below: wait \
                 that long, answer the new question and send again (or let the page's own \
                 check run, with JavaScript on).",
                minutes_in_words(cool_down)
            ),
        });
    }
    state
        .rate_limits
        .check(state.store.as_ref(), Action::AnswerQuestion, client, now)
        .await
        .map_err(|error| QuestionRefusal {
            notice: match &error {
                WebError::TooManyRequests { .. } => format!(
                    "{error} Reports sent by answering the question have a lower limit than \
                     those the page's own check sends (with JavaScript on)."
                ),
                other => other.to_string(),
            },
            error,
        })
}

fn minutes_in_words(wait: time::Duration) -> String {
    match wait.whole_minutes() {
        1 => "one minute".to_owned(),
        minutes => format!("{minutes} minutes"),
    }
}

impl From<WebError> for IntakeError {
    fn from(error: WebError) -> Self {
        IntakeError::Failed(error)
    }
}

pub async fn accept_report(
    state: &AppState,
    input: &ReportInput,
    received: ReceivedFiles,
    origin: &Origin,
) -> Result<Accepted, IntakeError> {
    let draft = ReportDraft::parse(input, state.settings.text_limits);
    let file_refusal = received.refusal.clone();
    let received_at = state.clock.now();
    // A key we could not encrypt to would leave the finder's mail plain: refuse it now,
    // while they can still fix it, rather than at the first mail. It is checked whatever
    // else is wrong, so every problem comes back in one answer.
    let key_text = match &draft {
        Ok(draft) => draft.contact.pgp_key.as_deref(),
        Err(errors) if errors.get(Field::ContactPgpKey).is_none() => input
            .contact_pgp_key
            .as_deref()
            .map(str::trim)
            .filter(|key| !key.is_empty()),
        Err(_) => None,
    };
    let key = key_text.map(|key| FinderKey::prepare(key, received_at));
    let (draft, finder_key) = match (draft, file_refusal, key) {
        (Ok(draft), None, None) => (draft, None),
        (Ok(draft), None, Some(Ok(key))) => (draft, Some(key)),
        (draft, file_refusal, key) => {
            let mut errors = draft.err().unwrap_or_default();
            if let Some(refusal) = file_refusal {
                errors.add(Field::Attachments, capitalise(&refusal.to_string()));
            }
            if let Some(Err(problem)) = key {
                errors.add(
                    Field::ContactPgpKey,
                    format!(
                        "This OpenPGP key cannot be used: {problem}. Paste a current public \
                         key, or leave the field empty."
                    ),
                );
            }
            return Err(IntakeError::Invalid(errors));
        }
    };
    let token = random::tracking_token()?;
    let routed = route_to_product(state, &draft).await?;
    let product = routed.as_ref().map(|product| product.id);
    let tracking_url = tracking_url(state, token.as_str());
    let policy = state
        .public_cache
        .policy_settings(async {
            let current = state.store.current_policy().await?;
            Ok::<_, StoreError>(Arc::new(
                current.map_or_else(PolicySettings::default, |version| version.settings),
            ))
        })
        .await
        .map_err(WebError::from)?;
    let staff = team_or_global(
        routed.as_ref().and_then(|product| product.team.as_ref()),
        state.mailer.staff_recipients(),
    );
    let signer = finder_mail_signer(state, draft.contact.pgp_key.as_deref()).await;
    let mail = NewReportMail {
        organization_name: &state.settings.organization_name,
        public_url: &state.settings.public_url,
        policy: &policy,
        tracking_url: &tracking_url,
        staff_recipients: &staff,
        finder_key: finder_key.map(Ok),
        signer: signer.as_deref(),
    };
    let created = state
        .store
        .create_report_with_mail(
            NewReport {
                prefix: &state.settings.reference_prefix,
                received_at,
                tracking_token_hash: &token.hash(),
                content: &draft,
                attachments: &received.files,
                product,
                received_from: Some(origin.client.as_str()),
                challenge: origin.challenge.as_ref().map(|solved| SpentChallenge {
                    nonce: &solved.nonce,
                    expires_at: solved.expires_at,
                }),
                source: origin.source,
            },
            &|report| mail.compose(report),
        )
        .await;
    let report = match created {
        Ok(report) => report,
        Err(StoreError::ChallengeSpent) => return Err(IntakeError::ChallengeSpent),
        Err(error) => return Err(WebError::from(error).into()),
    };
    if let Some(solved) = &origin.challenge {
        state.challenges.note_accepted(solved, report.created_at);
    }
    tracing::info!(reference = %report.reference, attachments = report.attachments.len(), "report accepted");
    state.mailer.wake();
    Ok(Accepted {
        report,
        token,
        tracking_url,
    })
}

/// The product whose host names, URL prefixes or aliases the report names, when exactly
/// one does; otherwise a triager decides.
async fn route_to_product(
    state: &AppState,
    draft: &ReportDraft,
) -> Result<Option<Product>, WebError> {
    let products = state
        .public_cache
        .products(async { state.store.products().await.map(Arc::from) })
        .await?;
    let routes: Vec<_> = products.iter().map(Product::route).collect();
    let found = product::route(draft.asset.as_deref(), &draft.title, &routes).map(|f| f.product);
    Ok(products.iter().find(|p| Some(p.id) == found).cloned())
}

pub fn tracking_url(state: &AppState, token: &str) -> String {
    format!("{}/track/{token}", state.settings.public_url)
}

/// A refusal written as a sentence: a capital first letter and a full stop.
pub fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
