//! Contact discovery for a vendor's domain: its security.txt (the well-known place, then
//! the legacy one) linted by the desk's own linter, its signature checked against the
//! vendor's known key (or the key the file names), the key behind its first usable
//! `Encryption:` address, or, without a file, the RFC 2142 guess. The result is a
//! proposal a person accepts; nothing here changes the vendor.

use cvdesk_domain::vendor::discovery::{self, Proposal, Signature};
use cvdesk_formats::securitytxt;
use pgp::composed::{CleartextSignedMessage, Deserializable, SignedPublicKey};
use time::OffsetDateTime;

use super::fetch::{fetch, FetchError};
use crate::mail::FinderKey;

/// Looks for the security.txt of `domain`.
pub async fn discover(
    domain: &str,
    known_key: Option<&str>,
    allow_private: bool,
    now: OffsetDateTime,
) -> Proposal {
    let mut problems = Vec::new();
    let schemes: &[&str] = if allow_private {
        &["https", "http"]
    } else {
        &["https"]
    };
    let mut candidates = Vec::new();
    for path in ["/.well-known/security.txt", "/security.txt"] {
        for scheme in schemes {
            candidates.push(format!("{scheme}://{domain}{path}"));
        }
    }
    for url in candidates {
        match fetch(&url, allow_private).await {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let mut proposal = discovery::from_security_txt(
                    &url,
                    &securitytxt::parse(&text),
                    &securitytxt::lint_bytes(&bytes, now),
                );
                for encryption in proposal.encryption.clone() {
                    match fetch(&encryption, allow_private).await {
                        Ok(key) => {
                            let key = String::from_utf8_lossy(&key).into_owned();
                            match FinderKey::prepare(&key, now) {
                                Ok(_) => {
                                    proposal.pgp_key = Some(key.trim().to_owned());
                                    break;
                                }
                                Err(error) => proposal.problems.push(format!(
                                    "the key at {encryption} cannot be used: {error}"
                                )),
                            }
                        }
                        Err(error) => proposal.problems.push(error.to_string()),
                    }
                }
                if proposal.signature == Signature::KeyUnknown {
                    let key = known_key.or(proposal.pgp_key.as_deref());
                    proposal.signature = match key {
                        Some(key) => check_signature(&text, key),
                        None => Signature::KeyUnknown,
                    };
                }
                return proposal;
            }
            Err(FetchError::Status(_, 404)) => {
                problems.push(format!("{url} does not exist (404)"));
            }
            Err(error) => problems.push(error.to_string()),
        }
    }
    discovery::guess(domain, problems)
}

/// Whether the cleartext signature of `text` verifies with `armored_key`.
pub fn check_signature(text: &str, armored_key: &str) -> Signature {
    let key = match SignedPublicKey::from_string(armored_key.trim()) {
        Ok((key, _)) => key,
        Err(error) => {
            return Signature::Invalid {
                reason: format!("the key cannot be read: {error}"),
            }
        }
    };
    let message = match CleartextSignedMessage::from_string(text.trim_start()) {
        Ok((message, _)) => message,
        Err(error) => {
            return Signature::Invalid {
                reason: format!("the signature cannot be read: {error}"),
            }
        }
    };
    let verified = message.verify(&key).is_ok()
        || key
            .public_subkeys
            .iter()
            .any(|subkey| message.verify(subkey).is_ok());
    if verified {
        Signature::Verified {
            fingerprint: format!(
                "{:X}",
                pgp::types::KeyDetails::fingerprint(&key.primary_key)
            ),
        }
    } else {
        Signature::Invalid {
            reason: "the signature does not verify with the vendor's key: the file was \
                     altered or signed with another key"
                .to_owned(),
        }
    }
}
