//! The web edge of cvdesk: public pages, the finder's tracking page and the JSON API.
//! Handlers are thin: they turn HTTP into typed input, call the domain and the store, and
//! render the result.

pub mod advisories;
mod appeals;
mod auth;
mod client_address;
mod clock;
mod connections;
mod contact_removal;
pub mod coordination;
mod duplicates;
mod error;
pub mod findings;
mod http_limits;
pub mod inbound_mail;
mod insights;
mod intake;
mod intake_challenge;
mod jobs;
mod mail;
mod markdown;
pub mod metrics;
pub mod openpgp;
pub mod outbound;
mod percent;
mod public_cache;
mod purge;
mod queue;
mod random;
mod rate_limit;
mod reminders;
mod report_access;
mod report_status;
pub mod retention;
mod root_cause;
mod routes;
mod security_headers;
pub mod security_txt;
mod statistics;
mod triage;
mod uploads;
mod views;

use std::sync::Arc;

use cvdesk_domain::{AttachmentLimits, ReferencePrefix, TextLimits};
use cvdesk_store::Store;
use tokio::net::TcpListener;

pub use advisories::AdvisorySettings;
pub use client_address::{ClientAddressHeader, ClientAddressSettingError, ClientAddressSource};
pub use clock::{Clock, SystemClock};
pub use http_limits::HttpLimits;
pub use intake_challenge::{ChallengeSettings, Challenges};
pub use jobs::JobSignal;
pub use mail::{parse_recipients, InvalidRecipient, MailConfigError, MailSettings, Mailer};
pub use rate_limit::{Rate, RateLimits, RateSettings};
pub use routes::{registered_routes, RegisteredRoute};
pub use views::utc_minute;

/// What the web edge needs to know about the deployment.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The address finders use to reach the desk, without a trailing slash; tracking links
    /// are built from it.
    pub public_url: String,
    pub organization_name: String,
    pub reference_prefix: ReferencePrefix,
    pub attachment_limits: AttachmentLimits,
    pub text_limits: TextLimits,
    /// The TCP peer, or the one header trusted reverse proxies name the client in.
    pub client_address: ClientAddressSource,
    /// Host names besides the public URL's whose security.txt names itself as canonical
    /// (lower case, no port).
    pub security_txt_hosts: Vec<String>,
    /// Unlocks the organization's OpenPGP key to sign security.txt and decrypt reports.
    pub pgp_passphrase: Option<openpgp::Passphrase>,
    /// The working days that deadlines are counted in.
    pub calendar: cvdesk_domain::sla::Calendar,
    /// The organization as advisories name it: contact, CVE Numbering Authority.
    pub advisories: AdvisorySettings,
    /// How long personal data and spent records are kept.
    pub retention: cvdesk_domain::retention::RetentionSettings,
    /// Who may read `/metrics` on the desk's own address.
    pub metrics_access: metrics::MetricsAccess,
}

impl ServerSettings {
    pub fn uses_tls(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The public URL's host name, lower case, without a port.
    pub fn public_host(&self) -> Option<String> {
        let rest = self.public_url.split_once("://")?.1;
        let authority = rest.split('/').next()?;
        let host = match authority.strip_prefix('[') {
            Some(bracketed) => bracketed.split(']').next()?,
            None => authority.split(':').next()?,
        };
        Some(host.to_ascii_lowercase())
    }

    /// Whether `host` (lower case, no port) is a name this desk is configured to answer for.
    pub fn serves_host(&self, host: &str) -> bool {
        self.public_host().as_deref() == Some(host)
            || self.security_txt_hosts.iter().any(|known| known == host)
    }
}

/// Everything a handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<ServerSettings>,
    pub clock: Arc<dyn Clock>,
    pub rate_limits: Arc<RateLimits>,
    pub challenges: Arc<Challenges>,
    /// The security.txt signed for each host name served, reused while its text is
    /// unchanged.
    pub signed_security_txt: Arc<security_txt::SignedCopies>,
    /// The organization key unlocked once for signing security.txt and mail to finders.
    pub organization_signer: Arc<openpgp::OrganizationSigner>,
    pub mailer: Arc<Mailer>,
    /// Wakes the background job runner when work is queued for now.
    pub jobs: Arc<JobSignal>,
    /// Each published CSAF document's bytes, hashes and signature, written once.
    pub csaf: Arc<advisories::CsafCache>,
    /// The researcher's side: who reports, which deadlines, where replies come back.
    pub outbound: Arc<outbound::OutboundSettings>,
    /// The operator's metrics (`GET /metrics`).
    pub metrics: Arc<metrics::Metrics>,
    /// What the public pages show that rarely changes, kept in memory.
    pub public_cache: Arc<public_cache::PublicCache>,
}

/// How often this instance forgets the in-memory rate-limit buckets that refilled.
const PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a stopping server waits for the background jobs in hand.
const JOBS_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// How long a stopping server waits for the mail in hand to be sent and recorded.
const MAIL_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves until `shutdown` completes; requests in flight are then given
/// `limits.shutdown_grace` to finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    limits: HttpLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let purge = tokio::spawn(forget_idle_buckets(state.clone()));
    // The listener is bound: the desk answers while the statistics are gathered.
    let statistics = tokio::spawn(statistics::refresh_after_start(Arc::clone(&state.store)));
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let jobs = tokio::spawn(jobs::run(
        state.clone(),
        jobs::JobKinds::new(
            jobs::standard_kinds()
                .into_iter()
                .chain([std::sync::Arc::new(advisories::job::PublishScheduled) as _])
                .collect(),
        ),
        jobs_stopped,
        JOBS_STOP_GRACE,
    ));
    let (stop_mail, mail_stopped) = tokio::sync::watch::channel(false);
    let mut mail = tokio::spawn(mail::run(
        Arc::clone(&state.store),
        Arc::clone(&state.clock),
        Arc::clone(&state.mailer),
        mail_stopped,
    ));
    connections::serve_connections(listener, routes::router(state, &limits), limits, shutdown)
        .await;
    purge.abort();
    statistics.abort();
    let _ = stop_jobs.send(true);
    if let Err(error) = jobs.await {
        tracing::error!(%error, "the background job runner failed");
    }
    // A mail the server accepted but the outbox has not recorded would be sent again.
    let _ = stop_mail.send(true);
    if tokio::time::timeout(MAIL_STOP_GRACE, &mut mail)
        .await
        .is_err()
    {
        tracing::warn!("stopped the mail sender in the middle of a send");
        mail.abort();
    }
}

async fn forget_idle_buckets(state: AppState) {
    let mut ticks = tokio::time::interval(PURGE_INTERVAL);
    loop {
        ticks.tick().await;
        state.rate_limits.forget_idle();
    }
}
