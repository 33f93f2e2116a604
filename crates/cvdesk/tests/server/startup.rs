//! What `serve` says as it starts: the configuration as fields with secrets hidden and
//! the data folder as an absolute path, no colour codes into a file, and one line on the
//! organization key (unlocked, missing passphrase, wrong passphrase, no key).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// Starts `serve` in `cwd` with `args` and `env`, waits until it listens, stops it and
/// returns what it logged to standard error (a file, as under a service manager).
fn started_log(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let log = cwd.join(format!("serve-{}.log", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(cwd)
        .env_remove("CVDESK_DATABASE_URL")
        .env_remove("CVDESK_CONFIG")
        .env_remove("CVDESK_SMTP_URL")
        .env_remove("CVDESK_PGP_PASSPHRASE")
        .env_remove("CVDESK_PGP_PASSPHRASE_FILE")
        .env_remove("CVDESK_LOG")
        .env_remove("CVDESK_LOG_FORMAT")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    child.kill().expect("killed");
    child.wait().expect("reaped");
    assert!(first.starts_with("cvdesk listening on "), "{first:?}");
    let text = std::fs::read_to_string(&log).expect("log read");
    std::fs::remove_file(&log).expect("log removed");
    text
}

#[test]
fn the_start_up_line_lists_the_settings_without_secrets_or_colour() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = started_log(
        dir.path(),
        &[
            "--data",
            "desk",
            "--smtp-url",
            "smtp+starttls://mailer:hunter2@mail.example.org",
            "--mail-from",
            "security@example.org",
        ],
        &[],
    );
    assert!(!log.contains('\u{1b}'), "no colour codes in a file: {log}");
    let line = log
        .lines()
        .find(|line| line.contains("starting"))
        .expect("a start-up line");
    let database = dir.path().join("desk").join("cvdesk.db");
    for field in [
        "listen=127.0.0.1:0".to_owned(),
        format!("store=SQLite database {}", database.display()),
        "smtp_url=smtp+starttls://mailer:".to_owned(),
        "intake_challenge=".to_owned(),
        "rate_limit_reports=".to_owned(),
    ] {
        assert!(line.contains(&field), "{field}: {line}");
    }
    assert!(!line.contains("hunter2"), "{line}");
    assert!(!line.contains("ServeConfig"), "not a Debug dump: {line}");

    let json = started_log(dir.path(), &["--data", "desk", "--log-format", "json"], &[]);
    let start: serde_json::Value = json
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .find(|entry: &serde_json::Value| entry["fields"]["message"] == "starting")
        .expect("a JSON start-up entry");
    assert_eq!(start["fields"]["listen"], "127.0.0.1:0");
    assert_eq!(
        start["fields"]["store"],
        format!("SQLite database {}", database.display())
    );
}

/// `cvdesk pgp generate` into `data`, locked with `passphrase`.
fn generate_key(data: &Path, passphrase: &str) {
    let generated = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args([
            "pgp",
            "generate",
            "--name",
            "Desk",
            "--email",
            "desk@example.org",
        ])
        .arg("--data")
        .arg(data)
        .env_remove("CVDESK_DATABASE_URL")
        .env_remove("CVDESK_CONFIG")
        .env_remove("CVDESK_PGP_PASSPHRASE_FILE")
        .env("CVDESK_PGP_PASSPHRASE", passphrase)
        .output()
        .expect("ran");
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
}

#[test]
fn the_organization_key_is_tried_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = ["--data", "desk"];
    let without_key = started_log(dir.path(), &data, &[]);
    assert!(
        without_key.contains("no organization OpenPGP key"),
        "{without_key}"
    );
    generate_key(&dir.path().join("desk"), "correct horse");

    let missing = started_log(dir.path(), &data, &[]);
    let line = missing
        .lines()
        .find(|line| line.contains("organization key"))
        .expect("a key line");
    assert!(
        line.contains("protected by a passphrase and none is set"),
        "{line}"
    );
    assert!(line.contains("CVDESK_PGP_PASSPHRASE"), "{line}");
    assert!(
        line.contains("not signed"),
        "says what stops working: {line}"
    );

    let wrong = started_log(dir.path(), &data, &[("CVDESK_PGP_PASSPHRASE", "wrong")]);
    assert!(
        wrong.contains("does not unlock the organization key"),
        "{wrong}"
    );

    let right = started_log(
        dir.path(),
        &data,
        &[("CVDESK_PGP_PASSPHRASE", "correct horse")],
    );
    assert!(right.contains("the organization key unlocks"), "{right}");
    assert_eq!(
        right.matches("organization key").count(),
        1,
        "one line: {right}"
    );
}

#[test]
fn a_host_name_to_listen_on_is_resolved_and_a_bad_one_refused_with_examples() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("cvdesk.toml");
    std::fs::write(&config, "listen = \"localhost:0\"\n").expect("written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args(["serve", "--data", "desk", "--config"])
        .arg(&config)
        .current_dir(dir.path())
        .env_remove("CVDESK_LISTEN")
        .env_remove("CVDESK_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    child.kill().expect("killed");
    child.wait().expect("reaped");
    assert!(
        first.starts_with("cvdesk listening on http://127.0.0.1:")
            || first.starts_with("cvdesk listening on http://[::1]:"),
        "{first:?}"
    );

    let refused = |args: &[&str], file: &str| {
        std::fs::write(&config, file).expect("written");
        let output = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
            .args(["serve", "--data", "desk", "--config"])
            .arg(&config)
            .args(args)
            .current_dir(dir.path())
            .env_remove("CVDESK_LISTEN")
            .output()
            .expect("ran");
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let flag = refused(&["--listen", "nowhere"], "");
    assert!(flag.contains("--listen"), "the flag is named: {flag}");
    assert!(flag.contains("localhost:8080"), "an example: {flag}");
    let file = refused(&[], "listen = \"localhost\"\n");
    assert!(file.contains("listen: 'localhost' is not"), "{file}");
    assert!(file.contains("localhost:8080"), "{file}");
}

#[test]
fn a_changed_policy_table_is_named_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("cvdesk.toml");
    let args = ["--data", "desk", "--config", "cvdesk.toml"];
    std::fs::write(&config, "[policy]\nresponse_days = 5\n").expect("written");
    let first = started_log(dir.path(), &args, &[]);
    assert!(!first.contains("no longer matches"), "{first}");
    let same = started_log(dir.path(), &args, &[]);
    assert!(!same.contains("no longer matches"), "{same}");
    std::fs::write(&config, "[policy]\nresponse_days = 3\nrewards = true\n").expect("written");
    let changed = started_log(dir.path(), &args, &[]);
    let line = changed
        .lines()
        .find(|line| line.contains("no longer matches the published policy"))
        .expect("a warning");
    assert!(line.contains("response_days, rewards"), "{line}");
    assert!(
        line.contains("/staff/policy"),
        "says how to publish: {line}"
    );
}
