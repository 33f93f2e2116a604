//! `cvdesk serve`: open the store (creating it on first start), bind, and serve until
//! interrupted.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use cvdesk_domain::TextLimits;
use cvdesk_server::{AppState, Challenges, Mailer, RateLimits, ServerSettings, SystemClock};
use cvdesk_store::StoreLocation;
use tokio::net::TcpListener;

use crate::cli::ServeOptions;
use crate::config::{LogFormat, ServeConfig};

pub fn run(options: ServeOptions) -> anyhow::Result<ExitCode> {
    let config = ServeConfig::load(options)?;
    init_logging(config.log_format);
    raise_open_file_limit();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(serve(config))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    crate::startup_log::log_configuration(&config);
    let mailer = Mailer::new(&config.mail).map_err(|error| {
        config
            .mail_names
            .refusal(&error)
            .context("cannot use the mail settings")
    })?;
    // Only serve creates a store; it says which one it uses, and whether it is new.
    let described = crate::store_choice::describe(&config.store);
    let existed = cvdesk_store::store_exists(&config.store)
        .await
        .with_context(|| format!("cannot reach the {described}"))?;
    if existed {
        tracing::info!(store = %described, "using the store");
    } else {
        tracing::info!(store = %described, "creating a new store");
    }
    let store = cvdesk_store::open_with(
        &config.store,
        &config.attachment_storage,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .context("cannot open the store")?;
    // Mail to finders and vendors names its reply address once inbound mail is set up.
    let mailer = match &config.outbound.inbound_address {
        Some(base) => mailer.with_replies(cvdesk_server::inbound_mail::ReplyAddresses {
            base: base.clone(),
            key: cvdesk_server::outbound::settings::reply_key(
                store.as_ref(),
                time::OffsetDateTime::now_utc(),
            )
            .await
            .context("cannot prepare the reply-address key")?,
        }),
        None => mailer,
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let settings = ServerSettings {
        public_url: config
            .public_url
            .unwrap_or_else(|| format!("http://{address}")),
        organization_name: config.organization_name,
        reference_prefix: config.reference_prefix,
        attachment_limits: config.attachment_limits,
        text_limits: TextLimits::default(),
        client_address: config.client_address,
        security_txt_hosts: config.security_txt_hosts,
        pgp_passphrase: config.pgp_passphrase,
        calendar: config.calendar,
        advisories: config.advisories,
        retention: config.retention,
        metrics_access: config.metrics.access.clone(),
    };
    crate::key_check::log_organization_key(
        &*store,
        settings.pgp_passphrase.as_ref(),
        time::OffsetDateTime::now_utc(),
    )
    .await;
    // The configured policy becomes version 1 on the first start; later versions are
    // published from the staff pages.
    store
        .publish_first_policy(&config.policy, time::OffsetDateTime::now_utc())
        .await
        .context("cannot publish the first disclosure policy")?;
    if config.policy_in_file {
        crate::policy_drift::warn_if_drifted(&*store, &config.policy).await;
    }
    // Several instances share one PostgreSQL, so their rate limits must live there too.
    let rate_limits = match config.store {
        StoreLocation::Sqlite { .. } => RateLimits::local(config.rate_limits),
        StoreLocation::Postgres { .. } => RateLimits::shared(config.rate_limits),
    };
    let challenges = Challenges::load(&*store, config.challenge, time::OffsetDateTime::now_utc())
        .await
        .map_err(|error| anyhow::anyhow!("cannot prepare the intake challenge: {error}"))?;
    // Tests and scripts read this line to learn the port when listening on port 0.
    announce(&format!("cvdesk listening on http://{address}"));
    offer_first_admin_setup(&*store, &settings.public_url).await?;
    let outbound = crate::outbound_config::with_public_url(config.outbound, &settings.public_url);
    let metrics = Arc::new(cvdesk_server::metrics::Metrics::new(&mailer.counters));
    let state = AppState {
        store,
        settings: Arc::new(settings),
        clock: Arc::new(SystemClock),
        rate_limits: Arc::new(rate_limits),
        challenges: Arc::new(challenges),
        signed_security_txt: Arc::default(),
        organization_signer: Arc::default(),
        mailer: Arc::new(mailer),
        jobs: Arc::default(),
        csaf: Arc::default(),
        outbound: Arc::new(outbound),
        metrics,
        public_cache: Arc::default(),
    };
    if let Some(address) = config.metrics.listen {
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen for metrics on {address}"))?;
        tracing::info!(%address, "serving /metrics without a token");
        tokio::spawn(cvdesk_server::metrics::serve_metrics(
            listener,
            state.clone(),
        ));
    }
    cvdesk_server::serve(listener, state, config.http_limits, shutdown_signal()).await;
    tracing::info!("stopped");
    Ok(())
}

/// A line for the operator on standard output. A closed output must not stop the desk,
/// so write errors are ignored (the log on standard error has the same facts).
fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// While no staff account exists, prints a one-time link that creates the first admin.
async fn offer_first_admin_setup(
    store: &dyn cvdesk_store::Store,
    public_url: &str,
) -> anyhow::Result<()> {
    if store.user_count().await? > 0 {
        return Ok(());
    }
    let token = crate::command_context::secret()?;
    let expires_at = time::OffsetDateTime::now_utc() + SETUP_LINK_LIFETIME;
    store.create_setup_link(&token.hash(), expires_at).await?;
    announce(&format!(
        "No staff account yet. Create the first admin within 24 hours at:\n{public_url}/staff/setup/{}",
        token.as_str()
    ));
    Ok(())
}

const SETUP_LINK_LIFETIME: time::Duration = time::Duration::hours(24);

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        () = terminate => {},
    }
}

/// Every connection holds a file descriptor, and the usual soft limit (often 1,024) would
/// turn clients away long before the machine runs short: the soft limit is raised to the
/// hard one, as servers commonly do. The timeouts of the HTTP edge bound how long any
/// client holds one.
fn raise_open_file_limit() {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let limit = getrlimit(Resource::Nofile);
        if limit.current == limit.maximum {
            return;
        }
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => tracing::debug!(limit = ?limit.maximum, "raised the open-file limit"),
            Err(error) => tracing::warn!(
                %error,
                limit = ?limit.current,
                "cannot raise the open-file limit; fewer clients can connect at once"
            ),
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CVDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour codes only for a person at a terminal, never into a file or a journal.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
