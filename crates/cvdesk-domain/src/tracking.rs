//! The finder's secret tracking token. It is shown once, carries 256 random bits, and only
//! its SHA-256 hash is ever stored, so a copy of the database does not reveal any link.

use std::fmt;

use sha2::{Digest, Sha256};

const TOKEN_BYTES: usize = 32;
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A freshly issued tracking token; the caller supplies the random bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct TrackingToken(String);

/// The stored form of a tracking token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrackingTokenHash(String);

impl TrackingToken {
    pub fn from_random_bytes(bytes: [u8; TOKEN_BYTES]) -> Self {
        TrackingToken(base64url(&bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TrackingTokenHash {
        TrackingTokenHash::of_presented(&self.0)
    }
}

/// Tokens are secrets: never print them in logs by accident.
impl fmt::Debug for TrackingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TrackingToken(…)")
    }
}

impl TrackingTokenHash {
    /// Hashes whatever a client presented. Malformed input is hashed like a real token, so
    /// a miss costs the same work as a hit and timing tells nothing.
    pub fn of_presented(presented: &str) -> Self {
        TrackingTokenHash(hex::encode(Sha256::digest(presented.as_bytes())))
    }

    /// A hash read back from the store.
    pub fn from_stored(hex_digest: String) -> Self {
        TrackingTokenHash(hex_digest)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub(crate) fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_43_url_safe_characters() {
        let token = TrackingToken::from_random_bytes([0xff; 32]);
        // Unpadded base64url of 32 bytes.
        assert_eq!(token.as_str().len(), 43);
        assert!(token.as_str().bytes().all(|b| ALPHABET.contains(&b)));
        assert!(token.as_str().ends_with("__8"));
    }

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn hash_is_sha256_hex_and_hides_the_token() {
        let token = TrackingToken::from_random_bytes([7; 32]);
        let hash = token.hash();
        assert_eq!(hash.as_str().len(), 64);
        assert!(!hash.as_str().contains(token.as_str()));
        assert_eq!(hash, TrackingTokenHash::of_presented(token.as_str()));
        assert_eq!(format!("{token:?}"), "TrackingToken(…)");
    }

    #[test]
    fn distinct_bytes_give_distinct_tokens() {
        let a = TrackingToken::from_random_bytes([1; 32]);
        let b = TrackingToken::from_random_bytes([2; 32]);
        assert_ne!(a.as_str(), b.as_str());
    }
}
