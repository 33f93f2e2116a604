//! The operator's shell kit: completion scripts and manual pages generated from the
//! command-line definition. The bash script is valid bash and completes every command;
//! each manual page renders with groff without a warning.

use std::path::Path;
use std::process::Command;

const COMMANDS: &[&str] = &[
    "serve",
    "check-config",
    "cvss",
    "securitytxt",
    "user",
    "product",
    "token",
    "audit",
    "pgp",
    "vendor",
    "mail",
    "import",
    "retention",
    "backup",
    "restore",
    "store",
    "completions",
    "man",
];

fn cvdesk(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args(args)
        .output()
        .expect("ran")
}

fn tool_present(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

#[test]
fn the_bash_completion_is_valid_bash_and_names_every_command() {
    let output = cvdesk(&["completions", "bash"]);
    assert!(output.status.success(), "{output:?}");
    let script = String::from_utf8(output.stdout).expect("utf-8");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cvdesk.bash");
    std::fs::write(&path, &script).expect("written");
    let checked = Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash ran");
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    for command in COMMANDS {
        assert!(
            script.contains(&format!("cvdesk__{}", command.replace('-', "__")))
                || script.contains(&format!("cvdesk,{command})")),
            "the script does not complete {command}"
        );
    }
    // The flags of a nested command are completed too.
    assert!(script.contains("--email"), "user add's --email");
    assert!(script.contains("--database-url"));
}

#[test]
fn the_bash_completion_completes_a_subcommand_in_bash() {
    let output = cvdesk(&["completions", "bash"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cvdesk.bash");
    std::fs::write(&path, output.stdout).expect("written");
    // Ask the completion function what follows `cvdesk che`, as bash would on Tab.
    let probe = format!(
        "source '{}'; COMP_WORDS=(cvdesk che); COMP_CWORD=1; COMP_LINE='cvdesk che'; \
         COMP_POINT=${{#COMP_LINE}}; _cvdesk cvdesk che cvdesk; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let completed = Command::new("bash")
        .args(["-c", &probe])
        .output()
        .expect("bash ran");
    let words = String::from_utf8_lossy(&completed.stdout);
    assert_eq!(words.trim(), "check-config", "{completed:?}");
}

#[test]
fn every_shell_gets_a_script_and_an_unknown_shell_is_named() {
    for (shell, marker) in [
        ("zsh", "#compdef cvdesk"),
        ("fish", "complete -c cvdesk"),
        ("elvish", "edit:completion:arg-completer[cvdesk]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = cvdesk(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).expect("utf-8");
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("check-config"), "{shell}");
    }
    let refused = cvdesk(&["completions", "tcsh"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("'tcsh'"), "{message}");
    assert!(message.contains("bash"), "{message}");
}

/// Renders a page as `man` would and returns groff's warnings.
fn groff_warnings(page: &Path) -> String {
    let rendered = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(page)
        .output()
        .expect("groff ran");
    assert!(rendered.status.success(), "{}", page.display());
    String::from_utf8_lossy(&rendered.stderr).into_owned()
}

#[test]
fn the_manual_pages_are_written_one_per_command_and_render_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("man1");
    let output = cvdesk(&["man", "--out", folder.to_str().expect("utf-8 path")]);
    assert!(output.status.success(), "{output:?}");
    let mut pages: Vec<String> = std::fs::read_dir(&folder)
        .expect("folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    pages.sort();
    for expected in [
        "cvdesk.1",
        "cvdesk-serve.1",
        "cvdesk-user-add.1",
        "cvdesk-store-copy.1",
    ] {
        assert!(
            pages.iter().any(|page| page == expected),
            "{expected} in {pages:?}"
        );
    }
    for command in COMMANDS {
        assert!(pages.contains(&format!("cvdesk-{command}.1")), "{command}");
    }
    let main_page = std::fs::read_to_string(folder.join("cvdesk.1")).expect("page");
    assert!(main_page.starts_with(".ie \\n(.g .ds Aq") || main_page.contains(".TH cvdesk 1"));
    let serve_page = std::fs::read_to_string(folder.join("cvdesk-serve.1")).expect("page");
    assert!(serve_page.contains("CVDESK_SMTP_URL"), "serve's settings");
    assert!(
        serve_page.contains("CVDESK_PGP_PASSPHRASE_FILE"),
        "the environment section"
    );

    if !tool_present("groff") {
        assert!(
            std::env::var_os("CVDESK_TEST_MAN").is_none(),
            "groff is missing and CVDESK_TEST_MAN asks for the pages to be rendered"
        );
        eprintln!("groff is not installed: the pages were not rendered");
        return;
    }
    for page in &pages {
        let warnings = groff_warnings(&folder.join(page));
        assert!(warnings.is_empty(), "{page}: {warnings}");
    }
}

#[test]
fn the_main_page_goes_to_standard_output_without_a_folder() {
    let output = cvdesk(&["man"]);
    assert!(output.status.success(), "{output:?}");
    let page = String::from_utf8(output.stdout).expect("utf-8");
    assert!(page.contains(".TH cvdesk 1"), "{page}");
    assert!(
        page.is_ascii(),
        "characters outside ASCII are groff escapes"
    );
    for command in COMMANDS {
        let name = format!("cvdesk\\-{}(1)", command.replace('-', "\\-"));
        assert!(page.contains(&name), "{name}");
    }
}

#[test]
fn a_folder_that_cannot_be_made_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").expect("written");
    let inside = file.join("man1");
    let output = cvdesk(&["man", "--out", inside.to_str().expect("utf-8 path")]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("could not create"), "{message}");
    assert!(message.contains("a-file/man1"), "{message}");
}
