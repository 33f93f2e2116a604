//! Signing the mail encrypted to finders with the organization's key. The signing component
//! is unlocked once and kept unlocked in memory only, so a report's mail costs no passphrase
//! derivation while the stored key stays protected at rest.

use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cvdesk_store::{Store, ORGANIZATION_PGP_KEY};
use pgp::composed::{Encryption, MessageBuilder, SubpacketConfig};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{SecretKey, SecretSubkey};
use pgp::types::{Password, SigningKey};
use time::OffsetDateTime;

use super::validity::Signer;
use super::{signature_subpackets, OrganizationKey, Passphrase, SignError};

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
    /// Adds a SHA-512 signature made at `now` to the message being built.
    pub fn sign<'a, R: Read, E: Encryption>(
        &'a self,
        builder: &mut MessageBuilder<'a, R, E>,
        now: OffsetDateTime,
    ) -> Result<(), SignError> {
        let key: &dyn SigningKey = match &self.component {
            Component::Primary(key) => key,
            Component::Subkey(key) => key,
        };
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
}

/// The signer for the stored organization key, made when the stored key is first used and
/// again only when it changes. `None` is remembered too, so a desk without a usable key
/// warns once and then sends its mail unsigned.
#[derive(Default)]
pub struct MailSigner(Mutex<Option<Cached>>);

struct Cached {
    armored: Option<String>,
    signer: Option<Arc<MessageSigner>>,
}

impl MailSigner {
    /// The signer for the key stored now, unlocked with `passphrase`; `None` when there is
    /// no key or it cannot be used, which is logged, never an error: mail goes out unsigned
    /// rather than not at all.
    pub async fn get(
        &self,
        store: &dyn Store,
        passphrase: Option<&Passphrase>,
        now: OffsetDateTime,
    ) -> Option<Arc<MessageSigner>> {
        let armored = match store.setting(ORGANIZATION_PGP_KEY).await {
            Ok(armored) => armored,
            Err(error) => {
                tracing::warn!(%error, "could not read the organization key; this mail goes unsigned");
                return None;
            }
        };
        if let Some(cached) = self.lock().as_ref() {
            if cached.armored == armored {
                return cached.signer.clone();
            }
        }
        let signer = match armored.as_deref() {
            None => {
                tracing::warn!(
                    "no organization key is configured; encrypted mail to finders goes unsigned"
                );
                None
            }
            Some(text) => {
                match OrganizationKey::from_armored(text, passphrase.map(Passphrase::as_str), now)
                    .map_err(|error| error.to_string())
                    .and_then(|key| key.message_signer().map_err(|error| error.to_string()))
                {
                    Ok(signer) => Some(Arc::new(signer)),
                    Err(error) => {
                        tracing::warn!(%error, "the organization key cannot sign; encrypted mail to finders goes unsigned");
                        None
                    }
                }
            }
        };
        *self.lock() = Some(Cached {
            armored,
            signer: signer.clone(),
        });
        signer
    }

    fn lock(&self) -> MutexGuard<'_, Option<Cached>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use pgp::composed::Message;
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
