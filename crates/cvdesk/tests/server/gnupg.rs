//! A throwaway GnuPG home for the tests that check OpenPGP against gpg; its agent is
//! stopped when dropped.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    /// `None`, after saying so, when gpg is not installed.
    pub fn new() -> Option<Self> {
        let found = Command::new("gpg")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !found {
            eprintln!("skipped: gpg is not installed (scripts/test installs the gnupg package)");
            return None;
        }
        Some(Gpg::fresh())
    }

    /// A new home, for callers that already know gpg is installed.
    pub fn fresh() -> Self {
        // Short, under /tmp: gpg-agent's socket path has a length limit.
        Gpg {
            home: tempfile::Builder::new()
                .prefix("gpg")
                .tempdir_in("/tmp")
                .expect("temp dir"),
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Runs gpg in batch mode on this home, `stdin` given, and returns what it did.
    pub fn run(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = Command::new("gpg")
            .arg("--homedir")
            .arg(self.home())
            .args(["--batch", "--no-tty", "--pinentry-mode", "loopback"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gpg runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin)
            .expect("written");
        child.wait_with_output().expect("gpg finished")
    }

    /// Like `run`, for a command that must succeed; returns its standard output.
    pub fn ok(&self, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let output = self.run(args, stdin);
        assert!(
            output.status.success(),
            "gpg {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.home())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}
