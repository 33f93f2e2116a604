//! The organization's OpenPGP key. An operator generates or imports it with `cvdesk pgp`; the
//! desk keeps it armoured in the settings table exactly as given (so a passphrase-protected
//! key stays protected at rest), publishes its public part at `/pgp-key.txt`, signs
//! security.txt and the mail encrypted to finders with it and decrypts what finders encrypt
//! to it.
//!
//! A key is checked before use the way a careful OpenPGP client would: its self-signatures
//! must verify, it must be neither revoked nor expired, and it must have a component that can
//! sign and one that can decrypt whose secret parts are present and unlock. Certifications
//! made by other keys are kept and published but never relied on.

mod inbound;
mod signer;
pub(crate) mod validity;

use std::io::Read;

use cvdesk_store::{Store, StoreError, ORGANIZATION_PGP_KEY};
use pgp::composed::{
    Any, ArmorOptions, CleartextSignedMessage, EncryptionCaps, KeyType, Message,
    SecretKeyParamsBuilder, SignedSecretKey, SubkeyParamsBuilder,
};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::types::{CompressionAlgorithm, KeyDetails, KeyVersion, Password, SigningKey, Timestamp};
use rand::rngs::OsRng;
use time::{Date, OffsetDateTime};

pub use self::inbound::SignatureCheck;
pub use self::signer::{MessageSigner, OrganizationSigner};
use self::validity::Signer;

/// The largest plaintext `decrypt` returns. Report bodies are far smaller; the cap stops a
/// compressed message from expanding without bound.
pub const MAX_DECRYPTED_BYTES: usize = 16 * 1024 * 1024;

/// Why a key cannot be generated, read or used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyError {
    #[error("the text is not a readable OpenPGP armoured key: {0}")]
    Unreadable(String),
    #[error(
        "this is a public key; the desk needs the secret key \
         (for example from `gpg --export-secret-keys --armor`)"
    )]
    PublicKeyGiven,
    #[error("the armoured block is {0}, not an OpenPGP secret key")]
    NotASecretKey(&'static str),
    #[error("the key is protected by a passphrase and none was given")]
    PassphraseNeeded,
    #[error("the passphrase does not unlock the key")]
    WrongPassphrase,
    #[error("the key has been revoked")]
    Revoked,
    #[error("the key expired on {0}")]
    Expired(Date),
    #[error("the key's self-signatures do not verify: {0}")]
    BadSelfSignature(&'static str),
    #[error(
        "the key has no component that can {0} (one that is bound to the key, \
         neither expired nor revoked, with its secret part present)"
    )]
    MissingCapability(&'static str),
    #[error("{0}")]
    InvalidUserId(String),
    #[error("could not generate the key: {0}")]
    Generation(String),
    #[error("could not unlock the signing component: {0}")]
    Unlock(String),
}

impl From<SignError> for KeyError {
    fn from(error: SignError) -> Self {
        KeyError::Unlock(error.0)
    }
}

/// Why an encrypted message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecryptError {
    #[error("the text is not a readable OpenPGP armoured message: {0}")]
    Unreadable(String),
    #[error("the message is not encrypted")]
    NotEncrypted,
    #[error("the message is not encrypted to the organization's key")]
    NotForThisKey,
    #[error("the message could not be decrypted: {0}")]
    Failed(String),
    #[error("the decrypted message is larger than {MAX_DECRYPTED_BYTES} bytes")]
    TooLarge,
}

/// Signing failed inside the OpenPGP library; the key itself was checked when it was read.
#[derive(Debug, thiserror::Error)]
#[error("could not sign with the organization's key: {0}")]
pub struct SignError(String);

/// The passphrase of the organization key, kept out of every `Debug` output and log.
#[derive(Clone)]
pub struct Passphrase(String);

impl Passphrase {
    pub fn new(passphrase: String) -> Self {
        Passphrase(passphrase)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

/// Reading the stored key failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored organization key cannot be used: {0}")]
    Key(#[from] KeyError),
}

/// The public part of the organization's key, as finders download it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKey {
    armored: String,
    fingerprint: String,
    user_id: String,
}

impl PublishedKey {
    /// Derives the public key from an armoured secret key without unlocking it, so serving
    /// it needs no passphrase.
    pub fn from_secret_armored(secret_armored: &str) -> Result<Self, KeyError> {
        Self::of(&parse_secret(secret_armored)?)
    }

    fn of(secret: &SignedSecretKey) -> Result<Self, KeyError> {
        let armored = secret
            .to_public_key()
            .to_armored_string(ArmorOptions::default())
            .map_err(|error| KeyError::Unreadable(error.to_string()))?;
        Ok(PublishedKey {
            armored,
            fingerprint: format!("{:X}", secret.primary_key.fingerprint()),
            user_id: validity::primary_user_id(secret),
        })
    }

    /// The armoured public key (`-----BEGIN PGP PUBLIC KEY BLOCK-----`).
    pub fn armored(&self) -> &str {
        &self.armored
    }

    /// The primary key's fingerprint in upper-case hex, without spaces.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The primary user id, e.g. `Example Security <security@example.org>`.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

/// The organization's secret key, checked and unlocked.
pub struct OrganizationKey {
    secret: SignedSecretKey,
    password: Password,
    signer: Signer,
    published: PublishedKey,
}

impl std::fmt::Debug for OrganizationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrganizationKey")
            .field("fingerprint", &self.published.fingerprint)
            .field("user_id", &self.published.user_id)
            .finish_non_exhaustive()
    }
}

impl OrganizationKey {
    /// Generates a key for `Name <email>` and returns it armoured, locked with `passphrase`
    /// when one is given.
    ///
    /// The primary key is Ed25519 and certifies and signs; a Curve25519 subkey encrypts.
    /// Both use the version 4 encodings (EdDSA and ECDH on Curve25519) that GnuPG 2.2 and
    /// every current OpenPGP implementation read, rather than RFC 9580's newer Ed25519 and
    /// X25519 codes, which older GnuPG releases, still common among finders, do not know.
    ///
    /// The key does not expire: it is published at `/pgp-key.txt` and named by
    /// security.txt, and an expiry nobody renews silently stops finders from encrypting
    /// to the desk. Replacing the key is a deliberate act (`cvdesk pgp generate --force`),
    /// and security.txt carries its own `Expires` date.
    pub fn generate(
        name: &str,
        email: &str,
        passphrase: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<String, KeyError> {
        let user_id = user_id(name, email)?;
        let created_at = timestamp(now);
        let passphrase = passphrase.map(str::to_owned);
        let encryption = SubkeyParamsBuilder::default()
            .version(KeyVersion::V4)
            .key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
            .can_encrypt(EncryptionCaps::All)
            .created_at(created_at)
            .passphrase(passphrase.clone())
            .build()
            .map_err(|error| KeyError::Generation(error.to_string()))?;
        let params = SecretKeyParamsBuilder::default()
            .version(KeyVersion::V4)
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .created_at(created_at)
            .primary_user_id(user_id)
            .passphrase(passphrase)
            .preferred_symmetric_algorithms(
                vec![
                    SymmetricKeyAlgorithm::AES256,
                    SymmetricKeyAlgorithm::AES192,
                    SymmetricKeyAlgorithm::AES128,
                ]
                .into(),
            )
            .preferred_hash_algorithms(
                vec![
                    HashAlgorithm::Sha512,
                    HashAlgorithm::Sha384,
                    HashAlgorithm::Sha256,
                ]
                .into(),
            )
            .preferred_compression_algorithms(
                vec![
                    CompressionAlgorithm::ZLIB,
                    CompressionAlgorithm::ZIP,
                    CompressionAlgorithm::Uncompressed,
                ]
                .into(),
            )
            .subkeys(vec![encryption])
            .build()
            .map_err(|error| KeyError::Generation(error.to_string()))?;
        params
            .generate(OsRng)
            .and_then(|key| key.to_armored_string(ArmorOptions::default()))
            .map_err(|error| KeyError::Generation(error.to_string()))
    }

    /// Reads an armoured secret key and checks that it is usable at `now` and that
    /// `passphrase` unlocks the parts the desk uses.
    pub fn from_armored(
        secret_armored: &str,
        passphrase: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Self, KeyError> {
        let secret = parse_secret(secret_armored)?;
        let usable = validity::check(&secret, now)?;
        validity::check_passphrase(&secret, &usable, passphrase)?;
        let published = PublishedKey::of(&secret)?;
        Ok(OrganizationKey {
            secret,
            password: passphrase.map_or_else(Password::empty, Password::from),
            signer: usable.signer,
            published,
        })
    }

    /// Whether the stored key is locked with a passphrase.
    pub fn is_protected(&self) -> bool {
        std::iter::once(self.secret.primary_key.secret_params())
            .chain(
                self.secret
                    .secret_subkeys
                    .iter()
                    .map(|subkey| subkey.secret_params()),
            )
            .any(|params| params.is_encrypted() && !validity::is_stub(params))
    }

    pub fn published(&self) -> &PublishedKey {
        &self.published
    }

    /// The armoured public key, for `/pgp-key.txt`.
    pub fn public_armored(&self) -> String {
        self.published.armored.clone()
    }

    /// The primary key's fingerprint in upper-case hex.
    pub fn fingerprint(&self) -> String {
        self.published.fingerprint.clone()
    }

    pub fn user_id(&self) -> String {
        self.published.user_id.clone()
    }

    /// Signs `text` in the cleartext signature framework (RFC 4880 §7) with SHA-512.
    ///
    /// Trailing spaces and tabs are removed from every line first: verifiers ignore them,
    /// so leaving them in would make the signature fail to verify.
    pub fn sign_cleartext(&self, text: &str, now: OffsetDateTime) -> Result<String, SignError> {
        let text = trim_line_ends(text);
        let signed = match self.signer {
            Signer::Primary => sign_with(&self.secret.primary_key, &self.password, &text, now),
            Signer::Subkey(index) => match self.secret.secret_subkeys.get(index) {
                Some(subkey) => sign_with(&subkey.key, &self.password, &text, now),
                None => return Err(SignError("the signing subkey is gone".to_owned())),
            },
        };
        signed
            .and_then(|message| message.to_armored_string(ArmorOptions::default()))
            .map_err(|error| SignError(error.to_string()))
    }

    /// Decrypts an armoured message encrypted to this key and returns its content.
    pub fn decrypt(&self, armored_message: &str) -> Result<Vec<u8>, DecryptError> {
        let (message, _) = Message::from_string(armored_message)
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
        let mut content = Vec::new();
        let limit = u64::try_from(MAX_DECRYPTED_BYTES).unwrap_or(u64::MAX);
        decrypted
            .take(limit.saturating_add(1))
            .read_to_end(&mut content)
            .map_err(|error| DecryptError::Failed(error.to_string()))?;
        if content.len() > MAX_DECRYPTED_BYTES {
            return Err(DecryptError::TooLarge);
        }
        Ok(content)
    }
}

/// The stored organization key, checked and unlocked with `passphrase`; `None` when no key
/// has been set.
pub async fn load(
    store: &dyn Store,
    passphrase: Option<&str>,
    now: OffsetDateTime,
) -> Result<Option<OrganizationKey>, LoadError> {
    match store.setting(ORGANIZATION_PGP_KEY).await? {
        Some(armored) => Ok(Some(OrganizationKey::from_armored(
            &armored, passphrase, now,
        )?)),
        None => Ok(None),
    }
}

/// The public part of the stored organization key; needs no passphrase.
pub async fn load_published(store: &dyn Store) -> Result<Option<PublishedKey>, LoadError> {
    match store.setting(ORGANIZATION_PGP_KEY).await? {
        Some(armored) => Ok(Some(PublishedKey::from_secret_armored(&armored)?)),
        None => Ok(None),
    }
}

fn parse_secret(armored: &str) -> Result<SignedSecretKey, KeyError> {
    let (parsed, _) =
        Any::from_string(armored).map_err(|error| KeyError::Unreadable(error.to_string()))?;
    match parsed {
        Any::SecretKey(secret) => Ok(secret),
        Any::PublicKey(_) => Err(KeyError::PublicKeyGiven),
        Any::Message(_) => Err(KeyError::NotASecretKey("a message")),
        Any::Cleartext(_) => Err(KeyError::NotASecretKey("a signed message")),
        Any::Signature(_) => Err(KeyError::NotASecretKey("a signature")),
    }
}

fn user_id(name: &str, email: &str) -> Result<String, KeyError> {
    let name = name.trim();
    let email = email.trim();
    let invalid = |message: String| Err(KeyError::InvalidUserId(message));
    if name.is_empty() {
        return invalid("the key needs a name, e.g. \"Example Security Team\"".to_owned());
    }
    if name.chars().any(|c| c.is_control() || c == '<' || c == '>') {
        return invalid(format!(
            "the name '{name}' may not contain '<', '>' or control characters"
        ));
    }
    let (local, domain) = email.split_once('@').unwrap_or(("", ""));
    if local.is_empty()
        || domain.is_empty()
        || email.len() > 254
        || email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
    {
        return invalid(format!("'{email}' is not an e-mail address"));
    }
    Ok(format!("{name} <{email}>"))
}

fn timestamp(at: OffsetDateTime) -> Timestamp {
    Timestamp::from_secs(u32::try_from(at.unix_timestamp().max(0)).unwrap_or(u32::MAX))
}

fn trim_line_ends(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let (content, ending) = match line.strip_suffix("\r\n") {
                Some(content) => (content, "\r\n"),
                None => match line.strip_suffix('\n') {
                    Some(content) => (content, "\n"),
                    None => (line, ""),
                },
            };
            format!("{}{ending}", content.trim_end_matches([' ', '\t']))
        })
        .collect()
}

fn sign_with(
    key: &impl SigningKey,
    password: &Password,
    text: &str,
    now: OffsetDateTime,
) -> pgp::errors::Result<CleartextSignedMessage> {
    let mut config = match key.version() {
        KeyVersion::V6 => SignatureConfig::v6(
            OsRng,
            SignatureType::Text,
            key.algorithm(),
            HashAlgorithm::Sha512,
        )?,
        _ => SignatureConfig::v4(SignatureType::Text, key.algorithm(), HashAlgorithm::Sha512),
    };
    (config.hashed_subpackets, config.unhashed_subpackets) = signature_subpackets(key, now)?;
    CleartextSignedMessage::new(text, config, key, password)
}

/// The hashed and unhashed subpackets of a signature made by `key` at `now`: its creation
/// time, the issuer's fingerprint and, before version 6, its key id for older verifiers.
fn signature_subpackets(
    key: &dyn SigningKey,
    now: OffsetDateTime,
) -> pgp::errors::Result<(Vec<Subpacket>, Vec<Subpacket>)> {
    let hashed = vec![
        Subpacket::regular(SubpacketData::SignatureCreationTime(timestamp(now)))?,
        Subpacket::regular(SubpacketData::IssuerFingerprint(key.fingerprint()))?,
    ];
    let unhashed = if key.version() == KeyVersion::V6 {
        Vec::new()
    } else {
        vec![Subpacket::regular(SubpacketData::IssuerKeyId(
            key.legacy_key_id(),
        ))?]
    };
    Ok((hashed, unhashed))
}

#[cfg(test)]
mod tests;
