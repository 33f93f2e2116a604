//! Two-factor sign-in: time-based one-time passwords (RFC 6238 with HMAC-SHA1, six digits,
//! 30-second steps — what every authenticator app speaks) and single-use recovery codes.
//! Secrets and codes are made from random bytes the caller supplies.

use std::fmt;

use hmac::digest::{Key, KeyInit};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<Sha1>;

/// Length of a generated secret: the HMAC-SHA1 output size, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// RFC 4226 requires at least 128 bits.
const MIN_SECRET_BYTES: usize = 16;
/// HMAC-SHA1's block size; longer keys would be hashed first, which `hotp` does not do.
const MAX_SECRET_BYTES: usize = 64;
pub const DIGITS: u32 = 6;
pub const STEP_SECONDS: i64 = 30;
pub const RECOVERY_CODE_COUNT: usize = 10;

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Crockford's base 32 in lower case: no i, l, o or u, so a code read aloud or copied by
/// hand is not misread; `normalise_recovery_code` maps the look-alikes back.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Twelve characters of five bits each: 60 random bits per code.
const RECOVERY_CODE_CHARS: usize = 12;

/// The shared secret behind a user's authenticator.
#[derive(Clone)]
pub struct TotpSecret(Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a TOTP secret must be {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes long, not {0} bytes")]
pub struct InvalidSecretLength(pub usize);

/// Why a presented code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpRefused {
    #[error("Enter the 6-digit code your authenticator app shows.")]
    Malformed,
    #[error("That code is not correct. Check your device's clock and try again.")]
    Incorrect,
    #[error("That code was already used. Wait for the next one.")]
    Replayed,
}

impl TotpSecret {
    pub fn from_random_bytes(bytes: [u8; SECRET_BYTES]) -> Self {
        TotpSecret(bytes.to_vec())
    }

    /// A secret read back from the store.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, InvalidSecretLength> {
        if (MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            Ok(TotpSecret(bytes))
        } else {
            Err(InvalidSecretLength(bytes.len()))
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base 32 without padding, as authenticator apps expect for manual entry.
    pub fn to_base32(&self) -> String {
        base32(&self.0)
    }

    /// The base 32 form in groups of four, easier to type from the screen.
    pub fn to_base32_grouped(&self) -> String {
        let plain = self.to_base32();
        let groups: Vec<&str> = plain
            .as_bytes()
            .chunks(4)
            .filter_map(|chunk| std::str::from_utf8(chunk).ok())
            .collect();
        groups.join(" ")
    }

    /// The `otpauth://` URI of the Key Uri Format, for a QR code. Issuer and account are
    /// percent-encoded, so a colon inside them cannot be mistaken for the label separator.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let secret = self.to_base32();
        let parameters = format!("algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}");
        if issuer.is_empty() {
            format!(
                "otpauth://totp/{}?secret={secret}&{parameters}",
                percent_encode(account)
            )
        } else {
            let issuer = percent_encode(issuer);
            format!(
                "otpauth://totp/{issuer}:{}?secret={secret}&issuer={issuer}&{parameters}",
                percent_encode(account)
            )
        }
    }
}

/// Secrets must never reach a log.
impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

/// The code an authenticator shows at `unix_seconds`.
pub fn code_at(secret: &TotpSecret, unix_seconds: i64) -> String {
    code_for_step(secret, unix_seconds.div_euclid(STEP_SECONDS))
}

/// Checks a presented code against the current step and one step either side (clock drift).
/// On success returns the matched step: store it, and pass it back as `last_used_step` next
/// time, so a code that was seen (even one step ahead) can never be used again.
pub fn verify(
    secret: &TotpSecret,
    presented: &str,
    now_unix: i64,
    last_used_step: Option<i64>,
) -> Result<i64, TotpRefused> {
    let digits: String = presented.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpRefused::Malformed);
    }
    let current = now_unix.div_euclid(STEP_SECONDS);
    let mut accepted = None;
    let mut replayed = false;
    // Every candidate is computed and compared in constant time, so timing does not tell
    // how many digits were right.
    for step in current - 1..=current + 1 {
        let expected = code_for_step(secret, step);
        if bool::from(expected.as_bytes().ct_eq(digits.as_bytes())) {
            if last_used_step.is_some_and(|last| step <= last) {
                replayed = true;
            } else {
                accepted = Some(step);
            }
        }
    }
    match accepted {
        Some(step) => Ok(step),
        None if replayed => Err(TotpRefused::Replayed),
        None => Err(TotpRefused::Incorrect),
    }
}

fn code_for_step(secret: &TotpSecret, step: i64) -> String {
    // Steps before 1970 do not occur with a sane clock; they count as step 0.
    hotp(&secret.0, u64::try_from(step).unwrap_or_default(), DIGITS)
}

/// RFC 4226 HOTP with dynamic truncation to `digits` (at most 9) decimal digits.
fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    // HMAC pads a key shorter than its block with zeros; doing it here uses the infallible
    // constructor. Secrets are at most one block long (see `TotpSecret::from_bytes`).
    let mut block = Key::<HmacSha1>::default();
    for (slot, byte) in block.iter_mut().zip(key) {
        *slot = *byte;
    }
    let mut mac = <HmacSha1 as KeyInit>::new(&block);
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    let code = binary % 10_u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut group = [0_u8; 5];
        group[..chunk.len()].copy_from_slice(chunk);
        let bits = group
            .iter()
            .fold(0_u64, |acc, byte| (acc << 8) | u64::from(*byte));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            let index = (bits >> (35 - 5 * i)) & 0x1f;
            out.push(char::from(BASE32_ALPHABET[index as usize]));
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Single-use codes for when the authenticator is lost. `display` is shown to the user
/// once; only `hashes` are stored.
#[derive(Clone)]
pub struct RecoveryCodes {
    pub display: Vec<String>,
    pub hashes: Vec<String>,
}

/// Codes are secrets: `Debug` shows only how many there are.
impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodes({} codes)", self.display.len())
    }
}

/// Ten codes such as `k7qd-m2xp-9hfa`, each from eight of the caller's random bytes.
pub fn recovery_codes(random: &[u8; 80]) -> RecoveryCodes {
    let display: Vec<String> = random
        .chunks_exact(8)
        .take(RECOVERY_CODE_COUNT)
        .map(recovery_code)
        .collect();
    let hashes = display
        .iter()
        .map(|code| recovery_code_hash(code))
        .collect();
    RecoveryCodes { display, hashes }
}

/// The stored form of a recovery code. Case, spaces, dashes and the look-alike letters
/// `o`, `i` and `l` do not matter, so a code typed from paper still matches.
pub fn recovery_code_hash(presented: &str) -> String {
    hex::encode(Sha256::digest(
        normalise_recovery_code(presented).as_bytes(),
    ))
}

fn recovery_code(bytes: &[u8]) -> String {
    let bits = bytes
        .iter()
        .fold(0_u64, |acc, byte| (acc << 8) | u64::from(*byte));
    let mut out = String::with_capacity(RECOVERY_CODE_CHARS + 2);
    for i in 0..RECOVERY_CODE_CHARS {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        let index = (bits >> (59 - 5 * i)) & 0x1f;
        out.push(char::from(RECOVERY_ALPHABET[index as usize]));
    }
    out
}

fn normalise_recovery_code(presented: &str) -> String {
    presented
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The RFC 6238 appendix B SHA-1 seed: ASCII "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_random_bytes(*b"12345678901234567890")
    }

    /// RFC 6238 appendix B, SHA-1 rows: (time, 8-digit TOTP).
    const RFC6238_SHA1: [(i64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc6238_vectors_with_eight_digits() {
        let secret = rfc_secret();
        for (time, expected) in RFC6238_SHA1 {
            let step = u64::try_from(time / STEP_SECONDS).unwrap_or_default();
            assert_eq!(hotp(secret.as_bytes(), step, 8), expected, "at {time}");
        }
    }

    #[test]
    fn rfc6238_vectors_with_six_digits() {
        let secret = rfc_secret();
        for (time, expected) in RFC6238_SHA1 {
            assert_eq!(code_at(&secret, time), expected[2..], "at {time}");
        }
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in (0_u64..).zip(expected) {
            assert_eq!(hotp(b"12345678901234567890", counter, 6), code);
        }
    }

    #[test]
    fn codes_keep_leading_zeros() {
        let code = code_at(&rfc_secret(), 1_111_111_109);
        assert_eq!(code, "081804");
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fo"), "MZXQ");
        assert_eq!(base32(b"foo"), "MZXW6");
        assert_eq!(base32(b"foob"), "MZXW6YQ");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn secret_display_forms() {
        let secret = rfc_secret();
        assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            secret.to_base32_grouped(),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
        assert_eq!(format!("{secret:?}"), "TotpSecret(…)");
    }

    #[test]
    fn otpauth_uri_follows_the_key_uri_format() {
        let uri = rfc_secret().otpauth_uri("Acme Corp: PSIRT", "alice@example.org");
        assert_eq!(
            uri,
            "otpauth://totp/Acme%20Corp%3A%20PSIRT:alice%40example.org\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Corp%3A%20PSIRT\
             &algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            rfc_secret().otpauth_uri("", "bob"),
            "otpauth://totp/bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(percent_encode("é"), "%C3%A9");
    }

    #[test]
    fn secret_length_is_checked() {
        assert!(TotpSecret::from_bytes(vec![1; 16]).is_ok());
        assert!(TotpSecret::from_bytes(vec![1; 64]).is_ok());
        assert_eq!(
            TotpSecret::from_bytes(vec![1; 15]).err(),
            Some(InvalidSecretLength(15))
        );
        assert_eq!(
            TotpSecret::from_bytes(vec![1; 65]).err(),
            Some(InvalidSecretLength(65))
        );
        assert_eq!(
            InvalidSecretLength(15).to_string(),
            "a TOTP secret must be 16 to 64 bytes long, not 15 bytes"
        );
    }

    #[test]
    fn a_long_secret_matches_plain_hmac() {
        let key = [0xab_u8; 64];
        let mut mac = <HmacSha1 as Mac>::new_from_slice(&key).unwrap_or_else(|_| unreachable!());
        mac.update(&7_u64.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0f);
        let binary = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        assert_eq!(hotp(&key, 7, 6), format!("{:06}", binary % 1_000_000));
    }

    #[test]
    fn current_code_is_accepted_and_returns_its_step() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let code = code_at(&secret, now);
        assert_eq!(verify(&secret, &code, now, None), Ok(now / 30));
    }

    #[test]
    fn one_step_of_drift_is_tolerated_either_way() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let step = now / 30;
        let behind = code_at(&secret, now - 30);
        let ahead = code_at(&secret, now + 30);
        assert_eq!(verify(&secret, &behind, now, None), Ok(step - 1));
        assert_eq!(verify(&secret, &ahead, now, None), Ok(step + 1));
        let too_old = code_at(&secret, now - 60);
        let too_new = code_at(&secret, now + 60);
        assert_eq!(
            verify(&secret, &too_old, now, None),
            Err(TotpRefused::Incorrect)
        );
        assert_eq!(
            verify(&secret, &too_new, now, None),
            Err(TotpRefused::Incorrect)
        );
    }

    #[test]
    fn a_used_code_is_refused() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let code = code_at(&secret, now);
        let step = verify(&secret, &code, now, None);
        assert_eq!(step, Ok(now / 30));
        let last = step.ok();
        assert_eq!(
            verify(&secret, &code, now + 5, last),
            Err(TotpRefused::Replayed)
        );
        // An older code is refused too once a newer step was used.
        let previous = code_at(&secret, now - 30);
        assert_eq!(
            verify(&secret, &previous, now, last),
            Err(TotpRefused::Replayed)
        );
        // The next code works.
        let next = code_at(&secret, now + 30);
        assert_eq!(verify(&secret, &next, now + 30, last), Ok(now / 30 + 1));
    }

    #[test]
    fn a_code_used_ahead_of_time_cannot_be_reused_later() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let ahead = code_at(&secret, now + 30);
        let last = verify(&secret, &ahead, now, None).ok();
        assert_eq!(
            verify(&secret, &ahead, now + 30, last),
            Err(TotpRefused::Replayed)
        );
    }

    #[test]
    fn spaces_are_tolerated_and_junk_is_malformed() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let code = code_at(&secret, now);
        let spaced = format!(" {} {} ", &code[..3], &code[3..]);
        assert_eq!(verify(&secret, &spaced, now, None), Ok(now / 30));
        for junk in ["", "12345", "1234567", "12a456", "١٢٣٤٥٦", "123-456"] {
            assert_eq!(
                verify(&secret, junk, now, None),
                Err(TotpRefused::Malformed),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn recovery_codes_are_ten_distinct_readable_codes() {
        let mut random = [0_u8; 80];
        for (byte, value) in random.iter_mut().zip(0_u8..) {
            *byte = value.wrapping_mul(37).wrapping_add(11);
        }
        let codes = recovery_codes(&random);
        assert_eq!(codes.display.len(), RECOVERY_CODE_COUNT);
        assert_eq!(codes.hashes.len(), RECOVERY_CODE_COUNT);
        for (code, hash) in codes.display.iter().zip(&codes.hashes) {
            assert_eq!(code.len(), 14);
            assert_eq!(code.matches('-').count(), 2);
            assert!(code
                .bytes()
                .all(|b| b == b'-' || RECOVERY_ALPHABET.contains(&b)));
            assert_eq!(&recovery_code_hash(code), hash);
            assert_eq!(hash.len(), 64);
        }
        let mut unique = codes.display.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODE_COUNT);
        assert_eq!(format!("{codes:?}"), "RecoveryCodes(10 codes)");
    }

    #[test]
    fn recovery_code_uses_sixty_bits() {
        assert_eq!(recovery_code(&[0; 8]), "0000-0000-0000");
        assert_eq!(recovery_code(&[0xff; 8]), "zzzz-zzzz-zzzz");
        // The lowest four bits are not used; the fifth-lowest is.
        assert_eq!(
            recovery_code(&[0, 0, 0, 0, 0, 0, 0, 0x0f]),
            "0000-0000-0000"
        );
        assert_eq!(
            recovery_code(&[0, 0, 0, 0, 0, 0, 0, 0x10]),
            "0000-0000-0001"
        );
    }

    #[test]
    fn recovery_code_hash_ignores_case_spacing_and_look_alikes() {
        let hash = recovery_code_hash("k7qd-m2xp-9h10");
        assert_eq!(recovery_code_hash("K7QD M2XP 9H1O"), hash);
        assert_eq!(recovery_code_hash("k7qdm2xp9hlo"), hash);
        assert_eq!(recovery_code_hash(" k7qd-m2xp-9hI0 "), hash);
        assert_ne!(recovery_code_hash("k7qd-m2xp-9h11"), hash);
        assert_eq!(
            hash,
            hex::encode(Sha256::digest(b"k7qdm2xp9h10")),
            "the stored hash is SHA-256 of the normalised code"
        );
    }

    proptest! {
        #[test]
        fn any_current_code_verifies(
            key in proptest::array::uniform20(any::<u8>()),
            now in 0_i64..4_000_000_000,
        ) {
            let secret = TotpSecret::from_random_bytes(key);
            let code = code_at(&secret, now);
            prop_assert_eq!(code.len(), 6);
            // A neighbouring step showing the same code (one chance in a million) would
            // rightly be accepted in its place.
            prop_assume!(code != code_at(&secret, now - 30));
            prop_assume!(code != code_at(&secret, now + 30));
            let step = now / 30;
            prop_assert_eq!(verify(&secret, &code, now, None), Ok(step));
            prop_assert_eq!(verify(&secret, &code, now, Some(step)), Err(TotpRefused::Replayed));
        }

        #[test]
        fn every_recovery_code_round_trips(random in proptest::collection::vec(any::<u8>(), 80)) {
            let mut bytes = [0_u8; 80];
            bytes.copy_from_slice(&random);
            let codes = recovery_codes(&bytes);
            for (code, hash) in codes.display.iter().zip(&codes.hashes) {
                let retyped = code.to_uppercase().replace('-', " ");
                prop_assert_eq!(&recovery_code_hash(&retyped), hash);
            }
        }
    }
}
