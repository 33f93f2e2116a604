//! Encrypting mail to a finder's OpenPGP public key. The key is checked the way a careful
//! client would before trusting it with the report's details: its self-signatures must
//! verify, it must be neither revoked nor expired, and some component bound to it must be
//! meant for encryption. The message is the body of an RFC 3156 `multipart/encrypted` mail,
//! signed inside the encryption with the organization's key when the desk has one.

use pgp::composed::{Any, ArmorOptions, MessageBuilder, SignedPublicKey, SignedPublicSubKey};
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{PublicKey, Signature, SignatureType};
use pgp::types::KeyDetails;
use rand::rngs::OsRng;

use crate::openpgp::validity::{
    expiry, issued_by, newest, no_flags, primary_binding, PrimaryRefusal,
};
use crate::openpgp::MessageSigner;
use time::{Date, OffsetDateTime};

/// Why a mail could not be encrypted to the key the finder gave, in words the finder can
/// act on (it is shown beside the form field and written in the plain mail).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncryptError {
    #[error("the key cannot be read: {0}")]
    Unreadable(UnreadableKey),
    #[error("the key has been revoked")]
    Revoked,
    #[error("the key expired on {0}")]
    Expired(Date),
    #[error("none of the key's self-signatures verifies, so it may have been altered")]
    Unbound,
    #[error(
        "the key has no part meant for encryption that is current (no valid encryption subkey)"
    )]
    NoEncryptionKey,
    #[error("encryption failed: {0}")]
    Failed(String),
}

/// What is wrong with text that should be an armoured OpenPGP public key. The parser's
/// own errors name its internals ("armor footer", byte dumps), which say nothing to a
/// finder; these say what to fix.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum UnreadableKey {
    #[error(
        "it is not ASCII-armoured (it should start with -----BEGIN PGP PUBLIC KEY BLOCK-----)"
    )]
    NotArmoured,
    #[error(
        "it is cut short: part of it is missing, up to the line \
         -----END PGP PUBLIC KEY BLOCK-----"
    )]
    Truncated,
    #[error("it is damaged: its checksum does not match, so a character was changed or lost")]
    Damaged,
    #[error("it is {0}, not a public key")]
    NotAPublicKey(&'static str),
    #[error("it uses an algorithm or a key format this desk cannot encrypt to")]
    Unsupported,
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
        let key = read_public_key(armored_key).map_err(EncryptError::Unreadable)?;
        let recipient = recipient(&key, now)?;
        Ok(FinderKey { key, recipient })
    }

    /// The primary key's fingerprint in upper-case hex, without spaces.
    pub fn fingerprint(&self) -> String {
        format!(
            "{:X}",
            pgp::types::KeyDetails::fingerprint(&self.key.primary_key)
        )
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

/// The public key in `armored`, or what is wrong with it.
fn read_public_key(armored: &str) -> Result<SignedPublicKey, UnreadableKey> {
    let text = armored.trim();
    match Any::from_string(text) {
        Ok((Any::PublicKey(key), _)) => Ok(key),
        Ok((Any::SecretKey(_), _)) => Err(UnreadableKey::NotAPublicKey("a private key")),
        Ok((Any::Message(_), _)) => Err(UnreadableKey::NotAPublicKey("a message")),
        Ok((Any::Cleartext(_), _)) => Err(UnreadableKey::NotAPublicKey("a signed message")),
        Ok((Any::Signature(_), _)) => Err(UnreadableKey::NotAPublicKey("a signature")),
        Err(error) => {
            tracing::debug!(%error, "a finder's OpenPGP key could not be read");
            Err(unreadable(text, &error))
        }
    }
}

/// Names what a parse failure means for the finder: the armour's frame first, then the
/// parser's verdict on what is inside it.
fn unreadable(text: &str, error: &pgp::errors::Error) -> UnreadableKey {
    use pgp::errors::Error;
    if !text.starts_with("-----BEGIN PGP ") {
        return UnreadableKey::NotArmoured;
    }
    let last_line = text.lines().last().unwrap_or_default().trim();
    if !(last_line.starts_with("-----END PGP ") && last_line.ends_with("-----")) {
        return UnreadableKey::Truncated;
    }
    match error {
        Error::Unsupported { .. } | Error::Unimplemented { .. } => UnreadableKey::Unsupported,
        Error::PacketIncomplete { .. } | Error::RequestedSizeTooLarge => UnreadableKey::Truncated,
        _ => UnreadableKey::Damaged,
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

    /// What a finder may paste by mistake, and what they are told.
    #[test]
    fn unreadable_keys_are_refused_in_words() {
        let secret =
            OrganizationKey::generate("Ada", "ada@example.org", None, NOW).expect("generated");
        let public = key_pair().public_armored();
        let lines: Vec<&str> = public.lines().collect();
        let cut_short = lines[..lines.len() / 2].join("\n");
        let without_footer = lines[..lines.len() - 1].join("\n");
        // One character changed in the middle of the key: still readable, but its
        // self-signatures no longer verify.
        let middle = lines.len() / 2;
        let mut altered_lines: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        let changed: String = altered_lines[middle]
            .chars()
            .enumerate()
            .map(|(i, c)| match (i, c) {
                (10, 'A') => 'B',
                (10, _) => 'A',
                (_, c) => c,
            })
            .collect();
        altered_lines[middle] = changed;
        let altered = altered_lines.join("\n");
        // The first line of the key's data garbled: its packets cannot be read at all.
        let mut garbled_lines = altered_lines.clone();
        garbled_lines[2] = "!!!! not base64 !!!!".to_owned();
        let garbled = garbled_lines.join("\n");
        let signed = key_pair().sign_cleartext("hello\n", NOW).expect("signed");
        let unreadable = EncryptError::Unreadable;
        let cases: [(&str, EncryptError); 7] = [
            ("not a key", unreadable(UnreadableKey::NotArmoured)),
            (&cut_short, unreadable(UnreadableKey::Truncated)),
            (&without_footer, unreadable(UnreadableKey::Truncated)),
            (&garbled, unreadable(UnreadableKey::Damaged)),
            (&altered, EncryptError::Unbound),
            (
                &secret,
                unreadable(UnreadableKey::NotAPublicKey("a private key")),
            ),
            (
                &signed,
                unreadable(UnreadableKey::NotAPublicKey("a signed message")),
            ),
        ];
        for (text, expected) in cases {
            let error = match FinderKey::prepare(text, NOW) {
                Err(error) => error,
                Ok(_) => panic!("{text:.40} accepted"),
            };
            assert_eq!(error, expected, "{text}");
            let message = error.to_string();
            for internal in ["Error", "input:", "code:", "armor", "["] {
                assert!(!message.contains(internal), "{message}");
            }
        }
    }
}
