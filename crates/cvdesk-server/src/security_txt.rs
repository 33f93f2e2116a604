//! The security.txt (RFC 9116) the desk serves for each host name it answers for, made
//! from the policy in force at the moment of the request, so it never goes stale. The
//! public copy is kept in the public cache for exactly as long as it would be made the
//! same.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use cvdesk_domain::policy::PolicySettings;
use cvdesk_formats::securitytxt::{self, SecurityTxt};
use cvdesk_store::{Store, ORGANIZATION_PGP_KEY};
use time::{Duration, OffsetDateTime, Time, UtcOffset};

use crate::error::WebError;
use crate::openpgp::{LoadError, MessageSigner, OrganizationSigner, SignError};
use crate::public_cache::{PublicCache, ServedCopy};
use crate::{AppState, ServerSettings};

/// How far ahead Expires lies: well under the year RFC 9116 advises, renewed daily.
const LIFETIME: Duration = Duration::days(90);

/// The file for a request that named `host` (from its `Host` header, port removed).
/// Canonical names the file's own URL only for host names this desk is configured for,
/// so a forged Host header cannot make the desk vouch for another name.
pub fn for_host(
    settings: &ServerSettings,
    policy: &PolicySettings,
    host: Option<&str>,
    has_encryption_key: bool,
    now: OffsetDateTime,
) -> SecurityTxt {
    let base = &settings.public_url;
    let mut contacts = vec![format!("{base}/report")];
    contacts.extend(policy.contact_channels.iter().cloned());
    let canonical = served_host(settings, host)
        .map(|h| format!("https://{h}/.well-known/security.txt"))
        .into_iter()
        .collect();
    SecurityTxt {
        contacts,
        expires: utc_day(now).start + LIFETIME,
        encryption: if has_encryption_key {
            vec![format!("{base}/pgp-key.txt")]
        } else {
            Vec::new()
        },
        acknowledgments: if policy.acknowledgements {
            vec![format!("{base}/thanks")]
        } else {
            Vec::new()
        },
        preferred_languages: policy.languages.clone(),
        canonical,
        policy: vec![format!("{base}/policy")],
        hiring: policy.hiring_url.iter().cloned().collect(),
        // The CSAF provider's metadata (CSAF 2.0 requirement 8).
        csaf: vec![format!("{base}/.well-known/csaf/provider-metadata.json")],
    }
}

/// The UTC day `now` falls in. Expires counts from its midnight, so the file changes once
/// a day rather than on every request, and is the same throughout the day.
fn utc_day(now: OffsetDateTime) -> Range<OffsetDateTime> {
    let midnight = now.to_offset(UtcOffset::UTC).replace_time(Time::MIDNIGHT);
    // On the last day `time` can hold the span is empty, and the file made at each request.
    midnight..midnight.checked_add(Duration::DAY).unwrap_or(midnight)
}

/// `host` (lower case, no trailing dot) when it is a name this desk serves; the files for
/// every other name are the same file, without Canonical.
fn served_host(settings: &ServerSettings, host: Option<&str>) -> Option<String> {
    host.map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| settings.serves_host(h))
}

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("signing failed: {0}")]
    Sign(#[from] SignError),
}

/// The signed file for each host name served (and one for all other names), reused
/// while its text and the signer are unchanged: the text changes once a day or when the
/// policy does, and a request naming another host must not cost a signature. The map is
/// bounded by the host names the desk is configured for, whatever names requests carry.
#[derive(Default)]
pub struct SignedCopies(Mutex<HashMap<Option<String>, SignedCopy>>);

struct SignedCopy {
    text: String,
    signer: Arc<MessageSigner>,
    signed: String,
}

impl SignedCopies {
    /// `text`, the file for `host` (a served host name or `None`), cleartext-signed by
    /// `signer`: the copy signed before when neither has changed since.
    pub fn sign(
        &self,
        signer: &Arc<MessageSigner>,
        host: Option<String>,
        text: &str,
        now: OffsetDateTime,
    ) -> Result<String, SignError> {
        if let Some(copy) = self.lock().get(&host) {
            if copy.text == text && Arc::ptr_eq(&copy.signer, signer) {
                return Ok(copy.signed.clone());
            }
        }
        let signed = signer.sign_cleartext(text, now)?;
        self.lock().insert(
            host,
            SignedCopy {
                text: text.to_owned(),
                signer: Arc::clone(signer),
                signed: signed.clone(),
            },
        );
        Ok(signed)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Option<String>, SignedCopy>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The file as the desk serves it for `host`, now.
pub struct Served {
    /// The fields, unsigned.
    pub text: String,
    /// What goes out: `text` cleartext-signed when the organization key can be used.
    pub body: String,
    /// Why the file goes out unsigned although a key is configured.
    pub unsigned_because: Option<SigningError>,
    /// The span of time in which the same policy and stored key give this same `body`: the
    /// UTC day (Expires) within the time the key's judgement stands. `None` when a failure
    /// that may pass at the next request (reading the key, signing) left it unsigned.
    pub stands_for: Option<Range<OffsetDateTime>>,
}

/// What the file is made from besides the policy: the deployment's settings, the store
/// holding the organization key, its signer and the copies signed so far.
struct Maker<'a> {
    settings: &'a ServerSettings,
    store: &'a dyn Store,
    signer: &'a OrganizationSigner,
    copies: &'a SignedCopies,
}

impl<'a> Maker<'a> {
    fn of(state: &'a AppState) -> Self {
        Maker {
            settings: &state.settings,
            store: state.store.as_ref(),
            signer: &state.organization_signer,
            copies: &state.signed_security_txt,
        }
    }

    /// The file for `host` at `now`, signed when the organization key can be used.
    async fn served(
        &self,
        policy: &PolicySettings,
        host: Option<&str>,
        has_encryption_key: bool,
        now: OffsetDateTime,
    ) -> Served {
        let host = served_host(self.settings, host);
        let text = for_host(
            self.settings,
            policy,
            host.as_deref(),
            has_encryption_key,
            now,
        )
        .render();
        let day = utc_day(now);
        let (signed, stands_for) = if has_encryption_key {
            match self
                .signer
                .judge(self.store, self.settings.pgp_passphrase.as_ref(), now)
                .await
            {
                Ok(judged) => {
                    let stands_for =
                        judged.stands_for.start.max(day.start)..judged.stands_for.end.min(day.end);
                    let signed = match judged.signer {
                        Ok(Some(signer)) => self
                            .copies
                            .sign(&signer, host, &text, now)
                            .map(Some)
                            .map_err(SigningError::Sign),
                        Ok(None) => Ok(None),
                        Err(error) => Err(SigningError::Load(LoadError::Key(error))),
                    };
                    (signed, Some(stands_for))
                }
                Err(error) => (Err(SigningError::Load(LoadError::Store(error))), None),
            }
        } else {
            (Ok(None), Some(day))
        };
        let (body, unsigned_because, stands_for) = match signed {
            Ok(Some(signed)) => (signed, None, stands_for),
            Ok(None) => (text.clone(), None, stands_for),
            Err(error) => {
                // A key that cannot be used was logged once when it was found; the staff's
                // policy page says so too. Anything else is logged as it happens, and may
                // pass by the next request.
                let stands_for = match error {
                    SigningError::Load(LoadError::Key(_)) => stands_for,
                    _ => {
                        tracing::warn!(%error, "security.txt served unsigned");
                        None
                    }
                };
                (text.clone(), Some(error), stands_for)
            }
        };
        Served {
            text,
            body,
            unsigned_because,
            stands_for,
        }
    }

    /// The file as served to the public for `host` at `now`: `cache`'s copy while it
    /// stands, else made from the policy and key stored now.
    async fn public_copy(
        &self,
        cache: &PublicCache,
        host: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Bytes, WebError> {
        let make = async {
            let policy = self
                .store
                .current_policy()
                .await?
                .map(|p| p.settings)
                .unwrap_or_default();
            let has_key = self.store.setting(ORGANIZATION_PGP_KEY).await?.is_some();
            let served = self.served(&policy, host, has_key, now).await;
            Ok::<_, WebError>(ServedCopy {
                body: Bytes::from(served.body),
                stands_for: served.stands_for,
            })
        };
        cache
            .security_txt(served_host(self.settings, host), now, make)
            .await
    }
}

/// Makes the file for `host` and signs it with the organization key when there is one. A
/// key that cannot be used (a missing passphrase, say) must not take the file down: it is
/// served unsigned, and `unsigned_because` says why.
pub async fn served(
    state: &AppState,
    policy: &PolicySettings,
    host: Option<&str>,
    has_encryption_key: bool,
) -> Served {
    Maker::of(state)
        .served(policy, host, has_encryption_key, state.clock.now())
        .await
}

/// The file as served to the public for a request that named `host` (from its `Host`
/// header, port removed), kept in the public cache: one copy for each host name served and
/// one for every other name, so whatever names requests carry, the copies kept are
/// bounded by the configured names.
pub async fn public_copy(state: &AppState, host: Option<&str>) -> Result<Bytes, WebError> {
    Maker::of(state)
        .public_copy(&state.public_cache, host, state.clock.now())
        .await
}

/// What is wrong with a security.txt `text`, in sentences for the staff's warning; empty
/// when it is valid.
pub fn problems(text: &str, now: OffsetDateTime) -> Vec<String> {
    securitytxt::lint(text, now)
        .errors()
        .map(|finding| match finding.line {
            Some(line) => format!("line {line}: {}", finding.message),
            None => finding.message.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
