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
    use cvdesk_store::{SettingsStore, SqliteStore};
    use pgp::composed::{CleartextSignedMessage, Deserializable, SignedPublicKey};

    use super::*;
    use crate::openpgp::{KeyError, OrganizationKey, Passphrase};

    pub(super) const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

    pub(super) async fn store_with_key(
        passphrase: Option<&str>,
    ) -> (tempfile::TempDir, SqliteStore, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("store");
        let armored =
            OrganizationKey::generate("Acme Security", "security@acme.example", passphrase, NOW)
                .expect("generated");
        store
            .put_setting(ORGANIZATION_PGP_KEY, &armored, NOW)
            .await
            .expect("stored");
        (dir, store, armored)
    }

    /// The public half of the secret key `armored`, to verify signatures with.
    pub(super) fn certificate(armored: &str, passphrase: Option<&str>) -> SignedPublicKey {
        SignedPublicKey::from_string(
            OrganizationKey::from_armored(armored, passphrase, NOW)
                .expect("usable")
                .published()
                .armored(),
        )
        .expect("public key")
        .0
    }

    pub(super) fn verifies(signed: &str, certificate: &SignedPublicKey) -> bool {
        CleartextSignedMessage::from_string(signed)
            .is_ok_and(|(message, _)| message.verify(certificate).is_ok())
    }

    /// Host names as requests send them: two the desk serves, others it does not.
    const HOSTS: [Option<&str>; 5] = [
        Some("www.acme.example"),
        Some("security.acme.example"),
        Some("evil.example"),
        Some("WWW.ACME.EXAMPLE."),
        None,
    ];

    fn with_passphrase(passphrase: &str) -> ServerSettings {
        ServerSettings {
            pgp_passphrase: Some(Passphrase::new(passphrase.to_owned())),
            ..settings("https://security.acme.example")
        }
    }

    #[tokio::test]
    async fn alternating_hosts_unlock_the_key_once_and_sign_each_file_once() {
        let (_dir, store, armored) = store_with_key(Some("pw")).await;
        let certificate = certificate(&armored, Some("pw"));
        let settings = with_passphrase("pw");
        let policy = PolicySettings::default();
        let signer = OrganizationSigner::default();
        let copies = SignedCopies::default();
        let maker = Maker {
            settings: &settings,
            store: &store,
            signer: &signer,
            copies: &copies,
        };
        let mut first_signed: HashMap<Option<&str>, String> = HashMap::new();
        for _ in 0..20 {
            for host in HOSTS {
                let served = maker.served(&policy, host, true, NOW).await;
                assert!(served.unsigned_because.is_none());
                // The key is judged again in an hour, within the same UTC day.
                assert_eq!(served.stands_for, Some(NOW..NOW + Duration::HOUR));
                let signed = served.body;
                let first = first_signed.entry(host).or_insert_with(|| {
                    assert!(verifies(&signed, &certificate), "{signed}");
                    assert!(signed.contains(&served.text), "{signed}");
                    signed.clone()
                });
                assert_eq!(*first, signed, "signed once per file");
            }
        }
        assert_eq!(signer.unlocks(), 1);
        assert_eq!(copies.lock().len(), 3, "two served names and all others");
        // Mail to finders is signed by the same unlocked component.
        let for_mail = signer
            .for_mail(&store, settings.pgp_passphrase.as_ref(), NOW)
            .await;
        assert!(for_mail.is_some());
        assert_eq!(signer.unlocks(), 1);
    }

    #[tokio::test]
    async fn a_key_that_cannot_sign_is_tried_once_and_its_reason_kept() {
        let (_dir, store, _) = store_with_key(Some("pw")).await;
        let settings = with_passphrase("not it");
        let policy = PolicySettings::default();
        let signer = OrganizationSigner::default();
        let copies = SignedCopies::default();
        let maker = Maker {
            settings: &settings,
            store: &store,
            signer: &signer,
            copies: &copies,
        };
        for _ in 0..10 {
            for host in HOSTS {
                let served = maker.served(&policy, host, true, NOW).await;
                let error = served.unsigned_because.expect("cannot sign");
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
                assert_eq!(served.body, served.text, "served unsigned");
                // The reason stands until the key is judged again.
                assert_eq!(served.stands_for, Some(NOW..NOW + Duration::HOUR));
            }
        }
        assert_eq!(signer.unlocks(), 1);
        assert!(signer
            .for_mail(&store, settings.pgp_passphrase.as_ref(), NOW)
            .await
            .is_none());
        assert_eq!(signer.unlocks(), 1);

        // An hour on, the key is judged again (it may have expired meanwhile) ...
        let later = NOW + Duration::minutes(61);
        let served = maker.served(&policy, None, true, later).await;
        assert!(served.unsigned_because.is_some());
        assert_eq!(signer.unlocks(), 2);
        // ... and a new key is used as soon as it is stored.
        let replacement =
            OrganizationKey::generate("Acme Security", "security@acme.example", None, later)
                .expect("generated");
        store
            .put_setting(ORGANIZATION_PGP_KEY, &replacement, later)
            .await
            .expect("stored");
        let served = maker.served(&policy, None, true, later).await;
        assert!(served.unsigned_because.is_none());
        assert!(verifies(&served.body, &certificate(&replacement, None)));
        assert_eq!(signer.unlocks(), 3);
    }
}

/// The public copy kept in the public cache: served while the same file would be made,
/// made again after a change through this desk, at midnight UTC (Expires moves on) and
/// when the key is judged again, and kept once per host name served whatever names
/// requests carry.
mod public_copy {
    use cvdesk_store::{PolicyStore, SettingsStore, SqliteStore};

    use super::signing::{certificate, store_with_key, verifies, NOW};
    use super::*;
    use crate::openpgp::OrganizationKey;

    struct Desk {
        _dir: tempfile::TempDir,
        store: SqliteStore,
        settings: ServerSettings,
        signer: OrganizationSigner,
        copies: SignedCopies,
        cache: PublicCache,
    }

    impl Desk {
        fn with_store(dir: tempfile::TempDir, store: SqliteStore) -> Desk {
            Desk {
                _dir: dir,
                store,
                settings: settings("https://security.acme.example"),
                signer: OrganizationSigner::default(),
                copies: SignedCopies::default(),
                cache: PublicCache::default(),
            }
        }

        async fn without_key() -> Desk {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = SqliteStore::open(dir.path()).await.expect("store");
            Desk::with_store(dir, store)
        }

        async fn copy(&self, host: Option<&str>, now: OffsetDateTime) -> String {
            let maker = Maker {
                settings: &self.settings,
                store: &self.store,
                signer: &self.signer,
                copies: &self.copies,
            };
            let body = maker
                .public_copy(&self.cache, host, now)
                .await
                .expect("served");
            String::from_utf8(body.to_vec()).expect("utf-8")
        }

        /// A new policy stored without telling this desk, as an admin command or another
        /// instance would: a copy made after it names the new contact.
        async fn policy_changed_elsewhere(&self, now: OffsetDateTime) {
            let policy = PolicySettings {
                contact_channels: vec![NEW_CONTACT.into()],
                ..PolicySettings::default()
            };
            assert!(self
                .store
                .publish_first_policy(&policy, now)
                .await
                .expect("stored"));
        }
    }

    const NEW_CONTACT: &str = "mailto:security@acme.example";

    #[tokio::test]
    async fn a_change_through_this_desk_is_served_at_once() {
        let desk = Desk::without_key().await;
        let before = desk.copy(Some("www.acme.example"), NOW).await;
        assert!(!before.contains(NEW_CONTACT), "{before}");
        desk.policy_changed_elsewhere(NOW).await;
        // Kept: another writer's change may take up to FRESH_FOR to show.
        let kept = desk.copy(Some("www.acme.example"), NOW).await;
        assert_eq!(kept, before);
        desk.cache.changed();
        let after = desk.copy(Some("www.acme.example"), NOW).await;
        assert!(
            after.contains(&format!("Contact: {NEW_CONTACT}\n")),
            "{after}"
        );

        // A key stored and this desk told: the next copy is signed and offers it.
        let key = OrganizationKey::generate("Acme Security", "security@acme.example", None, NOW)
            .expect("generated");
        desk.store
            .put_setting(ORGANIZATION_PGP_KEY, &key, NOW)
            .await
            .expect("stored");
        desk.cache.changed();
        let signed = desk.copy(Some("www.acme.example"), NOW).await;
        assert!(verifies(&signed, &certificate(&key, None)), "{signed}");
        assert!(signed.contains("Encryption: "), "{signed}");
        assert!(signed.contains(&format!("Contact: {NEW_CONTACT}\n")));
    }

    #[tokio::test]
    async fn a_copy_is_not_served_past_midnight_utc() {
        let desk = Desk::without_key().await;
        let last_second = datetime!(2026-11-23 23:59:59 UTC);
        let evening = desk.copy(None, last_second).await;
        assert!(
            evening.contains("Expires: 2027-02-21T00:00:00Z\n"),
            "{evening}"
        );
        desk.policy_changed_elsewhere(last_second).await;
        // Kept all that UTC day, whatever offset the clock gives ...
        for now in [
            datetime!(2026-11-23 23:59:59.999 UTC),
            datetime!(2026-11-24 00:59:59 +01:00),
            datetime!(2026-11-23 00:00 UTC),
        ] {
            assert_eq!(desk.copy(None, now).await, evening, "{now}");
        }
        // ... and made again at midnight, with the day's Expires.
        let midnight = datetime!(2026-11-24 00:00 UTC);
        let next_day = desk.copy(None, midnight).await;
        assert!(
            next_day.contains("Expires: 2027-02-22T00:00:00Z\n"),
            "{next_day}"
        );
        assert!(next_day.contains(NEW_CONTACT), "made again: {next_day}");
        assert!(securitytxt::lint(&next_day, midnight).is_valid());
        // A clock set back to that day gets that day's file, made again.
        let previous_day = desk.copy(None, last_second).await;
        assert!(previous_day.contains("Expires: 2027-02-21T00:00:00Z\n"));
        assert!(previous_day.contains(NEW_CONTACT), "{previous_day}");
    }

    #[tokio::test]
    async fn a_signed_copy_is_not_served_past_the_keys_judgement() {
        let (dir, store, first_key) = store_with_key(None).await;
        let replacement =
            OrganizationKey::generate("Acme Security", "security@acme.example", None, NOW)
                .expect("generated");
        let desk = Desk::with_store(dir, store);
        let signed = desk.copy(None, NOW).await;
        assert!(verifies(&signed, &certificate(&first_key, None)));
        desk.store
            .put_setting(ORGANIZATION_PGP_KEY, &replacement, NOW)
            .await
            .expect("stored");
        let judged_again = NOW + Duration::HOUR;
        // Kept while the key's judgement stands (the store's change is not yet seen) ...
        let almost = judged_again - Duration::SECOND;
        assert_eq!(desk.copy(None, almost).await, signed);
        // ... and made again, with the key stored now, once it would be judged again.
        let resigned = desk.copy(None, judged_again).await;
        assert!(
            verifies(&resigned, &certificate(&replacement, None)),
            "{resigned}"
        );
    }

    #[tokio::test]
    async fn whatever_hosts_requests_name_one_copy_is_kept_per_served_name() {
        let desk = Desk::without_key().await;
        let others = desk.copy(None, NOW).await;
        assert!(!others.contains("Canonical"), "{others}");
        for i in 0..1_000 {
            let forged = format!("host-{i}.example");
            assert_eq!(desk.copy(Some(&forged), NOW).await, others, "{forged}");
        }
        for (host, canonical) in [
            ("WWW.ACME.EXAMPLE.", "www.acme.example"),
            ("www.acme.example", "www.acme.example"),
            ("security.acme.example.", "security.acme.example"),
        ] {
            let file = desk.copy(Some(host), NOW).await;
            assert!(
                file.contains(&format!(
                    "Canonical: https://{canonical}/.well-known/security.txt\n"
                )),
                "{host}: {file}"
            );
        }
        assert_eq!(
            desk.cache.security_txt_copies(),
            3,
            "the two served names and all others"
        );
    }
}
