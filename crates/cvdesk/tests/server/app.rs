//! `TestApp`: the real server as a child process.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

pub struct TestApp {
    pub url: String,
    /// Every line the server printed on standard output after the first.
    pub output: Arc<Mutex<Vec<String>>>,
    pub client: reqwest::Client,
    child: Child,
    data: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let mut app = Self::spawn(&data, args);
        app._dir = Some(dir);
        app
    }

    /// The server as an operator starts it: the intake challenge and the rate limits at
    /// their defaults.
    pub fn start_with_defaults() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let mut app = Self::launch(&data, &[], false);
        app._dir = Some(dir);
        app
    }

    /// The server started from a shell that first sets `umask` (such as "022"), as an
    /// operator's shell would.
    pub fn start_under_umask(umask: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let mut shell = Command::new("sh");
        shell.args(["-c", &format!("umask {umask} && exec \"$0\" \"$@\"")]);
        shell.arg(env!("CARGO_BIN_EXE_cvdesk"));
        let mut app = Self::launch_from(shell, &data, &[], true);
        app._dir = Some(dir);
        app
    }

    fn spawn(data: &Path, args: &[&str]) -> Self {
        Self::launch(data, args, true)
    }

    /// Starts the server; `relaxed` turns off the intake challenge and the rate limits.
    fn launch(data: &Path, args: &[&str], relaxed: bool) -> Self {
        Self::launch_from(
            Command::new(env!("CARGO_BIN_EXE_cvdesk")),
            data,
            args,
            relaxed,
        )
    }

    /// Starts the server with `command` (the binary, or something that runs it).
    fn launch_from(mut command: Command, data: &Path, args: &[&str], relaxed: bool) -> Self {
        command
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(args)
            .env_remove("CVDESK_DATABASE_URL")
            .env_remove("CVDESK_CONFIG")
            .env_remove("CVDESK_TRUSTED_PROXIES")
            .env_remove("CVDESK_CLIENT_ADDRESS_HEADER")
            .env_remove("CVDESK_SMTP_URL")
            .env_remove("CVDESK_SMTP_URL_FILE")
            .env_remove("CVDESK_MAIL_FROM")
            .env_remove("CVDESK_MAIL_STAFF_RECIPIENTS")
            // Tests send many reports from one address; those about abuse turn these on
            // with flags, which win over the environment.
            .env("CVDESK_INTAKE_CHALLENGE", "off")
            .env("CVDESK_RATE_LIMIT_REPORTS", "off")
            .env("CVDESK_RATE_LIMIT_TRACKING", "off")
            .env("CVDESK_RATE_LIMIT_REPLIES", "off")
            .env("CVDESK_RATE_LIMIT_SIGN_IN", "off")
            .env("CVDESK_RATE_LIMIT_QUESTION_ANSWERS", "off")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if !relaxed {
            let relaxations: Vec<OsString> = command
                .get_envs()
                .filter(|(_, value)| *value == Some(OsStr::new("off")))
                .map(|(name, _)| name.to_owned())
                .collect();
            for name in relaxations {
                command.env_remove(name);
            }
        }
        let mut child = command.spawn().expect("cvdesk starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).expect("read stdout");
        // Keep reading so the server never writes into a closed pipe.
        let output = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                collected.lock().expect("lock").push(line);
            }
        });
        let url = line
            .trim()
            .strip_prefix("cvdesk listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        TestApp {
            url,
            output,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            child,
            data: data.to_path_buf(),
            _dir: None,
        }
    }

    /// The server on a data folder that exists already (a restored or copied store).
    pub fn start_on(data: &Path) -> Self {
        Self::spawn(data, &[])
    }

    /// Makes a new, empty store in `data` the only way the desk does: `serve` starts on
    /// it, and is stopped.
    pub fn create_store(data: &Path) {
        drop(Self::spawn(data, &[]));
    }

    /// Kills the server without warning (SIGKILL) and starts a new one on the same data.
    pub fn kill_and_restart(self) -> Self {
        self.kill_and_restart_with(&[])
    }

    pub fn kill_and_restart_with(mut self, args: &[&str]) -> Self {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
        let mut restarted = Self::spawn(&self.data, args);
        restarted._dir = self._dir.take();
        restarted
    }

    /// Starts a new server on the same data once this one has exited (after
    /// `terminate_within`).
    pub fn start_again_with(mut self, args: &[&str]) -> Self {
        self.child.wait().expect("reaped");
        let mut restarted = Self::spawn(&self.data, args);
        restarted._dir = self._dir.take();
        restarted
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks the server to stop (SIGTERM) and waits up to `limit` for it to exit; whether
    /// it did.
    pub fn terminate_within(&mut self, limit: std::time::Duration) -> bool {
        let signalled = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(signalled.success(), "SIGTERM sent");
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if self.child.try_wait().expect("waited").is_some() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.at(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.at(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Submits `report` through the API and returns the 201 body.
    pub async fn submit(&self, report: &Value) -> Value {
        let response = self.post_json("/api/v1/reports", report).await;
        let status = response.status();
        let body: Value = response.json().await.expect("json body");
        assert_eq!(status, 201, "{body}");
        body
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A complete report with every optional field filled.
pub fn full_report() -> Value {
    json!({
        "asset": "https://shop.example.org/search",
        "weakness": "CWE-89",
        "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "title": "SQL injection in product search",
        "summary": "The q parameter is concatenated into SQL.",
        "steps_to_reproduce": "1. GET /search?q='\n2. See the database error",
        "impact": "Full read access to the customer database.",
        "mitigation": "Use bound parameters.",
        "contact": {"name": "Ada", "email": "ada@example.org"},
        "credit": true
    })
}

/// Only the mandatory fields: an anonymous report.
pub fn anonymous_report() -> Value {
    json!({
        "title": "Open redirect on login",
        "summary": "next= accepts any URL.",
        "steps_to_reproduce": "Visit /login?next=https://evil.example",
        "impact": "Phishing."
    })
}

/// Runs `cvdesk ARGS…` with `stdin` as standard input; returns the exit code and stdout.
pub fn run_cli(args: &[&str], stdin: &str) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("written");
    let output = child.wait_with_output().expect("finished");
    (
        output.status.code(),
        String::from_utf8(output.stdout).expect("utf-8"),
    )
}

impl TestApp {
    /// Waits up to five seconds for a printed line containing `needle`.
    pub fn printed_line(&self, needle: &str) -> String {
        for _ in 0..50 {
            if let Some(line) = self
                .output
                .lock()
                .expect("lock")
                .iter()
                .find(|l| l.contains(needle))
            {
                return line.clone();
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the server never printed {needle:?}");
    }
}
