//! Group commit for new reports on SQLite: reports that arrive while a commit is in flight
//! are written into the next transaction together, so one fsync makes a whole group
//! durable instead of one per report. Each report is written inside its own savepoint, so
//! a report the database refuses (a constraint, a spent challenge) is rolled back alone
//! and the rest of its group is committed. A caller learns its report is stored only once
//! its group's commit has returned, so no finder hears of a report a crash could lose.
//!
//! The group is one transaction on the single writer connection, and every statement sent
//! to it is a round trip to the connection's thread. Sent report by report, those trips
//! followed one another and set the rate. So reports are written together too: within a
//! group nothing else writes, so once one report is written the next one of the same year
//! takes the next id and number. The queue hands them out in order (`reserve`); each
//! writer composes its acknowledgement with its number, on its own task, and leaves its
//! statements and values in its place in the queue (`submit`). A task of its own then
//! takes the connection and sends every report ready at the front of the queue as one
//! string (`drain`), which SQLite runs from one call. The insert checks each number
//! against the sequence and fails if they differ; a report that fails is rolled back to
//! its savepoint, the reports before it stay, and it and every report after it are
//! written again the careful way: one writer at a time holding the connection (`turn`),
//! asking the sequence for its number first. That way is also taken by the first report
//! after a start, by reports with files, and whenever the queue does not know the next
//! number.
//!
//! The task that wrote reports from the queue commits them at once: reports that arrive
//! meanwhile gather in the queue for the next group, and no group waits for a writer still
//! composing. A writer that wrote the careful way commits when nobody else is writing (or
//! the group is full). Commits and the queue's strings run in tasks of their own, so a
//! finder who hangs up cannot cancel the commit of other finders' reports, nor leave them
//! half sent.
//!
//! SQLite's log starts again from its beginning only when a write transaction begins with
//! every page of the log copied into the database. `Checkpoints` copies beside the writer,
//! but under a steady stream of reports each group begins right after the last commit,
//! before those pages can be copied, so the log never started again: it grew by hundreds of
//! megabytes a minute and every page look-up searched an index of all of it. So now and
//! then (`RESTART_LOG_EVERY`), after a commit and before the next group begins, the writer
//! copies the few pages left itself, and the next group starts the log again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Either, Executor, Pool, Sqlite, Transaction};
use tokio::sync::{oneshot, watch, Mutex, OwnedMutexGuard};

use crate::StoreError;

mod queue;
mod statements;

pub(crate) use queue::Expected;
use queue::{Place, Queue, Written};
use statements::Captured;
pub(crate) use statements::{Batch, Statements, Values};

/// Most reports in one group: past this a group is committed even while writers are
/// still queued, so a steady stream of arrivals cannot hold back the first finders.
const MOST_IN_GROUP: usize = 128;

/// Most reports sent to the connection in one string (`string_length`).
const MOST_IN_STRING: usize = 32;

/// How often the writer copies what is left of the log after a commit, so the next group
/// starts the log again: the log holds at most about this much of the writes.
const RESTART_LOG_EVERY: Duration = Duration::from_millis(250);

/// Copies the log's last pages (those `Checkpoints` has not copied yet) into the database.
const COPY_LOG: &str = "PRAGMA wal_checkpoint(PASSIVE)";

/// What a group's commit came to: `None` while the group is still open.
type Outcome = Option<Result<(), String>>;

/// Begins a report's savepoint: the first statement of its statements.
pub(crate) const OPEN_REPORT: &str = "SAVEPOINT report";
/// Keeps a report's statements in the group: the last of its statements.
pub(crate) const CLOSE_REPORT: &str = "RELEASE report";
/// Takes back the statements of a report that did not get as far as `CLOSE_REPORT`.
const UNDO_REPORT: &str = "ROLLBACK TO report; RELEASE report";

pub(crate) struct GroupCommit {
    shared: Arc<Shared>,
}

struct Shared {
    writer: Pool<Sqlite>,
    /// The open group, if any: whoever holds this lock has the writer connection.
    open: Arc<Mutex<Option<OpenGroup>>>,
    queue: std::sync::Mutex<Queue>,
    /// Writers that have joined and not yet finished writing; the group is committed
    /// when the last of them is done.
    writing: AtomicUsize,
    /// When the writer last copied the log after a commit.
    log_copied: std::sync::Mutex<Instant>,
}

struct OpenGroup {
    transaction: Transaction<'static, Sqlite>,
    members: usize,
    durable: watch::Sender<Outcome>,
    /// A report's savepoint may be open: its writer began and did not finish.
    unfinished: bool,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // The queue's state stays whole across a panic elsewhere: every change to it is
        // one step.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The open group on `turn`, begun when there is none, with whatever an unfinished
    /// writer left rolled back.
    async fn open_group<'t>(
        &self,
        turn: &'t mut Option<OpenGroup>,
    ) -> Result<&'t mut OpenGroup, StoreError> {
        if let Some(group) = turn.as_mut() {
            if let Err(error) = group.settle().await {
                // The transaction is in no state to commit: its members hear so, and a
                // new group begins.
                self.fail(turn, error.to_string());
            }
        }
        match turn {
            Some(group) => Ok(group),
            None => Ok(turn.insert(OpenGroup {
                transaction: self.writer.begin().await?,
                members: 0,
                durable: watch::channel(None).0,
                unfinished: false,
            })),
        }
    }

    /// Ends the open group without a commit (its transaction rolls back as it is dropped)
    /// and tells its members why.
    fn fail(&self, turn: &mut Option<OpenGroup>, error: String) {
        if let Some(group) = turn.take() {
            tracing::error!(%error, members = group.members, "a group of reports was not committed");
            self.queue().forget();
            group.durable.send_replace(Some(Err(error)));
        }
    }
}

impl OpenGroup {
    /// Rolls back what an unfinished writer left.
    async fn settle(&mut self) -> Result<(), sqlx::Error> {
        if self.unfinished {
            sqlx::query(UNDO_REPORT)
                .execute(&mut *self.transaction)
                .await?;
            self.unfinished = false;
        }
        Ok(())
    }
}

impl GroupCommit {
    pub(crate) fn new(writer: Pool<Sqlite>) -> Self {
        GroupCommit {
            shared: Arc::new(Shared {
                writer,
                open: Arc::new(Mutex::new(None)),
                queue: std::sync::Mutex::new(Queue::default()),
                writing: AtomicUsize::new(0),
                log_copied: std::sync::Mutex::new(Instant::now()),
            }),
        }
    }

    /// Joins the writers of the open group.
    pub(crate) fn join(&self) -> Member {
        self.shared.writing.fetch_add(1, Ordering::AcqRel);
        // From here on, dropping the member (an error, or a caller gone) counts it out.
        Member {
            shared: Arc::clone(&self.shared),
            turn: None,
            counted: true,
        }
    }
}

/// One writer in the open group.
pub(crate) struct Member {
    shared: Arc<Shared>,
    /// The connection, while this writer writes the careful way.
    turn: Option<OwnedMutexGuard<Option<OpenGroup>>>,
    /// Still counted among the writers: cleared once it has been counted out.
    counted: bool,
}

/// A report's place in the queue with the id and number it takes, until it is submitted.
pub(crate) struct Reservation {
    shared: Arc<Shared>,
    ticket: u64,
    written: Option<oneshot::Receiver<Written>>,
    pub(crate) expected: Expected,
}

impl Drop for Reservation {
    /// A place left empty (its writer panicked while composing) would hold back every
    /// report after it: they are all written the careful way instead.
    fn drop(&mut self) {
        let mut queue = self.shared.queue();
        if queue
            .place(self.ticket)
            .is_some_and(|place| place.ready.is_none())
        {
            queue.forget();
        }
    }
}

impl Member {
    /// A place in the queue for a report of `prefix` and `year`, when the queue knows the
    /// next id and number.
    pub(crate) fn reserve(&self, prefix: &str, year: i64) -> Option<Reservation> {
        let mut queue = self.shared.queue();
        let (ticket, expected) = queue.reserve(prefix, year)?;
        let (sender, receiver) = oneshot::channel();
        queue.places.push_back(Place {
            written: sender,
            ready: None,
        });
        Some(Reservation {
            shared: Arc::clone(&self.shared),
            ticket,
            written: Some(receiver),
            expected,
        })
    }

    /// Leaves a reserved report's statements in the queue to be written with the others
    /// ready, and waits: `true` once its group is durable, `false` when it was not written
    /// and is to be written the careful way.
    pub(crate) async fn submit(
        &mut self,
        mut reservation: Reservation,
        statements: Statements,
    ) -> Result<bool, StoreError> {
        if let Some(error) = &statements.values.error {
            return Err(StoreError::Corrupt(format!(
                "a report's value could not be encoded: {error}"
            )));
        }
        {
            let mut queue = self.shared.queue();
            if let Some(place) = queue.place(reservation.ticket) {
                place.ready = Some(statements);
            }
            if !queue.draining {
                queue.draining = true;
                tokio::spawn(drain(Arc::clone(&self.shared)));
            }
        }
        let written = reservation.written.take().ok_or_else(outside_group)?;
        drop(reservation);
        match written.await {
            Ok(Written::Stored(durable)) => self.finish(durable).await.map(|()| true),
            Ok(Written::Again) => Ok(false),
            Ok(Written::Failed(error)) => Err(commit_failed(&error)),
            // Never taken to mean "not written": only a panic while writing drops it.
            Err(_) => Err(commit_failed("the writer stopped while writing")),
        }
    }

    /// Takes the connection, to write the careful way.
    pub(crate) async fn take_turn(&mut self) -> Result<(), StoreError> {
        let mut turn = Arc::clone(&self.shared.open).lock_owned().await;
        self.shared.open_group(&mut turn).await?;
        self.turn = Some(turn);
        Ok(())
    }

    /// Gives the connection back without writing.
    pub(crate) fn release_turn(&mut self) {
        self.turn = None;
    }

    /// Whether the queue knows the next id and number of `prefix` and `year`.
    pub(crate) fn knows_next(&self, prefix: &str, year: i64) -> bool {
        self.shared
            .queue()
            .next
            .as_ref()
            .is_some_and(|next| next.prefix == prefix && next.year == year)
    }

    /// Forgets the next id and number, before writing a report whose number the sequence
    /// decides: the reports waiting with numbers handed out are written the careful way.
    pub(crate) fn forget_next(&self) {
        self.shared.queue().forget();
    }

    /// The group's connection, for this writer's statements: the first string sent on it
    /// begins with `OPEN_REPORT`, the last ends with `CLOSE_REPORT`.
    pub(crate) fn connection(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        let group = self
            .turn
            .as_mut()
            .and_then(|turn| turn.as_mut())
            .ok_or_else(outside_group)?;
        group.unfinished = true;
        Ok(&mut *group.transaction)
    }

    /// Records the report this writer wrote, so the queue knows the next id and number.
    pub(crate) fn wrote(&self, prefix: &str, year: i64, id: i64, sequence: i64) {
        self.shared.queue().next =
            id.checked_add(1)
                .zip(sequence.checked_add(1))
                .map(|(id, sequence)| Expected {
                    prefix: prefix.to_owned(),
                    year,
                    id,
                    sequence,
                });
    }

    /// Counts this writer's statements, released by `CLOSE_REPORT`, into the group, gives
    /// the connection back (or commits the group when nobody else is writing) and returns
    /// once the group is durable.
    pub(crate) async fn written(mut self) -> Result<(), StoreError> {
        let mut turn = self.turn.take().ok_or_else(outside_group)?;
        let group = turn.as_mut().ok_or_else(outside_group)?;
        group.unfinished = false;
        group.members += 1;
        let durable = group.durable.subscribe();
        let full = group.members >= MOST_IN_GROUP;
        let last = self.count_out();
        if last || full {
            tokio::spawn(commit(Arc::clone(&self.shared), turn));
        } else {
            drop(turn);
        }
        wait_until_durable(durable).await
    }

    /// Counts a writer whose report was written by the queue out of the group (committing
    /// it when nobody else is writing), and returns once the group is durable.
    async fn finish(&mut self, durable: watch::Receiver<Outcome>) -> Result<(), StoreError> {
        if self.count_out() {
            let shared = Arc::clone(&self.shared);
            tokio::spawn(async move {
                let turn = Arc::clone(&shared.open).lock_owned().await;
                commit(shared, turn).await;
            });
        }
        wait_until_durable(durable).await
    }

    /// Counts this writer out; answers whether it was the last one writing.
    fn count_out(&mut self) -> bool {
        self.counted = false;
        self.shared.writing.fetch_sub(1, Ordering::AcqRel) == 1
    }
}

impl Drop for Member {
    /// A writer that failed or was abandoned before `written` still leaves the group; when
    /// it was the last one writing, the group's other members are committed without it.
    fn drop(&mut self) {
        if !self.counted {
            return;
        }
        drop(self.turn.take());
        if self.count_out() {
            let shared = Arc::clone(&self.shared);
            tokio::spawn(async move {
                let turn = Arc::clone(&shared.open).lock_owned().await;
                commit(shared, turn).await;
            });
        }
    }
}

async fn wait_until_durable(mut durable: watch::Receiver<Outcome>) -> Result<(), StoreError> {
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

/// Writes every report ready at the front of the queue into the open group, as one string,
/// and tells each writer what became of its report.
async fn drain(shared: Arc<Shared>) {
    let mut turn = Arc::clone(&shared.open).lock_owned().await;
    let ready = {
        let mut queue = shared.queue();
        queue.draining = false;
        queue.take_ready()
    };
    if ready.is_empty() {
        return;
    }
    let group = match shared.open_group(&mut turn).await {
        Ok(group) => group,
        Err(error) => {
            let error = error.to_string();
            shared.queue().forget();
            for (_, written) in ready {
                let _ = written.send(Written::Failed(error.clone()));
            }
            return;
        }
    };
    let mut writers = Vec::with_capacity(ready.len());
    let mut stored = 0;
    let mut ready = ready.into_iter();
    while ready.len() > 0 {
        let length = string_length(ready.len());
        let strung: Vec<_> = ready.by_ref().take(length).collect();
        let (written, failure) = write_together(group, strung, &mut writers).await;
        stored += written;
        if let Some(error) = failure {
            tracing::debug!(%error, stored, "a report written with others was not stored");
            shared.queue().forget();
            break;
        }
    }
    writers.extend(ready.map(|(_, written)| written));
    if let Err(error) = group.settle().await {
        // The group is lost, the reports stored in it with it.
        let error = error.to_string();
        shared.fail(&mut turn, error.clone());
        for (index, written) in writers.into_iter().enumerate() {
            let _ = written.send(match index < stored {
                true => Written::Failed(error.clone()),
                false => Written::Again,
            });
        }
        return;
    }
    group.members += stored;
    let durable = group.durable.subscribe();
    let mut writers = writers.into_iter();
    for written in writers.by_ref().take(stored) {
        let _ = written.send(Written::Stored(durable.clone()));
    }
    for written in writers {
        let _ = written.send(Written::Again);
    }
    // Committed at once, not when the last writer is done: reports that arrive meanwhile
    // gather for the next group, and no group waits for a writer still composing.
    commit(shared, turn).await;
}

/// How many of `waiting` reports go into the next string: a power of two, at most
/// `MOST_IN_STRING`. The connection keeps each text it has run ready to run again (the
/// statements of dozens of reports each), and every report's statements are the same
/// (`report_groups::expected_report`), so a handful of texts serve every group.
fn string_length(waiting: usize) -> usize {
    let most = waiting.clamp(1, MOST_IN_STRING);
    1 << (usize::BITS - 1 - most.leading_zeros())
}

/// Sends `strung` reports to the group as one string; answers how many were stored, in
/// order, and the error that stopped the rest. Their writers join `writers`, in order.
async fn write_together(
    group: &mut OpenGroup,
    strung: Vec<(Statements, oneshot::Sender<Written>)>,
    writers: &mut Vec<oneshot::Sender<Written>>,
) -> (usize, Option<sqlx::Error>) {
    let mut batch = Batch::default();
    let mut ends = Vec::with_capacity(strung.len());
    let mut values = Vec::new();
    for (statements, written) in strung {
        batch.append(&statements.batch, statements.values.values.len());
        ends.push(batch.statements);
        values.extend(statements.values.values);
        writers.push(written);
    }
    let mut query = sqlx::query::<Sqlite>(batch.text());
    for value in values {
        query = query.bind(Captured(value));
    }
    group.unfinished = true;
    let mut completed = 0;
    let mut failure = None;
    {
        let mut steps = (&mut *group.transaction).fetch_many(query);
        while let Some(step) = steps.next().await {
            match step {
                Ok(Either::Left(_)) => completed += 1,
                Ok(Either::Right(_)) => {}
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            }
        }
    }
    // The reports whose statements all completed are in the group; the first that did
    // not failed, and those after it were never run.
    let stored = ends.iter().take_while(|&&end| end <= completed).count();
    let began = stored.checked_sub(1).map_or(0, |before| ends[before]);
    // A report that failed at its savepoint has none to roll back to.
    group.unfinished = failure.is_some() && completed > began;
    (stored, failure)
}

/// Commits the open group, if any, while holding the lock, and tells its members; then,
/// now and then, copies the rest of the log before the next group begins.
async fn commit(shared: Arc<Shared>, mut turn: OwnedMutexGuard<Option<OpenGroup>>) {
    if let Some(mut group) = turn.take() {
        let outcome = match group.settle().await {
            Ok(()) => group.transaction.commit().await,
            Err(error) => Err(error),
        }
        .map_err(|error| error.to_string());
        if let Err(error) = &outcome {
            tracing::error!(%error, members = group.members, "a group of reports was not committed");
            shared.queue().forget();
        }
        group.durable.send_replace(Some(outcome));
        let due = shared
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
            if let Err(error) = sqlx::query(COPY_LOG).execute(&shared.writer).await {
                tracing::warn!(%error, "the writer could not copy the log's last pages");
            }
        }
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

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_powers_of_two_long_up_to_the_most() {
        let lengths: Vec<usize> = [1, 2, 3, 5, 8, 31, 32, 33, 500]
            .into_iter()
            .map(super::string_length)
            .collect();
        assert_eq!(lengths, [1, 2, 2, 4, 8, 16, 32, 32, 32]);
    }
}
