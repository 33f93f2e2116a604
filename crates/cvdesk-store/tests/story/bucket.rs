//! Attachment bytes in an S3-compatible bucket, when `CVDESK_TEST_S3_URL` names one (see
//! `cvdesk_store::testing::test_bucket`): on SQLite always and on PostgreSQL when its URL
//! is set too, an upload in pieces larger than one part is read back whole and lies in the
//! bucket under its hash; the sweep removes stale staged objects and objects nothing
//! names, and keeps what a report names; a bucket the desk cannot use, and a store whose
//! attachments are kept elsewhere, are refused when the store opens.

use cvdesk_domain::attachment::AttachmentName;
use cvdesk_domain::{ReferencePrefix, ReportDraft, ReportInput, TextLimits, TrackingToken};
use cvdesk_store::testing::{blob_key, bucket_keys, put_object, test_bucket};
use cvdesk_store::{
    open_with, AttachmentStorage, BucketSettings, NewAttachment, NewReport, Store, StoreLocation,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

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

/// SQLite in a new folder, and a new PostgreSQL database when one is set.
async fn locations(dir: &tempfile::TempDir) -> Vec<(&'static str, StoreLocation)> {
    let mut locations = vec![(
        "sqlite",
        StoreLocation::Sqlite {
            data_dir: dir.path().join("data"),
        },
    )];
    if let Ok(url) = std::env::var("CVDESK_TEST_POSTGRES_URL") {
        locations.push((
            "postgres",
            StoreLocation::Postgres {
                url: cvdesk_store::testing::fresh_postgres_database(&url).await,
                max_connections: 10,
            },
        ));
    }
    locations
}

async fn report_with(store: &dyn Store, seed: u8, files: &[NewAttachment]) -> i64 {
    let draft = ReportDraft::parse(
        &ReportInput {
            title: Some("Uploads are world-readable".into()),
            summary: Some("The bucket lists every upload.".into()),
            steps_to_reproduce: Some("GET /uploads/".into()),
            impact: Some("Every file.".into()),
            ..ReportInput::default()
        },
        TextLimits::default(),
    )
    .expect("valid");
    store
        .create_report(NewReport {
            prefix: &ReferencePrefix::default(),
            received_at: datetime!(2026-12-06 06:00 UTC),
            tracking_token_hash: &TrackingToken::from_random_bytes([seed; 32]).hash(),
            content: &draft,
            attachments: files,
            product: None,
            received_from: None,
            challenge: None,
            source: cvdesk_domain::report_source::ReportSource::Form,
        })
        .await
        .expect("stored")
        .id
}

/// Bytes that differ from piece to piece, so a piece out of place would show.
fn pattern(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i / 1000 + seed) % 251) as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn files_go_to_the_bucket_by_hash_and_come_back_whole() {
    let Some(settings) = bucket() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    for (seed, (name, location)) in (1u8..).zip(locations(&dir).await) {
        let mut settings = settings.clone();
        settings.prefix = Some(format!("{}-{name}", settings.prefix.expect("a folder")));
        let storage = AttachmentStorage::Bucket(settings.clone());
        let store = open_with(&location, &storage, OffsetDateTime::now_utc())
            .await
            .unwrap_or_else(|e| panic!("{name}: open: {e}"));
        // Larger than two parts of 5 MiB, written in pieces as a request body arrives.
        let large = pattern(11 * 1024 * 1024 + 4321, usize::from(seed));
        let mut writer = store.begin_blob().await.expect("begun");
        for piece in large.chunks(100_000) {
            writer.write(piece).await.expect("written");
        }
        let large_blob = writer.finish().await.expect("finished");
        let small = b"a small proof of concept".to_vec();
        let files = [
            NewAttachment {
                name: AttachmentName::sanitize("capture.pcap"),
                blob: large_blob,
            },
            NewAttachment {
                name: AttachmentName::sanitize("poc.txt"),
                blob: store.stage_blob(&small).await.expect("staged"),
            },
        ];
        let id = report_with(store.as_ref(), seed, &files).await;
        drop(files);
        let report = store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([seed; 32]).hash())
            .await
            .expect("read")
            .expect("found");
        for (meta, content) in report.attachments.iter().zip([&large, &small]) {
            let stored = store
                .attachment(id, meta.id)
                .await
                .expect("read")
                .expect("present");
            assert!(stored.content == *content, "{name}: {}", meta.file_name);
        }
        let mut expected = vec![blob_key(&large), blob_key(&small)];
        expected.sort();
        assert_eq!(
            bucket_keys(&settings).await,
            expected,
            "{name}: the named bytes under their hash, nothing staged left"
        );
        if let StoreLocation::Sqlite { data_dir } = &location {
            assert!(
                !data_dir.join("blobs").exists(),
                "no files in the data folder"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sweep_removes_stale_staged_and_unnamed_objects_and_keeps_named_ones() {
    let Some(settings) = bucket() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    for (seed, (name, location)) in (10u8..).zip(locations(&dir).await) {
        let mut settings = settings.clone();
        settings.prefix = Some(format!("{}-{name}", settings.prefix.expect("a folder")));
        let storage = AttachmentStorage::Bucket(settings.clone());
        let store = open_with(&location, &storage, OffsetDateTime::now_utc())
            .await
            .unwrap_or_else(|e| panic!("{name}: open: {e}"));
        let now = OffsetDateTime::now_utc();
        let abandoned = store
            .stage_blob(b"an upload refused halfway")
            .await
            .expect("staged");
        // What a crash between staging and linking leaves.
        put_object(&settings, "incoming/left-by-a-crash", b"half a report").await;
        let named = b"named by a report".to_vec();
        let orphan = b"named by a row that is gone".to_vec();
        let kept = NewAttachment {
            name: AttachmentName::sanitize("kept.txt"),
            blob: store.stage_blob(&named).await.expect("staged"),
        };
        let id = report_with(store.as_ref(), seed, &[kept]).await;
        let lost = NewAttachment {
            name: AttachmentName::sanitize("lost.txt"),
            blob: store.stage_blob(&orphan).await.expect("staged"),
        };
        let other = report_with(store.as_ref(), seed + 1, &[lost]).await;
        assert_eq!(
            store.sweep_blobs(now).await.expect("swept").stale_staged,
            0,
            "{name}: uploads still running keep their bytes"
        );
        // As a transaction that failed after its object was linked would leave it.
        cvdesk_store::testing::execute(
            &location,
            &format!("DELETE FROM attachments WHERE report_id = {other}"),
        )
        .await;
        let swept = store
            .sweep_blobs(now + Duration::hours(2))
            .await
            .expect("swept");
        assert_eq!(swept.stale_staged, 2, "{name}");
        assert_eq!(swept.unreferenced, 1, "{name}");
        assert_eq!(
            bucket_keys(&settings).await,
            vec![blob_key(&named)],
            "{name}: only the named object is left"
        );
        drop(abandoned);
        let report = store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([seed; 32]).hash())
            .await
            .expect("read")
            .expect("found");
        let stored = store
            .attachment(id, report.attachments[0].id)
            .await
            .expect("read")
            .expect("present");
        assert_eq!(stored.content, named, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bucket_the_desk_cannot_use_is_refused_when_the_store_opens() {
    let Some(settings) = bucket() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let location = StoreLocation::Sqlite {
        data_dir: dir.path().join("data"),
    };
    let open = |settings: BucketSettings| {
        let location = location.clone();
        async move {
            open_with(
                &location,
                &AttachmentStorage::Bucket(settings),
                OffsetDateTime::now_utc(),
            )
            .await
            .map(drop)
            .expect_err("refused")
            .to_string()
        }
    };
    let mut missing = settings.clone();
    missing.bucket = "no-such-bucket-here".to_owned();
    let message = open(missing).await;
    assert!(message.contains("NoSuchBucket"), "{message}");
    assert!(message.contains("no-such-bucket-here"), "{message}");
    if std::env::var("CVDESK_TEST_S3_URL").is_ok_and(|url| url.contains('@')) {
        let mut wrong = settings.clone();
        wrong.secret_access_key = "not-the-secret-0123456789".to_owned();
        let message = open(wrong).await;
        assert!(
            message.contains("SignatureDoesNotMatch") && message.contains("secret"),
            "{message}"
        );
        assert!(!message.contains("not-the-secret"), "{message}");
    } else {
        eprintln!("CVDESK_TEST_S3_URL has no credentials: a wrong secret is not tried");
    }
    let mut unreachable = settings.clone();
    unreachable.endpoint = Some("http://127.0.0.1:1".to_owned());
    let message = open(unreachable).await;
    assert!(
        message.to_lowercase().contains("connection refused"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_is_opened_only_where_its_attachments_are() {
    let Some(settings) = bucket() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let location = StoreLocation::Sqlite {
        data_dir: dir.path().join("data"),
    };
    let now = OffsetDateTime::now_utc();
    let in_bucket = AttachmentStorage::Bucket(settings.clone());
    let store = open_with(&location, &in_bucket, now).await.expect("opened");
    let file = NewAttachment {
        name: AttachmentName::sanitize("poc.txt"),
        blob: store
            .stage_blob(b"kept in the bucket")
            .await
            .expect("staged"),
    };
    report_with(store.as_ref(), 30, &[file]).await;
    drop(store);
    let message = open_with(&location, &AttachmentStorage::Store, now)
        .await
        .map(drop)
        .expect_err("refused")
        .to_string();
    assert!(message.contains("objects in a bucket"), "{message}");
    let mut other_folder = settings.clone();
    other_folder.prefix = Some(format!(
        "{}-elsewhere",
        settings.prefix.clone().expect("folder")
    ));
    let message = open_with(&location, &AttachmentStorage::Bucket(other_folder), now)
        .await
        .map(drop)
        .expect_err("refused")
        .to_string();
    assert!(message.contains("this desk's bucket"), "{message}");
    open_with(&location, &in_bucket, now)
        .await
        .expect("opened again with its bucket");

    // A desk whose files are in its data folder moves to the bucket once they are copied.
    let local = StoreLocation::Sqlite {
        data_dir: dir.path().join("local"),
    };
    let store = open_with(&local, &AttachmentStorage::Store, now)
        .await
        .expect("opened");
    let content = b"kept in the data folder".to_vec();
    let file = NewAttachment {
        name: AttachmentName::sanitize("poc.txt"),
        blob: store.stage_blob(&content).await.expect("staged"),
    };
    report_with(store.as_ref(), 31, &[file]).await;
    drop(store);
    let mut moved = settings.clone();
    moved.prefix = Some(format!(
        "{}-moved",
        settings.prefix.clone().expect("folder")
    ));
    let message = open_with(&local, &AttachmentStorage::Bucket(moved.clone()), now)
        .await
        .map(drop)
        .expect_err("refused")
        .to_string();
    assert!(
        message.contains("copy the data folder's blobs/"),
        "{message}"
    );
    put_object(&moved, &blob_key(&content), &content).await;
    open_with(&local, &AttachmentStorage::Bucket(moved), now)
        .await
        .expect("opened once the bucket holds the files");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_copy_leaves_the_objects_in_the_bucket() {
    let Some(settings) = bucket() else { return };
    let Ok(server) = std::env::var("CVDESK_TEST_POSTGRES_URL") else {
        eprintln!("CVDESK_TEST_POSTGRES_URL not set: a store copy beside a bucket skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = StoreLocation::Sqlite {
        data_dir: dir.path().join("data"),
    };
    let postgres = StoreLocation::Postgres {
        url: cvdesk_store::testing::fresh_postgres_database(&server).await,
        max_connections: 4,
    };
    let back = StoreLocation::Sqlite {
        data_dir: dir.path().join("back"),
    };
    let storage = AttachmentStorage::Bucket(settings.clone());
    let now = OffsetDateTime::now_utc();
    let store = open_with(&sqlite, &storage, now).await.expect("opened");
    let content = b"moves with the database, stays in the bucket".to_vec();
    let file = NewAttachment {
        name: AttachmentName::sanitize("poc.txt"),
        blob: store.stage_blob(&content).await.expect("staged"),
    };
    let id = report_with(store.as_ref(), 40, &[file]).await;
    drop(store);
    for (from, to) in [(&sqlite, &postgres), (&postgres, &back)] {
        let summary = cvdesk_store::copy::copy_store(from, to)
            .await
            .expect("copied");
        assert!(summary.attachments_in_bucket);
        assert_eq!(summary.files, 0);
        let store = open_with(to, &storage, now).await.expect("opened");
        let report = store
            .report_by_tracking_token(&TrackingToken::from_random_bytes([40; 32]).hash())
            .await
            .expect("read")
            .expect("found");
        let stored = store
            .attachment(id, report.attachments[0].id)
            .await
            .expect("read")
            .expect("present");
        assert_eq!(stored.content, content);
    }
    assert_eq!(bucket_keys(&settings).await, vec![blob_key(&content)]);
}
