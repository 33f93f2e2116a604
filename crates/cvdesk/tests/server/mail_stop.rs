//! A graceful stop while the mail server hangs: the sender gives back the mail it had
//! claimed instead of holding it under its lease, the stop is not held up by the send, and
//! the next start sends the mail at once.

use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cvdesk_store::{MailStatus, StoreLocation};

use crate::app::{full_report, TestApp};
use crate::mail::{as_strs, mail_args, tools_present, SmtpSink};

/// A mail server that accepts connections and never says a word; the connections it
/// holds, so the test knows when the sender is in the middle of a send.
fn hanging_mail_server() -> (u16, Arc<Mutex<Vec<TcpStream>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bound");
    let port = listener.local_addr().expect("address").port();
    let held = Arc::new(Mutex::new(Vec::new()));
    let holding = Arc::clone(&held);
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            holding.lock().expect("lock").push(stream);
        }
    });
    (port, held)
}

#[tokio::test]
async fn a_mail_held_by_a_hanging_server_goes_out_at_once_after_a_graceful_restart() {
    if !tools_present(false) {
        return;
    }
    let (hanging_port, held) = hanging_mail_server();
    let mut app = TestApp::start_with(&as_strs(&mail_args(hanging_port)));
    // The finder's acknowledgement and the staff's notice are queued with the report; the
    // sender claims the first and waits on the silent server.
    app.submit(&full_report()).await;
    let waited = Instant::now();
    while held.lock().expect("lock").is_empty() {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "the sender never connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let stopping = Instant::now();
    assert!(
        app.terminate_within(Duration::from_secs(20)),
        "the desk did not stop"
    );
    let stop_took = stopping.elapsed();
    assert!(
        stop_took < Duration::from_secs(10),
        "a hanging mail server held the stop for {stop_took:?}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let sink = SmtpSink::start(&dir.path().join("inbox"), 0);
    let restarted_at = Instant::now();
    let app = app.start_again_with(&as_strs(&mail_args(sink.port)));
    let mail = sink.wait_for(2).await;
    // `wait_for` returns a quiet spell after the last of them arrived.
    let arrived_after = restarted_at
        .elapsed()
        .saturating_sub(Duration::from_secs(7));
    assert_eq!(mail.len(), 2, "each mail once");
    assert!(
        arrived_after < Duration::from_secs(10),
        "the mail claimed before the stop arrived {arrived_after:?} after the restart"
    );
    let store = cvdesk_store::open(&StoreLocation::Sqlite {
        data_dir: app.data_dir().to_path_buf(),
    })
    .await
    .expect("store opens");
    let entries = store.recent_mail(10).await.expect("outbox listed");
    assert_eq!(entries.len(), 2);
    for entry in &entries {
        assert!(matches!(entry.status, MailStatus::Sent { .. }), "{entry:?}");
        assert_eq!(
            entry.attempts, 1,
            "the claim given back at the stop was no attempt: {entry:?}"
        );
    }
}
