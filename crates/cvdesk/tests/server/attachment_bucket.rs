//! Attachments in an S3-compatible bucket through the real server, when
//! `CVDESK_TEST_S3_URL` names one (moto in `scripts/test`): a report's files and a reply's
//! go to the bucket under their hash and download as they were sent, as attachments of
//! unknown type, on SQLite and, when `CVDESK_TEST_POSTGRES_URL` is set, on PostgreSQL; a
//! backup says the files stay in the bucket; a wrong secret or bucket stops `serve` and
//! makes `check-config` fail with the reason, never the secret.

use std::path::Path;
use std::process::Command;

use cvdesk_store::testing::{blob_key, bucket_keys, test_bucket};
use cvdesk_store::BucketSettings;

use crate::app::TestApp;
use crate::backup::{content, cvdesk, path, reply_with_file, report_with_files};

/// The bucket, or why the tests that need one are skipped.
fn bucket() -> Option<BucketSettings> {
    match std::env::var("CVDESK_TEST_S3_URL") {
        Ok(url) => Some(test_bucket(&url)),
        Err(_) => {
            eprintln!("CVDESK_TEST_S3_URL not set: attachments in a bucket skipped");
            None
        }
    }
}

/// A configuration file keeping attachments in `bucket`, its secret in a file beside it.
fn bucket_config(dir: &Path, bucket: &BucketSettings) -> std::path::PathBuf {
    let secret = dir.join("s3-secret");
    std::fs::write(&secret, format!("{}\n", bucket.secret_access_key)).expect("secret written");
    let config = dir.join("cvdesk.toml");
    std::fs::write(
        &config,
        format!(
            "[attachments]\nstorage = \"s3\"\ns3_endpoint = \"{}\"\ns3_bucket = \"{}\"\n\
             s3_access_key_id = \"{}\"\ns3_path_style = \"on\"\ns3_prefix = \"{}\"\n\
             s3_secret_access_key_file = \"{}\"\n",
            bucket.endpoint.as_deref().expect("endpoint"),
            bucket.bucket,
            bucket.access_key_id,
            bucket.prefix.as_deref().expect("folder"),
            secret.display()
        ),
    )
    .expect("config written");
    config
}

/// Every file the tracking page behind `link` offers downloads as it was sent: `sent` by
/// the name it was sent under.
async fn downloads_as_sent(app: &TestApp, link: &str, sent: &[(&str, &[u8])]) {
    let page = app
        .client
        .get(link)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let tracking = link.rsplit('/').next().expect("token");
    let marker = format!("/track/{tracking}/attachments/");
    let offered: Vec<(String, String)> = page
        .match_indices(&marker)
        .map(|(at, _)| {
            let rest = &page[at + marker.len()..];
            let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let name_at = rest.find("download>").expect("a download link") + "download>".len();
            let name: String = rest[name_at..].chars().take_while(|c| *c != '<').collect();
            (name, id)
        })
        .collect();
    assert_eq!(offered.len(), sent.len(), "{offered:?}");
    for (name, expected) in sent {
        let (_, id) = offered
            .iter()
            .find(|(offered, _)| offered == name)
            .unwrap_or_else(|| panic!("{name} offered: {offered:?}"));
        let response = app
            .get(&format!("/track/{tracking}/attachments/{id}"))
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "application/octet-stream"
        );
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .expect("text")
            .to_owned();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        let bytes = response.bytes().await.expect("bytes");
        assert!(bytes.as_ref() == *expected, "{name} as sent");
    }
}

async fn files_live_in_the_bucket(app: &TestApp, bucket: &BucketSettings) {
    let large = content(1, 6 * 1024 * 1024 + 17);
    let small = content(2, 2_000);
    let replied = content(3, 300_000);
    let link = report_with_files(app, "Uploads are public", &[large.clone(), small.clone()]).await;
    reply_with_file(app, &link, replied.clone()).await;
    downloads_as_sent(
        app,
        &link,
        &[
            ("evidence-0.bin", large.as_slice()),
            ("evidence-1.bin", small.as_slice()),
            ("more.bin", replied.as_slice()),
        ],
    )
    .await;
    let mut expected = vec![blob_key(&large), blob_key(&small), blob_key(&replied)];
    expected.sort();
    assert_eq!(
        bucket_keys(bucket).await,
        expected,
        "each file under its hash, nothing left staged"
    );
}

#[tokio::test]
async fn a_desk_on_sqlite_keeps_its_files_in_the_bucket() {
    let Some(bucket) = bucket() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let config = bucket_config(dir.path(), &bucket);
    let app = TestApp::start_with(&["--config", path(&config)]);
    files_live_in_the_bucket(&app, &bucket).await;
    let blobs = app.data_dir().join("blobs");
    assert!(!blobs.exists(), "no attachment files in the data folder");

    // The backup holds the database; the files stay in the bucket, and it says so.
    let archive = dir.path().join("desk.tar");
    let (code, out, err) = cvdesk(&[
        "backup",
        "--config",
        path(&config),
        "--data",
        path(app.data_dir()),
        "--to",
        path(&archive),
    ]);
    assert_eq!(code, Some(0), "{out} {err}");
    assert!(out.contains("attachment files: in the bucket"), "{out}");
    assert!(out.contains("not in the archive"), "{out}");
    drop(app);

    // Restored into a new folder, the desk serves the files from the bucket again.
    let restored = dir.path().join("restored");
    let (code, out, err) = cvdesk(&[
        "restore",
        "--config",
        path(&config),
        "--from",
        path(&archive),
        "--data",
        path(&restored),
    ]);
    assert_eq!(code, Some(0), "{out} {err}");
    // Without the bucket's settings the restored desk refuses to start, saying why.
    let output = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            path(&restored),
        ])
        .env_remove("CVDESK_CONFIG")
        .env_remove("CVDESK_DATABASE_URL")
        .output()
        .expect("ran");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("objects in a bucket"), "{said}");
}

#[tokio::test]
async fn a_desk_on_postgres_keeps_its_files_in_the_bucket() {
    let Some(bucket) = bucket() else { return };
    let Ok(server_url) = std::env::var("CVDESK_TEST_POSTGRES_URL") else {
        eprintln!("CVDESK_TEST_POSTGRES_URL not set: a bucket beside PostgreSQL skipped");
        return;
    };
    let url = cvdesk_store::testing::fresh_postgres_database(&server_url).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = bucket_config(dir.path(), &bucket);
    let app = TestApp::start_with(&["--config", path(&config), "--database-url", &url]);
    files_live_in_the_bucket(&app, &bucket).await;
    let (code, _, err) = cvdesk(&[
        "backup",
        "--config",
        path(&config),
        "--database-url",
        &url,
        "--to",
        path(&dir.path().join("desk.tar")),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("pg_dump") && err.contains("bucket"), "{err}");
}

/// `cvdesk ARGS…` with the bucket's settings in `config` and no desk settings from the
/// test's environment: exit code, standard output and standard error.
fn run_with(args: &[&str]) -> (Option<i32>, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cvdesk"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("CVDESK_") {
            command.env_remove(name);
        }
    }
    let output = command.output().expect("ran");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_bucket_the_desk_cannot_use_stops_serve_and_fails_check_config() {
    let Some(bucket) = bucket() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut cases = vec![(
        BucketSettings {
            bucket: "no-such-bucket-here".to_owned(),
            ..bucket.clone()
        },
        "NoSuchBucket",
    )];
    if std::env::var("CVDESK_TEST_S3_URL").is_ok_and(|url| url.contains('@')) {
        cases.push((
            BucketSettings {
                secret_access_key: "not-the-secret-0123456789".to_owned(),
                ..bucket.clone()
            },
            "SignatureDoesNotMatch",
        ));
    } else {
        eprintln!("CVDESK_TEST_S3_URL has no credentials: a wrong secret is not tried");
    }
    for (settings, reason) in cases {
        let config = bucket_config(dir.path(), &settings);
        let (code, out, err) = run_with(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            path(&data),
            "--config",
            path(&config),
        ]);
        assert_eq!(code, Some(1), "{out} {err}");
        assert!(err.contains(reason), "{err}");
        assert!(!err.contains("not-the-secret"), "{err}");
        assert!(out.is_empty(), "serve never listened: {out}");
        let (code, out, err) = run_with(&[
            "check-config",
            "--data",
            path(&data),
            "--config",
            path(&config),
        ]);
        assert_eq!(code, Some(1), "{out} {err}");
        assert!(
            out.lines()
                .any(|line| line.starts_with("error: attachment storage:") && line.contains(reason)),
            "{out}"
        );
        assert!(!out.contains("not-the-secret"), "{out}");
    }
}
