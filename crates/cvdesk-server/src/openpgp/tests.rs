use cvdesk_store::SettingsStore;
use pgp::composed::{
    ArmorOptions, CleartextSignedMessage, Deserializable, MessageBuilder, SignedPublicKey,
};
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::types::{CompressionAlgorithm, KeyDetails};
use rand::rngs::OsRng;
use time::macros::datetime;
use time::OffsetDateTime;

use super::*;

const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

fn generated(passphrase: Option<&str>) -> String {
    OrganizationKey::generate("Example Security", "security@example.org", passphrase, NOW)
        .expect("generated")
}

fn public_key(key: &OrganizationKey) -> SignedPublicKey {
    SignedPublicKey::from_string(&key.public_armored())
        .expect("public key parses")
        .0
}

/// Encrypts `content` to the key's encryption subkey the way a finder's client would.
fn encrypted_to(key: &OrganizationKey, content: &[u8], compression: bool) -> String {
    let certificate = public_key(key);
    let subkey = certificate
        .public_subkeys
        .iter()
        .find(|subkey| subkey.algorithm().can_encrypt())
        .expect("an encryption subkey");
    let mut builder = MessageBuilder::from_bytes("", content.to_vec())
        .seipd_v1(OsRng, SymmetricKeyAlgorithm::AES256);
    if compression {
        builder.compression(CompressionAlgorithm::ZLIB);
    }
    builder.encrypt_to_key(OsRng, &subkey).expect("encrypts");
    builder
        .to_armored_string(OsRng, ArmorOptions::default())
        .expect("armoured")
}

#[test]
fn a_generated_key_reads_back_with_its_passphrase() {
    let armored = generated(Some("correct horse battery staple"));
    assert!(armored.starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
    let key = OrganizationKey::from_armored(&armored, Some("correct horse battery staple"), NOW)
        .expect("unlocks");
    assert_eq!(key.user_id(), "Example Security <security@example.org>");
    let fingerprint = key.fingerprint();
    assert_eq!(fingerprint.len(), 40);
    assert!(fingerprint
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    assert!(key
        .public_armored()
        .starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    assert!(!key.public_armored().contains("PRIVATE"));
    assert_eq!(key.signer, Signer::Primary);
    assert!(key.is_protected());
}

#[test]
fn the_public_part_needs_no_passphrase() {
    let armored = generated(Some("a passphrase"));
    let published = PublishedKey::from_secret_armored(&armored).expect("public part");
    let key = OrganizationKey::from_armored(&armored, Some("a passphrase"), NOW).expect("ok");
    assert_eq!(&published, key.published());
}

#[test]
fn the_generated_key_is_ed25519_with_a_curve25519_subkey_and_no_expiry() {
    let key = OrganizationKey::from_armored(&generated(None), None, NOW).expect("ok");
    let certificate = public_key(&key);
    assert_eq!(
        certificate.primary_key.algorithm(),
        pgp::crypto::public_key::PublicKeyAlgorithm::EdDSALegacy
    );
    assert_eq!(certificate.public_subkeys.len(), 1);
    assert_eq!(
        certificate.public_subkeys[0].algorithm(),
        pgp::crypto::public_key::PublicKeyAlgorithm::ECDH
    );
    let far_future = datetime!(2100-01-01 0:00 UTC);
    assert!(OrganizationKey::from_armored(&generated(None), None, far_future).is_ok());
}

#[test]
fn a_wrong_or_missing_passphrase_is_refused() {
    let armored = generated(Some("the right one"));
    assert!(matches!(
        OrganizationKey::from_armored(&armored, Some("the wrong one"), NOW),
        Err(KeyError::WrongPassphrase)
    ));
    assert!(matches!(
        OrganizationKey::from_armored(&armored, None, NOW),
        Err(KeyError::PassphraseNeeded)
    ));
}

#[test]
fn an_unprotected_key_needs_no_passphrase() {
    let armored = generated(None);
    let key = OrganizationKey::from_armored(&armored, None, NOW).expect("ok");
    assert!(!key.is_protected());
    assert!(OrganizationKey::from_armored(&armored, Some("ignored"), NOW).is_ok());
}

#[test]
fn a_public_key_is_refused_as_such() {
    let key = OrganizationKey::from_armored(&generated(None), None, NOW).expect("ok");
    let error = OrganizationKey::from_armored(&key.public_armored(), None, NOW)
        .expect_err("a public key is not enough");
    assert!(matches!(error, KeyError::PublicKeyGiven));
    assert!(error.to_string().contains("--export-secret-keys"));
}

#[test]
fn other_text_is_refused_with_what_it_is() {
    assert!(matches!(
        OrganizationKey::from_armored("not a key at all", None, NOW),
        Err(KeyError::Unreadable(_))
    ));
    let key = OrganizationKey::from_armored(&generated(None), None, NOW).expect("ok");
    let signed = key.sign_cleartext("hello\n", NOW).expect("signed");
    assert!(matches!(
        OrganizationKey::from_armored(&signed, None, NOW),
        Err(KeyError::NotASecretKey("a signed message"))
    ));
    let message = encrypted_to(&key, b"hi", false);
    assert!(matches!(
        OrganizationKey::from_armored(&message, None, NOW),
        Err(KeyError::NotASecretKey("a message"))
    ));
}

#[test]
fn user_ids_are_checked() {
    for (name, email) in [
        ("", "security@example.org"),
        ("Evil <x@y>", "security@example.org"),
        ("Example", "not-an-address"),
        ("Example", "a b@example.org"),
        ("Example", "@example.org"),
        ("Line\nbreak", "security@example.org"),
    ] {
        assert!(
            matches!(
                OrganizationKey::generate(name, email, None, NOW),
                Err(KeyError::InvalidUserId(_))
            ),
            "{name:?} {email:?}"
        );
    }
}

#[test]
fn a_cleartext_signature_verifies_and_breaks_when_the_text_changes() {
    let key = OrganizationKey::from_armored(&generated(Some("pw")), Some("pw"), NOW).expect("ok");
    let text = "Contact: mailto:security@example.org\nExpires: 2027-01-01T00:00:00Z\n";
    let signed = key.sign_cleartext(text, NOW).expect("signed");
    assert!(signed.starts_with("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"));
    assert!(signed.contains(text));
    let certificate = public_key(&key);
    let (message, _) = CleartextSignedMessage::from_string(&signed).expect("parses");
    let signature = message.verify(&certificate).expect("verifies");
    assert_eq!(
        signature.created().map(|created| created.as_secs()),
        u32::try_from(NOW.unix_timestamp()).ok()
    );

    let tampered = signed.replace("2027-01-01", "2028-01-01");
    let (message, _) = CleartextSignedMessage::from_string(&tampered).expect("parses");
    assert!(message.verify(&certificate).is_err());
}

#[test]
fn dashes_and_trailing_spaces_survive_signing() {
    let key = OrganizationKey::from_armored(&generated(None), None, NOW).expect("ok");
    let signed = key
        .sign_cleartext("-----BEGIN not armour\nspaces after   \r\nlast line", NOW)
        .expect("signed");
    assert!(signed.contains("- -----BEGIN not armour\n"));
    assert!(signed.contains("spaces after\r\n"));
    let (message, _) = CleartextSignedMessage::from_string(&signed).expect("parses");
    message.verify(&public_key(&key)).expect("verifies");
}

#[test]
fn trim_line_ends_keeps_line_endings() {
    assert_eq!(trim_line_ends("a \nb\t\r\nc  "), "a\nb\r\nc");
    assert_eq!(trim_line_ends(""), "");
}

#[test]
fn a_message_encrypted_to_the_key_decrypts() {
    let key = OrganizationKey::from_armored(&generated(Some("pw")), Some("pw"), NOW).expect("ok");
    let body = "The search endpoint is injectable.\nSteps: …".as_bytes();
    assert_eq!(
        key.decrypt(&encrypted_to(&key, body, false))
            .expect("decrypts"),
        body
    );
    assert_eq!(
        key.decrypt(&encrypted_to(&key, body, true))
            .expect("decrypts"),
        body
    );
}

#[test]
fn a_message_for_another_key_or_in_clear_is_refused() {
    let ours = OrganizationKey::from_armored(&generated(None), None, NOW).expect("ok");
    let theirs = OrganizationKey::from_armored(&generated(None), None, NOW).expect("ok");
    assert!(matches!(
        ours.decrypt(&encrypted_to(&theirs, b"secret", false)),
        Err(DecryptError::NotForThisKey)
    ));
    let clear = MessageBuilder::from_bytes("", b"plain".to_vec())
        .to_armored_string(OsRng, ArmorOptions::default())
        .expect("armoured");
    assert!(matches!(
        ours.decrypt(&clear),
        Err(DecryptError::NotEncrypted)
    ));
    assert!(matches!(
        ours.decrypt("garbage"),
        Err(DecryptError::Unreadable(_))
    ));
}

#[test]
fn debug_output_shows_no_secret() {
    let key = OrganizationKey::from_armored(&generated(Some("hunter2")), Some("hunter2"), NOW)
        .expect("ok");
    let shown = format!("{key:?}");
    assert!(shown.contains(&key.fingerprint()));
    assert!(!shown.contains("hunter2"));
    assert!(!shown.contains("secret"));
}

#[tokio::test]
async fn the_key_is_loaded_from_the_settings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = cvdesk_store::SqliteStore::open(dir.path())
        .await
        .expect("store");
    assert!(load(&store, None, NOW).await.expect("read").is_none());
    assert!(load_published(&store).await.expect("read").is_none());

    let armored = generated(Some("pw"));
    store
        .put_setting(ORGANIZATION_PGP_KEY, &armored, NOW)
        .await
        .expect("stored");
    assert_eq!(
        store.setting(ORGANIZATION_PGP_KEY).await.expect("read"),
        Some(armored.clone()),
        "stored exactly as given, still locked"
    );
    let key = load(&store, Some("pw"), NOW)
        .await
        .expect("read")
        .expect("present");
    let published = load_published(&store)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(published.fingerprint(), key.fingerprint());
    assert!(matches!(
        load(&store, Some("wrong"), NOW).await,
        Err(LoadError::Key(KeyError::WrongPassphrase))
    ));
}
