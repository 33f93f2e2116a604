//! Group commit for new reports on SQLite: reports that arrive while a commit is in flight
//! are written into the next transaction together, so one fsync makes a whole group
//! durable instead of one per report. Each report is written inside its own savepoint, so
//! a report the database refuses (a constraint, a spent challenge) is rolled back alone
//! and the rest of its group is committed. A caller learns its report is stored only once
//! its group's commit has returned, so no finder hears of a report a crash could lose.
//!
//! The group is one transaction on the single writer connection. Writers queue on a fair
//! lock; whoever finishes writing while nobody else is queued (or fills the group) hands
//! the lock to a task that commits, so the writers queued behind that commit form the
//! next group. The commit runs in its own task, so a finder who hangs up cannot cancel
//! the commit of other finders' reports.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sqlx::{Acquire, Database, Pool, Transaction};
use tokio::sync::{watch, Mutex, OwnedMutexGuard};

use crate::StoreError;

/// Most reports in one group: past this a group is committed even while writers are
/// still queued, so a steady stream of arrivals cannot hold back the first finders.
const MOST_IN_GROUP: usize = 128;

/// What a group's commit came to: `None` while the group is still open.
type Outcome = Option<Result<(), String>>;

pub(crate) struct GroupCommit<DB: Database> {
    open: Arc<Mutex<Option<OpenGroup<DB>>>>,
    /// Writers that have joined and not yet finished writing; the group is committed
    /// when the last of them is done.
    writing: Arc<AtomicUsize>,
}

struct OpenGroup<DB: Database> {
    transaction: Transaction<'static, DB>,
    members: usize,
    durable: watch::Sender<Outcome>,
}

impl<DB: Database> GroupCommit<DB> {
    pub(crate) fn new() -> Self {
        GroupCommit {
            open: Arc::new(Mutex::new(None)),
            writing: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Joins the open group (beginning one on `writer` when none is open) and waits for
    /// this writer's turn on the connection.
    pub(crate) async fn join(&self, writer: &Pool<DB>) -> Result<Member<DB>, StoreError> {
        self.writing.fetch_add(1, Ordering::AcqRel);
        // From here on, dropping the member (an error, or a caller gone) counts it out.
        let mut member = Member {
            open: Arc::clone(&self.open),
            writing: Arc::clone(&self.writing),
            turn: None,
            durable: None,
            counted: true,
        };
        let mut turn = Arc::clone(&self.open).lock_owned().await;
        let group = match turn.as_mut() {
            Some(group) => group,
            None => turn.insert(OpenGroup {
                transaction: writer.begin().await?,
                members: 0,
                durable: watch::channel(None).0,
            }),
        };
        member.durable = Some(group.durable.subscribe());
        member.turn = Some(turn);
        Ok(member)
    }
}

/// One writer in the open group, holding the connection while it writes.
pub(crate) struct Member<DB: Database> {
    open: Arc<Mutex<Option<OpenGroup<DB>>>>,
    writing: Arc<AtomicUsize>,
    turn: Option<OwnedMutexGuard<Option<OpenGroup<DB>>>>,
    durable: Option<watch::Receiver<Outcome>>,
    /// Still counted among the writers: cleared once `written` has counted it out.
    counted: bool,
}

impl<DB: Database> Member<DB> {
    /// A savepoint in the group's transaction for this writer's statements: committing it
    /// keeps them in the group, dropping it rolls back this writer's statements alone.
    pub(crate) async fn savepoint(&mut self) -> Result<Transaction<'_, DB>, StoreError> {
        let group = self
            .turn
            .as_mut()
            .and_then(|turn| turn.as_mut())
            .ok_or_else(outside_group)?;
        Ok(group.transaction.begin().await?)
    }

    /// Counts this writer's savepoint into the group, lets the next writer in (or commits
    /// the group when nobody is waiting) and returns once the group is durable.
    pub(crate) async fn written(mut self) -> Result<(), StoreError> {
        let mut turn = self.turn.take().ok_or_else(outside_group)?;
        let members = turn.as_mut().map_or(0, |group| {
            group.members += 1;
            group.members
        });
        let last = self.writing.fetch_sub(1, Ordering::AcqRel) == 1;
        self.counted = false;
        let mut durable = self.durable.take();
        if last || members >= MOST_IN_GROUP {
            tokio::spawn(commit(turn));
        } else {
            drop(turn);
        }
        let Some(durable) = durable.as_mut() else {
            return Err(outside_group());
        };
        let outcome = durable
            .wait_for(Option::is_some)
            .await
            .map_err(|_| commit_failed("the writer stopped before committing"))?
            .clone();
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(error)) => Err(commit_failed(&error)),
            None => Err(commit_failed("the group ended without a commit")),
        }
    }
}

impl<DB: Database> Drop for Member<DB> {
    /// A writer that failed or was abandoned before `written` still leaves the group; when
    /// it was the last one writing, the group's other members are committed without it.
    fn drop(&mut self) {
        if !self.counted {
            return;
        }
        drop(self.turn.take());
        if self.writing.fetch_sub(1, Ordering::AcqRel) == 1 {
            let open = Arc::clone(&self.open);
            tokio::spawn(async move { commit(open.lock_owned().await).await });
        }
    }
}

/// Commits the open group, if any, while holding the lock, and tells its members.
async fn commit<DB: Database>(mut turn: OwnedMutexGuard<Option<OpenGroup<DB>>>) {
    if let Some(group) = turn.take() {
        let outcome = group
            .transaction
            .commit()
            .await
            .map_err(|error| error.to_string());
        if let Err(error) = &outcome {
            tracing::error!(%error, members = group.members, "a group of reports was not committed");
        }
        group.durable.send_replace(Some(outcome));
    }
}

fn outside_group() -> StoreError {
    StoreError::Corrupt("a report was written outside its group".into())
}

fn commit_failed(why: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Io(std::io::Error::other(format!(
        "the report's transaction was not committed: {why}"
    ))))
}
