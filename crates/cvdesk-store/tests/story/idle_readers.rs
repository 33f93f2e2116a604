//! Readers left idle are closed: a desk that answered a burst of requests does not keep a
//! connection (with its own schema, statements, memory and thread) for each request it
//! once ran at once, and answers as before when the next request comes.

use std::time::{Duration, Instant};

use cvdesk_store::{AccountStore as _, SqliteStore};

/// The readers are closed after 10 s unused, checked every 10 s.
const WITHIN: Duration = Duration::from_secs(30);

#[tokio::test]
async fn readers_left_idle_are_closed_and_open_again_when_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("opened");

    let burst: Vec<_> = (0..8).map(|_| store.user_count()).collect();
    for answer in futures_util::future::join_all(burst).await {
        assert_eq!(answer.expect("answers"), 0);
    }
    let busy = store.open_readers();
    assert!(busy > 1, "the burst opened {busy} readers");

    let started = Instant::now();
    while store.open_readers() > 0 {
        assert!(
            started.elapsed() < WITHIN,
            "{} of {busy} readers still open {WITHIN:?} after the burst",
            store.open_readers()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(store.user_count().await.expect("answers again"), 0);
    assert_eq!(store.open_readers(), 1);
}
