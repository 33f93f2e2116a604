//! The operator's metrics, `GET /metrics` in the Prometheus text format (0.0.4) written by
//! `prometheus-client`: requests by route pattern and status with their latency, intake
//! outcomes, rate-limited answers and intake challenges, mail sent and failed, background
//! job runs and failures, and, read from the store at each scrape, the outbox's depth and
//! oldest mail, the oldest due job and the open reports by state.
//!
//! Labels are route patterns (`/track/{token}`), states, kinds and outcomes only: never a
//! path, a tracking token, an address or a title.

mod endpoint;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

pub use endpoint::{get_metrics, serve_metrics, MetricsAccess};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

type Seconds = Gauge<f64, AtomicU64>;

/// Mail outcomes, counted by the mail sender.
#[derive(Clone, Default)]
pub struct MailCounters {
    pub sent: Counter,
    pub failed: Counter,
}

/// Every metric of this instance.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    intake: Family<OutcomeLabels, Counter>,
    rate_limited: Family<RouteLabels, Counter>,
    challenges: Family<OutcomeLabels, Counter>,
    job_runs: Family<KindLabels, Counter>,
    job_failures: Family<KindLabels, Counter>,
    outbox_waiting: Gauge,
    outbox_oldest: Seconds,
    outbox_given_up: Gauge,
    oldest_due_job: Seconds,
    open_reports: Family<StateLabels, Gauge>,
    /// Scrapes refresh the store's gauges one at a time.
    refreshing: tokio::sync::Mutex<()>,
}

fn latency_histogram() -> Histogram {
    // 5 ms to about 20 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 13))
}

impl Metrics {
    /// The metrics, with the mail sender's counters among them.
    pub fn new(mail: &MailCounters) -> Metrics {
        let mut registry = Registry::with_prefix("cvdesk");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route pattern and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by method and route pattern",
            latency.clone(),
        );
        let intake = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "intake_submissions",
            "Reports sent through the form or the API, by outcome (accepted, invalid, \
             challenge_refused, rate_limited, too_large, malformed, timed_out, failed)",
            intake.clone(),
        );
        let rate_limited = Family::<RouteLabels, Counter>::default();
        registry.register(
            "rate_limited",
            "Requests refused with 429 by a rate limit, by route pattern",
            rate_limited.clone(),
        );
        let challenges = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "intake_challenges",
            "Intake challenges handed out (issued) and submissions refused for theirs (refused)",
            challenges.clone(),
        );
        registry.register(
            "mail_sent",
            "Mail the mail server accepted",
            mail.sent.clone(),
        );
        registry.register(
            "mail_failed",
            "Attempts to send mail that failed (retried or given up)",
            mail.failed.clone(),
        );
        let job_runs = Family::<KindLabels, Counter>::default();
        registry.register(
            "job_runs",
            "Background jobs run by this instance, by kind",
            job_runs.clone(),
        );
        let job_failures = Family::<KindLabels, Counter>::default();
        registry.register(
            "job_failures",
            "Background job runs that failed, by kind",
            job_failures.clone(),
        );
        let outbox_waiting = Gauge::default();
        registry.register(
            "outbox_waiting",
            "Mail not sent yet and not given up",
            outbox_waiting.clone(),
        );
        let outbox_oldest = Seconds::default();
        registry.register(
            "outbox_oldest_waiting_seconds",
            "How long the oldest mail not sent yet has waited (0 when none waits)",
            outbox_oldest.clone(),
        );
        let outbox_given_up = Gauge::default();
        registry.register(
            "outbox_given_up",
            "Mail given up on and not discarded (see /staff/outbox)",
            outbox_given_up.clone(),
        );
        let oldest_due_job = Seconds::default();
        registry.register(
            "jobs_oldest_due_seconds",
            "How long the longest-waiting due background job has waited (0 when none)",
            oldest_due_job.clone(),
        );
        let open_reports = Family::<StateLabels, Gauge>::default();
        registry.register(
            "reports_open",
            "Open reports, by state",
            open_reports.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            intake,
            rate_limited,
            challenges,
            job_runs,
            job_failures,
            outbox_waiting,
            outbox_oldest,
            outbox_given_up,
            oldest_due_job,
            open_reports,
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// Counts one answered request under its route pattern.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        let labels = RouteLabels {
            method: method.to_owned(),
            route: route.to_owned(),
        };
        self.latency.get_or_create(&labels).observe(seconds);
        if status == 429 {
            self.rate_limited.get_or_create(&labels).inc();
        }
        if let Some(outcome) = intake_outcome(method, route, status) {
            self.intake.get_or_create(&OutcomeLabels { outcome }).inc();
            if outcome == "challenge_refused" {
                self.challenge("refused");
            }
        }
        if status == 200 && challenge_issued(method, route) {
            self.challenge("issued");
        }
    }

    fn challenge(&self, outcome: &'static str) {
        self.challenges
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// Counts one run of a background job.
    pub fn observe_job(&self, kind: &str, failed: bool) {
        let labels = KindLabels {
            kind: kind.to_owned(),
        };
        self.job_runs.get_or_create(&labels).inc();
        if failed {
            self.job_failures.get_or_create(&labels).inc();
        }
    }
}

/// Where a submission ended, from the status its route answered with.
fn intake_outcome(method: &str, route: &str, status: u16) -> Option<&'static str> {
    if method != "POST" || !matches!(route, "/report" | "/api/v1/reports") {
        return None;
    }
    Some(match status {
        200..=299 => "accepted",
        422 => "invalid",
        403 => "challenge_refused",
        429 => "rate_limited",
        413 => "too_large",
        400 | 415 => "malformed",
        408 | 503 => "timed_out",
        _ => "failed",
    })
}

/// The form page and the API hand out a challenge with each successful answer.
fn challenge_issued(method: &str, route: &str) -> bool {
    method == "GET" && matches!(route, "/report" | "/api/v1/challenge")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intake_outcomes_follow_the_status() {
        assert_eq!(intake_outcome("POST", "/report", 201), Some("accepted"));
        assert_eq!(
            intake_outcome("POST", "/api/v1/reports", 403),
            Some("challenge_refused")
        );
        assert_eq!(
            intake_outcome("POST", "/api/v1/reports", 429),
            Some("rate_limited")
        );
        assert_eq!(intake_outcome("GET", "/report", 200), None);
        assert_eq!(intake_outcome("POST", "/track/{token}/messages", 201), None);
    }
}
