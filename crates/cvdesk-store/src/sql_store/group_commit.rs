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
//!
//! Every statement is a round trip to the connection's thread, and the writers' trips
//! follow one another, so a writer sends its statements a few at a time (SQLite runs a
//! string of statements in one call): its savepoint is opened by its first string
//! (`OPEN_REPORT`) and released by its last (`CLOSE_REPORT`). A writer that fails or is
//! cancelled in between leaves its savepoint open; whoever takes the connection next rolls
//! it back first, so its statements never reach a commit.
//!
//! SQLite's log starts again from its beginning only when a write transaction begins with
//! every page of the log copied into the database. `Checkpoints` copies beside the writer,
//! but under a steady stream of reports each group begins right after the last commit,
//! before those pages can be copied, so the log never started again: it grew by hundreds of
//! megabytes a minute and every page look-up searched an index of all of it. So now and
//! then (`RESTART_LOG_EVERY`), after a commit and before the next group begins, the writer
//! copies the few pages left itself, and the next group starts the log again.
//!
//! Within a group nothing else writes, so once one report is written the next report of
//! the same year takes the next id and number: the group keeps them (`Expected`), and a
//! writer that knows them can compose its mail first and send everything as one string.
//! The insert checks the number it was given against the sequence and fails if they
//! differ; a rollback forgets what the group expected.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Database, Executor, IntoArguments, Pool, Transaction};
use tokio::sync::{watch, Mutex, OwnedMutexGuard};

use crate::StoreError;

/// Most reports in one group: past this a group is committed even while writers are
/// still queued, so a steady stream of arrivals cannot hold back the first finders.
const MOST_IN_GROUP: usize = 128;

/// How often the writer copies what is left of the log after a commit, so the next group
/// starts the log again: the log holds at most about this much of the writes.
const RESTART_LOG_EVERY: Duration = Duration::from_millis(250);

/// Copies the log's last pages (those `Checkpoints` has not copied yet) into the database.
const COPY_LOG: &str = "PRAGMA wal_checkpoint(PASSIVE)";

/// What a group's commit came to: `None` while the group is still open.
type Outcome = Option<Result<(), String>>;

/// Begins a writer's savepoint: the start of its first string of statements.
pub(crate) const OPEN_REPORT: &str = "SAVEPOINT report; ";
/// Keeps a writer's statements in the group: the end of its last string.
pub(crate) const CLOSE_REPORT: &str = "; RELEASE report";
/// Takes back the statements of a writer that did not get as far as `CLOSE_REPORT`.
const UNDO_REPORT: &str = "ROLLBACK TO report; RELEASE report";

pub(crate) struct GroupCommit<DB: Database> {
    open: Arc<Mutex<Option<OpenGroup<DB>>>>,
    /// When the writer last copied the log after a commit.
    log_copied: Arc<std::sync::Mutex<Instant>>,
    /// Writers that have joined and not yet finished writing; the group is committed
    /// when the last of them is done.
    writing: Arc<AtomicUsize>,
}

struct OpenGroup<DB: Database> {
    transaction: Transaction<'static, DB>,
    writer: Pool<DB>,
    log_copied: Arc<std::sync::Mutex<Instant>>,
    members: usize,
    durable: watch::Sender<Outcome>,
    /// A writer's savepoint may be open: it began writing and did not finish.
    unfinished: bool,
    /// The id and number of the next report, known from the one written before it.
    next: Option<Expected>,
}

/// The id and reference number the next report of a year's sequence takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expected {
    pub(crate) prefix: String,
    pub(crate) year: i64,
    pub(crate) id: i64,
    pub(crate) sequence: i64,
}

impl<DB> OpenGroup<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    /// Rolls back what an unfinished writer left, and with it what the group expected.
    async fn settle(&mut self) -> Result<(), sqlx::Error> {
        if self.unfinished {
            self.next = None;
            sqlx::query(UNDO_REPORT)
                .execute(&mut *self.transaction)
                .await?;
            self.unfinished = false;
        }
        Ok(())
    }
}

impl<DB> GroupCommit<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    pub(crate) fn new() -> Self {
        GroupCommit {
            open: Arc::new(Mutex::new(None)),
            log_copied: Arc::new(std::sync::Mutex::new(Instant::now())),
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
        if let Some(group) = turn.as_mut() {
            if let Err(error) = group.settle().await {
                // The transaction is in no state to commit: its members hear so, and this
                // writer starts the next group.
                fail(&mut turn, error.to_string());
            }
        }
        let group = match turn.as_mut() {
            Some(group) => group,
            None => turn.insert(OpenGroup {
                transaction: writer.begin().await?,
                writer: writer.clone(),
                log_copied: Arc::clone(&self.log_copied),
                members: 0,
                durable: watch::channel(None).0,
                unfinished: false,
                next: None,
            }),
        };
        member.durable = Some(group.durable.subscribe());
        member.turn = Some(turn);
        Ok(member)
    }
}

/// One writer in the open group, holding the connection while it writes.
pub(crate) struct Member<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    open: Arc<Mutex<Option<OpenGroup<DB>>>>,
    writing: Arc<AtomicUsize>,
    turn: Option<OwnedMutexGuard<Option<OpenGroup<DB>>>>,
    durable: Option<watch::Receiver<Outcome>>,
    /// Still counted among the writers: cleared once `written` has counted it out.
    counted: bool,
}

impl<DB> Member<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    /// The group's connection, for this writer's statements: the first string sent on it
    /// begins with `OPEN_REPORT`, the last ends with `CLOSE_REPORT`.
    pub(crate) fn connection(&mut self) -> Result<&mut DB::Connection, StoreError> {
        let group = self
            .turn
            .as_mut()
            .and_then(|turn| turn.as_mut())
            .ok_or_else(outside_group)?;
        group.unfinished = true;
        Ok(&mut *group.transaction)
    }

    /// The id and number the next report of `prefix` and `year` takes, when the group
    /// knows them.
    pub(crate) fn expected(&self, prefix: &str, year: i64) -> Option<Expected> {
        let next = self.turn.as_ref()?.as_ref()?.next.as_ref()?;
        (next.prefix == prefix && next.year == year).then(|| next.clone())
    }

    /// Records the report this writer wrote, so the next writer knows its id and number.
    pub(crate) fn wrote(&mut self, prefix: &str, year: i64, id: i64, sequence: i64) {
        if let Some(group) = self.turn.as_mut().and_then(|turn| turn.as_mut()) {
            group.next = id
                .checked_add(1)
                .zip(sequence.checked_add(1))
                .map(|(id, sequence)| Expected {
                    prefix: prefix.to_owned(),
                    year,
                    id,
                    sequence,
                });
        }
    }

    /// Takes back this writer's statements so far, and what the group expected.
    pub(crate) async fn undo(&mut self) -> Result<(), StoreError> {
        let group = self
            .turn
            .as_mut()
            .and_then(|turn| turn.as_mut())
            .ok_or_else(outside_group)?;
        group.next = None;
        group.settle().await?;
        Ok(())
    }

    /// Counts this writer's statements, released by `CLOSE_REPORT`, into the group, lets
    /// the next writer in (or commits the group when nobody is waiting) and returns once
    /// the group is durable.
    pub(crate) async fn written(mut self) -> Result<(), StoreError> {
        let mut turn = self.turn.take().ok_or_else(outside_group)?;
        let members = turn.as_mut().map_or(0, |group| {
            group.unfinished = false;
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

impl<DB> Drop for Member<DB>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
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

/// Commits the open group, if any, while holding the lock, and tells its members; then,
/// now and then, copies the rest of the log before the next group begins.
async fn commit<DB>(mut turn: OwnedMutexGuard<Option<OpenGroup<DB>>>)
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    if let Some(mut group) = turn.take() {
        let outcome = match group.settle().await {
            Ok(()) => group.transaction.commit().await,
            Err(error) => Err(error),
        }
        .map_err(|error| error.to_string());
        if let Err(error) = &outcome {
            tracing::error!(%error, members = group.members, "a group of reports was not committed");
        }
        group.durable.send_replace(Some(outcome));
        let due = group
            .log_copied
            .lock()
            .map(|mut copied| {
                let due = copied.elapsed() >= RESTART_LOG_EVERY;
                if due {
                    *copied = Instant::now();
                }
                due
            })
            .unwrap_or(false);
        if due {
            // Busy when `Checkpoints` is copying at the same moment: the next time will do.
            if let Err(error) = sqlx::query(COPY_LOG).execute(&group.writer).await {
                tracing::warn!(%error, "the writer could not copy the log's last pages");
            }
        }
    }
}

/// Ends the open group without a commit (its transaction rolls back as it is dropped) and
/// tells its members why.
fn fail<DB: Database>(turn: &mut Option<OpenGroup<DB>>, error: String) {
    if let Some(group) = turn.take() {
        tracing::error!(%error, members = group.members, "a group of reports was not committed");
        group.durable.send_replace(Some(Err(error)));
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

/// Statements sent as one string, each statement's `$N` placeholders numbered on from
/// those of the statements before it, so the values are bound in statement order.
#[derive(Default)]
pub(crate) struct Batch {
    text: String,
    placeholders: usize,
}

impl Batch {
    pub(crate) fn push(&mut self, statement: &str) -> &mut Self {
        if !self.text.is_empty() {
            self.text.push_str("; ");
        }
        let offset = self.placeholders;
        let mut rest = statement;
        while let Some(at) = rest.find('$') {
            self.text.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if let Ok(number) = rest[..digits].parse::<usize>() {
                self.text.push_str(&(number + offset).to_string());
                self.placeholders = self.placeholders.max(number + offset);
            } else {
                self.text.push_str(&rest[..digits]);
            }
            rest = &rest[digits..];
        }
        self.text.push_str(rest);
        self
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::Batch;

    #[test]
    fn placeholders_are_numbered_on_across_statements() {
        let mut batch = Batch::default();
        batch
            .push("INSERT INTO a (x, y) VALUES ($1, $2)")
            .push("INSERT INTO b (x, y, z) VALUES ($1, $2, $1)")
            .push("RELEASE report")
            .push("UPDATE c SET v = $10 WHERE w = $1");
        assert_eq!(
            batch.text(),
            "INSERT INTO a (x, y) VALUES ($1, $2); INSERT INTO b (x, y, z) VALUES ($3, $4, $3); \
             RELEASE report; UPDATE c SET v = $14 WHERE w = $5"
        );
    }
}
