//! A participant's secret link: 256 random bits, shown once (in the answer that adds the
//! participant, and in its invitation), stored only as a SHA-256 hash. Like a finder's
//! tracking link, it is the participant's only credential: no account is needed.

use std::fmt;

use sha2::{Digest, Sha256};

const TOKEN_BYTES: usize = 32;

/// A freshly issued participant token; the caller supplies the random bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct ParticipantToken(String);

/// The stored form of a participant token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParticipantTokenHash(String);

impl ParticipantToken {
    pub fn from_random_bytes(bytes: [u8; TOKEN_BYTES]) -> Self {
        ParticipantToken(crate::tracking::base64url(&bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> ParticipantTokenHash {
        ParticipantTokenHash::of_presented(&self.0)
    }
}

/// Tokens are secrets: never print them by accident.
impl fmt::Debug for ParticipantToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ParticipantToken(…)")
    }
}

impl ParticipantTokenHash {
    /// Hashes whatever a client presented. Anything is hashed like a real token, so an
    /// unknown link costs the same work as a known one.
    pub fn of_presented(presented: &str) -> Self {
        ParticipantTokenHash(hex::encode(Sha256::digest(presented.as_bytes())))
    }

    pub fn from_stored(hex_digest: String) -> Self {
        ParticipantTokenHash(hex_digest)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_128_bits_hidden_behind_a_hash() {
        let token = ParticipantToken::from_random_bytes([0xab; 32]);
        // 256 bits as unpadded base64url.
        assert_eq!(token.as_str().len(), 43);
        let hash = token.hash();
        assert_eq!(hash.as_str().len(), 64);
        assert!(!hash.as_str().contains(token.as_str()));
        assert_eq!(hash, ParticipantTokenHash::of_presented(token.as_str()));
        assert_eq!(format!("{token:?}"), "ParticipantToken(…)");
        assert_ne!(
            ParticipantToken::from_random_bytes([1; 32]).hash(),
            ParticipantToken::from_random_bytes([2; 32]).hash()
        );
    }
}
