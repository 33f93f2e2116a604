//! The HTTP edge under slow and greedy clients: request heads trickled a byte at a time,
//! bodies that stop or crawl, more uploads at once than the desk takes, and a stop while
//! requests are still running.

use std::io::Write;
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::app::TestApp;

/// Slow clients held open at once in the slowloris test.
const SLOW_CLIENTS: usize = 500;

/// A server whose `[http]` table is `settings`.
fn start_with_http(settings: &str) -> (TestApp, tempfile::NamedTempFile) {
    let mut config = tempfile::NamedTempFile::new().expect("config file");
    writeln!(config, "[http]\n{settings}").expect("written");
    let path = config.path().to_str().expect("utf-8 path").to_owned();
    (TestApp::start_with(&["--config", &path]), config)
}

fn address(app: &TestApp) -> String {
    app.url.trim_start_matches("http://").to_owned()
}

/// The open-file limit of this process raised to what it may be, so it can hold the slow
/// clients and the server it starts (which inherits the limit) can accept them.
fn raise_open_file_limit(needed: u64) {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|current| current < needed) {
        limit.current = limit.maximum;
        setrlimit(Resource::Nofile, limit).expect("raise the open-file limit");
    }
    let raised = getrlimit(Resource::Nofile).current;
    assert!(
        raised.is_none_or(|current| current >= needed),
        "this test needs {needed} open files; the hard limit allows {raised:?}"
    );
}

fn report_form() -> Form {
    Form::new()
        .text("title", "Open redirect on sign-in")
        .text("summary", "next= accepts any URL.")
        .text(
            "steps_to_reproduce",
            "Visit /login?next=https://evil.example",
        )
        .text("impact", "Phishing.")
        .part(
            "attachments",
            Part::bytes(b"curl -i 'https://x/login?next=//evil'".to_vec()).file_name("poc.sh"),
        )
}

/// The start of a report form upload whose body will arrive slowly: the head and the
/// first text field, out of a body announced as `length` bytes.
async fn start_upload(app: &TestApp, path: &str, length: usize) -> TcpStream {
    let mut stream = TcpStream::connect(address(app)).await.expect("connected");
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: multipart/form-data; boundary=B\r\n\
         content-length: {length}\r\n\r\n--B\r\ncontent-disposition: form-data; name=\"title\"\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    stream
}

/// The status of the response that arrives on `stream` within `limit`, if one does.
async fn status_within(stream: &mut TcpStream, limit: Duration) -> Option<u16> {
    let mut response = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buffer = [0u8; 1024];
        while !response.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok()?;
    let text = String::from_utf8_lossy(&response);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// Whether the server has closed `stream` (after any answer) within `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut rest = Vec::new();
    matches!(
        tokio::time::timeout(limit, stream.read_to_end(&mut rest)).await,
        Ok(Ok(_) | Err(_))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_request_heads_are_cut_off_and_a_finder_still_gets_through() {
    raise_open_file_limit(SLOW_CLIENTS as u64 * 2 + 200);
    let app = TestApp::start();
    let started = Instant::now();
    let mut slow = Vec::with_capacity(SLOW_CLIENTS);
    for _ in 0..SLOW_CLIENTS {
        let mut stream = TcpStream::connect(address(&app)).await.expect("connected");
        stream.write_all(b"G").await.expect("first byte");
        slow.push(stream);
    }
    // Each slow client sends one more header byte every ten seconds.
    let trickle = tokio::spawn(async move {
        for byte in b"ET / HTTP/1.1\r\n" {
            tokio::time::sleep(Duration::from_secs(10)).await;
            for stream in &mut slow {
                let _ = stream.write_all(&[*byte]).await;
            }
            if started.elapsed() > Duration::from_secs(12) {
                break;
            }
        }
        slow
    });

    let response = app
        .client
        .post(app.at("/report"))
        .multipart(report_form())
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        201,
        "a finder's report is accepted while {SLOW_CLIENTS} slow clients hold connections"
    );

    let mut slow = trickle.await.expect("trickled");
    let mut still_open = 0;
    for stream in &mut slow {
        if !closed_within(stream, Duration::from_millis(100)).await {
            still_open += 1;
        }
    }
    assert_eq!(
        still_open,
        0,
        "every slow client is cut off once the 10-second header limit passes ({:?} in)",
        started.elapsed()
    );
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(report_form())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn a_body_that_stops_arriving_gets_408_with_a_message() {
    let (app, _config) = start_with_http("body_read_timeout_seconds = 1");
    let mut upload = start_upload(&app, "/report", 100_000).await;
    upload.write_all(b"A title").await.expect("sent");
    let started = Instant::now();
    assert_eq!(
        status_within(&mut upload, Duration::from_secs(10)).await,
        Some(408)
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn an_upload_that_takes_longer_than_its_limit_gets_408() {
    let (app, _config) = start_with_http("upload_timeout_seconds = 2");
    let mut upload = start_upload(&app, "/report", 100_000).await;
    let started = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            // A byte every 200 ms: never idle long enough for the body limit.
            let _ = upload.write_all(b"x").await;
            if let Some(status) = status_within(&mut upload, Duration::from_millis(200)).await {
                return status;
            }
        }
    })
    .await
    .expect("answered");
    assert_eq!(status, 408);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_request_that_takes_longer_than_its_limit_gets_408() {
    let (app, _config) = start_with_http("request_timeout_seconds = 1");
    let mut stream = TcpStream::connect(address(&app)).await.expect("connected");
    stream
        .write_all(
            b"POST /api/v1/reports HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
              content-length: 1000\r\n\r\n{\"title\": \"",
        )
        .await
        .expect("sent");
    let status = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let _ = stream.write_all(b"x").await;
            if let Some(status) = status_within(&mut stream, Duration::from_millis(200)).await {
                return status;
            }
        }
    })
    .await
    .expect("answered");
    assert_eq!(status, 408);
}

#[tokio::test]
async fn uploads_beyond_the_slots_are_turned_away_with_503() {
    let (app, _config) = start_with_http("upload_concurrency = 1");
    let holder = start_upload(&app, "/report", 100_000).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let turned_away = app
        .client
        .post(app.at("/report"))
        .multipart(report_form())
        .send()
        .await
        .expect("sent");
    assert_eq!(turned_away.status(), 503);
    assert_eq!(turned_away.headers()["retry-after"], "30");
    let page = app.get("/report").await;
    assert_eq!(page.status(), 200, "pages without files are not limited");

    drop(holder);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let response = app
            .client
            .post(app.at("/report"))
            .multipart(report_form())
            .send()
            .await
            .expect("sent");
        if response.status() == 201 {
            break;
        }
        assert_eq!(response.status(), 503);
        assert!(Instant::now() < deadline, "the slot is freed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_waits_for_running_requests_no_longer_than_the_grace() {
    let (mut app, _config) = start_with_http("shutdown_grace_seconds = 2");
    let mut upload = start_upload(&app, "/report", 100_000).await;
    let trickle = tokio::spawn(async move {
        for _ in 0..150 {
            if upload.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let stopped = tokio::task::block_in_place(|| app.terminate_within(Duration::from_secs(8)));
    assert!(
        stopped,
        "the server stops although an upload is still arriving"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "it gave the upload its grace"
    );
    trickle.abort();
}
