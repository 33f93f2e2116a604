//! The intake challenge as the desk runs it: the signing key every instance shares, the
//! difficulty of the moment (it rises while accepted reports surge and falls back after),
//! the cool-down of the question path (reports sent by answering the question instead of
//! doing the work are counted on their own; while they surge, an answer is accepted only
//! a while after its question was shown), and the words a finder reads when a response
//! is refused.

use std::sync::Mutex;

use cvdesk_domain::challenge::{self, Challenge, ChallengeError, ChallengeKey, Response, Solved};
use cvdesk_store::Store;
use time::{Duration, OffsetDateTime};

use crate::error::WebError;
use crate::random::random_bytes;

/// The store setting that holds the signing key, shared by every instance.
const KEY_SETTING: &str = "intake_challenge_key";

/// Submissions are counted per minute over this many minutes to spot a surge.
const WINDOW_MINUTES: usize = 10;

#[derive(Debug, Clone, Copy)]
pub struct ChallengeSettings {
    pub enabled: bool,
    /// Leading zero bits asked for on a quiet day.
    pub difficulty: u8,
    /// How long a finder has between opening the form and sending it.
    pub lifetime: Duration,
    /// Submissions in ten minutes that count as usual; beyond it, difficulty rises.
    pub usual_submissions: u32,
    /// Reports sent by answering the question in ten minutes that count as usual; beyond
    /// it, answers must wait a cool-down after their question was shown.
    pub usual_question_answers: u32,
}

impl Default for ChallengeSettings {
    fn default() -> Self {
        ChallengeSettings {
            enabled: true,
            difficulty: 16,
            lifetime: Duration::hours(12),
            usual_submissions: 30,
            usual_question_answers: 10,
        }
    }
}

pub struct Challenges {
    settings: ChallengeSettings,
    key: ChallengeKey,
    /// Reports stored with a met challenge, either way.
    accepted: SurgeWindow,
    /// Reports stored with an answered question.
    answered: SurgeWindow,
}

/// Counts per minute over the last `WINDOW_MINUTES` minutes.
#[derive(Default)]
struct SurgeWindow(Mutex<[(i64, u32); WINDOW_MINUTES]>);

impl SurgeWindow {
    fn note(&self, now: OffsetDateTime) {
        let minute = now.unix_timestamp().div_euclid(60);
        let slot = usize::try_from(minute.rem_euclid(WINDOW_MINUTES as i64)).unwrap_or(0);
        let mut recent = self.lock();
        let entry = &mut recent[slot];
        if entry.0 == minute {
            entry.1 = entry.1.saturating_add(1);
        } else {
            *entry = (minute, 1);
        }
    }

    fn count(&self, now: OffsetDateTime) -> u32 {
        let minute = now.unix_timestamp().div_euclid(60);
        self.lock()
            .iter()
            .filter(|(at, _)| minute - at < WINDOW_MINUTES as i64 && *at <= minute)
            .map(|(_, count)| *count)
            .fold(0u32, u32::saturating_add)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, [(i64, u32); WINDOW_MINUTES]> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Challenges {
    /// Reads the signing key from the store, creating it on the desk's first start. When
    /// several instances start at once, the first key written wins for all of them.
    pub async fn load(
        store: &dyn Store,
        settings: ChallengeSettings,
        now: OffsetDateTime,
    ) -> Result<Self, WebError> {
        let fresh = ChallengeKey::from_bytes(random_bytes()?).to_hex();
        let stored = store.setting_or_insert(KEY_SETTING, &fresh, now).await?;
        let key = ChallengeKey::from_hex(&stored).ok_or_else(|| {
            WebError::Internal(
                format!("the stored setting {KEY_SETTING} is not 64 hexadecimal digits").into(),
            )
        })?;
        Ok(Challenges {
            settings,
            key,
            accepted: SurgeWindow::default(),
            answered: SurgeWindow::default(),
        })
    }

    pub fn enabled(&self) -> bool {
        self.settings.enabled
    }

    /// A fresh challenge at the difficulty of the moment.
    pub fn issue(&self, now: OffsetDateTime) -> Result<Challenge, WebError> {
        Ok(challenge::issue(
            &self.key,
            random_bytes()?,
            self.difficulty(now),
            now,
            self.settings.lifetime,
        ))
    }

    pub fn verify(
        &self,
        token: &str,
        response: Response<'_>,
        now: OffsetDateTime,
    ) -> Result<Solved, ChallengeError> {
        challenge::verify(&self.key, token, response, now, self.settings.lifetime)
    }

    /// Counts a report stored with a met challenge towards the surge measure. Refused and
    /// replayed submissions do not count: they cost the desk a hash and must not make
    /// the form harder for everyone else.
    pub fn note_accepted(&self, solved: &Solved, now: OffsetDateTime) {
        self.accepted.note(now);
        if solved.by_question {
            self.answered.note(now);
        }
    }

    /// How long an answer to the question must wait after the question was shown, now.
    pub fn question_cool_down(&self, now: OffsetDateTime) -> Duration {
        challenge::question_cool_down(
            self.answered.count(now),
            self.settings.usual_question_answers,
        )
    }

    /// The base difficulty, plus a bit for each doubling of submissions in the last ten
    /// minutes past the usual number.
    pub fn difficulty(&self, now: OffsetDateTime) -> u8 {
        challenge::difficulty_under_load(
            self.settings.difficulty,
            self.accepted.count(now),
            self.settings.usual_submissions,
        )
    }
}

/// What a person reads when their response is refused.
pub fn explain(error: &ChallengeError) -> String {
    match error {
        ChallengeError::Missing => {
            "The check that a person is sending this is missing. Answer the question, or \
             let the page finish its check, and send again."
        }
        ChallengeError::Forged => {
            "The check that a person is sending this was not issued by this desk. Answer \
             the new question below and send again."
        }
        ChallengeError::Expired => {
            "The check that a person is sending this has expired. Answer the new question \
             below (or let the page finish its check) and send again."
        }
        ChallengeError::WrongSolution => {
            "The page's check did not finish correctly. Answer the question below and send \
             again."
        }
        ChallengeError::WrongAnswer => {
            "The answer to the question is not right. Here is a new question: answer it in \
             digits and send again."
        }
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[tokio::test]
    async fn difficulty_rises_with_a_surge_and_falls_back_after() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = cvdesk_store::open(&cvdesk_store::StoreLocation::Sqlite {
            data_dir: dir.path().to_path_buf(),
        })
        .await
        .expect("store");
        let now = datetime!(2026-11-23 12:00 UTC);
        let settings = ChallengeSettings {
            difficulty: 12,
            usual_submissions: 10,
            ..ChallengeSettings::default()
        };
        let challenges = Challenges::load(store.as_ref(), settings, now)
            .await
            .expect("load");
        assert_eq!(challenges.difficulty(now), 12);
        for i in 0..40 {
            let at = now + Duration::seconds(i * 5);
            let issued = challenges.issue(at).expect("issue");
            let counter = challenge::solve(&issued.token, issued.difficulty);
            let solved = challenges
                .verify(&issued.token, Response::Counter(&counter), at)
                .expect("solved");
            challenges.note_accepted(&solved, at);
        }
        let during = now + Duration::minutes(4);
        assert_eq!(challenges.difficulty(during), 14);
        assert_eq!(
            challenges.question_cool_down(during),
            Duration::ZERO,
            "only answered questions count towards the question's cool-down"
        );
        assert_eq!(challenges.issue(during).expect("issue").difficulty, 14);
        assert_eq!(challenges.difficulty(now + Duration::minutes(13)), 12);

        // A second instance on the same store signs with the same key.
        let other = Challenges::load(store.as_ref(), settings, now)
            .await
            .expect("load");
        let issued = challenges.issue(now).expect("issue");
        let counter = challenge::solve(&issued.token, issued.difficulty);
        other
            .verify(&issued.token, Response::Counter(&counter), now)
            .expect("accepted by the other instance");
    }

    #[tokio::test]
    async fn a_surge_of_answered_questions_brings_a_cool_down_that_passes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = cvdesk_store::open(&cvdesk_store::StoreLocation::Sqlite {
            data_dir: dir.path().to_path_buf(),
        })
        .await
        .expect("store");
        let now = datetime!(2026-11-23 12:00 UTC);
        let settings = ChallengeSettings {
            difficulty: 8,
            usual_question_answers: 4,
            ..ChallengeSettings::default()
        };
        let challenges = Challenges::load(store.as_ref(), settings, now)
            .await
            .expect("load");
        let answered = Solved {
            nonce: "n".into(),
            issued_at: now,
            expires_at: now + Duration::hours(12),
            by_question: true,
        };
        for i in 0..9 {
            challenges.note_accepted(&answered, now + Duration::seconds(i * 10));
        }
        let during = now + Duration::minutes(2);
        assert_eq!(challenges.question_cool_down(during), Duration::minutes(2));
        assert_eq!(
            challenges.difficulty(during),
            8,
            "nine reports are within the usual thirty"
        );
        assert_eq!(
            challenges.question_cool_down(now + Duration::minutes(11)),
            Duration::ZERO
        );
    }
}
