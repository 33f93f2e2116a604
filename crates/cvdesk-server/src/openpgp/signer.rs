//! The organization key's signing component, unlocked once and shared by everything the
//! desk signs: security.txt and the mail encrypted to finders. Unlocking a protected key
//! is deliberately slow (its passphrase derivation), so it happens when the stored key is
//! first used, again only when the stored key changes or an hour has passed (a key may
//! expire meanwhile), and never on a request path that anyone can repeat at will. The
//! unlocked copy lives in memory only; the stored key stays protected at rest.

use std::io::Read;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cvdesk_store::{Store, StoreError, ORGANIZATION_PGP_KEY};
use pgp::composed::{ArmorOptions, DetachedSignature, Encryption, MessageBuilder, SubpacketConfig};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{SecretKey, SecretSubkey};
use pgp::types::{Password, SigningKey};
use rand::rngs::OsRng;
use time::{Duration, OffsetDateTime};

use super::validity::Signer;
use super::{
    sign_with, signature_subpackets, trim_line_ends, KeyError, LoadError, OrganizationKey,
    Passphrase, SignError,
};

/// How long an unlocked signer (or the reason there is none) is used before the stored key
/// is checked again at the current time, so an expired key stops signing.
const RECHECK_AFTER: Duration = Duration::hours(1);

/// The organization key's signing component with its passphrase removed.
pub struct MessageSigner {
    component: Component,
}

enum Component {
    Primary(SecretKey),
    Subkey(SecretSubkey),
}

impl OrganizationKey {
    /// An unlocked copy of the component that signs, for signing many messages.
    pub fn message_signer(&self) -> Result<MessageSigner, SignError> {
        let unlock_failed = |error: pgp::errors::Error| SignError(error.to_string());
        let component = match self.signer {
            Signer::Primary => {
                let mut key = self.secret.primary_key.clone();
                key.remove_password(&self.password).map_err(unlock_failed)?;
                Component::Primary(key)
            }
            Signer::Subkey(index) => {
                let Some(subkey) = self.secret.secret_subkeys.get(index) else {
                    return Err(SignError("the signing subkey is gone".to_owned()));
                };
                let mut key = subkey.key.clone();
                key.remove_password(&self.password).map_err(unlock_failed)?;
                Component::Subkey(key)
            }
        };
        Ok(MessageSigner { component })
    }
}

impl MessageSigner {
    fn key(&self) -> &dyn SigningKey {
        match &self.component {
            Component::Primary(key) => key,
            Component::Subkey(key) => key,
        }
    }

    /// Adds a SHA-512 signature made at `now` to the message being built.
    pub fn sign<'a, R: Read, E: Encryption>(
        &'a self,
        builder: &mut MessageBuilder<'a, R, E>,
        now: OffsetDateTime,
    ) -> Result<(), SignError> {
        let key = self.key();
        let (hashed, unhashed) =
            signature_subpackets(key, now).map_err(|error| SignError(error.to_string()))?;
        builder.sign_with_subpackets(
            key,
            Password::empty(),
            HashAlgorithm::Sha512,
            SubpacketConfig::UserDefined { hashed, unhashed },
        );
        Ok(())
    }

    /// A detached, ASCII-armoured signature of `data` made at `now` (a binary signature
    /// with SHA-512), as a CSAF provider publishes beside each document (`.asc`).
    pub fn sign_detached(&self, data: &[u8], now: OffsetDateTime) -> Result<String, SignError> {
        let (hashed, unhashed) =
            signature_subpackets(self.key(), now).map_err(|error| SignError(error.to_string()))?;
        let config = SubpacketConfig::UserDefined { hashed, unhashed };
        let password = Password::empty();
        let signed = match &self.component {
            Component::Primary(key) => DetachedSignature::sign_binary_data_with_subpackets(
                OsRng,
                key,
                &password,
                HashAlgorithm::Sha512,
                data,
                config,
            ),
            Component::Subkey(key) => DetachedSignature::sign_binary_data_with_subpackets(
                OsRng,
                key,
                &password,
                HashAlgorithm::Sha512,
                data,
                config,
            ),
        };
        signed
            .and_then(|signature| signature.to_armored_string(ArmorOptions::default()))
            .map_err(|error| SignError(error.to_string()))
    }

    /// `text` in the cleartext signature framework, as `OrganizationKey::sign_cleartext`
    /// makes it, without unlocking anything.
    pub fn sign_cleartext(&self, text: &str, now: OffsetDateTime) -> Result<String, SignError> {
        let text = trim_line_ends(text);
        let signed = match &self.component {
            Component::Primary(key) => sign_with(key, &Password::empty(), &text, now),
            Component::Subkey(key) => sign_with(key, &Password::empty(), &text, now),
        };
        signed
            .and_then(|message| message.to_armored_string(ArmorOptions::default()))
            .map_err(|error| SignError(error.to_string()))
    }
}

/// The signer for the stored organization key, or why there is none. A key that cannot be
/// used is remembered with its reason just like a usable one, so neither is unlocked again
/// on the next request; the reason is logged once, when it is found.
#[derive(Default)]
pub struct OrganizationSigner {
    cached: Mutex<Option<Cached>>,
    /// Only one request unlocks at a time; the others wait for its result.
    unlocking: tokio::sync::Mutex<()>,
    /// Unlock attempts so far.
    unlocks: AtomicUsize,
}

struct Cached {
    /// The stored key it was made from; `None` when none was stored.
    armored: Option<String>,
    judged: Judged,
}

impl Cached {
    fn answers(&self, armored: Option<&str>, now: OffsetDateTime) -> bool {
        self.armored.as_deref() == armored && self.judged.stands_for.contains(&now)
    }
}

/// What the stored key is good for, and for how long that answer stands.
#[derive(Clone)]
pub struct Judged {
    /// The unlocked signer; `None` when no key is stored.
    pub signer: Result<Option<Arc<MessageSigner>>, KeyError>,
    /// From when the key was judged until it is judged again: for the same stored key,
    /// the answer changes only at the end of this span (the key may expire meanwhile).
    pub stands_for: Range<OffsetDateTime>,
}

impl OrganizationSigner {
    /// The signer for the key stored now, unlocked with `passphrase`; `Ok(None)` when no
    /// key is stored. Only the store's own failures are not remembered.
    pub async fn get(
        &self,
        store: &dyn Store,
        passphrase: Option<&Passphrase>,
        now: OffsetDateTime,
    ) -> Result<Option<Arc<MessageSigner>>, LoadError> {
        self.judge(store, passphrase, now)
            .await?
            .signer
            .map_err(LoadError::Key)
    }

    /// What `get` answers at `now`, with the span of time that answer stands for while the
    /// stored key stays the same.
    pub async fn judge(
        &self,
        store: &dyn Store,
        passphrase: Option<&Passphrase>,
        now: OffsetDateTime,
    ) -> Result<Judged, StoreError> {
        let armored = store.setting(ORGANIZATION_PGP_KEY).await?;
        if let Some(judged) = self.cached(armored.as_deref(), now) {
            return Ok(judged);
        }
        let _unlocking = self.unlocking.lock().await;
        if let Some(judged) = self.cached(armored.as_deref(), now) {
            return Ok(judged);
        }
        self.unlocks.fetch_add(1, Ordering::Relaxed);
        let signer = match armored.clone() {
            None => {
                tracing::warn!(
                    "no organization key is configured; security.txt and encrypted mail to \
                     finders go unsigned"
                );
                Ok(None)
            }
            Some(text) => {
                let passphrase = passphrase.map(|p| p.as_str().to_owned());
                // Deriving the passphrase's key is seconds of CPU at worst: keep it off the
                // threads that serve requests.
                let unlocked = tokio::task::spawn_blocking(move || {
                    OrganizationKey::from_armored(&text, passphrase.as_deref(), now)
                        .and_then(|key| key.message_signer().map_err(KeyError::from))
                })
                .await
                .unwrap_or_else(|error| Err(KeyError::Unlock(error.to_string())));
                match unlocked {
                    Ok(signer) => Ok(Some(Arc::new(signer))),
                    Err(error) => {
                        tracing::warn!(%error, "the organization key cannot sign; security.txt and encrypted mail to finders go unsigned");
                        Err(error)
                    }
                }
            }
        };
        let judged = Judged {
            signer,
            // An empty span at the last date `time` holds: the key is then judged at each use.
            stands_for: now..now.checked_add(RECHECK_AFTER).unwrap_or(now),
        };
        *self.lock() = Some(Cached {
            armored,
            judged: judged.clone(),
        });
        Ok(judged)
    }

    /// The signer for mail: `None` when there is none, which is never an error, since
    /// mail goes out unsigned rather than not at all (the reason is logged).
    pub async fn for_mail(
        &self,
        store: &dyn Store,
        passphrase: Option<&Passphrase>,
        now: OffsetDateTime,
    ) -> Option<Arc<MessageSigner>> {
        match self.get(store, passphrase, now).await {
            Ok(signer) => signer,
            Err(LoadError::Store(error)) => {
                tracing::warn!(%error, "could not read the organization key; this mail goes unsigned");
                None
            }
            Err(LoadError::Key(_)) => None,
        }
    }

    /// How many times a key has been unlocked (or found unusable) so far.
    pub fn unlocks(&self) -> usize {
        self.unlocks.load(Ordering::Relaxed)
    }

    fn cached(&self, armored: Option<&str>, now: OffsetDateTime) -> Option<Judged> {
        let cached = self.lock();
        let cached = cached.as_ref().filter(|c| c.answers(armored, now))?;
        Some(cached.judged.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Option<Cached>> {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use pgp::composed::{Deserializable, Message};
    use pgp::types::KeyDetails;
    use time::macros::datetime;

    use super::*;
    use crate::mail::FinderKey;

    const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

    fn key(name: &str, passphrase: Option<&str>) -> OrganizationKey {
        let secret = OrganizationKey::generate(name, "security@example.org", passphrase, NOW)
            .expect("generated");
        OrganizationKey::from_armored(&secret, passphrase, NOW).expect("usable")
    }

    #[test]
    fn a_signed_and_encrypted_message_verifies_with_the_organization_key() {
        let organization = key("Example Security", Some("correct horse"));
        let finder = key("Ada", None);
        let signer = organization.message_signer().expect("unlocks");
        let content = b"Content-Type: text/plain\r\n\r\nHello\r\n".to_vec();
        let armored = FinderKey::prepare(&finder.public_armored(), NOW)
            .and_then(|key| key.encrypt(content.clone(), Some(&signer), NOW))
            .expect("encrypted");

        let (message, _) = Message::from_string(&armored).expect("readable");
        let mut decrypted = message
            .decrypt(&finder.password, &finder.secret)
            .expect("decrypts");
        if decrypted.is_compressed() {
            decrypted = decrypted.decompress().expect("decompresses");
        }
        assert!(decrypted.is_signed());
        assert_eq!(decrypted.as_data_vec().expect("read"), content);
        let signature = decrypted
            .verify(organization.secret.primary_key.public_key())
            .expect("the organization's signature verifies");
        assert_eq!(
            signature
                .issuer_fingerprint()
                .first()
                .map(|f| f.to_string()),
            Some(organization.secret.primary_key.fingerprint().to_string())
        );
        assert!(
            decrypted
                .verify(finder.secret.primary_key.public_key())
                .is_err(),
            "not the finder's"
        );
    }

    #[test]
    fn a_detached_signature_verifies_over_the_exact_bytes() {
        let organization = key("Example Security", Some("correct horse"));
        let signer = organization.message_signer().expect("unlocks");
        let document = br#"{"document":{"title":"Example"}}"#;
        let armored = signer.sign_detached(document, NOW).expect("signed");
        assert!(armored.starts_with("-----BEGIN PGP SIGNATURE-----"));
        let (signature, _) = DetachedSignature::from_string(&armored).expect("readable");
        let public = organization.secret.primary_key.public_key();
        signature.verify(public, document).expect("verifies");
        assert!(signature.verify(public, b"{}").is_err(), "not other bytes");
    }

    #[test]
    fn without_a_signer_the_message_is_encrypted_but_unsigned() {
        let finder = key("Ada", None);
        let armored = FinderKey::prepare(&finder.public_armored(), NOW)
            .and_then(|key| key.encrypt(b"Hello".to_vec(), None, NOW))
            .expect("encrypted");
        let (message, _) = Message::from_string(&armored).expect("readable");
        let decrypted = message
            .decrypt(&finder.password, &finder.secret)
            .expect("decrypts");
        assert!(!decrypted.is_signed());
    }
}
