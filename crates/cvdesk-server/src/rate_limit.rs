//! Rate limits per client address for the public actions someone could abuse: sending
//! reports, looking up tracking links, and signing in (each sign-in costs a slow password
//! hash, so it is throttled before any of that work, as vaultwarden does). One desk on
//! SQLite keeps its buckets in memory (governor); several instances on PostgreSQL share
//! them through the store, so a client cannot multiply its allowance by reaching another
//! instance.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration as StdDuration;

use cvdesk_store::{Bucket, Store};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use time::{Duration, OffsetDateTime};

use crate::client_address::ClientAddress;
use crate::error::WebError;

/// `burst` requests, refilled evenly over `period`: "10/hour" allows ten at once and one
/// more every six minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub period: StdDuration,
}

impl Rate {
    fn bucket(self) -> Bucket {
        Bucket {
            interval: Duration::try_from(self.period / self.count.get()).unwrap_or(Duration::MAX),
            burst: self.count.get(),
        }
    }

    fn quota(self) -> Quota {
        let interval = (self.period / self.count.get()).max(StdDuration::from_nanos(1));
        Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(self.count))
            .allow_burst(self.count)
    }
}

impl FromStr for Rate {
    type Err = String;

    /// `COUNT/UNIT` with a unit of second, minute, hour or day.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let explain = || {
            format!("'{text}' is not a rate such as 10/hour (a count from 1, then /second, /minute, /hour or /day), or off")
        };
        let (count, unit) = text.trim().split_once('/').ok_or_else(explain)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| explain())?;
        let seconds = match unit.trim() {
            "second" => 1,
            "minute" => 60,
            "hour" => 3_600,
            "day" => 86_400,
            _ => return Err(explain()),
        };
        Ok(Rate {
            count,
            period: StdDuration::from_secs(seconds),
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.period.as_secs() {
            1 => "second",
            60 => "minute",
            3_600 => "hour",
            _ => "day",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// What may be limited; each has its own buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SendReport,
    Track,
    /// A finder's message on their report.
    Reply,
    /// A staff sign-in step, or a one-time link that sets a password.
    SignIn,
    /// A report sent by answering the question instead of doing the proof of work: the
    /// cheap path for a script, so it has its own, lower limit on top of `SendReport`.
    AnswerQuestion,
}

impl Action {
    fn key_prefix(self) -> &'static str {
        match self {
            Action::SendReport => "report",
            Action::Track => "track",
            Action::Reply => "reply",
            Action::SignIn => "sign_in",
            Action::AnswerQuestion => "question",
        }
    }
}

/// The rates in force; `None` turns a limit off.
#[derive(Debug, Clone, Copy, Default)]
pub struct RateSettings {
    pub send_report: Option<Rate>,
    pub track: Option<Rate>,
    pub reply: Option<Rate>,
    pub sign_in: Option<Rate>,
    pub answer_question: Option<Rate>,
}

impl RateSettings {
    /// Ten reports an hour (three of them by answering the question), a tracking lookup a
    /// second (with room for sixty at once), thirty replies an hour and ten sign-in
    /// attempts a minute per client: plenty for a person, little for a script.
    pub fn defaults() -> Self {
        RateSettings {
            send_report: Some(Rate {
                count: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
                period: StdDuration::from_secs(3_600),
            }),
            track: Some(Rate {
                count: NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN),
                period: StdDuration::from_secs(60),
            }),
            reply: Some(Rate {
                count: NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN),
                period: StdDuration::from_secs(3_600),
            }),
            sign_in: Some(Rate {
                count: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
                period: StdDuration::from_secs(60),
            }),
            answer_question: Some(Rate {
                count: NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN),
                period: StdDuration::from_secs(3_600),
            }),
        }
    }

    fn rate(&self, action: Action) -> Option<Rate> {
        match action {
            Action::SendReport => self.send_report,
            Action::Track => self.track,
            Action::Reply => self.reply,
            Action::SignIn => self.sign_in,
            Action::AnswerQuestion => self.answer_question,
        }
    }
}

/// The 429 for a client that must wait `wait`, in whole seconds rounded up so a client
/// that waits as told is let in.
fn too_many_requests(wait: Duration) -> WebError {
    let millis = wait.whole_milliseconds().max(1);
    WebError::TooManyRequests {
        retry_after_seconds: u64::try_from((millis + 999) / 1000).unwrap_or(u64::MAX),
    }
}

pub struct RateLimits {
    settings: RateSettings,
    buckets: Buckets,
}

enum Buckets {
    Local(Box<LocalBuckets>),
    Shared,
}

struct LocalBuckets {
    send_report: Option<DefaultKeyedRateLimiter<String>>,
    track: Option<DefaultKeyedRateLimiter<String>>,
    reply: Option<DefaultKeyedRateLimiter<String>>,
    sign_in: Option<DefaultKeyedRateLimiter<String>>,
    answer_question: Option<DefaultKeyedRateLimiter<String>>,
}

impl RateLimits {
    /// Buckets in this process, for a desk that runs alone.
    pub fn local(settings: RateSettings) -> Self {
        let limiter = |rate: Option<Rate>| rate.map(|r| DefaultKeyedRateLimiter::keyed(r.quota()));
        RateLimits {
            settings,
            buckets: Buckets::Local(Box::new(LocalBuckets {
                send_report: limiter(settings.send_report),
                track: limiter(settings.track),
                reply: limiter(settings.reply),
                sign_in: limiter(settings.sign_in),
                answer_question: limiter(settings.answer_question),
            })),
        }
    }

    /// Buckets in the store, shared by every instance that uses it.
    pub fn shared(settings: RateSettings) -> Self {
        RateLimits {
            settings,
            buckets: Buckets::Shared,
        }
    }

    /// Counts one `action` by `client`; `WebError::TooManyRequests` when it is over the
    /// limit.
    pub async fn check(
        &self,
        store: &dyn Store,
        action: Action,
        client: &ClientAddress,
        now: OffsetDateTime,
    ) -> Result<(), WebError> {
        let Some(rate) = self.settings.rate(action) else {
            return Ok(());
        };
        match &self.buckets {
            Buckets::Local(local) => {
                let limiter = match action {
                    Action::SendReport => &local.send_report,
                    Action::Track => &local.track,
                    Action::Reply => &local.reply,
                    Action::SignIn => &local.sign_in,
                    Action::AnswerQuestion => &local.answer_question,
                };
                let Some(limiter) = limiter else {
                    return Ok(());
                };
                limiter
                    .check_key(&client.as_str().to_owned())
                    .map_err(|not_until| {
                        let wait = not_until.wait_time_from(DefaultClock::default().now());
                        too_many_requests(Duration::try_from(wait).unwrap_or(Duration::MAX))
                    })
            }
            Buckets::Shared => {
                let key = format!("{}:{client}", action.key_prefix());
                match store.take_from_bucket(&key, rate.bucket(), now).await? {
                    None => Ok(()),
                    Some(wait) => Err(too_many_requests(wait)),
                }
            }
        }
    }

    /// Forgets clients whose buckets in memory are full again, so memory stays small.
    /// (Shared buckets are purged with the store's other expired abuse state.)
    pub fn forget_idle(&self) {
        if let Buckets::Local(local) = &self.buckets {
            for limiter in [
                &local.send_report,
                &local.track,
                &local.reply,
                &local.sign_in,
                &local.answer_question,
            ]
            .into_iter()
            .flatten()
            {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        let rate: Rate = "10/hour".parse().expect("valid");
        assert_eq!(rate.count.get(), 10);
        assert_eq!(rate.period, StdDuration::from_secs(3600));
        assert_eq!(rate.to_string(), "10/hour");
        assert_eq!(
            rate.bucket(),
            Bucket {
                interval: Duration::minutes(6),
                burst: 10
            }
        );
        for text in [" 3 / minute ", "1/second", "500/day"] {
            let rate: Rate = text.parse().expect(text);
            assert_eq!(rate.to_string().parse::<Rate>(), Ok(rate));
        }
        for bad in [
            "", "10", "0/hour", "-1/hour", "ten/hour", "10/week", "10/hours", "10/",
        ] {
            let error = bad.parse::<Rate>().expect_err(bad);
            assert!(error.contains("10/hour"), "{error}");
        }
    }

    #[test]
    fn retry_after_rounds_up_to_a_whole_second() {
        let seconds = |ms| match too_many_requests(Duration::milliseconds(ms)) {
            WebError::TooManyRequests {
                retry_after_seconds,
            } => retry_after_seconds,
            other => panic!("{other:?}"),
        };
        assert_eq!(seconds(0), 1);
        assert_eq!(seconds(1), 1);
        assert_eq!(seconds(1000), 1);
        assert_eq!(seconds(1001), 2);
    }

    #[tokio::test]
    async fn local_buckets_refuse_past_the_burst_and_keep_clients_apart() {
        let limits = RateLimits::local(RateSettings {
            send_report: Some("2/hour".parse().expect("rate")),
            track: None,
            reply: None,
            sign_in: None,
            answer_question: None,
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let store = cvdesk_store::open(&cvdesk_store::StoreLocation::Sqlite {
            data_dir: dir.path().to_path_buf(),
        })
        .await
        .expect("store");
        let now = OffsetDateTime::now_utc();
        let first = ClientAddress::of("192.0.2.1".parse().expect("ip"));
        let second = ClientAddress::of("192.0.2.2".parse().expect("ip"));
        let check = |client| limits.check(store.as_ref(), Action::SendReport, client, now);
        check(&first).await.expect("first");
        check(&first).await.expect("second");
        match check(&first).await {
            Err(WebError::TooManyRequests {
                retry_after_seconds,
            }) => assert!(
                (1..=1800).contains(&retry_after_seconds),
                "{retry_after_seconds}"
            ),
            other => panic!("{other:?}"),
        }
        check(&second).await.expect("another client");
        for _ in 0..100 {
            limits
                .check(store.as_ref(), Action::Track, &first, now)
                .await
                .expect("no tracking limit");
        }
    }
}
