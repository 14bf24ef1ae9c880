//! How a batch of board changes is committed, for every backend: one transaction
//! for the whole batch (one fsync, one WAL flush); each change all or nothing
//! inside it (a mark before it, undone when the core refuses it); the event log
//! and the change keys trimmed whenever a project's revision reaches a multiple
//! of 64; and when the database fails the batch, each change again in a
//! transaction of its own, so that each gets its own answer and the others are
//! unharmed. A backend lends the transaction ([`BatchTx`]); the rules of each
//! change are the board core's ([`crate::board`]).

use std::collections::HashMap;

use super::{Result, StoreError};
use crate::board::{self, BoardTx, Committed, OpError, Write};

/// One change's answer.
pub type Answer = std::result::Result<Committed, OpError>;

/// Keys of changes are kept a week: long enough for any replay.
pub const KEYS_KEPT_DAYS: u32 = 7;

/// A backend's connection, as the batch policy uses it.
pub trait Batches: Sized {
    type Tx<'c>: BatchTx
    where
        Self: 'c;

    /// Begins the transaction of `batch` (and reads or locks what it names).
    fn begin<'c>(c: &'c mut Self, batch: &[Write]) -> Result<Self::Tx<'c>>;

    /// After the batch failed with `e` before its commit: whether the connection
    /// was lost and has been replaced, so that the batch may go again at once.
    fn recover(_c: &mut Self, _e: &StoreError) -> bool {
        false
    }
}

/// A batch's transaction, as the board core's transaction and a little more.
pub trait BatchTx: BoardTx {
    type Mark;
    /// Where the next change starts.
    fn mark(&mut self) -> Result<Self::Mark>;
    /// The change since `mark` stays.
    fn keep(&mut self, mark: Self::Mark) -> Result<()>;
    /// The change since `mark` leaves no trace.
    fn undo(&mut self, mark: Self::Mark) -> Result<()>;
    /// The database error that ended the transaction, where a failed statement
    /// ends it (a change's own failure is otherwise that change's answer).
    fn broken(&mut self) -> Option<StoreError>;
    /// Deletes the project's events up to revision `upto`, and change keys older
    /// than [`KEYS_KEPT_DAYS`].
    fn trim(&mut self, project_id: i64, upto: u64) -> Result<()>;
    /// Writes what is left to write and commits.
    fn commit(self) -> std::result::Result<(), Commit>;
}

/// Why a commit failed.
#[derive(Debug)]
pub enum Commit {
    /// Nothing of the batch was made.
    NotMade(StoreError),
    /// The commit was sent and its answer lost: it may have happened.
    Unknown(StoreError),
}

/// Applies `batch`, keeping the last `retention` events of each project; answers
/// each change in order. `Err` when the database took none of it.
pub fn apply<C: Batches>(c: &mut C, retention: u64, batch: &[Write]) -> Result<Vec<Answer>> {
    let first = match attempt(c, retention, batch) {
        Err(e) if C::recover(c, &e) => {
            tracing::info!(error = %e, "the database connection was lost: the batch goes again on another");
            attempt(c, retention, batch)
        }
        other => other,
    };
    let failure = match first {
        Ok(out) => return Ok(out),
        Err(e) if batch.len() == 1 => return Err(e),
        Err(e) => e,
    };
    tracing::debug!(error = %failure, "a batch failed; its changes go one by one");
    let mut out = Vec::with_capacity(batch.len());
    let mut taken = false;
    for write in batch {
        match attempt(c, retention, std::slice::from_ref(write)) {
            Ok(mut one) => {
                taken = true;
                out.push(one.pop().expect("one answer for one change"));
            }
            Err(e) => out.push(Err(OpError::Failed(e.to_string()))),
        }
    }
    // A database that took none of them takes no writes now (a full disk): said
    // as the batch's failure, which readiness reports.
    if !taken {
        return Err(failure);
    }
    Ok(out)
}

/// One transaction for `batch`: all of it, or a database error.
fn attempt<C: Batches>(c: &mut C, retention: u64, batch: &[Write]) -> Result<Vec<Answer>> {
    let mut tx = C::begin(c, batch)?;
    let mut out = Vec::with_capacity(batch.len());
    for write in batch {
        let mark = tx.mark()?;
        let result = board::apply(&mut tx, write.clone());
        if let Some(e) = tx.broken() {
            return Err(e);
        }
        match &result {
            Ok(_) => tx.keep(mark)?,
            Err(_) => tx.undo(mark)?,
        }
        out.push(result);
    }
    // Each project whose revision reached a multiple of 64 in this batch, at the
    // highest such revision: its log keeps the last `retention` events.
    let mut crossed: HashMap<i64, u64> = HashMap::new();
    for made in out.iter().flatten().filter(|made| !made.replayed && made.rev.is_multiple_of(64)) {
        let rev = crossed.entry(made.project_id).or_default();
        *rev = (*rev).max(made.rev);
    }
    for (project_id, rev) in crossed {
        tx.trim(project_id, rev.saturating_sub(retention))?;
    }
    match tx.commit() {
        Ok(()) => Ok(out),
        Err(Commit::NotMade(e)) => Err(e),
        // Not made again: its clients learn which from the board, or send it
        // again under its key.
        Err(Commit::Unknown(e)) => Ok(out
            .into_iter()
            .map(|_| Err(OpError::Failed(format!("the commit's answer was lost: {e}"))))
            .collect()),
    }
}
