//! The data folder is the desk's own: with the usual umask 022 it would be readable by
//! every local user (folders 755, the database and every attachment 644).

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use reqwest::multipart::{Form, Part};

use crate::app::TestApp;

async fn report_with_a_file(app: &TestApp) {
    let form = Form::new()
        .text("title", "Admin panel without authentication")
        .text("summary", "/admin answers anyone.")
        .text("steps_to_reproduce", "GET /admin")
        .text("impact", "Full control.")
        .part(
            "attachments",
            Part::bytes(b"HTTP/1.1 200 OK".to_vec()).file_name("response.txt"),
        );
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Every folder and file in `folder`, itself first.
fn everything_in(folder: &Path) -> Vec<PathBuf> {
    let mut found = vec![folder.to_path_buf()];
    for entry in fs::read_dir(folder).expect("listed") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(everything_in(&path));
        } else {
            found.push(path);
        }
    }
    found
}

fn loose_modes(data: &Path) -> Vec<String> {
    everything_in(data)
        .into_iter()
        .filter(|path| mode(path) != if path.is_dir() { 0o700 } else { 0o600 })
        .map(|path| format!("{} {:o}", path.display(), mode(&path)))
        .collect()
}

#[tokio::test]
async fn the_data_folder_is_private_whatever_the_umask() {
    let app = TestApp::start_under_umask("022");
    report_with_a_file(&app).await;
    let data = app.data_dir();
    let blobs = data.join("blobs");
    let stored: Vec<PathBuf> = everything_in(&blobs)
        .into_iter()
        .filter(|path| path.is_file())
        .collect();
    assert_eq!(stored.len(), 1, "the attachment is stored: {stored:?}");
    for expected in ["cvdesk.db", "cvdesk.db-wal", "cvdesk.db-shm"] {
        assert!(data.join(expected).exists(), "{expected}");
    }
    assert_eq!(loose_modes(data), Vec::<String>::new());
}

#[tokio::test]
async fn an_existing_data_folder_is_made_private_at_start() {
    let app = TestApp::start();
    report_with_a_file(&app).await;
    for path in everything_in(app.data_dir()) {
        let loose = if path.is_dir() { 0o755 } else { 0o644 };
        fs::set_permissions(&path, fs::Permissions::from_mode(loose)).expect("loosened");
    }
    let app = app.kill_and_restart();
    assert_eq!(loose_modes(app.data_dir()), Vec::<String>::new());
}
