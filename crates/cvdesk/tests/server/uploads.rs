//! Files on their way in: streamed to the store as they arrive (the server's memory does
//! not grow with them), judged by the challenge before any is stored, and gone without a
//! trace when the submission is refused.

use std::path::Path;
use std::time::Duration;

use cvdesk_domain::challenge::solve;
use reqwest::multipart::{Form, Part};

use crate::app::TestApp;

const MIB: usize = 1024 * 1024;

fn text_fields(form: Form) -> Form {
    form.text("title", "Path traversal in the export")
        .text(
            "summary",
            "The file parameter is joined to the export folder.",
        )
        .text("steps_to_reproduce", "GET /export?file=../../etc/passwd")
        .text("impact", "Reads any file the service can.")
}

/// A report whose files fill the default per-report total: 10 + 10 + 5 MiB.
fn full_report(seed: u8) -> Form {
    [10, 10, 5]
        .into_iter()
        .enumerate()
        .fold(text_fields(Form::new()), |form, (index, mib)| {
            form.part(
                "attachments",
                Part::bytes(vec![seed * 3 + index as u8; mib * MIB])
                    .file_name(format!("capture-{index}.pcap")),
            )
        })
}

/// The most memory the server process has held so far (Linux's VmHWM), in bytes.
fn peak_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number");
    kib * 1024
}

/// Every file under the blob folder: stored attachments and staged ones.
fn files_under(folder: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return found;
    };
    for entry in entries.map(|entry| entry.expect("entry")) {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path.display().to_string());
        }
    }
    found
}

/// Waits a little for staged files let go on the blocking pool to disappear.
async fn no_files_under(folder: &Path) -> Vec<String> {
    for _ in 0..50 {
        if files_under(folder).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    files_under(folder)
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_stream_to_disk_instead_of_memory() {
    const CLIENTS: u8 = 4;
    let app = TestApp::start();
    // One small report first, so the baseline includes everything a first report warms up.
    let first = app
        .client
        .post(app.at("/report"))
        .multipart(text_fields(Form::new()).part(
            "attachments",
            Part::bytes(vec![1; 1024]).file_name("small.txt"),
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(first.status(), 201);
    let before = peak_memory(app.pid());
    let uploads: Vec<_> = (0..CLIENTS)
        .map(|seed| {
            let request = app
                .client
                .post(app.at("/report"))
                .multipart(full_report(seed));
            tokio::spawn(async move { request.send().await.expect("sent").status() })
        })
        .collect();
    for upload in uploads {
        assert_eq!(upload.await.expect("finished"), 201);
    }
    let grown = peak_memory(app.pid()).saturating_sub(before);
    assert!(
        grown < 48 * MIB as u64,
        "{CLIENTS} reports of 25 MiB each grew the server's peak memory by {} MiB",
        grown / MIB as u64
    );
    let stored = files_under(&app.data_dir().join("blobs"));
    assert_eq!(
        stored.len(),
        1 + 3 * usize::from(CLIENTS),
        "every file is stored: {stored:?}"
    );
}

#[tokio::test]
async fn the_challenge_is_judged_before_any_file_is_stored() {
    let app = TestApp::start_with(&["--intake-challenge", "on", "--challenge-difficulty", "8"]);
    let blobs = app.data_dir().join("blobs");
    let token = |html: &str| {
        let marker = "id=\"challenge_token\" value=\"";
        let start = html.find(marker).expect("a challenge") + marker.len();
        html[start..].split('"').next().expect("value").to_owned()
    };
    let file = || Part::bytes(vec![7; 64 * 1024]).file_name("poc.bin");

    // A wrong answer: the file is read and thrown away, the text comes back.
    let html = app.get("/report").await.text().await.expect("html");
    let wrong = text_fields(Form::new())
        .text("challenge", token(&html))
        .text("challenge_answer", "not a number")
        .part("attachments", file());
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(wrong)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("html");
    assert!(html.contains("id=\"challenge-error\""), "{html}");
    assert!(
        html.contains("Path traversal in the export"),
        "the text is kept"
    );
    assert!(
        no_files_under(&blobs).await.is_empty(),
        "nothing of the file was stored"
    );

    // A solved challenge that comes after the file: the file arrived before anything
    // vouched for it, so it is refused too.
    let solved = token(&html);
    let late = text_fields(Form::new())
        .part("attachments", file())
        .text("challenge", solved.clone())
        .text("challenge_solution", solve(&solved, 8));
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(late)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    assert!(no_files_under(&blobs).await.is_empty());

    // The same solution before the file, as the form sends it: accepted and stored.
    let in_order = text_fields(Form::new())
        .text("challenge", solved.clone())
        .text("challenge_solution", solve(&solved, 8))
        .part("attachments", file());
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(in_order)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    assert_eq!(files_under(&blobs).len(), 1);
}

#[tokio::test]
async fn the_form_puts_the_challenge_before_the_files() {
    let app = TestApp::start_with(&["--intake-challenge", "on"]);
    let html = app.get("/report").await.text().await.expect("html");
    let challenge = html.find("name=\"challenge\"").expect("challenge token");
    let answer = html.find("name=\"challenge_answer\"").expect("question");
    let files = html.find("name=\"attachments\"").expect("file input");
    assert!(challenge < files && answer < files);
}

#[tokio::test]
async fn a_refused_report_leaves_no_file_behind() {
    let app = TestApp::start();
    let form = Form::new()
        .text("summary", "No title, so this is refused.")
        .part(
            "attachments",
            Part::bytes(vec![3; 2 * MIB]).file_name("big.bin"),
        );
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("html");
    assert!(html.contains("attach them again"), "{html}");
    let left = no_files_under(&app.data_dir().join("blobs")).await;
    assert!(left.is_empty(), "{left:?}");
}
