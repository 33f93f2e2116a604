//! The intake challenge: proof that a person (or at least some work) stands behind a
//! submission, with no third party involved.
//!
//! The desk issues a token that carries when it was issued, how hard it is and a random
//! nonce, signed with the desk's key. A browser with JavaScript finds a counter such that
//! SHA-256 of `TOKEN:COUNTER` starts with `difficulty` zero bits; a browser without it
//! answers a small arithmetic question derived from the same token instead. Verifying
//! either costs one HMAC and one hash. Each token is good once, until it expires; the
//! store remembers spent nonces.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

type HmacSha256 = Hmac<Sha256>;

/// The lowest and highest difficulty a token may carry, in leading zero bits.
pub const MIN_DIFFICULTY: u8 = 1;
pub const MAX_DIFFICULTY: u8 = 32;

/// How far in the future an issue time may lie (clocks of several instances differ).
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// The secret that signs tokens; every instance of one desk shares it.
#[derive(Clone)]
pub struct ChallengeKey([u8; 32]);

impl ChallengeKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ChallengeKey(bytes)
    }

    /// The key from its stored form: 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(ChallengeKey(bytes.try_into().ok()?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        for part in parts {
            mac.update(part);
        }
        mac
    }
}

impl fmt::Debug for ChallengeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChallengeKey(…)")
    }
}

/// A challenge as handed to a finder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `ISSUED.DIFFICULTY.NONCE.MAC`: Unix seconds, bits, 32 and 64 hex digits.
    pub token: String,
    pub difficulty: u8,
    /// The question for browsers without JavaScript.
    pub question: String,
    pub expires_at: OffsetDateTime,
}

/// A challenge that was met: what the store needs to spend it, and how it was met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solved {
    pub nonce: String,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// Met by typing the answer to the question rather than by the proof of work: the
    /// path a bot can take cheaply, so it is counted and limited on its own.
    pub by_question: bool,
}

/// What the finder sent back: a counter found by the script, or the typed answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response<'a> {
    Counter(&'a str),
    Answer(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("the check is missing")]
    Missing,
    #[error("the check was not issued by this desk")]
    Forged,
    #[error("the check has expired")]
    Expired,
    #[error("the check's solution is not correct")]
    WrongSolution,
    #[error("the answer to the question is not correct")]
    WrongAnswer,
}

/// Makes a challenge from 16 random bytes, valid for `lifetime` from `now`.
pub fn issue(
    key: &ChallengeKey,
    nonce: [u8; 16],
    difficulty: u8,
    now: OffsetDateTime,
    lifetime: Duration,
) -> Challenge {
    let difficulty = difficulty.clamp(MIN_DIFFICULTY, MAX_DIFFICULTY);
    let issued = now.unix_timestamp();
    let nonce = hex::encode(nonce);
    let unsigned = format!("{issued}.{difficulty}.{nonce}");
    let mac = hex::encode(
        key.mac(&[b"token.", unsigned.as_bytes()])
            .finalize()
            .into_bytes(),
    );
    let (a, operator, b) = question_terms(key, &nonce);
    Challenge {
        token: format!("{unsigned}.{mac}"),
        difficulty,
        question: format!(
            "What is {} {operator} {}? Answer in digits.",
            NUMBER_WORDS[a as usize], NUMBER_WORDS[b as usize]
        ),
        expires_at: OffsetDateTime::from_unix_timestamp(issued).unwrap_or(now) + lifetime,
    }
}

/// Checks `response` to `token` at `now`. Replays are the store's to catch: it spends the
/// returned nonce in the same transaction as the report.
pub fn verify(
    key: &ChallengeKey,
    token: &str,
    response: Response<'_>,
    now: OffsetDateTime,
    lifetime: Duration,
) -> Result<Solved, ChallengeError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ChallengeError::Missing);
    }
    let (unsigned, mac) = token.rsplit_once('.').ok_or(ChallengeError::Forged)?;
    let mac = hex::decode(mac).map_err(|_| ChallengeError::Forged)?;
    key.mac(&[b"token.", unsigned.as_bytes()])
        .verify_slice(&mac)
        .map_err(|_| ChallengeError::Forged)?;
    // Signed by this desk, so the fields are as issued.
    let mut fields = unsigned.splitn(3, '.');
    let issued: i64 = parse_field(fields.next())?;
    let difficulty: u8 = parse_field(fields.next())?;
    let nonce = fields.next().ok_or(ChallengeError::Forged)?;
    let issued = OffsetDateTime::from_unix_timestamp(issued).map_err(|_| ChallengeError::Forged)?;
    let expires_at = issued + lifetime;
    if now >= expires_at || issued > now + CLOCK_SKEW {
        return Err(ChallengeError::Expired);
    }
    match response {
        Response::Counter(counter) => {
            let counter = counter.trim();
            let well_formed = !counter.is_empty()
                && counter.len() <= 20
                && counter.bytes().all(|b| b.is_ascii_digit());
            if !well_formed || leading_zero_bits(token, counter) < u32::from(difficulty) {
                return Err(ChallengeError::WrongSolution);
            }
        }
        Response::Answer(answer) => {
            let (a, operator, b) = question_terms(key, nonce);
            let expected = if operator == "plus" { a + b } else { a - b };
            if parse_answer(answer) != Some(expected) {
                return Err(ChallengeError::WrongAnswer);
            }
        }
    }
    Ok(Solved {
        nonce: nonce.to_owned(),
        issued_at: issued,
        expires_at,
        by_question: matches!(response, Response::Answer(_)),
    })
}

/// The longest wait a surge of answered questions can impose.
pub const MAX_QUESTION_COOL_DOWN: Duration = Duration::minutes(32);

/// How long after its question was shown an answer is accepted, when `recent` reports
/// were sent by answering the question in the window where `normal` is usual: no wait
/// until they pass the usual number, then one minute, doubled each time they double
/// again, up to `MAX_QUESTION_COOL_DOWN`. A person writing a report takes longer than
/// that; a script answering at once has to wait.
pub fn question_cool_down(recent: u32, normal: u32) -> Duration {
    let normal = normal.max(1);
    let mut wait = Duration::ZERO;
    let mut threshold = u64::from(normal);
    while u64::from(recent) > threshold && wait < MAX_QUESTION_COOL_DOWN {
        wait = if wait.is_zero() {
            Duration::minutes(1)
        } else {
            wait * 2
        };
        threshold *= 2;
    }
    wait.min(MAX_QUESTION_COOL_DOWN)
}

/// Most extra bits a surge can add: 256 times the work of a quiet day.
pub const MAX_SURGE_BITS: u8 = 8;

/// The difficulty to issue when `recent` submissions arrived in the window where
/// `normal` is usual: one more bit (twice the work) each time they double past normal.
pub fn difficulty_under_load(base: u8, recent: u32, normal: u32) -> u8 {
    let normal = normal.max(1);
    let mut extra = 0;
    let mut threshold = u64::from(normal);
    while u64::from(recent) > threshold && extra < MAX_SURGE_BITS {
        extra += 1;
        threshold *= 2;
    }
    base.saturating_add(extra)
        .clamp(MIN_DIFFICULTY, MAX_DIFFICULTY)
}

/// Leading zero bits of SHA-256 over `TOKEN:COUNTER`.
pub fn leading_zero_bits(token: &str, counter: &str) -> u32 {
    let digest = Sha256::new()
        .chain_update(token.as_bytes())
        .chain_update(b":")
        .chain_update(counter.as_bytes())
        .finalize();
    let mut bits = 0;
    for byte in digest {
        bits += byte.leading_zeros();
        if byte != 0 {
            break;
        }
    }
    bits
}

/// Finds the smallest counter that meets `difficulty`: what the browser's script does,
/// for API clients written in Rust and for tests.
pub fn solve(token: &str, difficulty: u8) -> String {
    (0u64..)
        .map(|counter| counter.to_string())
        .find(|counter| leading_zero_bits(token, counter) >= u32::from(difficulty))
        .unwrap_or_default()
}

fn parse_field<T: std::str::FromStr>(field: Option<&str>) -> Result<T, ChallengeError> {
    field
        .and_then(|f| f.parse().ok())
        .ok_or(ChallengeError::Forged)
}

const NUMBER_WORDS: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

/// Two numbers up to twenty and an operator, derived from the nonce with the key so the
/// question cannot be chosen by the finder; never a negative result.
fn question_terms(key: &ChallengeKey, nonce: &str) -> (i32, &'static str, i32) {
    let bytes = key
        .mac(&[b"question.", nonce.as_bytes()])
        .finalize()
        .into_bytes();
    let a = i32::from(bytes[0] % 21);
    let b = i32::from(bytes[1] % 21);
    if bytes[2].is_multiple_of(2) {
        (a, "plus", b)
    } else {
        (a.max(b), "minus", a.min(b))
    }
}

/// Digits, or the number in words ("eleven", "twenty-three"), ignoring case and space.
fn parse_answer(answer: &str) -> Option<i32> {
    let answer = answer.trim().to_lowercase();
    if let Ok(number) = answer.parse() {
        return Some(number);
    }
    let unit = |word: &str| NUMBER_WORDS.iter().position(|known| *known == word);
    let tens = |word: &str| {
        ["twenty", "thirty", "forty"]
            .iter()
            .position(|known| *known == word)
            .map(|i| 20 + 10 * i)
    };
    let number = match answer.split_once(['-', ' ']) {
        Some((ten, one)) => tens(ten)? + unit(one.trim()).filter(|u| (1..10).contains(u))?,
        None => unit(&answer).or_else(|| tens(&answer))?,
    };
    i32::try_from(number).ok()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);
    const LIFETIME: Duration = Duration::hours(6);

    fn key() -> ChallengeKey {
        ChallengeKey::from_bytes([7; 32])
    }

    fn challenge(difficulty: u8) -> Challenge {
        issue(&key(), [42; 16], difficulty, NOW, LIFETIME)
    }

    /// The answer a person would give, read back from the question's words.
    fn answer(question: &str) -> i32 {
        let words: Vec<&str> = question
            .trim_end_matches("? Answer in digits.")
            .split(' ')
            .collect();
        let a = parse_answer(words[2]).expect("number");
        let b = parse_answer(words[4]).expect("number");
        if words[3] == "plus" {
            a + b
        } else {
            a - b
        }
    }

    #[test]
    fn a_found_counter_is_accepted_once_per_nonce() {
        let challenge = challenge(8);
        let counter = solve(&challenge.token, 8);
        assert!(leading_zero_bits(&challenge.token, &counter) >= 8);
        let solved = verify(
            &key(),
            &challenge.token,
            Response::Counter(&counter),
            NOW,
            LIFETIME,
        )
        .expect("accepted");
        assert_eq!(solved.nonce, hex::encode([42; 16]));
        assert_eq!(solved.expires_at, NOW + LIFETIME);
        assert_eq!(solved.issued_at, NOW);
        assert!(!solved.by_question);
        assert_eq!(challenge.expires_at, NOW + LIFETIME);
    }

    #[test]
    fn a_counter_that_misses_the_difficulty_is_refused() {
        let challenge = challenge(12);
        let wrong = (0u64..)
            .map(|n| n.to_string())
            .find(|n| leading_zero_bits(&challenge.token, n) < 12)
            .expect("most counters miss");
        for counter in [
            wrong.as_str(),
            "",
            "-1",
            "+5",
            "1e3",
            "١٢",
            "123456789012345678901",
        ] {
            assert_eq!(
                verify(
                    &key(),
                    &challenge.token,
                    Response::Counter(counter),
                    NOW,
                    LIFETIME
                ),
                Err(ChallengeError::WrongSolution),
                "{counter:?}"
            );
        }
    }

    #[test]
    fn the_question_has_one_right_answer_in_digits_or_words() {
        for nonce in 0..=255u8 {
            let challenge = issue(&key(), [nonce; 16], 16, NOW, LIFETIME);
            let expected = answer(&challenge.question);
            assert!((0..=40).contains(&expected), "{}", challenge.question);
            let digits = expected.to_string();
            let padded = format!("  {digits} ");
            for given in [digits.as_str(), padded.as_str()] {
                verify(
                    &key(),
                    &challenge.token,
                    Response::Answer(given),
                    NOW,
                    LIFETIME,
                )
                .unwrap_or_else(|e| panic!("{}: {given:?}: {e}", challenge.question));
            }
            let wrong = (expected + 1).to_string();
            assert_eq!(
                verify(
                    &key(),
                    &challenge.token,
                    Response::Answer(&wrong),
                    NOW,
                    LIFETIME
                ),
                Err(ChallengeError::WrongAnswer)
            );
        }
    }

    #[test]
    fn answers_in_words() {
        assert_eq!(parse_answer("Eleven"), Some(11));
        assert_eq!(parse_answer("twenty-three"), Some(23));
        assert_eq!(parse_answer("thirty seven"), Some(37));
        assert_eq!(parse_answer("forty"), Some(40));
        assert_eq!(parse_answer("twenty-zero"), None);
        assert_eq!(parse_answer("eleventy"), None);
        assert_eq!(parse_answer(""), None);
    }

    #[test]
    fn a_token_changed_anywhere_is_forged() {
        let challenge = challenge(4);
        let counter = solve(&challenge.token, 4);
        let easier = challenge.token.replacen(".4.", ".1.", 1);
        let other_key = issue(
            &ChallengeKey::from_bytes([8; 32]),
            [42; 16],
            4,
            NOW,
            LIFETIME,
        );
        for token in [
            easier.as_str(),
            other_key.token.as_str(),
            "not a token",
            "1.2.3",
            "1.2.3.zz",
            &challenge.token[..challenge.token.len() - 2],
        ] {
            assert_eq!(
                verify(&key(), token, Response::Counter(&counter), NOW, LIFETIME),
                Err(ChallengeError::Forged),
                "{token}"
            );
        }
        assert_eq!(
            verify(&key(), " ", Response::Counter("1"), NOW, LIFETIME),
            Err(ChallengeError::Missing)
        );
    }

    #[test]
    fn tokens_expire_and_cannot_come_from_the_future() {
        let challenge = challenge(4);
        let counter = solve(&challenge.token, 4);
        let at = |now| {
            verify(
                &key(),
                &challenge.token,
                Response::Counter(&counter),
                now,
                LIFETIME,
            )
        };
        assert!(at(NOW + LIFETIME - Duration::seconds(1)).is_ok());
        assert_eq!(at(NOW + LIFETIME), Err(ChallengeError::Expired));
        assert!(at(NOW - Duration::minutes(4)).is_ok());
        assert_eq!(at(NOW - Duration::minutes(6)), Err(ChallengeError::Expired));
    }

    #[test]
    fn difficulty_is_kept_within_bounds() {
        assert_eq!(challenge(0).difficulty, MIN_DIFFICULTY);
        assert_eq!(challenge(200).difficulty, MAX_DIFFICULTY);
    }

    #[test]
    fn difficulty_doubles_the_work_each_time_submissions_double() {
        assert_eq!(difficulty_under_load(16, 0, 30), 16);
        assert_eq!(difficulty_under_load(16, 30, 30), 16);
        assert_eq!(difficulty_under_load(16, 31, 30), 17);
        assert_eq!(difficulty_under_load(16, 60, 30), 17);
        assert_eq!(difficulty_under_load(16, 61, 30), 18);
        assert_eq!(
            difficulty_under_load(16, 30 * 1000, 30),
            16 + MAX_SURGE_BITS
        );
        assert_eq!(difficulty_under_load(16, u32::MAX, 0), 16 + MAX_SURGE_BITS);
        assert_eq!(difficulty_under_load(30, u32::MAX, 1), MAX_DIFFICULTY);
    }

    #[test]
    fn an_answered_question_is_marked_as_such() {
        let challenge = challenge(8);
        let solved = verify(
            &key(),
            &challenge.token,
            Response::Answer(&answer(&challenge.question).to_string()),
            NOW + Duration::minutes(3),
            LIFETIME,
        )
        .expect("right answer");
        assert!(solved.by_question);
        assert_eq!(solved.issued_at, NOW);
    }

    #[test]
    fn the_question_cool_down_doubles_as_answers_double() {
        assert_eq!(question_cool_down(0, 10), Duration::ZERO);
        assert_eq!(question_cool_down(10, 10), Duration::ZERO);
        assert_eq!(question_cool_down(11, 10), Duration::minutes(1));
        assert_eq!(question_cool_down(20, 10), Duration::minutes(1));
        assert_eq!(question_cool_down(21, 10), Duration::minutes(2));
        assert_eq!(question_cool_down(41, 10), Duration::minutes(4));
        assert_eq!(question_cool_down(u32::MAX, 10), MAX_QUESTION_COOL_DOWN);
        assert_eq!(question_cool_down(2, 0), Duration::minutes(1));
    }

    #[test]
    fn keys_round_trip_through_hex() {
        let key = key();
        let back = ChallengeKey::from_hex(&key.to_hex()).expect("valid");
        assert_eq!(back.0, key.0);
        assert!(ChallengeKey::from_hex("abcd").is_none());
        assert!(ChallengeKey::from_hex(&"g".repeat(64)).is_none());
    }
}
