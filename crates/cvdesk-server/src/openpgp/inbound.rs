//! Reading mail encrypted to the organization: decrypting it and checking the signature
//! inside against the sender's known key, so a reply is recorded with what is known about
//! who wrote it.

use std::io::Read;

use pgp::composed::{Deserializable, Message, SignedPublicKey};
use pgp::types::KeyDetails;

use super::{DecryptError, OrganizationKey, MAX_DECRYPTED_BYTES};

/// What the signature inside a decrypted message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The message carries no signature.
    Unsigned,
    /// Signed, and it verifies with the sender's key (its fingerprint).
    Verified(String),
    /// Signed, but no key of the sender is known.
    NoKnownKey,
    /// Signed, and it does not verify with the sender's key.
    Failed,
}

impl SignatureCheck {
    /// The words the case log records.
    pub fn describe(&self) -> String {
        match self {
            SignatureCheck::Unsigned => "unsigned".to_owned(),
            SignatureCheck::Verified(fingerprint) => {
                format!("good signature by the sender's key {fingerprint}")
            }
            SignatureCheck::NoKnownKey => "signed, but the sender's key is not known".to_owned(),
            SignatureCheck::Failed => {
                "BAD signature: it does not verify with the sender's known key".to_owned()
            }
        }
    }
}

impl OrganizationKey {
    /// Decrypts `armored_message` and checks its signature against `sender_key` (an
    /// armoured public key) when there is one.
    pub fn decrypt_and_check(
        &self,
        armored_message: &str,
        sender_key: Option<&str>,
    ) -> Result<(Vec<u8>, SignatureCheck), DecryptError> {
        let (message, _) = Message::from_string(armored_message.trim())
            .map_err(|error| DecryptError::Unreadable(error.to_string()))?;
        if !message.is_encrypted() {
            return Err(DecryptError::NotEncrypted);
        }
        let mut decrypted = message
            .decrypt(&self.password, &self.secret)
            .map_err(|error| match error {
                pgp::errors::Error::MissingKey => DecryptError::NotForThisKey,
                other => DecryptError::Failed(other.to_string()),
            })?;
        if decrypted.is_compressed() {
            decrypted = decrypted
                .decompress()
                .map_err(|error| DecryptError::Failed(error.to_string()))?;
        }
        let signed = decrypted.is_signed();
        let mut content = Vec::new();
        let limit = u64::try_from(MAX_DECRYPTED_BYTES).unwrap_or(u64::MAX);
        (&mut decrypted)
            .take(limit.saturating_add(1))
            .read_to_end(&mut content)
            .map_err(|error| DecryptError::Failed(error.to_string()))?;
        if content.len() > MAX_DECRYPTED_BYTES {
            return Err(DecryptError::TooLarge);
        }
        let check = if !signed {
            SignatureCheck::Unsigned
        } else {
            match sender_key.and_then(|key| SignedPublicKey::from_string(key.trim()).ok()) {
                None => SignatureCheck::NoKnownKey,
                Some((key, _)) => {
                    let verified = decrypted.verify(&key).is_ok()
                        || key
                            .public_subkeys
                            .iter()
                            .any(|subkey| decrypted.verify(subkey).is_ok());
                    if verified {
                        SignatureCheck::Verified(format!("{:X}", key.primary_key.fingerprint()))
                    } else {
                        SignatureCheck::Failed
                    }
                }
            }
        };
        Ok((content, check))
    }
}
