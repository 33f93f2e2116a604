//! The security.txt (RFC 9116) the desk serves for each host name it answers for, made
//! from the policy in force at the moment of the request, so it never goes stale.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cvdesk_domain::policy::PolicySettings;
use cvdesk_formats::securitytxt::{self, SecurityTxt};
use cvdesk_store::Store;
use time::{Duration, OffsetDateTime, Time};

use crate::openpgp::{LoadError, MessageSigner, OrganizationSigner, Passphrase, SignError};
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
    // Midnight UTC, so the file changes once a day rather than on every request.
    let expires = now
        .to_offset(time::UtcOffset::UTC)
        .replace_time(Time::MIDNIGHT)
        + LIFETIME;
    SecurityTxt {
        contacts,
        expires,
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
    /// `text`, the file for `host` (a served host name or `None`), cleartext-signed with the
    /// organization key; `Ok(None)` when there is none. The key is unlocked by `signer`,
    /// which remembers it, or why it cannot be used.
    pub async fn sign(
        &self,
        signer: &OrganizationSigner,
        store: &dyn Store,
        passphrase: Option<&Passphrase>,
        host: Option<String>,
        text: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>, SigningError> {
        let Some(signer) = signer.get(store, passphrase, now).await? else {
            return Ok(None);
        };
        if let Some(copy) = self.lock().get(&host) {
            if copy.text == text && Arc::ptr_eq(&copy.signer, &signer) {
                return Ok(Some(copy.signed.clone()));
            }
        }
        let signed = signer.sign_cleartext(text, now)?;
        self.lock().insert(
            host,
            SignedCopy {
                text: text.to_owned(),
                signer,
                signed: signed.clone(),
            },
        );
        Ok(Some(signed))
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
    let now = state.clock.now();
    let text = for_host(&state.settings, policy, host, has_encryption_key, now).render();
    let signed = if has_encryption_key {
        state
            .signed_security_txt
            .sign(
                &state.organization_signer,
                state.store.as_ref(),
                state.settings.pgp_passphrase.as_ref(),
                served_host(&state.settings, host),
                &text,
                now,
            )
            .await
    } else {
        Ok(None)
    };
    let (body, unsigned_because) = match signed {
        Ok(Some(signed)) => (signed, None),
        Ok(None) => (text.clone(), None),
        Err(error) => {
            // A key that cannot be used was logged once when it was found; the staff's
            // policy page says so too. Anything else is logged as it happens.
            if !matches!(error, SigningError::Load(LoadError::Key(_))) {
                tracing::warn!(%error, "security.txt served unsigned");
            }
            (text.clone(), Some(error))
        }
    };
    Served {
        text,
        body,
        unsigned_because,
    }
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
mod tests {
    use cvdesk_domain::{AttachmentLimits, ReferencePrefix, TextLimits};
    use time::macros::datetime;

    use super::*;
    use crate::ClientAddressSource;

    fn settings(public_url: &str) -> ServerSettings {
        ServerSettings {
            public_url: public_url.to_owned(),
            organization_name: "Acme".into(),
            reference_prefix: ReferencePrefix::default(),
            attachment_limits: AttachmentLimits::default(),
            text_limits: TextLimits::default(),
            client_address: ClientAddressSource::Peer,
            security_txt_hosts: vec!["www.acme.example".into()],
            pgp_passphrase: None,
            calendar: cvdesk_domain::sla::Calendar::default(),
            advisories: Default::default(),
            retention: Default::default(),
            metrics_access: Default::default(),
        }
    }

    #[test]
    fn expires_moves_forward_with_the_clock_and_stays_under_a_year() {
        let settings = settings("https://security.acme.example");
        let policy = PolicySettings::default();
        let at = |now| for_host(&settings, &policy, None, false, now).expires;
        let today = datetime!(2026-11-23 15:04 UTC);
        assert_eq!(at(today), datetime!(2027-02-21 00:00 UTC));
        let next_month = datetime!(2026-12-23 08:00 UTC);
        assert_eq!(at(next_month), datetime!(2027-03-23 00:00 UTC));
        for now in [today, next_month, datetime!(2030-02-28 23:59:59 UTC)] {
            let ahead = at(now) - now;
            assert!(
                ahead > Duration::days(89) && ahead < Duration::days(365),
                "{ahead}"
            );
            let report = securitytxt::lint(
                &for_host(&settings, &policy, None, false, now).render(),
                now,
            );
            assert!(report.is_valid(), "{:?}", report.findings);
        }
    }

    #[test]
    fn canonical_only_for_configured_hosts() {
        let settings = settings("https://security.acme.example");
        let policy = PolicySettings::default();
        let canonical = |host| {
            for_host(
                &settings,
                &policy,
                Some(host),
                false,
                datetime!(2026-11-23 0:00 UTC),
            )
            .canonical
        };
        assert_eq!(
            canonical("www.acme.example"),
            ["https://www.acme.example/.well-known/security.txt"]
        );
        assert_eq!(
            canonical("Security.Acme.Example."),
            ["https://security.acme.example/.well-known/security.txt"]
        );
        assert!(canonical("evil.example").is_empty());
    }

    #[test]
    fn fields_come_from_the_policy() {
        let settings = settings("https://security.acme.example");
        let policy = PolicySettings {
            contact_channels: vec!["mailto:security@acme.example".into()],
            languages: vec!["en".into(), "de".into()],
            hiring_url: Some("https://acme.example/jobs".into()),
            ..PolicySettings::default()
        };
        let text = for_host(
            &settings,
            &policy,
            Some("www.acme.example"),
            true,
            datetime!(2026-11-23 0:00 UTC),
        )
        .render();
        let expected = "Contact: https://security.acme.example/report\n\
            Contact: mailto:security@acme.example\n\
            Expires: 2027-02-21T00:00:00Z\n\
            Encryption: https://security.acme.example/pgp-key.txt\n\
            Acknowledgments: https://security.acme.example/thanks\n\
            Preferred-Languages: en, de\n\
            Canonical: https://www.acme.example/.well-known/security.txt\n\
            Policy: https://security.acme.example/policy\n\
            Hiring: https://acme.example/jobs\n\
            CSAF: https://security.acme.example/.well-known/csaf/provider-metadata.json\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn staff_are_told_when_the_file_would_be_invalid() {
        let now = datetime!(2026-11-23 0:00 UTC);
        let policy = PolicySettings::default();
        let public_file = |public_url| {
            let settings = settings(public_url);
            for_host(
                &settings,
                &policy,
                settings.public_host().as_deref(),
                false,
                now,
            )
            .render()
        };
        assert!(problems(&public_file("https://security.acme.example"), now).is_empty());
        let plain_http = problems(&public_file("http://security.acme.example"), now);
        assert!(!plain_http.is_empty());
        assert!(
            plain_http.iter().any(|p| p.contains("https")),
            "{plain_http:?}"
        );
    }

    mod signing {
        use cvdesk_store::{SettingsStore, SqliteStore, ORGANIZATION_PGP_KEY};
        use pgp::composed::{CleartextSignedMessage, Deserializable, SignedPublicKey};

        use super::*;
        use crate::openpgp::{KeyError, OrganizationKey};

        const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

        async fn store_with_key(passphrase: &str) -> (tempfile::TempDir, SqliteStore, String) {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = SqliteStore::open(dir.path()).await.expect("store");
            let armored = OrganizationKey::generate(
                "Acme Security",
                "security@acme.example",
                Some(passphrase),
                NOW,
            )
            .expect("generated");
            store
                .put_setting(ORGANIZATION_PGP_KEY, &armored, NOW)
                .await
                .expect("stored");
            (dir, store, armored)
        }

        /// Host names as requests send them: two the desk serves, others it does not.
        const HOSTS: [Option<&str>; 5] = [
            Some("www.acme.example"),
            Some("security.acme.example"),
            Some("evil.example"),
            Some("WWW.ACME.EXAMPLE."),
            None,
        ];

        #[tokio::test]
        async fn alternating_hosts_unlock_the_key_once_and_sign_each_file_once() {
            let (_dir, store, armored) = store_with_key("pw").await;
            let certificate = SignedPublicKey::from_string(
                OrganizationKey::from_armored(&armored, Some("pw"), NOW)
                    .expect("usable")
                    .published()
                    .armored(),
            )
            .expect("public key")
            .0;
            let settings = settings("https://security.acme.example");
            let policy = PolicySettings::default();
            let passphrase = Passphrase::new("pw".to_owned());
            let signer = OrganizationSigner::default();
            let copies = SignedCopies::default();
            let mut first_signed: HashMap<Option<&str>, String> = HashMap::new();
            for _ in 0..20 {
                for host in HOSTS {
                    let text = for_host(&settings, &policy, host, true, NOW).render();
                    let signed = copies
                        .sign(
                            &signer,
                            &store,
                            Some(&passphrase),
                            served_host(&settings, host),
                            &text,
                            NOW,
                        )
                        .await
                        .expect("signs")
                        .expect("a key is stored");
                    let first = first_signed.entry(host).or_insert_with(|| {
                        let (message, _) =
                            CleartextSignedMessage::from_string(&signed).expect("parses");
                        message.verify(&certificate).expect("verifies");
                        assert!(signed.contains(&text), "{signed}");
                        signed.clone()
                    });
                    assert_eq!(*first, signed, "signed once per file");
                }
            }
            assert_eq!(signer.unlocks(), 1);
            assert_eq!(copies.lock().len(), 3, "two served names and all others");
            // Mail to finders is signed by the same unlocked component.
            let for_mail = signer.for_mail(&store, Some(&passphrase), NOW).await;
            assert!(for_mail.is_some());
            assert_eq!(signer.unlocks(), 1);
        }

        #[tokio::test]
        async fn a_key_that_cannot_sign_is_tried_once_and_its_reason_kept() {
            let (_dir, store, _) = store_with_key("pw").await;
            let settings = settings("https://security.acme.example");
            let policy = PolicySettings::default();
            let wrong = Passphrase::new("not it".to_owned());
            let signer = OrganizationSigner::default();
            let copies = SignedCopies::default();
            let sign = |host: Option<&str>, now| {
                let text = for_host(&settings, &policy, host, true, now).render();
                let host = served_host(&settings, host);
                let (copies, signer, store, wrong) = (&copies, &signer, &store, &wrong);
                async move {
                    copies
                        .sign(signer, store, Some(wrong), host, &text, now)
                        .await
                }
            };
            for _ in 0..10 {
                for host in HOSTS {
                    let error = sign(host, NOW).await.expect_err("cannot sign");
                    assert!(
                        matches!(
                            error,
                            SigningError::Load(LoadError::Key(KeyError::WrongPassphrase))
                        ),
                        "{error:?}"
                    );
                    assert!(
                        error.to_string().contains("passphrase does not unlock"),
                        "{error}"
                    );
                }
            }
            assert_eq!(signer.unlocks(), 1);
            assert!(signer.for_mail(&store, Some(&wrong), NOW).await.is_none());
            assert_eq!(signer.unlocks(), 1);

            // An hour on, the key is judged again (it may have expired meanwhile) ...
            let later = NOW + Duration::minutes(61);
            assert!(sign(None, later).await.is_err());
            assert_eq!(signer.unlocks(), 2);
            // ... and a new key is used as soon as it is stored.
            let replacement =
                OrganizationKey::generate("Acme Security", "security@acme.example", None, later)
                    .expect("generated");
            store
                .put_setting(ORGANIZATION_PGP_KEY, &replacement, later)
                .await
                .expect("stored");
            assert!(sign(None, later).await.expect("signs").is_some());
            assert_eq!(signer.unlocks(), 3);
        }
    }
}
