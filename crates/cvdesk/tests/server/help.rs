//! What `--help` shows: `serve` names the settings it reads from the environment only
//! (the key's passphrase among them), and each admin command shows the store's options
//! and its own, not the twenty of `serve`.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args(args)
        .arg("--help")
        .output()
        .expect("ran");
    assert!(output.status.success(), "{args:?}");
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn serve_help_names_the_passphrase_settings() {
    let text = help(&["serve"]);
    for setting in [
        "CVDESK_PGP_PASSPHRASE ",
        "CVDESK_PGP_PASSPHRASE_FILE",
        "CVDESK_DATABASE_URL_FILE",
        "CVDESK_SMTP_URL_FILE",
        "--rate-limit-reports",
    ] {
        assert!(text.contains(setting), "{setting}: {text}");
    }
}

/// Every admin command that touches the store.
pub const ADMIN_COMMANDS: &[&[&str]] = &[
    &["user", "add"],
    &["user", "list"],
    &["user", "disable"],
    &["user", "enable"],
    &["product", "add"],
    &["token", "create"],
    &["token", "list"],
    &["token", "revoke"],
    &["audit", "verify"],
    &["pgp", "generate"],
    &["pgp", "import"],
    &["pgp", "show"],
    &["vendor", "add"],
    &["vendor", "discover"],
    &["vendor", "list"],
    &["mail", "receive"],
    &["mail", "import"],
    &["mail", "outbox", "list"],
    &["mail", "outbox", "retry"],
    &["mail", "outbox", "discard"],
    &["import", "sarif"],
    &["import", "csv"],
    &["retention", "run"],
];

#[test]
fn admin_help_shows_only_the_options_a_command_uses() {
    for command in ADMIN_COMMANDS {
        let text = help(command);
        for own in ["--data", "--database-url", "--config"] {
            assert!(text.contains(own), "{command:?} lacks {own}: {text}");
        }
        for foreign in [
            "--listen",
            "--rate-limit-reports",
            "--smtp-url",
            "--intake-challenge",
            "--trusted-proxy",
            "--attachment-max-files",
        ] {
            assert!(
                !text.contains(foreign),
                "{command:?} shows {foreign}: {text}"
            );
        }
    }
}
