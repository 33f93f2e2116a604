//! E-mail through a real SMTP server on loopback (`tests/mail/smtp_sink.py`, aiosmtpd, which
//! stores every message it accepts as a file): what arrives after intake, what never is in
//! plain mail, PGP/MIME that gpg opens, and every mail delivered exactly once across a mail
//! outage and a kill -9. Without python3 and aiosmtpd (or gpg) the tests say so and pass,
//! unless `CVDESK_TEST_MAIL` is set, as `scripts/test` does after installing them.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cvdesk_store::{MailStatus, OutboxEntry, StoreLocation};
use serde_json::Value;

use crate::app::{anonymous_report, full_report, run_cli, TestApp};
use crate::gnupg::Gpg;

const FROM: &str = "Example Security <security@example.org>";
pub const STAFF: &str = "triage@example.org";
pub const FINDER: &str = "ada@example.org";
/// Longer than the sender's poll: a duplicate would have arrived by then.
const QUIET: Duration = Duration::from_secs(7);

/// Whether the tools are here; if not, skipped loudly, or failed under `CVDESK_TEST_MAIL`.
pub fn tools_present(needs_gpg: bool) -> bool {
    let mut missing = Vec::new();
    let aiosmtpd = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !aiosmtpd {
        missing.push("python3 with aiosmtpd (pip install -r tests/oracle/requirements.txt)");
    }
    let gpg = Command::new("gpg")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if needs_gpg && !gpg {
        missing.push("gpg (the gnupg package)");
    }
    if missing.is_empty() {
        return true;
    }
    let message = format!("the mail tests need {}", missing.join(" and "));
    assert!(
        std::env::var_os("CVDESK_TEST_MAIL").is_none(),
        "{message}, and CVDESK_TEST_MAIL is set"
    );
    eprintln!("!!! SKIPPED: {message}; scripts/test installs them and sets CVDESK_TEST_MAIL");
    false
}

pub fn mail_args(port: u16) -> Vec<String> {
    [
        "--smtp-url",
        &format!("smtp://127.0.0.1:{port}"),
        "--mail-from",
        FROM,
        "--mail-staff-recipient",
        STAFF,
    ]
    .iter()
    .map(|arg| (*arg).to_owned())
    .collect()
}

pub fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// The loopback SMTP server, writing what it receives into `inbox`.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    inbox: PathBuf,
}

impl SmtpSink {
    /// Starts on `port` (0: any free one).
    pub fn start(inbox: &Path, port: u16) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/mail/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(inbox)
            .args(["--port", &port.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the SMTP sink did not start: {line:?}"));
        SmtpSink {
            child,
            port,
            inbox: inbox.to_path_buf(),
        }
    }

    fn stop(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reaped");
    }

    fn received(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(&self.inbox) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| Received::parse(&std::fs::read_to_string(path).expect("readable")))
            .collect()
    }

    /// Waits up to two minutes for `count` messages (a retry after an outage comes 30 s
    /// after the failure at the latest), then a little longer for any extra.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..1200 {
            if self.received().len() >= count {
                tokio::time::sleep(QUIET).await;
                return self.received();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} of {count} messages arrived", self.received().len());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One message as the SMTP server received it.
pub struct Received {
    pub raw: String,
    /// The body with quoted-printable undone.
    pub text: String,
}

impl Received {
    pub fn parse(raw: &str) -> Self {
        let body = raw.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        let text = if raw.contains("Content-Transfer-Encoding: quoted-printable") {
            quoted_printable(body)
        } else {
            body.to_owned()
        };
        Received {
            raw: raw.to_owned(),
            text,
        }
    }

    pub fn header(&self, name: &str) -> String {
        let prefix = format!("{name}: ");
        self.raw
            .lines()
            .take_while(|line| !line.is_empty())
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {name} header in\n{}", self.raw))
            .to_owned()
    }

    /// The armored OpenPGP message of a PGP/MIME mail.
    pub fn armored_message(&self) -> &str {
        const END: &str = "-----END PGP MESSAGE-----";
        let start = self
            .raw
            .find("-----BEGIN PGP MESSAGE-----")
            .expect("an armored message");
        let end = self.raw.find(END).expect("its end");
        &self.raw[start..end + END.len()]
    }
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("utf-8")
}

pub fn text(value: &Value, key: &str) -> String {
    value[key].as_str().expect(key).to_owned()
}

/// What a plain mail must never carry about `full_report()` or its tracking link.
pub fn assert_no_details(mail: &Received, tracking_token: &str) {
    for secret in [
        tracking_token,
        "/track/",
        "SQL injection in product search",
        "concatenated into SQL",
        "customer database",
        "search?q=",
    ] {
        assert!(
            !mail.raw.contains(secret) && !mail.text.contains(secret),
            "{secret:?} in\n{}",
            mail.raw
        );
    }
}

#[tokio::test]
async fn intake_mails_the_finder_and_staff_without_details() {
    if !tools_present(false) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let sink = SmtpSink::start(&dir.path().join("inbox"), 0);
    let app = TestApp::start_with(&as_strs(&mail_args(sink.port)));
    let created = app.submit(&full_report()).await;
    let reference = text(&created, "reference");
    let token = text(&created, "tracking_token");
    let anonymous = text(&app.submit(&anonymous_report()).await, "reference");

    let mail = sink.wait_for(3).await;
    assert_eq!(mail.len(), 3, "one acknowledgement, two staff notices");
    for one in &mail {
        assert_no_details(one, &token);
        assert_eq!(
            one.header("From"),
            "\"Example Security\" <security@example.org>"
        );
        assert_eq!(one.header("Auto-Submitted"), "auto-generated");
        assert!(one.header("Message-ID").ends_with("@example.org>"));
        assert!(one.header("Date").ends_with(" +0000"));
    }
    let ids: BTreeSet<String> = mail.iter().map(|m| m.header("Message-ID")).collect();
    assert_eq!(ids.len(), 3);

    let finder: Vec<&Received> = mail.iter().filter(|m| m.header("To") == FINDER).collect();
    let [acknowledgement] = finder.as_slice() else {
        panic!("{} acknowledgements", finder.len());
    };
    assert_eq!(
        acknowledgement.header("Subject"),
        format!("[{reference}] We received your report")
    );
    for expected in [
        "Hello Ada,",
        &format!("    {reference}\r\n"),
        "Within 5 working days you hear from a person",
        "Within 10 working days we tell you whether we confirm",
        "never ask you to sign a non-disclosure agreement",
        &format!("{}/policy", app.url),
        "tracking link from the page that confirmed your",
    ] {
        assert!(
            acknowledgement.text.contains(expected),
            "{expected:?} in\n{}",
            acknowledgement.text
        );
    }

    let mut notified = BTreeSet::new();
    for notice in mail.iter().filter(|m| m.header("To") == STAFF) {
        let subject = notice.header("Subject");
        let about = subject
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix("] New vulnerability report"))
            .unwrap_or_else(|| panic!("subject {subject}"))
            .to_owned();
        let link = format!("{}/staff/reports/{about}", app.url);
        assert!(notice.text.contains(&link), "{link} in\n{}", notice.text);
        assert!(!notice.text.contains("Ada"), "{}", notice.text);
        notified.insert(about);
    }
    assert_eq!(notified, BTreeSet::from([reference, anonymous]));
}

/// A throwaway GnuPG home holding the finder's key pair.
pub struct FinderGpg {
    gpg: Gpg,
}

impl FinderGpg {
    pub fn new() -> Self {
        let gpg = FinderGpg { gpg: Gpg::fresh() };
        gpg.gpg.ok(
            &[
                "--passphrase",
                "",
                "--quick-gen-key",
                "Ada <ada@example.org>",
                "default",
                "default",
                "never",
            ],
            b"",
        );
        gpg
    }

    pub fn public_key(&self) -> String {
        String::from_utf8(self.gpg.ok(&["--armor", "--export", FINDER], b"")).expect("armored")
    }

    pub fn decrypt(&self, armored: &str) -> String {
        let plain = self
            .gpg
            .ok(&["--passphrase", "", "--decrypt"], armored.as_bytes());
        String::from_utf8(plain).expect("utf-8")
    }

    pub fn import(&self, armored_key: &str) {
        self.gpg.ok(&["--import"], armored_key.as_bytes());
    }

    /// The plaintext and gpg's status lines, which report the signature it found.
    pub fn decrypt_with_status(&self, armored: &str) -> (String, String) {
        let output = self.gpg.home().join("decrypted");
        let output = output.to_str().expect("utf-8 path");
        let status = self.gpg.ok(
            &[
                "--passphrase",
                "",
                "--status-fd",
                "1",
                "--yes",
                "--output",
                output,
                "--decrypt",
            ],
            armored.as_bytes(),
        );
        (
            std::fs::read_to_string(output).expect("decrypted"),
            String::from_utf8(status).expect("utf-8"),
        )
    }
}

#[tokio::test]
async fn mail_to_a_finder_with_a_key_is_pgp_mime_that_gpg_opens() {
    if !tools_present(true) {
        return;
    }
    let gpg = FinderGpg::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let sink = SmtpSink::start(&dir.path().join("inbox"), 0);
    let app = TestApp::start_with(&as_strs(&mail_args(sink.port)));
    let data = app.data_dir().to_str().expect("utf-8 path");
    let (code, generated) = run_cli(
        &[
            "pgp",
            "generate",
            "--name",
            "Example Security",
            "--email",
            "security@example.org",
            "--data",
            data,
        ],
        "",
    );
    assert_eq!(code, Some(0), "{generated}");
    let organization_key = app
        .get("/pgp-key.txt")
        .await
        .text()
        .await
        .expect("the organization key");
    gpg.import(&organization_key);
    let mut report = full_report();
    report["contact"]["pgp_key"] = Value::String(gpg.public_key());
    let created = app.submit(&report).await;
    let reference = text(&created, "reference");
    let token = text(&created, "tracking_token");

    let mail = sink.wait_for(2).await;
    assert_eq!(mail.len(), 2);
    for one in &mail {
        assert_no_details(one, &token);
    }
    let acknowledgement = mail
        .iter()
        .find(|m| m.header("To") == FINDER)
        .expect("an acknowledgement");
    let content_type = acknowledgement.header("Content-Type");
    assert!(
        content_type.starts_with("multipart/encrypted;"),
        "{content_type}"
    );
    assert!(
        acknowledgement
            .raw
            .contains("protocol=\"application/pgp-encrypted\""),
        "{}",
        acknowledgement.raw
    );
    assert!(acknowledgement.raw.contains("Version: 1"));

    let (plain, status) = gpg.decrypt_with_status(acknowledgement.armored_message());
    assert!(
        status.contains("[GNUPG:] GOODSIG")
            && status.contains("Example Security <security@example.org>"),
        "not signed by the organization key:\n{status}"
    );
    let decrypted = Received::parse(&plain);
    assert!(
        decrypted
            .raw
            .starts_with("Content-Type: text/plain; charset=utf-8\r\n"),
        "{}",
        decrypted.raw
    );
    for expected in [
        "SQL injection in product search".to_owned(),
        text(&created, "tracking_url"),
        format!("    {reference}\r\n"),
        "non-disclosure agreement".to_owned(),
    ] {
        assert!(
            decrypted.text.contains(&expected),
            "{expected:?} in\n{}",
            decrypted.text
        );
    }
}

async fn outbox(data: &Path) -> Vec<OutboxEntry> {
    let store = cvdesk_store::open(&StoreLocation::Sqlite {
        data_dir: data.to_path_buf(),
    })
    .await
    .expect("store opens");
    store.recent_mail(1000).await.expect("outbox listed")
}

/// Waits until `count` mails have each failed and wait for a retry, none in a send.
async fn wait_until_all_failed_once(data: &Path, count: usize) {
    for _ in 0..300 {
        let entries = outbox(data).await;
        let soon = time::OffsetDateTime::now_utc() + time::Duration::minutes(2);
        let waiting = entries
            .iter()
            .filter(|entry| {
                entry.last_error.is_some()
                    && matches!(entry.status, MailStatus::Pending { next_attempt_at } if next_attempt_at <= soon)
            })
            .count();
        if entries.len() == count && waiting == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the mails never all failed once while SMTP was down");
}

#[tokio::test]
async fn every_mail_arrives_once_across_a_mail_outage_and_a_kill() {
    if !tools_present(false) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let inbox = dir.path().join("inbox");
    let mut sink = SmtpSink::start(&inbox, 0);
    let port = sink.port;
    sink.stop();
    let args = mail_args(port);
    let app = TestApp::start_with(&as_strs(&args));
    let mut references = Vec::new();
    for _ in 0..4 {
        references.push(text(&app.submit(&full_report()).await, "reference"));
    }
    wait_until_all_failed_once(app.data_dir(), 8).await;
    assert!(sink.received().is_empty());

    let sink = SmtpSink::start(&inbox, port);
    let app = app.kill_and_restart_with(&as_strs(&args));
    references.push(text(&app.submit(&full_report()).await, "reference"));

    let mail = sink.wait_for(10).await;
    let delivered: Vec<(String, String)> = mail
        .iter()
        .map(|m| (m.header("To"), m.header("Subject")))
        .collect();
    let expected: BTreeSet<(String, String)> = references
        .iter()
        .flat_map(|reference| {
            [
                (
                    FINDER.to_owned(),
                    format!("[{reference}] We received your report"),
                ),
                (
                    STAFF.to_owned(),
                    format!("[{reference}] New vulnerability report"),
                ),
            ]
        })
        .collect();
    assert_eq!(delivered.len(), 10, "delivered: {delivered:?}");
    assert_eq!(delivered.iter().cloned().collect::<BTreeSet<_>>(), expected);
    let entries = outbox(app.data_dir()).await;
    assert_eq!(entries.len(), 10);
    assert!(
        entries
            .iter()
            .all(|entry| matches!(entry.status, MailStatus::Sent { .. })),
        "{entries:?}"
    );
    let retried = entries.iter().filter(|entry| entry.attempts >= 2).count();
    assert_eq!(
        retried, 8,
        "the mails queued during the outage were retried"
    );
}

#[tokio::test]
async fn two_instances_on_postgresql_send_each_mail_once() {
    let Ok(server_url) = std::env::var("CVDESK_TEST_POSTGRES_URL") else {
        eprintln!("CVDESK_TEST_POSTGRES_URL not set: mail on PostgreSQL skipped");
        return;
    };
    if !tools_present(false) {
        return;
    }
    let url = cvdesk_store::testing::fresh_postgres_database(&server_url).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let sink = SmtpSink::start(&dir.path().join("inbox"), 0);
    let mut args = mail_args(sink.port);
    args.extend(["--database-url".to_owned(), url]);
    let first = TestApp::start_with(&as_strs(&args));
    let second = TestApp::start_with(&as_strs(&args));
    let mut references = BTreeSet::new();
    for i in 0..10 {
        let app = if i % 2 == 0 { &first } else { &second };
        references.insert(text(&app.submit(&full_report()).await, "reference"));
    }
    let mail = sink.wait_for(20).await;
    assert_eq!(mail.len(), 20);
    let ids: BTreeSet<String> = mail.iter().map(|m| m.header("Message-ID")).collect();
    assert_eq!(ids.len(), 20, "no mail sent twice");
    let acknowledged: BTreeSet<String> = mail
        .iter()
        .filter(|m| m.header("To") == FINDER)
        .map(|m| {
            m.header("Subject")
                .replace("] We received your report", "")
                .replace('[', "")
        })
        .collect();
    assert_eq!(acknowledged, references);
}

#[test]
fn bad_mail_settings_stop_the_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refused = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path().join("data"))
            .args(args)
            .env_remove("CVDESK_DATABASE_URL")
            .env_remove("CVDESK_SMTP_URL")
            .env_remove("CVDESK_MAIL_FROM")
            .output()
            .expect("ran");
        assert!(!output.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let scheme = refused(&[
        "--smtp-url",
        "http://mail.example.org",
        "--mail-from",
        FINDER,
    ]);
    assert!(scheme.contains("scheme 'http'"), "{scheme}");
    let no_sender = refused(&["--smtp-url", "smtp://127.0.0.1:25"]);
    assert!(no_sender.contains("CVDESK_MAIL_FROM"), "{no_sender}");
    let clear = refused(&[
        "--smtp-url",
        "smtp://desk:hunter2@mail.example.org",
        "--mail-from",
        FINDER,
    ]);
    assert!(
        clear.contains("unencrypted") && !clear.contains("hunter2"),
        "{clear}"
    );
    let staff = refused(&["--mail-staff-recipient", "triage at example"]);
    assert!(staff.contains("'triage at example'"), "{staff}");
}
