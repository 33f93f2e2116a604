//! Moves the pages of SQLite's write-ahead log into the database file from a connection of
//! its own, once a second. Left to SQLite, the connection that commits does it every 1,000
//! pages, and that connection is the single writer every new report waits on: under a
//! steady stream of reports it stopped to copy pages and sync the file several times a
//! second. A checkpoint beside the writer does not block it (WAL lets both run at once).

use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::StoreError;

/// How often the log is moved into the database: about a second of writes is what the log
/// holds beyond what SQLite itself would keep.
const EVERY: Duration = Duration::from_secs(1);

/// The running checkpoints; they stop when this is dropped, with the store.
pub(crate) struct Checkpoints {
    task: JoinHandle<()>,
}

impl Checkpoints {
    /// Opens the checkpoints' connection with `options` and starts them.
    pub(crate) async fn start(options: &SqliteConnectOptions) -> Result<Self, StoreError> {
        let mut connection = options.connect().await?;
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(EVERY);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                // PASSIVE copies what no reader still needs and never waits for anyone.
                if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&mut connection)
                    .await
                {
                    tracing::warn!(
                        %error,
                        "moving the write-ahead log into the database failed; trying again in a second"
                    );
                }
            }
        });
        Ok(Checkpoints { task })
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.task.abort();
    }
}
