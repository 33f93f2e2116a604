//! `cvdesk check-config` on the real binary: each error and risk it names, exit 1 only
//! for errors, and a production-ready configuration with nothing to say.

use std::path::Path;
use std::process::Command;

use crate::app::TestApp;

/// Runs `check-config ARGS…` with `env` and no desk settings from the test's environment;
/// returns the exit code and standard output.
fn check(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cvdesk"));
    command.arg("check-config").args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("CVDESK_") {
            command.env_remove(name);
        }
    }
    let output = command.envs(env.iter().copied()).output().expect("ran");
    (
        output.status.code(),
        String::from_utf8(output.stdout).expect("utf-8"),
    )
}

/// A desk's store with an organization key locked by `passphrase`.
fn store_with_key(data: &Path, passphrase: &str) {
    TestApp::create_store(data);
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
    assert!(generated.status.success());
}

const PRODUCTION: &[&str] = &[
    "--public-url",
    "https://security.example.org",
    "--smtp-url",
    "smtp://127.0.0.1:2525",
    "--mail-from",
    "security@example.org",
    "--mail-staff-recipient",
    "triage@example.org",
];

#[test]
fn a_production_configuration_has_nothing_to_say() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    store_with_key(&data, "correct horse");
    let data = data.to_str().expect("utf-8 path");
    let args = [PRODUCTION, &["--data", data]].concat();
    let (code, out) = check(&args, &[("CVDESK_PGP_PASSPHRASE", "correct horse")]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out.trim(), "0 error(s), 0 risk(s)");

    let (code, out) = check(&args, &[("CVDESK_PGP_PASSPHRASE", "wrong")]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("error: the passphrase does not unlock"),
        "{out}"
    );
    let (code, out) = check(&args, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("error: the organization key needs a passphrase"),
        "{out}"
    );
}

#[test]
fn each_risk_is_named_and_exits_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    TestApp::create_store(&data);
    let data = data.to_str().expect("utf-8 path");
    let (code, out) = check(
        &[
            "--data",
            data,
            "--public-url",
            "http://security.example.org",
            "--intake-challenge",
            "off",
            "--rate-limit-reports",
            "off",
            "--listen",
            "0.0.0.0:8080",
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{out}");
    for risk in [
        "risk: the public URL http://security.example.org is http://",
        "risk: no SMTP URL",
        "risk: no organization OpenPGP key",
        "risk: the intake challenge is off",
        "risk: report submissions have no rate limit",
        "risk: listening on 0.0.0.0:8080 (not loopback) with no client address header",
    ] {
        assert!(out.contains(risk), "{risk}: {out}");
    }
    assert!(out.ends_with("0 error(s), 6 risk(s)\n"), "{out}");

    let proxied = check(
        &[
            "--data",
            data,
            "--listen",
            "0.0.0.0:8080",
            "--client-address-header",
            "x-forwarded-for",
            "--trusted-proxy",
            "10.0.0.0/8",
        ],
        &[],
    );
    assert!(!proxied.1.contains("not loopback"), "{}", proxied.1);
    let unset = check(
        &[
            "--data",
            data,
            "--smtp-url",
            "smtp://127.0.0.1:25",
            "--mail-from",
            "a@example.org",
        ],
        &[],
    );
    assert!(unset.1.contains("risk: no public URL"), "{}", unset.1);
    assert!(unset.1.contains("risk: no staff recipients"), "{}", unset.1);
    let elsewhere = dir.path().join("elsewhere");
    let fresh = check(&["--data", elsewhere.to_str().expect("utf-8")], &[]);
    assert!(
        fresh.1.contains("risk: no store at the SQLite database"),
        "{}",
        fresh.1
    );
    assert!(!elsewhere.exists(), "check-config creates nothing");
}

#[test]
fn errors_are_named_and_exit_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    let data = data.to_str().expect("utf-8 path");
    let (code, out) = check(
        &[
            "--data",
            data,
            "--smtp-url",
            "smtpx://mail.example.org",
            "--mail-from",
            "security@example.org",
        ],
        &[],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("error: mail settings:"), "{out}");
    assert_eq!(out.matches("'smtpx'").count(), 1, "said once: {out}");
    let (code, out) = check(&["--data", data, "--challenge-difficulty", "40"], &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("error: ") && out.contains("8 to 24"), "{out}");
    let (code, out) = check(
        &["--database-url", "postgres://desk:hunter2@127.0.0.1:1/desk"],
        &[],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.to_lowercase().contains("connection refused"), "{out}");
    assert!(!out.contains("hunter2"), "{out}");
}
