//! Admin commands never create a store: run where none exists they refuse, naming where
//! they looked and how to point at the desk's data; every one says which store it used.

use std::path::Path;
use std::process::{Command, Output};

use crate::app::TestApp;

/// `cvdesk ARGS…` run in `cwd` with no store settings from the environment.
fn admin(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args(args)
        .current_dir(cwd)
        .env_remove("CVDESK_DATA")
        .env_remove("CVDESK_DATABASE_URL")
        .env_remove("CVDESK_DATABASE_URL_FILE")
        .env_remove("CVDESK_CONFIG")
        .output()
        .expect("ran")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_admin_command_in_the_wrong_folder_refuses_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let added = admin(
        dir.path(),
        &["user", "add", "--email", "a@example.org", "--role", "admin"],
    );
    let errors = stderr(&added);
    assert_eq!(added.status.code(), Some(1), "{errors}");
    let looked_at = dir.path().join("cvdesk-data").join("cvdesk.db");
    assert!(
        errors.contains(&looked_at.display().to_string()),
        "names the absolute path it looked at: {errors}"
    );
    for hint in [
        "only `cvdesk serve` creates one",
        "--data",
        "CVDESK_DATA",
        "--database-url",
    ] {
        assert!(errors.contains(hint), "{hint}: {errors}");
    }
    assert!(!String::from_utf8_lossy(&added.stdout).contains("Created"));
    assert!(
        std::fs::read_dir(dir.path())
            .expect("listed")
            .next()
            .is_none(),
        "no data folder was created"
    );
    for args in [
        &["user", "list", "--data", "elsewhere"][..],
        &["token", "list", "--data", "elsewhere"],
        &["pgp", "show", "--data", "elsewhere"],
        &["audit", "verify", "--data", "elsewhere"],
        &["retention", "run", "--dry-run", "--data", "elsewhere"],
    ] {
        let refused = admin(dir.path(), args);
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(stderr(&refused).contains("no desk's store"), "{args:?}");
    }
    assert!(!dir.path().join("elsewhere").exists());
}

#[test]
fn an_admin_command_says_which_store_it_used() {
    let dir = tempfile::tempdir().expect("temp dir");
    TestApp::create_store(&dir.path().join("desk"));
    // A relative --data is named as the absolute path it resolved to.
    let listed = admin(dir.path(), &["user", "list", "--data", "desk"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let database = dir.path().join("desk").join("cvdesk.db");
    assert!(
        stderr(&listed).contains(&format!("using the SQLite database {}", database.display())),
        "{}",
        stderr(&listed)
    );
}

#[test]
fn an_unreachable_postgres_says_connection_refused_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listed = admin(
        dir.path(),
        &[
            "user",
            "list",
            "--database-url",
            "postgres://desk:hunter2@127.0.0.1:1/desk",
        ],
    );
    let errors = stderr(&listed).to_lowercase();
    assert_eq!(listed.status.code(), Some(1), "{errors}");
    assert!(errors.contains("connection refused"), "{errors}");
    assert!(!errors.contains("timed out"), "{errors}");
    assert!(!errors.contains("hunter2"), "{errors}");
    assert_eq!(errors.matches("connection refused").count(), 1, "{errors}");
}
