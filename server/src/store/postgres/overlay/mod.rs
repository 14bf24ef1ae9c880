//! The board core's transaction on PostgreSQL ([`Tx`]): what a batch reads comes
//! from the database once and is kept; what it writes is kept too, in memory, and
//! written at the end in a few statements for the whole batch ([`super::board`]).
//! Reads see the batch's own writes: a list's keys are the database's, leaving out
//! the items the batch holds, together with those it holds. Nobody else writes the
//! locked projects meanwhile, so what the batch holds stays true.
//!
//! Every write is journalled, so that a change the core refuses halfway (after it
//! wrote) is undone in memory and leaves nothing, as a savepoint would.
//!
//! Here: the state and its journal; in [`held`], what the batch holds and the
//! database's rows merged with it; in `board_tx`, the core's transaction over both.

mod board_tx;
mod held;

use std::collections::{HashMap, HashSet};

use kanban_protocol::model::{Role, Status, Task};
use postgres::{Row, Transaction};

use super::pool::Statements;
use super::rows;
use crate::board::List;

/// A change made earlier under a key: its project, revision, event name and data.
pub type Made = (i64, u64, String, String);

/// A card as the batch holds it.
#[derive(Debug, Clone)]
pub struct Card {
    pub task: Task,
    /// In the trash: who deleted it (if they are still a user), and the column it
    /// went with.
    pub trash: Option<(Option<i64>, Option<i64>)>,
}

/// A column as the batch holds it.
#[derive(Debug, Clone)]
pub struct Column {
    pub status: Status,
    /// In the trash: who deleted it (if they are still a user).
    pub trash: Option<Option<i64>>,
}

/// A write, with what it replaced, to undo it.
enum Undo {
    Card(i64, Option<Option<Card>>, bool),
    Column(i64, Option<Option<Column>>, bool),
}

/// The batch's transaction, as the board core's.
pub struct Tx<'c> {
    pub tx: Transaction<'c>,
    pub statements: &'c mut Statements,
    /// The transaction's time (`now()`, one for the whole transaction), as the API
    /// writes times.
    pub now: String,
    /// Each locked project's revision so far in this batch.
    pub revs: HashMap<i64, u64>,
    /// Roles looked up in this batch, by (project, user).
    pub roles: HashMap<(i64, i64), Option<Role>>,
    /// Whether each project looked up is archived (it cannot change while the
    /// batch holds its lock).
    pub archived: HashMap<i64, bool>,
    /// Cards the batch holds (`None`: there is no such card).
    pub cards: HashMap<i64, Option<Card>>,
    /// Columns the batch holds (`None`: there is no such column).
    pub columns: HashMap<i64, Option<Column>>,
    /// Cards and columns made in this batch, in order, and the held ones it changed.
    pub new_cards: Vec<i64>,
    pub new_columns: Vec<i64>,
    pub changed_cards: HashSet<i64>,
    pub changed_columns: HashSet<i64>,
    /// Ids taken from the database's sequences for what the batch makes.
    pub card_ids: Vec<i64>,
    pub column_ids: Vec<i64>,
    /// Changes made earlier under the keys this batch carries, by (user, key).
    pub applied: HashMap<(i64, String), Option<Made>>,
    /// Each project's first column, as found in this batch.
    firsts: HashMap<i64, Option<i64>>,
    /// The last item of a list and its key (`None`: the list is empty), where this
    /// batch knows it.
    lasts: HashMap<List, Option<(String, i64)>>,
    /// Events to log at the end: (project, rev, name, data).
    pub events: Vec<(i64, i64, &'static str, String)>,
    /// Idempotency keys to remember at the end: (user, key, project, rev, name, data).
    pub keys: Vec<(i64, String, i64, i64, &'static str, String)>,
    /// The journal of the change under way.
    journal: Vec<Undo>,
    /// A database error met by the change under way: the transaction is over.
    pub broken: Option<postgres::Error>,
}

impl<'c> Tx<'c> {
    pub fn new(tx: Transaction<'c>, statements: &'c mut Statements) -> Tx<'c> {
        Tx {
            tx,
            statements,
            now: String::new(),
            revs: HashMap::new(),
            roles: HashMap::new(),
            archived: HashMap::new(),
            cards: HashMap::new(),
            columns: HashMap::new(),
            new_cards: Vec::new(),
            new_columns: Vec::new(),
            changed_cards: HashSet::new(),
            changed_columns: HashSet::new(),
            card_ids: Vec::new(),
            column_ids: Vec::new(),
            applied: HashMap::new(),
            firsts: HashMap::new(),
            lasts: HashMap::new(),
            events: Vec::new(),
            keys: Vec::new(),
            journal: Vec::new(),
            broken: None,
        }
    }
}

/// Where a change under way stands, to go back to if it is refused.
pub struct Mark {
    revs: HashMap<i64, u64>,
    events: usize,
    keys: usize,
}

impl Tx<'_> {
    /// Starts a change.
    pub fn mark(&mut self) -> Mark {
        self.journal.clear();
        Mark { revs: self.revs.clone(), events: self.events.len(), keys: self.keys.len() }
    }

    /// The change was refused: whatever it wrote is undone.
    pub fn undo(&mut self, mark: Mark) {
        let wrote = !self.journal.is_empty();
        while let Some(undo) = self.journal.pop() {
            match undo {
                Undo::Card(id, before, changed) => {
                    restore(&mut self.cards, id, before);
                    if !changed {
                        self.changed_cards.remove(&id);
                    }
                    self.new_cards.retain(|n| *n != id || self.cards.get(n).is_some_and(Option::is_some));
                }
                Undo::Column(id, before, changed) => {
                    restore(&mut self.columns, id, before);
                    if !changed {
                        self.changed_columns.remove(&id);
                    }
                    self.new_columns.retain(|n| *n != id || self.columns.get(n).is_some_and(Option::is_some));
                }
            }
        }
        if wrote {
            // What was derived from the writes is found again.
            self.firsts.clear();
            self.lasts.clear();
        }
        self.revs = mark.revs;
        self.events.truncate(mark.events);
        self.keys.truncate(mark.keys);
    }
}

fn restore<T>(map: &mut HashMap<i64, Option<T>>, id: i64, before: Option<Option<T>>) {
    match before {
        Some(value) => {
            map.insert(id, value);
        }
        None => {
            map.remove(&id);
        }
    }
}

/// A card from a row of `task_columns!()` followed by deleted?, deleted_by,
/// trashed_with.
pub fn card_of(row: &Row) -> Card {
    let n = rows::TASK_COLUMNS;
    let trash = row.get::<_, bool>(n).then(|| (row.get(n + 1), row.get(n + 2)));
    Card { task: rows::task(row), trash }
}

/// A column from a row of `status_columns!()` followed by deleted?, deleted_by.
pub fn column_of(row: &Row) -> Column {
    let n = rows::STATUS_COLUMNS;
    let trash = row.get::<_, bool>(n).then(|| row.get(n + 1));
    Column { status: rows::status(row), trash }
}
