//! What the staff pages, the API and the scheduled-publication job do with advisories, in
//! one place: authorise, parse, apply the domain's rules, store with the audit entry. Each
//! action answers with an `ActionError` that says which field or rule refused it.

pub mod coordinated;

use std::collections::BTreeMap;

use cvdesk_domain::access::{self, Access, StaffAction};
use cvdesk_domain::advisory::credit::publishable;
use cvdesk_domain::advisory::export::{
    AdvisoryUrls, CnaIdentity, ExportError, Publication, PublisherProfile,
};
use cvdesk_domain::advisory::{
    AdvisoryAction, AdvisoryContent, AdvisoryFieldErrors, AdvisoryId, AdvisoryInput, AdvisoryState,
    Revision, RevisionError, RevisionHistory, ScheduleZone,
};
use cvdesk_domain::coordination::VendorPosition;
use cvdesk_domain::staff::{Actor, ProductId};
use cvdesk_formats::csaf;
use cvdesk_formats::cve_id::CveId;
use cvdesk_formats::timestamp::Timestamp;
use cvdesk_store::{Advisory, NewAdvisory, NewRevision, Schedule, StoreError, User, Withdrawal};
use time::OffsetDateTime;

use crate::auth::audit;
use crate::error::WebError;
use crate::AppState;

/// Why an advisory action did not happen.
#[derive(Debug)]
pub enum ActionError {
    /// Fields that broke a rule, each with its message; nothing was stored.
    Invalid(BTreeMap<String, String>),
    /// The advisory's state (or a concurrent change) does not allow it.
    Refused(String),
    Web(WebError),
}

impl From<WebError> for ActionError {
    fn from(error: WebError) -> Self {
        ActionError::Web(error)
    }
}

impl From<StoreError> for ActionError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => ActionError::Refused(message),
            StoreError::Missing(message) => {
                ActionError::Invalid(BTreeMap::from([("reports".to_owned(), message)]))
            }
            other => ActionError::Web(other.into()),
        }
    }
}

impl From<ActionError> for WebError {
    fn from(error: ActionError) -> Self {
        match error {
            ActionError::Invalid(fields) => WebError::Invalid {
                code: "invalid_advisory",
                message: "The advisory was not saved: fix the fields listed.".to_owned(),
                fields,
            },
            ActionError::Refused(message) => WebError::Conflict(message),
            ActionError::Web(error) => error,
        }
    }
}

fn one_field(field: &str, message: impl Into<String>) -> ActionError {
    ActionError::Invalid(BTreeMap::from([(field.to_owned(), message.into())]))
}

pub fn field_errors(errors: &AdvisoryFieldErrors) -> BTreeMap<String, String> {
    errors
        .iter()
        .map(|(field, message)| (field.to_owned(), message.to_owned()))
        .collect()
}

/// Refuses what the actor may not do to this advisory: hidden ones answer as missing.
pub fn authorise(actor: &Actor, action: StaffAction, advisory: &Advisory) -> Result<(), WebError> {
    let products = advisory.content.inventory_products();
    match access::check_advisory(actor, action, &products) {
        Access::Allowed => Ok(()),
        Access::Hidden => Err(WebError::NotFound),
        Access::Forbidden => Err(WebError::Forbidden(
            "Only publishers and admins write, schedule and publish advisories.".to_owned(),
        )),
    }
}

/// Refuses a role that may never write advisories, before anything is read.
pub fn may_write(actor: &Actor) -> Result<(), WebError> {
    if access::check_role(actor, StaffAction::WriteAdvisory).is_allowed() {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "Only publishers and admins write, schedule and publish advisories.".to_owned(),
        ))
    }
}

/// The advisory named by `text`, if the actor may see it for `action`.
pub async fn load(
    state: &AppState,
    actor: &Actor,
    text: &str,
    action: StaffAction,
) -> Result<Advisory, WebError> {
    let id: AdvisoryId = text.parse().map_err(|_| WebError::NotFound)?;
    let advisory = state.store.advisory(&id).await?.ok_or(WebError::NotFound)?;
    authorise(actor, action, &advisory)?;
    Ok(advisory)
}

/// Parses typed content against the desk's inventory.
pub async fn parse(
    state: &AppState,
    input: &AdvisoryInput,
) -> Result<AdvisoryContent, ActionError> {
    let products = state.store.products().await.map_err(WebError::from)?;
    let name = |id: ProductId| {
        products
            .iter()
            .find(|product| product.id == id)
            .map(|product| product.name.clone())
    };
    AdvisoryContent::parse(input, &name)
        .map_err(|errors| ActionError::Invalid(field_errors(&errors)))
}

pub async fn create(
    state: &AppState,
    user: &User,
    input: &AdvisoryInput,
) -> Result<AdvisoryId, ActionError> {
    may_write(&user.actor())?;
    let content = parse(state, input).await?;
    let entry = |id: &AdvisoryId| {
        audit::event(
            state,
            Some(user),
            "",
            "advisory.create",
            Some(&id.to_string()),
            content.title.clone(),
        )
    };
    Ok(state
        .store
        .create_advisory(
            NewAdvisory {
                prefix: &state.settings.reference_prefix,
                content: &content,
                created_by: &user.email,
                now: state.clock.now(),
            },
            &entry,
        )
        .await?)
}

pub async fn update(
    state: &AppState,
    user: &User,
    advisory: &Advisory,
    input: &AdvisoryInput,
) -> Result<(), ActionError> {
    authorise(&user.actor(), StaffAction::WriteAdvisory, advisory)?;
    if advisory.state == AdvisoryState::Withdrawn {
        return Err(ActionError::Refused(
            "a withdrawn advisory is not edited any more".to_owned(),
        ));
    }
    let content = parse(state, input).await?;
    let entry = audit::event(
        state,
        Some(user),
        "",
        "advisory.edit",
        Some(&advisory.id.to_string()),
        content.title.clone(),
    );
    state
        .store
        .update_advisory(
            &advisory.id,
            advisory.state,
            &content,
            &entry,
            state.clock.now(),
        )
        .await?;
    Ok(())
}

/// The history as it would be after publishing the working copy now with what the
/// coordinated `vendors` said: for a preview, and for the publication itself.
pub fn next_history(
    advisory: &Advisory,
    vendors: Vec<VendorPosition>,
    summary: &str,
    at: OffsetDateTime,
) -> Result<RevisionHistory, ActionError> {
    let mut history = advisory.history.clone();
    let credits: Vec<_> = advisory.credits.iter().map(|c| c.credit.clone()).collect();
    let content = AdvisoryContent {
        vendors,
        ..advisory.content.clone()
    };
    history
        .publish(content, publishable(&credits), summary, at)
        .map_err(|error| match error {
            RevisionError::SummaryMissing | RevisionError::SummaryTooLong => {
                one_field("summary", error.to_string())
            }
            other => ActionError::Refused(other.to_string()),
        })?;
    Ok(history)
}

/// How a publication treats the embargoes of the advisory's reports.
#[derive(Debug, Clone, Copy)]
pub enum EmbargoRule<'a> {
    /// Refused while one holds, unless a publisher gives this reason to go ahead.
    Check(Option<&'a str>),
    /// The scheduled-publication job: the embargo was weighed when the time was set.
    Scheduled,
}

/// The field that carries the reason to go ahead of an embargo, in the API and the forms.
pub const OVERRIDE_FIELD: &str = "override_embargo";

/// Publishes the working copy: the first publication of a draft or scheduled advisory, or
/// a revision of a published one, with what the coordinated vendors said as approved.
/// `actor` is `None` for the scheduled-publication job.
pub async fn publish(
    state: &AppState,
    actor: Option<&User>,
    advisory: &Advisory,
    summary: &str,
    embargo: EmbargoRule<'_>,
) -> Result<Revision, ActionError> {
    if let Some(user) = actor {
        authorise(&user.actor(), StaffAction::WriteAdvisory, advisory)?;
    }
    let action = if advisory.history.revisions().is_empty() {
        AdvisoryAction::Publish
    } else {
        AdvisoryAction::Revise
    };
    let next = advisory
        .state
        .apply(action)
        .map_err(|error| ActionError::Refused(error.to_string()))?;
    let now = state.clock.now();
    let (held, reason) = match embargo {
        EmbargoRule::Check(reason) => {
            let held = coordinated::held_at(state, &advisory.content, now).await?;
            let reason = coordinated::override_reason(&held, reason, OVERRIDE_FIELD)?;
            (held, reason)
        }
        EmbargoRule::Scheduled => (Vec::new(), None),
    };
    let vendors = coordinated::vendor_positions(state, &advisory.content, now).await?;
    let history = next_history(advisory, vendors, summary, now)?;
    let Some(revision) = history.latest() else {
        return Err(ActionError::Refused("nothing to publish".to_owned()));
    };
    let mut detail = format!("revision {}: {}", revision.number(), revision.summary());
    if let Some(reason) = &reason {
        detail.push_str(&format!("; before the embargo ends, because: {reason}"));
    }
    let entry = audit::event(
        state,
        actor,
        "scheduled publication",
        if action == AdvisoryAction::Publish {
            "advisory.publish"
        } else {
            "advisory.revise"
        },
        Some(&advisory.id.to_string()),
        detail,
    );
    state
        .store
        .publish_advisory(
            &advisory.id,
            NewRevision {
                expected: advisory.state,
                next,
                revision,
                withdrawal: None,
            },
            &entry,
        )
        .await?;
    if let (Some(user), Some(reason)) = (actor, &reason) {
        let what = format!(
            "Advisory {} version {} published",
            advisory.id,
            revision.number()
        );
        coordinated::log_override(state, user, &held, &what, reason).await?;
    }
    Ok(revision.clone())
}

pub async fn withdraw(
    state: &AppState,
    user: &User,
    advisory: &Advisory,
    reason: &str,
) -> Result<Revision, ActionError> {
    authorise(&user.actor(), StaffAction::WriteAdvisory, advisory)?;
    let next = advisory
        .state
        .apply(AdvisoryAction::Withdraw)
        .map_err(|error| ActionError::Refused(error.to_string()))?;
    let now = state.clock.now();
    let mut history = advisory.history.clone();
    let revision = history
        .withdraw(reason, now)
        .map_err(|error| match error {
            RevisionError::ReasonMissing | RevisionError::SummaryTooLong => {
                one_field("reason", error.to_string().replace("summary: ", "reason: "))
            }
            other => ActionError::Refused(other.to_string()),
        })?
        .clone();
    let withdrawal = Withdrawal {
        at: now,
        reason: reason.trim().to_owned(),
    };
    let entry = audit::event(
        state,
        Some(user),
        "",
        "advisory.withdraw",
        Some(&advisory.id.to_string()),
        withdrawal.reason.clone(),
    );
    state
        .store
        .publish_advisory(
            &advisory.id,
            NewRevision {
                expected: advisory.state,
                next,
                revision: &revision,
                withdrawal: Some(&withdrawal),
            },
            &entry,
        )
        .await?;
    Ok(revision)
}

/// Schedules publication at a local time in a zone (IANA name or offset); an instant
/// before an embargo of the advisory's reports ends needs `override_reason`.
pub async fn schedule(
    state: &AppState,
    user: &User,
    advisory: &Advisory,
    local: &str,
    zone: &str,
    override_reason: Option<&str>,
) -> Result<(), ActionError> {
    authorise(&user.actor(), StaffAction::WriteAdvisory, advisory)?;
    let zone: ScheduleZone =
        zone.parse()
            .map_err(|error: cvdesk_domain::advisory::ScheduleError| {
                one_field("time_zone", error.to_string())
            })?;
    let at = zone
        .instant_of(local)
        .map_err(|error| one_field("at", error.to_string()))?;
    let now = state.clock.now();
    // A scheduled advisory may be moved to another time.
    let from = if advisory.state == AdvisoryState::Scheduled {
        AdvisoryState::Draft
    } else {
        advisory.state
    };
    from.schedule(at, now).map_err(|error| match error {
        cvdesk_domain::advisory::TransitionError::ScheduleInPast => {
            one_field("at", error.to_string())
        }
        other => ActionError::Refused(other.to_string()),
    })?;
    let held = coordinated::held_at(state, &advisory.content, at).await?;
    let reason = coordinated::override_reason(&held, override_reason, OVERRIDE_FIELD)?;
    let mut detail = format!("{} ({})", Timestamp::from(at), zone.local_display(at));
    if let Some(reason) = &reason {
        detail.push_str(&format!("; before the embargo ends, because: {reason}"));
    }
    let entry = audit::event(
        state,
        Some(user),
        "",
        "advisory.schedule",
        Some(&advisory.id.to_string()),
        detail,
    );
    state
        .store
        .schedule_advisory(
            &advisory.id,
            advisory.state,
            &Schedule {
                at,
                zone: zone.name().to_owned(),
                embargo_override: reason.clone(),
            },
            &entry,
            now,
        )
        .await?;
    if let Some(reason) = &reason {
        let what = format!(
            "Advisory {} scheduled for {}",
            advisory.id,
            Timestamp::from(at)
        );
        coordinated::log_override(state, user, &held, &what, reason).await?;
    }
    state.jobs.wake();
    Ok(())
}

pub async fn unschedule(
    state: &AppState,
    user: &User,
    advisory: &Advisory,
) -> Result<(), ActionError> {
    authorise(&user.actor(), StaffAction::WriteAdvisory, advisory)?;
    advisory
        .state
        .apply(AdvisoryAction::Unschedule)
        .map_err(|error| ActionError::Refused(error.to_string()))?;
    let entry = audit::event(
        state,
        Some(user),
        "",
        "advisory.unschedule",
        Some(&advisory.id.to_string()),
        "",
    );
    state
        .store
        .unschedule_advisory(&advisory.id, &entry, state.clock.now())
        .await?;
    Ok(())
}

/// Calls off a scheduled publication that an embargo of the advisory's reports still holds
/// back when its time comes (set or moved after the schedule, which gave no reason to go
/// ahead of it): the advisory is a draft again, and the audit log says why.
pub async fn hold_back(
    state: &AppState,
    advisory: &Advisory,
    held: &[coordinated::HeldBy],
) -> Result<(), ActionError> {
    let embargoes = held
        .iter()
        .map(|held| format!("{} ends {}", held.reference, held.embargo.display()))
        .collect::<Vec<_>>()
        .join("; ");
    let entry = audit::event(
        state,
        None,
        "scheduled publication",
        "advisory.unschedule",
        Some(&advisory.id.to_string()),
        format!(
            "held back by an embargo ({embargoes}): schedule it again after the embargo, or \
             publish with a reason to go ahead of it"
        ),
    );
    state
        .store
        .unschedule_advisory(&advisory.id, &entry, state.clock.now())
        .await?;
    Ok(())
}

/// The organization as the documents name it.
pub fn publisher(state: &AppState) -> PublisherProfile {
    let settings = &state.settings;
    PublisherProfile {
        name: settings.organization_name.clone(),
        namespace: origin(&settings.public_url),
        contact: settings.advisories.contact.clone(),
        cna: settings
            .advisories
            .cna_org_id
            .clone()
            .map(|org_id| CnaIdentity {
                org_id,
                short_name: settings.advisories.cna_short_name.clone(),
            }),
    }
}

/// `https://example.com` of `https://example.com/desk`.
fn origin(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or(rest);
            format!("{scheme}://{host}")
        }
        None => url.to_owned(),
    }
}

/// Where an advisory first published at `first` is served (absolute).
pub fn urls(
    state: &AppState,
    id: &AdvisoryId,
    first: OffsetDateTime,
    tlp: cvdesk_formats::tlp::Tlp,
) -> AdvisoryUrls {
    let base = &state.settings.public_url;
    let tracking_id = id.to_string();
    AdvisoryUrls {
        html: format!("{base}/advisories/{tracking_id}"),
        csaf: format!(
            "{base}/.well-known/csaf/{}/{}",
            csaf::tlp_folder(tlp),
            csaf::distribution_path(&tracking_id, Timestamp::from(first))
        ),
    }
}

/// A published advisory as every export reads it.
pub struct Published {
    pub id: AdvisoryId,
    pub history: RevisionHistory,
    pub publisher: PublisherProfile,
    pub urls: AdvisoryUrls,
    pub withdrawn_at: Option<OffsetDateTime>,
}

impl Published {
    /// `None` while the advisory has never been published.
    pub fn of(state: &AppState, advisory: &Advisory) -> Option<Published> {
        Published::with_history(state, advisory, advisory.history.clone())
    }

    pub fn with_history(
        state: &AppState,
        advisory: &Advisory,
        history: RevisionHistory,
    ) -> Option<Published> {
        let first = history.first()?.date();
        let tlp = history.latest()?.content().tlp;
        Some(Published {
            urls: urls(state, &advisory.id, first, tlp),
            id: advisory.id.clone(),
            history,
            publisher: publisher(state),
            withdrawn_at: advisory.withdrawal.as_ref().map(|w| w.at),
        })
    }

    pub fn publication(&self) -> Publication<'_> {
        Publication {
            id: &self.id,
            history: &self.history,
            publisher: &self.publisher,
            urls: &self.urls,
            withdrawn_at: self.withdrawn_at,
        }
    }

    pub fn latest(&self) -> Option<&Revision> {
        self.history.latest()
    }

    /// The public URL of each CVE record, when the desk writes them (a CNA id is set).
    pub fn cve_urls(&self, state: &AppState) -> Vec<(CveId, String)> {
        if self.publisher.cna.is_none() {
            return Vec::new();
        }
        self.latest()
            .map(|latest| latest.content().cve_ids())
            .unwrap_or_default()
            .into_iter()
            .map(|cve| {
                let url = format!(
                    "{}/advisories/{}/cve/{cve}.json",
                    state.settings.public_url, self.id
                );
                (cve, url)
            })
            .collect()
    }
}

/// An export that cannot be made is missing to the public (a CVE the advisory does not
/// name, or no CNA id).
pub fn export_error(error: ExportError) -> WebError {
    match error {
        ExportError::NotPublished | ExportError::UnknownCve(_) | ExportError::NotACna => {
            WebError::NotFound
        }
    }
}
