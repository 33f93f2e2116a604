//! The organization's OpenPGP key against GnuPG: the key `cvdesk pgp generate` makes and the
//! server publishes at /pgp-key.txt imports into gpg, its cleartext signatures verify there
//! (and fail once the text changes), what gpg encrypts to it decrypts, and keys gpg makes
//! import with the right passphrase only. Skipped, with a message, when gpg is missing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cvdesk_server::openpgp::{self, OrganizationKey};
use cvdesk_store::{Store, StoreLocation};
use time::OffsetDateTime;

use crate::app::TestApp;
use crate::gnupg::Gpg;

const DESK_PASSPHRASE: &str = "desk passphrase, long enough";
const GPG_PASSPHRASE: &str = "gpg passphrase";

impl Gpg {
    /// Generates a key with `passphrase` at gpg's default algorithms; returns its fingerprint.
    fn generate(&self, user_id: &str, extra: &[&str], expiry: &str) -> String {
        let mut args = vec!["--passphrase", GPG_PASSPHRASE];
        args.extend(extra);
        args.extend(["--quick-gen-key", user_id, "default", "default", expiry]);
        self.ok(&args, b"");
        self.fingerprint(user_id)
    }

    fn fingerprint(&self, user_id: &str) -> String {
        let listing = self.ok(&["--with-colons", "--list-keys", user_id], b"");
        String::from_utf8_lossy(&listing)
            .lines()
            .find_map(|line| line.strip_prefix("fpr:"))
            .map(|rest| rest.trim_matches(':').to_owned())
            .expect("a fingerprint")
    }

    fn export_secret(&self, fingerprint: &str) -> String {
        let exported = self.ok(
            &[
                "--passphrase",
                GPG_PASSPHRASE,
                "--armor",
                "--export-secret-keys",
                fingerprint,
            ],
            b"",
        );
        String::from_utf8(exported).expect("armoured")
    }

    /// gpg's status lines for verifying a cleartext-signed `message`.
    fn verify(&self, message: &str) -> (bool, String) {
        let path = self.home().join("signed.txt");
        std::fs::write(&path, message).expect("written");
        let output = self.run(
            &[
                "--status-fd",
                "1",
                "--verify",
                path.to_str().expect("utf-8"),
            ],
            b"",
        );
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }

    fn encrypt_to(&self, fingerprint: &str, content: &[u8]) -> String {
        let encrypted = self.ok(
            &[
                "--trust-model",
                "always",
                "--armor",
                "--recipient",
                fingerprint,
                "--encrypt",
            ],
            content,
        );
        String::from_utf8(encrypted).expect("armoured")
    }
}

struct CliOutput {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `cvdesk pgp ARGS… --data DATA` with only the passphrase variables in `env` set.
fn pgp(data: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> CliOutput {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .arg("pgp")
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("CVDESK_DATABASE_URL")
        .env_remove("CVDESK_CONFIG")
        .env_remove("CVDESK_PGP_PASSPHRASE")
        .env_remove("CVDESK_PGP_PASSPHRASE_FILE")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("written");
    let output = child.wait_with_output().expect("finished");
    CliOutput {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("utf-8"),
        stderr: String::from_utf8(output.stderr).expect("utf-8"),
    }
}

fn printed_fingerprint(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("Fingerprint: "))
        .expect("a printed fingerprint")
        .to_owned()
}

async fn store_at(data: &Path) -> std::sync::Arc<dyn Store> {
    cvdesk_store::open(&StoreLocation::Sqlite {
        data_dir: PathBuf::from(data),
    })
    .await
    .expect("store opens")
}

async fn stored_key(data: &Path, passphrase: &str) -> OrganizationKey {
    openpgp::load(
        &*store_at(data).await,
        Some(passphrase),
        OffsetDateTime::now_utc(),
    )
    .await
    .expect("loads")
    .expect("a key is configured")
}

/// Signs `text` with `key`, checks gpg accepts it, and that gpg rejects it once one byte
/// of the signed text changes.
fn assert_signature_checks(gpg: &Gpg, key: &OrganizationKey, fingerprint: &str) {
    let text = "Contact: mailto:security@example.org\n\
                Expires: 2030-01-01T00:00:00.000Z\n\
                Encryption: https://desk.example.org/pgp-key.txt\n";
    let signed = key
        .sign_cleartext(text, OffsetDateTime::now_utc())
        .expect("signed");
    assert!(signed.starts_with("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n"));
    let (good, status) = gpg.verify(&signed);
    assert!(good, "gpg rejects the signature: {status}");
    assert!(status.contains("[GNUPG:] GOODSIG"), "{status}");
    assert!(status.contains(fingerprint), "{status}");

    let tampered = signed.replacen("2030-01-01", "2030-01-02", 1);
    assert_ne!(tampered, signed);
    let (good, status) = gpg.verify(&tampered);
    assert!(!good, "gpg accepts a changed text: {status}");
    assert!(status.contains("[GNUPG:] BADSIG"), "{status}");
}

fn assert_decrypts_from_gpg(gpg: &Gpg, key: &OrganizationKey, fingerprint: &str) {
    let body =
        "SQL injection in /search?q=\nSteps: send a quote; see the error. – ünïcode".as_bytes();
    let encrypted = gpg.encrypt_to(fingerprint, body);
    assert!(encrypted.starts_with("-----BEGIN PGP MESSAGE-----"));
    assert_eq!(key.decrypt(&encrypted).expect("decrypts"), body);
}

#[tokio::test]
async fn the_published_key_works_with_gnupg() {
    let Some(gpg) = Gpg::new() else { return };
    let app = TestApp::start();
    let missing = app.get("/pgp-key.txt").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert!(missing
        .text()
        .await
        .expect("body")
        .contains("no OpenPGP key"));

    let env = [("CVDESK_PGP_PASSPHRASE", DESK_PASSPHRASE)];
    let generated = pgp(
        app.data_dir(),
        &[
            "generate",
            "--name",
            "Example Security",
            "--email",
            "security@example.org",
        ],
        &env,
        "",
    );
    assert_eq!(generated.code, Some(0), "{}", generated.stderr);
    let fingerprint = printed_fingerprint(&generated.stdout);
    assert!(generated
        .stdout
        .contains("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    for printed in [&generated.stdout, &generated.stderr] {
        assert!(!printed.contains(DESK_PASSPHRASE));
        assert!(!printed.contains("PRIVATE KEY"));
    }

    let served = app.get("/pgp-key.txt").await;
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let public_key = served.text().await.expect("body");
    assert!(public_key.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    gpg.ok(&["--import"], public_key.as_bytes());
    assert_eq!(gpg.fingerprint("security@example.org"), fingerprint);

    let key = stored_key(app.data_dir(), DESK_PASSPHRASE).await;
    assert_eq!(key.fingerprint(), fingerprint);
    assert_eq!(key.user_id(), "Example Security <security@example.org>");
    assert_signature_checks(&gpg, &key, &fingerprint);
    assert_decrypts_from_gpg(&gpg, &key, &fingerprint);

    let entries = store_at(app.data_dir())
        .await
        .audit_entries_after(0, 1000)
        .await
        .expect("audit log");
    let entry = entries
        .iter()
        .find(|entry| entry.event.action == "pgp_key.generate")
        .expect("generation is audited");
    assert_eq!(entry.event.subject.as_deref(), Some(fingerprint.as_str()));
    assert_eq!(entry.event.actor_label, "cli");
}

#[tokio::test]
async fn a_key_is_replaced_only_with_force_and_shown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    TestApp::create_store(data);
    let shown = pgp(data, &["show"], &[], "");
    assert_eq!(shown.code, Some(1));
    assert!(shown
        .stderr
        .contains("No organization OpenPGP key is configured"));

    let args = ["generate", "--name", "Desk", "--email", "desk@example.org"];
    let first = pgp(data, &args, &[], "");
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert!(
        first.stderr.contains("not protected by a passphrase"),
        "{}",
        first.stderr
    );
    let fingerprint = printed_fingerprint(&first.stdout);

    let again = pgp(data, &args, &[], "");
    assert_eq!(again.code, Some(1));
    assert!(
        again.stderr.contains("already configured"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("--force"));
    assert!(again.stderr.contains(&fingerprint));

    let shown = pgp(data, &["show"], &[], "");
    assert_eq!(shown.code, Some(0));
    assert_eq!(printed_fingerprint(&shown.stdout), fingerprint);
    assert!(shown.stdout.contains("User ID: Desk <desk@example.org>"));
    assert!(shown
        .stdout
        .contains("-----BEGIN PGP PUBLIC KEY BLOCK-----"));

    let forced = pgp(data, &[&args[..], &["--force"]].concat(), &[], "");
    assert_eq!(forced.code, Some(0), "{}", forced.stderr);
    assert_ne!(printed_fingerprint(&forced.stdout), fingerprint);
}

#[tokio::test]
async fn a_gnupg_key_imports_with_its_passphrase_only() {
    let Some(gpg) = Gpg::new() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    TestApp::create_store(data);
    let fingerprint = gpg.generate("Desk From GnuPG <gnupg@example.org>", &[], "never");
    let secret = gpg.export_secret(&fingerprint);

    let none = pgp(data, &["import", "-"], &[], &secret);
    assert_eq!(none.code, Some(1));
    assert!(
        none.stderr
            .contains("protected by a passphrase; set CVDESK_PGP_PASSPHRASE"),
        "{}",
        none.stderr
    );
    let wrong = pgp(
        data,
        &["import", "-"],
        &[("CVDESK_PGP_PASSPHRASE", "not the passphrase")],
        &secret,
    );
    assert_eq!(wrong.code, Some(1));
    assert!(wrong.stderr.contains("does not unlock"), "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("not the passphrase"));

    let public =
        String::from_utf8(gpg.ok(&["--armor", "--export", &fingerprint], b"")).expect("armoured");
    let public_file = dir.path().join("public.asc");
    std::fs::write(&public_file, public).expect("written");
    let refused = pgp(
        data,
        &["import", public_file.to_str().expect("utf-8")],
        &[("CVDESK_PGP_PASSPHRASE", GPG_PASSPHRASE)],
        "",
    );
    assert_eq!(refused.code, Some(1));
    assert!(
        refused.stderr.contains("this is a public key"),
        "{}",
        refused.stderr
    );

    let passphrase_file = dir.path().join("passphrase");
    std::fs::write(&passphrase_file, format!("{GPG_PASSPHRASE}\n")).expect("written");
    let imported = pgp(
        data,
        &["import", "-"],
        &[(
            "CVDESK_PGP_PASSPHRASE_FILE",
            passphrase_file.to_str().expect("utf-8"),
        )],
        &secret,
    );
    assert_eq!(imported.code, Some(0), "{}", imported.stderr);
    assert_eq!(printed_fingerprint(&imported.stdout), fingerprint);
    assert!(!imported.stderr.contains("not protected"));

    let stored = store_at(data)
        .await
        .setting(cvdesk_store::ORGANIZATION_PGP_KEY)
        .await
        .expect("read");
    assert_eq!(stored.as_deref(), Some(secret.as_str()), "stored as given");

    let key = stored_key(data, GPG_PASSPHRASE).await;
    assert_signature_checks(&gpg, &key, &fingerprint);
    assert_decrypts_from_gpg(&gpg, &key, &fingerprint);
}

#[tokio::test]
async fn expired_and_revoked_keys_are_refused() {
    let Some(gpg) = Gpg::new() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    TestApp::create_store(dir.path());
    let env = [("CVDESK_PGP_PASSPHRASE", GPG_PASSPHRASE)];

    let expired = gpg.generate(
        "Expired <expired@example.org>",
        &["--faked-system-time", "20200101T000000!"],
        "1y",
    );
    let refused = pgp(
        dir.path(),
        &["import", "-"],
        &env,
        &gpg.export_secret(&expired),
    );
    assert_eq!(refused.code, Some(1));
    assert!(
        refused.stderr.contains("the key expired on 2020-12-31")
            || refused.stderr.contains("the key expired on 2021-01-01"),
        "{}",
        refused.stderr
    );

    let revoked = gpg.generate("Revoked <revoked@example.org>", &[], "never");
    let certificate = gpg
        .home()
        .join("openpgp-revocs.d")
        .join(format!("{revoked}.rev"));
    let certificate = std::fs::read_to_string(certificate).expect("gpg wrote a revocation");
    // gpg puts a colon before the armour so the file cannot be imported by accident.
    gpg.ok(
        &["--import"],
        certificate.replace(":-----BEGIN", "-----BEGIN").as_bytes(),
    );
    let refused = pgp(
        dir.path(),
        &["import", "-"],
        &env,
        &gpg.export_secret(&revoked),
    );
    assert_eq!(refused.code, Some(1));
    assert!(
        refused.stderr.contains("the key has been revoked"),
        "{}",
        refused.stderr
    );
}

#[tokio::test]
async fn a_report_encrypted_to_the_desk_is_read_by_staff_only_on_request() {
    let Some(gpg) = Gpg::new() else { return };
    let app = TestApp::start();
    let generated = pgp(
        app.data_dir(),
        &[
            "generate",
            "--name",
            "Example Security",
            "--email",
            "security@example.org",
        ],
        &[],
        "",
    );
    assert_eq!(generated.code, Some(0), "{}", generated.stderr);
    let fingerprint = printed_fingerprint(&generated.stdout);
    let form = app.get("/report").await.text().await.expect("html");
    assert!(
        form.contains("id=\"summary-encryption\""),
        "the form offers encryption"
    );
    let public_key = app.get("/pgp-key.txt").await.text().await.expect("key");
    gpg.ok(&["--import"], public_key.as_bytes());

    let secret = "Blind SQL injection in /search: q=1' AND sleep(5)-- takes five seconds.";
    let encrypted = gpg.encrypt_to(&fingerprint, secret.as_bytes());
    let created = app
        .submit(&serde_json::json!({"title": "Encrypted report", "summary": encrypted}))
        .await;
    let reference = created["reference"].as_str().expect("reference").to_owned();
    let plain = app.submit(&crate::app::anonymous_report()).await;

    let staff = crate::staff::signed_in_account(&app, "tri@example.org", "triager", &[]).await;
    let page_url = app.at(&format!("/staff/reports/{reference}"));
    let page = staff
        .get(&page_url)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(page.contains("id=\"decrypt\""), "{page}");
    assert!(
        !page.contains("sleep(5)"),
        "nothing is decrypted before it is asked for"
    );
    let csrf = crate::staff::csrf_token(&page);
    let decrypt = |reference: String| {
        staff
            .post(app.at(&format!("/staff/reports/{reference}/decrypt")))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
    };
    let response = decrypt(reference.clone()).await.expect("sent");
    assert_eq!(response.status(), 200);
    let shown = response.text().await.expect("html");
    assert!(
        shown.contains("q=1&#39; AND sleep(5)-- takes five seconds."),
        "{shown}"
    );
    let plain_reference = plain["reference"].as_str().expect("reference").to_owned();
    assert_eq!(decrypt(plain_reference).await.expect("sent").status(), 409);
    let again = staff
        .get(&page_url)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(!again.contains("sleep(5)"), "the plain text is not kept");

    let admin = crate::staff::signed_in_account(&app, "boss@example.org", "admin", &[]).await;
    let audit = admin
        .get(app.at("/staff/audit"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(audit.contains("report.decrypt"), "{audit}");
}
