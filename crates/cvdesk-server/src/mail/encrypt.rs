//! Encrypting mail to a finder's OpenPGP public key. The key is checked the way a careful
//! client would before trusting it with the report's details: its self-signatures must
//! verify, it must be neither revoked nor expired, and some component bound to it must be
//! meant for encryption. The message is the body of an RFC 3156 `multipart/encrypted` mail,
//! signed inside the encryption with the organization's key when the desk has one.

use pgp::composed::{
    ArmorOptions, Deserializable, MessageBuilder, SignedPublicKey, SignedPublicSubKey,
};
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{PublicKey, Signature, SignatureType};
use pgp::types::KeyDetails;
use rand::rngs::OsRng;

use crate::openpgp::validity::{
    expiry, issued_by, newest, no_flags, primary_binding, PrimaryRefusal,
};
use crate::openpgp::MessageSigner;
use time::{Date, OffsetDateTime};

/// Why a mail could not be encrypted to the key the finder gave.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncryptError {
    #[error("the key is not a readable OpenPGP public key: {0}")]
    Unreadable(String),
    #[error("the key has been revoked")]
    Revoked,
    #[error("the key expired on {0}")]
    Expired(Date),
    #[error("no user id or direct-key self-signature of the key verifies")]
    Unbound,
    #[error("the key has no valid component for encryption")]
    NoEncryptionKey,
    #[error("encryption failed: {0}")]
    Failed(String),
}

/// A finder's public key, checked, with the component mail is encrypted to. Checking
/// verifies signatures and is done before the report's transaction; encrypting is cheap.
pub struct FinderKey {
    key: SignedPublicKey,
    recipient: Recipient,
}

#[derive(Debug, Clone, Copy)]
enum Recipient {
    Primary,
    /// An index into `SignedPublicKey::public_subkeys`.
    Subkey(usize),
}

impl FinderKey {
    /// Reads the armored public key and picks the newest component usable for encryption
    /// at `now`.
    pub fn prepare(armored_key: &str, now: OffsetDateTime) -> Result<Self, EncryptError> {
        let (key, _) = SignedPublicKey::from_string(armored_key)
            .map_err(|error| EncryptError::Unreadable(error.to_string()))?;
        let recipient = recipient(&key, now)?;
        Ok(FinderKey { key, recipient })
    }

    /// Encrypts `content` (a MIME entity) as an armored message, signed at `now` by
    /// `signer` when there is one.
    pub fn encrypt(
        &self,
        content: Vec<u8>,
        signer: Option<&MessageSigner>,
        now: OffsetDateTime,
    ) -> Result<String, EncryptError> {
        let failed = |error: pgp::errors::Error| EncryptError::Failed(error.to_string());
        let mut builder =
            MessageBuilder::from_bytes("", content).seipd_v1(OsRng, SymmetricKeyAlgorithm::AES256);
        if let Some(signer) = signer {
            signer
                .sign(&mut builder, now)
                .map_err(|error| EncryptError::Failed(error.to_string()))?;
        }
        let subkey = match self.recipient {
            Recipient::Primary => None,
            Recipient::Subkey(index) => self.key.public_subkeys.get(index),
        };
        match subkey {
            None => builder.encrypt_to_key(OsRng, &self.key.primary_key),
            Some(subkey) => builder.encrypt_to_key(OsRng, &subkey.key),
        }
        .map_err(failed)?;
        builder
            .to_armored_string(OsRng, ArmorOptions::default())
            .map_err(failed)
    }
}

/// The component to encrypt to at `now`: the newest valid encryption subkey, else the
/// primary key when it is meant for encryption.
fn recipient(key: &SignedPublicKey, now: OffsetDateTime) -> Result<Recipient, EncryptError> {
    let primary = &key.primary_key;
    let binding = primary_binding(&key.details, primary, now).map_err(|refusal| match refusal {
        PrimaryRefusal::Revoked => EncryptError::Revoked,
        PrimaryRefusal::Unbound => EncryptError::Unbound,
        PrimaryRefusal::Expired(on) => EncryptError::Expired(on),
    })?;
    let subkey = key
        .public_subkeys
        .iter()
        .enumerate()
        .filter(|(_, subkey)| subkey_encrypts(subkey, primary, now))
        .max_by_key(|(_, subkey)| subkey.key.created_at().as_secs());
    if let Some((index, _)) = subkey {
        return Ok(Recipient::Subkey(index));
    }
    let flags = binding.key_flags();
    let primary_encrypts = flags.encrypt_comms()
        || flags.encrypt_storage()
        || (no_flags(&flags) && primary.algorithm().can_encrypt());
    if primary_encrypts {
        Ok(Recipient::Primary)
    } else {
        Err(EncryptError::NoEncryptionKey)
    }
}

/// Whether the subkey is bound to `primary`, not revoked, not expired at `now`, and meant
/// for encryption.
fn subkey_encrypts(subkey: &SignedPublicSubKey, primary: &PublicKey, now: OffsetDateTime) -> bool {
    let valid: Vec<&Signature> = subkey
        .signatures
        .iter()
        .filter(|signature| {
            issued_by(signature, primary)
                && signature
                    .verify_subkey_binding(primary, &subkey.key)
                    .is_ok()
        })
        .collect();
    if valid
        .iter()
        .any(|signature| signature.typ() == Some(SignatureType::SubkeyRevocation))
    {
        return false;
    }
    let bindings = valid
        .into_iter()
        .filter(|signature| signature.typ() == Some(SignatureType::SubkeyBinding));
    let Some(binding) = newest(bindings) else {
        return false;
    };
    let expired = expiry(subkey.key.created_at(), binding).is_some_and(|at| at <= now);
    let flags = binding.key_flags();
    !expired
        && subkey.key.algorithm().can_encrypt()
        && (flags.encrypt_comms() || flags.encrypt_storage())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::openpgp::OrganizationKey;

    const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

    /// A key pair made the way the desk makes its own: Ed25519 with a Curve25519 subkey.
    fn key_pair() -> OrganizationKey {
        let secret =
            OrganizationKey::generate("Ada", "ada@example.org", None, NOW).expect("generated");
        OrganizationKey::from_armored(&secret, None, NOW).expect("usable")
    }

    #[test]
    fn only_the_key_holder_reads_the_message() {
        let finder = key_pair();
        let content = "Content-Type: text/plain\r\n\r\nTracking link: https://x/track/t\r\n";
        let armored = FinderKey::prepare(&finder.public_armored(), NOW)
            .and_then(|key| key.encrypt(content.as_bytes().to_vec(), None, NOW))
            .expect("encrypted");
        assert!(armored.starts_with("-----BEGIN PGP MESSAGE-----"));
        assert!(!armored.contains("track/t"));
        let decrypted = finder.decrypt(&armored).expect("decrypts");
        assert_eq!(decrypted, content.as_bytes());
        assert!(key_pair().decrypt(&armored).is_err(), "another key cannot");
    }

    #[test]
    fn unusable_keys_are_refused_with_a_reason() {
        let secret =
            OrganizationKey::generate("Ada", "ada@example.org", None, NOW).expect("generated");
        for text in ["not a key", secret.as_str()] {
            match FinderKey::prepare(text, NOW) {
                Err(EncryptError::Unreadable(_)) => {}
                Err(other) => panic!("{other}"),
                Ok(_) => panic!("{text:.40} accepted"),
            }
        }
    }
}
