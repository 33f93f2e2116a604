//! The security.txt (RFC 9116) the desk serves for each host name it answers for, made
//! from the policy in force at the moment of the request, so it never goes stale.

use std::sync::Mutex;

use cvdesk_domain::policy::PolicySettings;
use cvdesk_formats::securitytxt::{self, SecurityTxt};
use cvdesk_store::Store;
use time::{Duration, OffsetDateTime, Time};

use crate::openpgp::{self, LoadError, Passphrase};
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
    let canonical = host
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| settings.serves_host(h))
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
        csaf: Vec::new(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// The last file signed and its signed form. Unlocking the key and signing take tens of
/// milliseconds; the text changes once a day or when the policy does.
#[derive(Default)]
pub struct SignedCopy(Mutex<Option<(String, String)>>);

impl SignedCopy {
    /// `text` cleartext-signed with the organization key; `Ok(None)` when there is none.
    pub async fn sign(
        &self,
        store: &dyn Store,
        passphrase: Option<&Passphrase>,
        text: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>, SigningError> {
        if let Some((unsigned, signed)) = self.lock().as_ref() {
            if unsigned == text {
                return Ok(Some(signed.clone()));
            }
        }
        let Some(key) = openpgp::load(store, passphrase.map(Passphrase::as_str), now).await? else {
            return Ok(None);
        };
        let signed = key
            .sign_cleartext(text, now)
            .map_err(|error| SigningError::Sign(error.to_string()))?;
        *self.lock() = Some((text.to_owned(), signed.clone()));
        Ok(Some(signed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(String, String)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
                state.store.as_ref(),
                state.settings.pgp_passphrase.as_ref(),
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
        Err(error) => (text.clone(), Some(error)),
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
            Hiring: https://acme.example/jobs\n";
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
}
