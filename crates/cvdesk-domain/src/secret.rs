//! Bearer secrets other than tracking links: session cookies, API tokens, password and
//! set-up links. Each carries 256 random bits supplied by the caller and is stored only as
//! its SHA-256 hash.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::tracking::base64url;

#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        SecretToken(base64url(&bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        Self::hash_of(&self.0)
    }

    /// The stored form of whatever a client presented; malformed input hashes like any
    /// other, so a miss costs the same as a hit.
    pub fn hash_of(presented: &str) -> String {
        hex::encode(Sha256::digest(presented.as_bytes()))
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_hide_the_token() {
        let token = SecretToken::from_random_bytes([3; 32]);
        assert_eq!(token.as_str().len(), 43);
        assert_eq!(token.hash(), SecretToken::hash_of(token.as_str()));
        assert_eq!(token.hash().len(), 64);
        assert_eq!(format!("{token:?}"), "SecretToken(…)");
    }
}
