//! Whether a secret key can be used now: its self-signatures, revocations, expiry, which
//! component signs, and whether the passphrase unlocks what the desk uses.

use pgp::composed::{SignedKeyDetails, SignedSecretKey, SignedSecretSubKey};
use pgp::packet::{KeyFlags, PublicKey, Signature, SignatureType};
use pgp::types::{KeyDetails, Password, S2kParams, SecretParams, StringToKey, Tag, Timestamp};
use time::{Date, OffsetDateTime};

use super::KeyError;

/// The component that makes signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Primary,
    /// An index into `SignedSecretKey::secret_subkeys`.
    Subkey(usize),
}

/// What `check` found usable.
#[derive(Debug)]
pub struct Usable {
    pub signer: Signer,
    /// Indexes into `SignedSecretKey::secret_subkeys` of the subkeys that may decrypt.
    pub decrypting_subkeys: Vec<usize>,
    pub primary_decrypts: bool,
}

/// Why a primary key is not to be trusted now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrimaryRefusal {
    Revoked,
    /// No user id certification or direct-key signature of its own verifies.
    Unbound,
    Expired(Date),
}

/// The newest self-binding of `primary` that verifies (a user id certification that is not
/// a revocation, or a direct-key signature), unless the key is revoked, unbound or
/// expired at `now`. Public and secret keys are judged alike.
pub(crate) fn primary_binding<'a>(
    details: &'a SignedKeyDetails,
    primary: &PublicKey,
    now: OffsetDateTime,
) -> Result<&'a Signature, PrimaryRefusal> {
    let revoked = details.revocation_signatures.iter().any(|signature| {
        issued_by(signature, primary)
            && signature.typ() == Some(SignatureType::KeyRevocation)
            && signature.verify_key(primary).is_ok()
    });
    if revoked {
        return Err(PrimaryRefusal::Revoked);
    }
    let mut bindings = Vec::new();
    for user in &details.users {
        let certifications = user.signatures.iter().filter(|signature| {
            issued_by(signature, primary)
                && signature
                    .verify_certification(primary, Tag::UserId, &user.id)
                    .is_ok()
        });
        if let Some(newest) = newest(certifications) {
            if newest.typ() != Some(SignatureType::CertRevocation) {
                bindings.push(newest);
            }
        }
    }
    bindings.extend(details.direct_signatures.iter().filter(|signature| {
        issued_by(signature, primary) && signature.verify_key(primary).is_ok()
    }));
    let binding = newest(bindings.into_iter()).ok_or(PrimaryRefusal::Unbound)?;
    match expiry(primary.created_at(), binding) {
        Some(expired_at) if expired_at <= now => Err(PrimaryRefusal::Expired(expired_at.date())),
        _ => Ok(binding),
    }
}

/// Checks the key's self-signatures, revocation and expiry at `now`, and finds the
/// components that sign and decrypt.
pub fn check(secret: &SignedSecretKey, now: OffsetDateTime) -> Result<Usable, KeyError> {
    let primary = secret.primary_key.public_key();
    let binding =
        primary_binding(&secret.details, primary, now).map_err(|refusal| match refusal {
            PrimaryRefusal::Revoked => KeyError::Revoked,
            PrimaryRefusal::Unbound => {
                KeyError::BadSelfSignature("no user id or direct-key self-signature verifies")
            }
            PrimaryRefusal::Expired(on) => KeyError::Expired(on),
        })?;
    let primary_flags = binding.key_flags();
    let primary_present = !is_stub(secret.primary_key.secret_params());
    let primary_signs = primary_present
        && (primary_flags.sign() || (no_flags(&primary_flags) && primary.algorithm().can_sign()));
    let primary_decrypts = primary_present
        && (primary_flags.encrypt_comms()
            || primary_flags.encrypt_storage()
            || (no_flags(&primary_flags) && primary.algorithm().can_encrypt()));

    let mut signing_subkey = None;
    let mut decrypting_subkeys = Vec::new();
    for (index, subkey) in secret.secret_subkeys.iter().enumerate() {
        if is_stub(subkey.secret_params()) {
            continue;
        }
        let Some(flags) = subkey_flags(subkey, primary, now) else {
            continue;
        };
        if flags.sign && signing_subkey.is_none() {
            signing_subkey = Some(index);
        }
        if flags.encrypt {
            decrypting_subkeys.push(index);
        }
    }
    let signer = match (primary_signs, signing_subkey) {
        (true, _) => Signer::Primary,
        (false, Some(index)) => Signer::Subkey(index),
        (false, None) => return Err(KeyError::MissingCapability("sign")),
    };
    if !primary_decrypts && decrypting_subkeys.is_empty() {
        return Err(KeyError::MissingCapability("decrypt"));
    }
    Ok(Usable {
        signer,
        decrypting_subkeys,
        primary_decrypts,
    })
}

/// Checks that `passphrase` unlocks every component the desk uses.
pub fn check_passphrase(
    secret: &SignedSecretKey,
    usable: &Usable,
    passphrase: Option<&str>,
) -> Result<(), KeyError> {
    let password = passphrase.map(Password::from);
    let subkey = |index: usize| secret.secret_subkeys.get(index);
    let mut subkeys: Vec<&SignedSecretSubKey> = usable
        .decrypting_subkeys
        .iter()
        .filter_map(|&index| subkey(index))
        .collect();
    let mut check_primary = usable.primary_decrypts;
    match usable.signer {
        Signer::Primary => check_primary = true,
        Signer::Subkey(index) => subkeys.extend(subkey(index)),
    }
    if check_primary {
        let key = &secret.primary_key;
        unlocks(key.secret_params(), password.as_ref(), |password| {
            key.unlock(password, |_, _| Ok(()))
                .is_ok_and(|inner| inner.is_ok())
        })?;
    }
    for subkey in subkeys {
        unlocks(subkey.secret_params(), password.as_ref(), |password| {
            subkey
                .unlock(password, |_, _| Ok(()))
                .is_ok_and(|inner| inner.is_ok())
        })?;
    }
    Ok(())
}

/// The primary user id as text; the first one when none is marked primary.
pub fn primary_user_id(secret: &SignedSecretKey) -> String {
    let users = &secret.details.users;
    users
        .iter()
        .find(|user| user.is_primary())
        .or_else(|| users.first())
        .map(|user| String::from_utf8_lossy(user.id.id()).into_owned())
        .unwrap_or_default()
}

fn unlocks(
    params: &SecretParams,
    password: Option<&Password>,
    unlock: impl FnOnce(&Password) -> bool,
) -> Result<(), KeyError> {
    if !params.is_encrypted() {
        return Ok(());
    }
    let Some(password) = password else {
        return Err(KeyError::PassphraseNeeded);
    };
    if unlock(password) {
        Ok(())
    } else {
        Err(KeyError::WrongPassphrase)
    }
}

struct SubkeyUse {
    sign: bool,
    encrypt: bool,
}

/// What a subkey may do at `now`: `None` when it is unbound, revoked or expired.
fn subkey_flags(
    subkey: &SignedSecretSubKey,
    primary: &PublicKey,
    now: OffsetDateTime,
) -> Option<SubkeyUse> {
    let public = subkey.key.public_key();
    let mut valid = subkey.signatures.iter().filter(|signature| {
        issued_by(signature, primary) && signature.verify_subkey_binding(primary, public).is_ok()
    });
    if valid
        .clone()
        .any(|signature| signature.typ() == Some(SignatureType::SubkeyRevocation))
    {
        return None;
    }
    let binding = newest(
        valid
            .by_ref()
            .filter(|signature| signature.typ() == Some(SignatureType::SubkeyBinding)),
    )?;
    if expiry(public.created_at(), binding).is_some_and(|expired_at| expired_at <= now) {
        return None;
    }
    let flags = binding.key_flags();
    // A signing subkey must sign the primary key back, or anyone could claim it.
    let backed = binding
        .embedded_signature()
        .is_some_and(|back| back.verify_primary_key_binding(public, primary).is_ok());
    Some(SubkeyUse {
        sign: flags.sign() && backed,
        encrypt: flags.encrypt_comms() || flags.encrypt_storage(),
    })
}

/// Whether the primary key made `signature`; one that names no issuer is tried too.
pub(crate) fn issued_by(signature: &Signature, primary: &PublicKey) -> bool {
    let fingerprints = signature.issuer_fingerprint();
    let key_ids = signature.issuer_key_id();
    (fingerprints.is_empty() && key_ids.is_empty())
        || fingerprints
            .iter()
            .any(|fingerprint| **fingerprint == primary.fingerprint())
        || key_ids.iter().any(|id| **id == primary.legacy_key_id())
}

pub(crate) fn newest<'a>(signatures: impl Iterator<Item = &'a Signature>) -> Option<&'a Signature> {
    signatures.max_by_key(|signature| signature.created().map(Timestamp::as_secs))
}

/// When the component created at `created` expires under `binding`, if it does.
pub(crate) fn expiry(created: Timestamp, binding: &Signature) -> Option<OffsetDateTime> {
    let lifetime = std::time::Duration::from(binding.key_expiration_time()?).as_secs();
    if lifetime == 0 {
        return None;
    }
    let expires = i64::from(created.as_secs()).checked_add(i64::try_from(lifetime).ok()?)?;
    OffsetDateTime::from_unix_timestamp(expires).ok()
}

pub(crate) fn no_flags(flags: &KeyFlags) -> bool {
    !(flags.certify()
        || flags.sign()
        || flags.encrypt_comms()
        || flags.encrypt_storage()
        || flags.authentication())
}

/// A component whose secret part is not in the export: GnuPG writes such stubs for an
/// offline primary key (`--export-secret-subkeys`) or a key kept on a smartcard.
pub fn is_stub(params: &SecretParams) -> bool {
    let SecretParams::Encrypted(encrypted) = params else {
        return false;
    };
    match encrypted.string_to_key_params() {
        S2kParams::Cfb { s2k, .. }
        | S2kParams::MalleableCfb { s2k, .. }
        | S2kParams::Aead { s2k, .. } => matches!(s2k, StringToKey::Private { .. }),
        S2kParams::Unprotected | S2kParams::LegacyCfb { .. } => false,
    }
}
