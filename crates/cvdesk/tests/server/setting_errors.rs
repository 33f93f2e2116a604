//! A refused setting is named by where its value came from: the flag and its environment
//! variable together when given either (`--smtp-url / CVDESK_SMTP_URL: …`), its key when
//! read from the configuration file (`mail.smtp_url: …`).

use std::process::Command;

/// How the wrong value is given.
enum Given<'a> {
    Flag,
    Variable,
    File(&'a str),
}

/// Starts `serve` with `extra` flags and the setting given one way; returns what it said.
fn refusal(flag: &str, variable: &str, value: &str, given: Given<'_>, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_cvdesk"));
    command
        .arg("serve")
        .arg("--data")
        .arg(dir.path().join("d"))
        .args(extra);
    if flag != "--listen" {
        command.args(["--listen", "127.0.0.1:0"]);
    }
    for name in [
        "CVDESK_DATABASE_URL",
        "CVDESK_CONFIG",
        "CVDESK_SMTP_URL",
        "CVDESK_MAIL_FROM",
        "CVDESK_MAIL_STAFF_RECIPIENTS",
        "CVDESK_TRUSTED_PROXIES",
        "CVDESK_CLIENT_ADDRESS_HEADER",
        "CVDESK_LISTEN",
    ] {
        command.env_remove(name);
    }
    match given {
        Given::Flag => {
            command.arg(format!("{flag}={value}"));
        }
        Given::Variable => {
            command.env(variable, value);
        }
        Given::File(text) => {
            let path = dir.path().join("cvdesk.toml");
            std::fs::write(&path, text).expect("config written");
            command.arg("--config").arg(path);
        }
    }
    let output = command.output().expect("ran");
    assert!(!output.status.success(), "{flag}={value} was accepted");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

struct Case {
    flag: &'static str,
    variable: &'static str,
    value: &'static str,
    /// The configuration file giving the same value, and the key it is named by.
    file: Option<(&'static str, &'static str)>,
    /// Flags the setting needs beside it to be the one refused.
    extra: &'static [&'static str],
    /// What the message says after the name.
    reason: &'static str,
}

const CASES: &[Case] = &[
    Case {
        flag: "--public-url",
        variable: "CVDESK_PUBLIC_URL",
        value: "example.org",
        file: Some(("public_url = \"example.org\"", "public_url")),
        extra: &[],
        reason: ": 'example.org' must be an http:// or https:// URL",
    },
    Case {
        flag: "--organization-name",
        variable: "CVDESK_ORGANIZATION_NAME",
        value: " ",
        file: Some(("organization_name = \" \"", "organization_name")),
        extra: &[],
        reason: ": must not be empty",
    },
    Case {
        flag: "--reference-prefix",
        variable: "CVDESK_REFERENCE_PREFIX",
        value: "cvd-x",
        file: Some(("reference_prefix = \"cvd-x\"", "reference_prefix")),
        extra: &[],
        reason: ": ",
    },
    Case {
        flag: "--attachment-max-file-bytes",
        variable: "CVDESK_ATTACHMENT_MAX_FILE_BYTES",
        value: "0",
        file: Some((
            "[attachments]\nmax_file_bytes = 0",
            "attachments.max_file_bytes",
        )),
        extra: &[],
        reason: ": attachment size limits must be greater than zero",
    },
    Case {
        flag: "--attachment-max-total-bytes",
        variable: "CVDESK_ATTACHMENT_MAX_TOTAL_BYTES",
        value: "0",
        file: Some((
            "[attachments]\nmax_total_bytes = 0",
            "attachments.max_total_bytes",
        )),
        extra: &[],
        reason: ": attachment size limits must be greater than zero",
    },
    Case {
        flag: "--log-format",
        variable: "CVDESK_LOG_FORMAT",
        value: "xml",
        file: Some(("log_format = \"xml\"", "log_format")),
        extra: &[],
        reason: ": 'xml' is not one of: text, json",
    },
    Case {
        flag: "--intake-challenge",
        variable: "CVDESK_INTAKE_CHALLENGE",
        value: "maybe",
        file: Some(("[intake]\nchallenge = \"maybe\"", "intake.challenge")),
        extra: &[],
        reason: ": 'maybe' is not on or off",
    },
    Case {
        flag: "--challenge-difficulty",
        variable: "CVDESK_CHALLENGE_DIFFICULTY",
        value: "40",
        file: Some((
            "[intake]\nchallenge_difficulty = 40",
            "intake.challenge_difficulty",
        )),
        extra: &[],
        reason: ": 40 is outside 8 to 24",
    },
    Case {
        flag: "--rate-limit-reports",
        variable: "CVDESK_RATE_LIMIT_REPORTS",
        value: "3 per minute",
        file: Some((
            "[rate_limits]\nreports = \"3 per minute\"",
            "rate_limits.reports",
        )),
        extra: &[],
        reason: ": ",
    },
    Case {
        flag: "--rate-limit-tracking",
        variable: "CVDESK_RATE_LIMIT_TRACKING",
        value: "3 per minute",
        file: Some((
            "[rate_limits]\ntracking = \"3 per minute\"",
            "rate_limits.tracking",
        )),
        extra: &[],
        reason: ": ",
    },
    Case {
        flag: "--rate-limit-replies",
        variable: "CVDESK_RATE_LIMIT_REPLIES",
        value: "3 per minute",
        file: Some((
            "[rate_limits]\nreplies = \"3 per minute\"",
            "rate_limits.replies",
        )),
        extra: &[],
        reason: ": ",
    },
    Case {
        flag: "--rate-limit-sign-in",
        variable: "CVDESK_RATE_LIMIT_SIGN_IN",
        value: "3 per minute",
        file: Some((
            "[rate_limits]\nsign_in = \"3 per minute\"",
            "rate_limits.sign_in",
        )),
        extra: &[],
        reason: ": ",
    },
    Case {
        flag: "--rate-limit-question-answers",
        variable: "CVDESK_RATE_LIMIT_QUESTION_ANSWERS",
        value: "3 per minute",
        file: Some((
            "[rate_limits]\nquestion_answers = \"3 per minute\"",
            "rate_limits.question_answers",
        )),
        extra: &[],
        reason: ": ",
    },
    Case {
        flag: "--trusted-proxy",
        variable: "CVDESK_TRUSTED_PROXIES",
        value: "proxy.example",
        file: Some(("trusted_proxies = [\"proxy.example\"]", "trusted_proxies")),
        extra: &["--client-address-header", "x-real-ip"],
        reason: ": 'proxy.example' is not an address or network",
    },
    Case {
        flag: "--client-address-header",
        variable: "CVDESK_CLIENT_ADDRESS_HEADER",
        value: "true-client-ip",
        file: Some((
            "client_address_header = \"true-client-ip\"",
            "client_address_header",
        )),
        extra: &["--trusted-proxy", "10.0.0.0/8"],
        reason: ": ",
    },
    Case {
        flag: "--smtp-url",
        variable: "CVDESK_SMTP_URL",
        value: "smtpx://mail.example.org",
        file: Some((
            "[mail]\nsmtp_url = \"smtpx://mail.example.org\"",
            "mail.smtp_url",
        )),
        extra: &["--mail-from", "security@example.org"],
        reason: ": the scheme 'smtpx'",
    },
    Case {
        flag: "--mail-from",
        variable: "CVDESK_MAIL_FROM",
        value: "not an address",
        file: Some(("[mail]\nfrom = \"not an address\"", "mail.from")),
        extra: &["--smtp-url", "smtp://127.0.0.1:2525"],
        reason: ": 'not an address' is not an e-mail address",
    },
    Case {
        flag: "--mail-staff-recipient",
        variable: "CVDESK_MAIL_STAFF_RECIPIENTS",
        value: "nobody",
        file: Some((
            "[mail]\nstaff_recipients = [\"nobody\"]",
            "mail.staff_recipients",
        )),
        extra: &[],
        reason: ": 'nobody' is not an e-mail address",
    },
    Case {
        flag: "--outbound-allow-private",
        variable: "CVDESK_OUTBOUND_ALLOW_PRIVATE",
        value: "maybe",
        file: Some((
            "[outbound]\nallow_private = \"maybe\"",
            "outbound.allow_private",
        )),
        extra: &[],
        reason: ": 'maybe' is not on or off",
    },
    Case {
        flag: "--database-url",
        variable: "CVDESK_DATABASE_URL",
        value: "mysql://root@db/x",
        file: Some(("database_url = \"mysql://root@db/x\"", "database_url")),
        extra: &[],
        reason: ": unsupported database URL",
    },
    Case {
        flag: "--attachment-storage",
        variable: "CVDESK_ATTACHMENT_STORAGE",
        value: "disk",
        file: Some(("[attachments]\nstorage = \"disk\"", "attachments.storage")),
        extra: &[],
        reason: ": 'disk' is not one of: store, s3",
    },
    Case {
        flag: "--s3-bucket",
        variable: "CVDESK_S3_BUCKET",
        value: "Desk_Files",
        file: Some((
            "[attachments]\ns3_bucket = \"Desk_Files\"",
            "attachments.s3_bucket",
        )),
        extra: &["--attachment-storage", "s3"],
        reason: ": 'Desk_Files' is not a bucket name",
    },
    Case {
        flag: "--s3-endpoint",
        variable: "CVDESK_S3_ENDPOINT",
        value: "s3.example.org",
        file: Some((
            "[attachments]\ns3_endpoint = \"s3.example.org\"",
            "attachments.s3_endpoint",
        )),
        extra: &["--attachment-storage", "s3", "--s3-bucket", "desk-files"],
        reason: ": 's3.example.org' is not an endpoint",
    },
];

#[test]
fn each_refused_setting_is_named_by_where_it_came_from() {
    for case in CASES {
        let given = format!("{} / {}{}", case.flag, case.variable, case.reason);
        for how in [Given::Flag, Given::Variable] {
            let said = refusal(case.flag, case.variable, case.value, how, case.extra);
            assert!(said.contains(&given), "{given}: {said}");
            assert_eq!(said.matches(case.variable).count(), 1, "said once: {said}");
        }
        if let Some((text, key)) = case.file {
            let said = refusal(
                case.flag,
                case.variable,
                case.value,
                Given::File(text),
                case.extra,
            );
            let named = format!("{key}{}", case.reason);
            assert!(said.contains(&named), "{named}: {said}");
            assert!(!said.contains(case.variable), "{said}");
        }
    }
}

#[test]
fn values_clap_refuses_name_the_variable_too() {
    for (flag, variable, value) in [
        (
            "--challenge-difficulty",
            "CVDESK_CHALLENGE_DIFFICULTY",
            "many",
        ),
        (
            "--attachment-max-files",
            "CVDESK_ATTACHMENT_MAX_FILES",
            "-1",
        ),
        (
            "--attachment-max-file-bytes",
            "CVDESK_ATTACHMENT_MAX_FILE_BYTES",
            "1MB",
        ),
        ("--metrics-listen", "CVDESK_METRICS_LISTEN", "nowhere"),
        ("--listen", "CVDESK_LISTEN", "nowhere"),
    ] {
        for how in [Given::Flag, Given::Variable] {
            let said = refusal(flag, variable, value, how, &[]);
            assert!(
                said.contains(&format!("invalid value '{value}' for '{flag} <"))
                    && said.contains(&format!("> / {variable}'")),
                "{said}"
            );
        }
    }
    // An admin command reads serve's settings from the environment only, and names both.
    let output = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args(["user", "list", "--data", "/nonexistent/desk"])
        .env("CVDESK_CHALLENGE_DIFFICULTY", "many")
        .output()
        .expect("ran");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("'--challenge-difficulty <BITS> / CVDESK_CHALLENGE_DIFFICULTY'"),
        "{said}"
    );
}
