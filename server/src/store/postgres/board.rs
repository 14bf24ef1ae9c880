//! The board's writes on PostgreSQL: a batch of changes in one transaction (one
//! commit, one WAL flush), with the rules the board core's ([`crate::board`]).
//!
//! Several server processes write the same database, so a batch first locks the
//! rows of the projects it changes (in id order: no deadlock), before it reads
//! anything: from then on it sees every change committed before, and no other
//! process commits a change of those projects until it has. Revisions therefore
//! follow each other across processes with no gap and no repeat.
//!
//! Round trips are what a change costs here, so a batch keeps what it can: the
//! projects' revisions (taken under the lock, written once at the end), members'
//! roles, the columns, each list's last item (what a card added at the end goes
//! after), and the events and idempotency keys to insert (one statement each at the
//! end). Nobody else writes the locked projects meanwhile, so what the batch keeps
//! stays true but for its own writes, which keep it up to date or forget it. A change the core refuses before it writes leaves nothing; a change that
//! fails after writing (which the core's checks make rare), or a database error,
//! rolls the whole batch back, and its changes are made again one transaction each,
//! so that each gets its own answer and the others are unharmed.

use std::collections::{HashMap, HashSet};

use kanban_protocol::model::{Role, Status, Task};
use kanban_protocol::request::Change;
use postgres::types::ToSql;
use postgres::{Row, Transaction};

use super::pool::{Conn, Statements};
use super::rows::{self, status_columns, task_columns};
use crate::board::{self, BoardTx, Committed, List, NewStatusRow, NewTaskRow, OpError, TxResult, Write};

impl From<postgres::Error> for OpError {
    fn from(e: postgres::Error) -> Self {
        OpError::Failed(e.to_string())
    }
}

/// Why a batch did not commit as one.
enum Abandoned {
    /// A change failed after it had written: the batch is made again change by change.
    Split,
    /// The database failed.
    Database(postgres::Error),
}

impl From<postgres::Error> for Abandoned {
    fn from(e: postgres::Error) -> Self {
        Abandoned::Database(e)
    }
}

/// Applies `batch`; answers each write in order. `Err` only when the database
/// failed for every change.
pub fn apply(
    conn: &mut Conn,
    retention: u64,
    batch: Vec<Write>,
) -> Result<Vec<Result<Committed, OpError>>, postgres::Error> {
    match attempt(conn, retention, &batch, false) {
        Ok(out) => return Ok(out),
        Err(Abandoned::Split) => {}
        Err(Abandoned::Database(e)) if batch.len() == 1 => return Err(e),
        Err(Abandoned::Database(e)) => {
            tracing::debug!(error = %e, "a batch failed; its changes go one by one")
        }
    }
    let mut out = Vec::with_capacity(batch.len());
    for write in batch {
        match attempt(conn, retention, std::slice::from_ref(&write), true) {
            Ok(mut one) => out.push(one.pop().expect("one answer for one change")),
            Err(Abandoned::Database(e)) => out.push(Err(OpError::Failed(e.to_string()))),
            Err(Abandoned::Split) => unreachable!("a change alone is not split"),
        }
    }
    Ok(out)
}

/// One transaction for `batch`. `alone`: a change that fails after writing is
/// answered with its error (the transaction rolled back) instead of abandoning.
fn attempt(
    conn: &mut Conn,
    retention: u64,
    batch: &[Write],
    alone: bool,
) -> Result<Vec<Result<Committed, OpError>>, Abandoned> {
    let Conn { client, statements } = conn;
    let tx = client.transaction()?;
    let mut tx = Tx {
        tx,
        statements,
        revs: HashMap::new(),
        roles: HashMap::new(),
        tasks: HashMap::new(),
        statuses: HashMap::new(),
        applied: HashMap::new(),
        firsts: HashMap::new(),
        lasts: HashMap::new(),
        events: Vec::new(),
        keys: Vec::new(),
        wrote: false,
        broken: None,
    };
    tx.lock_projects(batch)?;
    let mut out = Vec::with_capacity(batch.len());
    for write in batch {
        tx.wrote = false;
        let (revs, events, keys) = (tx.revs.clone(), tx.events.len(), tx.keys.len());
        let result = board::apply(&mut tx, write.clone());
        if let Some(e) = tx.broken.take() {
            if alone {
                // The transaction is rolled back as it drops.
                return Ok(vec![Err(OpError::Failed(e.to_string()))]);
            }
            return Err(Abandoned::Database(e));
        }
        match result {
            Ok(committed) => out.push(Ok(committed)),
            Err(e) if tx.wrote => {
                if alone {
                    return Ok(vec![Err(e)]);
                }
                return Err(Abandoned::Split);
            }
            Err(e) => {
                // Nothing written: what the change kept aside goes.
                tx.revs = revs;
                tx.events.truncate(events);
                tx.keys.truncate(keys);
                out.push(Err(e));
            }
        }
    }
    tx.finish(retention)?;
    Ok(out)
}

/// Every project a write may change: named, or the project of the card or column
/// it names (a card or column never changes project).
fn named(batch: &[Write]) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    let (mut projects, mut tasks, mut statuses) = (Vec::new(), Vec::new(), Vec::new());
    for write in batch {
        match &write.change {
            Change::CreateTask { project_id, .. } | Change::CreateStatus { project_id, .. } => {
                projects.push(*project_id)
            }
            Change::UpdateTask { task_id, .. }
            | Change::MoveTask { task_id, .. }
            | Change::DeleteTask { task_id }
            | Change::RestoreTask { task_id } => tasks.push(*task_id),
            Change::UpdateStatus { status_id, .. }
            | Change::MoveStatus { status_id, .. }
            | Change::DeleteStatus { status_id, .. }
            | Change::RestoreStatus { status_id } => statuses.push(*status_id),
        }
    }
    (projects, tasks, statuses)
}

/// The batch's transaction, as the board core's.
/// A change made earlier under a key: its project, revision, event name and data.
type Made = (i64, u64, String, String);

/// The batch's transaction, as the board core's.
struct Tx<'c> {
    tx: Transaction<'c>,
    statements: &'c mut Statements,
    /// Each locked project's revision so far in this batch.
    revs: HashMap<i64, u64>,
    /// Roles looked up in this batch, by (project, user).
    roles: HashMap<(i64, i64), Option<Role>>,
    /// Cards looked up or written in this batch (`None`: none, or in the trash).
    tasks: HashMap<i64, Option<Task>>,
    /// Columns looked up or written in this batch (`None`: none, or in the trash).
    statuses: HashMap<i64, Option<Status>>,
    /// Changes made earlier under the keys this batch carries, by (user, key).
    applied: HashMap<(i64, String), Option<Made>>,
    /// Each project's first column, as looked up in this batch.
    firsts: HashMap<i64, Option<i64>>,
    /// The last item of a list and its key (`None`: the list is empty), where this
    /// batch knows it.
    lasts: HashMap<List, Option<(String, i64)>>,
    /// Events to log at the end: (project, rev, name, data).
    events: Vec<(i64, i64, &'static str, String)>,
    /// Idempotency keys to remember at the end: (user, key, project, rev, name, data).
    keys: Vec<(i64, String, i64, i64, &'static str, String)>,
    /// Whether the change under way has written a row.
    wrote: bool,
    /// A database error met by the change under way: the transaction is over.
    broken: Option<postgres::Error>,
}

impl Tx<'_> {
    /// Locks the rows of the batch's projects, in id order, and reads their
    /// revisions: everything after this sees all that was committed before. Then
    /// reads at once the cards and the change keys the batch names.
    fn lock_projects(&mut self, batch: &[Write]) -> Result<(), postgres::Error> {
        let (mut projects, tasks, statuses) = named(batch);
        if !tasks.is_empty() || !statuses.is_empty() {
            let sql = "SELECT project_id FROM tasks WHERE id = ANY($1) \
                       UNION SELECT project_id FROM statuses WHERE id = ANY($2)";
            let statement = self.statements.get(&mut self.tx, sql)?;
            projects
                .extend(self.tx.query(&statement, &[&tasks, &statuses])?.iter().map(|r| r.get::<_, i64>(0)));
        }
        projects.sort_unstable();
        projects.dedup();
        let sql = "SELECT id, rev FROM projects WHERE id = ANY($1) ORDER BY id FOR UPDATE";
        let statement = self.statements.get(&mut self.tx, sql)?;
        for row in self.tx.query(&statement, &[&projects])? {
            self.revs.insert(row.get(0), row.get::<_, i64>(1) as u64);
        }
        // Under the lock, a statement of its own (a snapshot taken after the lock):
        // the cards the batch names, and the keys it carries, in one read each.
        if !tasks.is_empty() {
            let sql =
                concat!("SELECT ", task_columns!(), " FROM tasks WHERE id = ANY($1) AND deleted_at IS NULL");
            let statement = self.statements.get(&mut self.tx, sql)?;
            self.tasks.extend(tasks.iter().map(|id| (*id, None)));
            for row in self.tx.query(&statement, &[&tasks])? {
                let task = rows::task(&row);
                self.tasks.insert(task.id, Some(task));
            }
        }
        let keyed: Vec<(i64, &str)> = batch.iter().filter_map(|w| Some((w.by, w.key.as_deref()?))).collect();
        if !keyed.is_empty() {
            let (users, keys): (Vec<i64>, Vec<&str>) = keyed.iter().copied().unzip();
            let sql = "SELECT user_id, key, project_id, rev, name, data FROM applied_requests \
                       WHERE (user_id, key) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))";
            let statement = self.statements.get(&mut self.tx, sql)?;
            self.applied.extend(keyed.iter().map(|(u, k)| ((*u, k.to_string()), None)));
            for row in self.tx.query(&statement, &[&users, &keys])? {
                let found = (row.get(2), row.get::<_, i64>(3) as u64, row.get(4), row.get(5));
                self.applied.insert((row.get(0), row.get(1)), Some(found));
            }
        }
        Ok(())
    }

    /// Writes what the batch kept aside (revisions, events, keys), trims the logs,
    /// and commits.
    fn finish(mut self, retention: u64) -> Result<(), postgres::Error> {
        let (events, keys) = (std::mem::take(&mut self.events), std::mem::take(&mut self.keys));
        if !events.is_empty() {
            let touched: HashSet<i64> = events.iter().map(|e| e.0).collect();
            let (ids, revs): (Vec<i64>, Vec<i64>) = touched.iter().map(|p| (*p, self.revs[p] as i64)).unzip();
            self.run(
                "UPDATE projects SET rev = v.rev FROM unnest($1::bigint[], $2::bigint[]) AS v(id, rev) \
                 WHERE projects.id = v.id",
                &[&ids, &revs],
            )?;
            let (p, r, n, d) = columns4(&events);
            self.run(
                "INSERT INTO events (project_id, rev, name, data) \
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])",
                &[&p, &r, &n, &d],
            )?;
            for (&project_id, &rev) in ids.iter().zip(&revs) {
                // Keep the last `retention` events; older ones answer 410.
                let crossed = events.iter().any(|e| e.0 == project_id && (e.1 as u64).is_multiple_of(64));
                if crossed && rev as u64 > retention {
                    let cutoff = rev - retention as i64;
                    self.run(
                        "DELETE FROM events WHERE project_id = $1 AND rev <= $2",
                        &[&project_id, &cutoff],
                    )?;
                    // Keys of changes are kept a week: long enough for any replay.
                    self.run("DELETE FROM applied_requests WHERE at < now() - interval '7 days'", &[])?;
                }
            }
        }
        if !keys.is_empty() {
            let users: Vec<i64> = keys.iter().map(|k| k.0).collect();
            let names_of: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
            let projects: Vec<i64> = keys.iter().map(|k| k.2).collect();
            let revs: Vec<i64> = keys.iter().map(|k| k.3).collect();
            let events: Vec<&str> = keys.iter().map(|k| k.4).collect();
            let data: Vec<&str> = keys.iter().map(|k| k.5.as_str()).collect();
            self.run(
                "INSERT INTO applied_requests (user_id, key, project_id, rev, name, data) \
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[])",
                &[&users, &names_of, &projects, &revs, &events, &data],
            )?;
        }
        self.tx.commit()
    }

    fn run(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, postgres::Error> {
        let statement = self.statements.get(&mut self.tx, sql)?;
        self.tx.execute(&statement, params)
    }

    /// Notes a database error: the change fails, and so does the transaction.
    fn failed(&mut self, e: postgres::Error) -> OpError {
        let op = OpError::Failed(e.to_string());
        self.broken.get_or_insert(e);
        op
    }

    fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> TxResult<Vec<Row>> {
        let result = self.statements.get(&mut self.tx, sql).and_then(|s| self.tx.query(&s, params));
        result.map_err(|e| self.failed(e))
    }

    fn query_opt(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> TxResult<Option<Row>> {
        let result = self.statements.get(&mut self.tx, sql).and_then(|s| self.tx.query_opt(&s, params));
        result.map_err(|e| self.failed(e))
    }

    /// A statement that writes: the change can no longer be dropped on its own.
    fn write_one(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> TxResult<Row> {
        self.wrote = true;
        let result = self.statements.get(&mut self.tx, sql).and_then(|s| self.tx.query_one(&s, params));
        result.map_err(|e| self.failed(e))
    }

    fn write_all(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> TxResult<Vec<Row>> {
        self.wrote = true;
        self.query(sql, params)
    }

    /// One order key, or none. The list queries ask for the first row in key order
    /// rather than `MIN`/`MAX`: an index scan that stops at once, whatever the
    /// planner's statistics say of the column's size.
    fn key(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> TxResult<Option<String>> {
        Ok(self.query_opt(sql, params)?.map(|r| r.get(0)))
    }
}

/// The four columns of the events kept aside, for `unnest`.
fn columns4<'a>(
    events: &'a [(i64, i64, &'static str, String)],
) -> (Vec<i64>, Vec<i64>, Vec<&'a str>, Vec<&'a str>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (p, r, n, d) in events {
        out.0.push(*p);
        out.1.push(*r);
        out.2.push(*n);
        out.3.push(d.as_str());
    }
    out
}

/// The SQL of a list query, for the cards of a column or the columns of a project.
fn list_sql(list: List, tasks: &'static str, statuses: &'static str) -> (&'static str, i64) {
    match list {
        List::Column(id) => (tasks, id),
        List::Columns(id) => (statuses, id),
    }
}

/// What the batch keeps of lists and columns, kept true through its own writes.
impl Tx<'_> {
    /// Item `id` now has `key` in `list`: it is the list's last item if it sorts
    /// after the last one known.
    fn placed(&mut self, list: List, id: i64, key: &str) {
        if let Some(last) = self.lasts.get_mut(&list) {
            match last {
                Some((k, _)) if key <= k.as_str() => {}
                _ => *last = Some((key.to_string(), id)),
            }
        }
    }

    /// Item `id` (a card, or a column with `columns`) left where it was: a list it
    /// was the last item of is no longer known.
    fn left(&mut self, id: i64, columns: bool) {
        self.lasts.retain(|list, last| {
            matches!(list, List::Columns(_)) != columns || last.as_ref().is_none_or(|(_, i)| *i != id)
        });
    }

    /// A column was written: it is kept as it is now (`None` for one gone to the
    /// trash), and the projects' first columns are looked up again.
    fn column_now(&mut self, status_id: i64, status: Option<&Status>) {
        self.firsts.clear();
        self.statuses.insert(status_id, status.cloned());
    }
}

impl BoardTx for Tx<'_> {
    fn role(&mut self, project_id: i64, user_id: i64) -> TxResult<Option<Role>> {
        if let Some(role) = self.roles.get(&(project_id, user_id)) {
            return Ok(*role);
        }
        let sql = "SELECT role FROM members WHERE project_id = $1 AND user_id = $2";
        let role =
            self.query_opt(sql, &[&project_id, &user_id])?.and_then(|r| r.get::<_, &str>(0).parse().ok());
        self.roles.insert((project_id, user_id), role);
        Ok(role)
    }

    fn task(&mut self, task_id: i64) -> TxResult<Option<Task>> {
        if let Some(task) = self.tasks.get(&task_id) {
            return Ok(task.clone());
        }
        let sql = concat!("SELECT ", task_columns!(), " FROM tasks WHERE id = $1 AND deleted_at IS NULL");
        let task = self.query_opt(sql, &[&task_id])?.as_ref().map(rows::task);
        self.tasks.insert(task_id, task.clone());
        Ok(task)
    }

    fn status(&mut self, status_id: i64) -> TxResult<Option<Status>> {
        if let Some(status) = self.statuses.get(&status_id) {
            return Ok(status.clone());
        }
        let sql =
            concat!("SELECT ", status_columns!(), " FROM statuses WHERE id = $1 AND deleted_at IS NULL");
        let status = self.query_opt(sql, &[&status_id])?.as_ref().map(rows::status);
        self.statuses.insert(status_id, status.clone());
        Ok(status)
    }

    fn first_status(&mut self, project_id: i64) -> TxResult<Option<i64>> {
        if let Some(first) = self.firsts.get(&project_id) {
            return Ok(*first);
        }
        let sql = "SELECT id FROM statuses WHERE project_id = $1 AND deleted_at IS NULL ORDER BY position, id LIMIT 1";
        let first = self.query_opt(sql, &[&project_id])?.map(|r| r.get(0));
        self.firsts.insert(project_id, first);
        Ok(first)
    }

    fn cards(&mut self, status_id: i64) -> TxResult<Vec<Task>> {
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE status_id = $1 AND deleted_at IS NULL ORDER BY position, id"
        );
        Ok(self.query(sql, &[&status_id])?.iter().map(rows::task).collect())
    }

    fn key_of(&mut self, list: List, id: i64) -> TxResult<Option<String>> {
        let (sql, scope) = list_sql(
            list,
            "SELECT position FROM tasks WHERE id = $1 AND status_id = $2 AND deleted_at IS NULL",
            "SELECT position FROM statuses WHERE id = $1 AND project_id = $2 AND deleted_at IS NULL",
        );
        self.key(sql, &[&id, &scope])
    }

    fn key_above(&mut self, list: List, key: &str, except: i64) -> TxResult<Option<String>> {
        let (sql, scope) = list_sql(
            list,
            "SELECT position FROM tasks WHERE status_id = $1 AND position > $2 AND id != $3 AND deleted_at IS NULL \
             ORDER BY position LIMIT 1",
            "SELECT position FROM statuses WHERE project_id = $1 AND position > $2 AND id != $3 \
             AND deleted_at IS NULL ORDER BY position LIMIT 1",
        );
        self.key(sql, &[&scope, &key, &except])
    }

    fn key_below(&mut self, list: List, key: &str, except: i64) -> TxResult<Option<String>> {
        let (sql, scope) = list_sql(
            list,
            "SELECT position FROM tasks WHERE status_id = $1 AND position < $2 AND id != $3 AND deleted_at IS NULL \
             ORDER BY position DESC LIMIT 1",
            "SELECT position FROM statuses WHERE project_id = $1 AND position < $2 AND id != $3 \
             AND deleted_at IS NULL ORDER BY position DESC LIMIT 1",
        );
        self.key(sql, &[&scope, &key, &except])
    }

    fn last_key(&mut self, list: List, except: i64) -> TxResult<Option<String>> {
        match self.lasts.get(&list) {
            Some(None) => return Ok(None),
            Some(Some((key, id))) if *id != except => return Ok(Some(key.clone())),
            _ => {}
        }
        if except != 0 && self.lasts.contains_key(&list) {
            // The last item is the one being placed: the one before it, asked for.
            let (sql, scope) = list_sql(
                list,
                "SELECT position FROM tasks WHERE status_id = $1 AND id != $2 AND deleted_at IS NULL \
                 ORDER BY position DESC LIMIT 1",
                "SELECT position FROM statuses WHERE project_id = $1 AND id != $2 AND deleted_at IS NULL \
                 ORDER BY position DESC LIMIT 1",
            );
            return self.key(sql, &[&scope, &except]);
        }
        // The list's last two items: the last is kept, and the one before it
        // answers when the last is the one being placed.
        let (sql, scope) = list_sql(
            list,
            "SELECT position, id FROM tasks WHERE status_id = $1 AND deleted_at IS NULL \
             ORDER BY position DESC LIMIT 2",
            "SELECT position, id FROM statuses WHERE project_id = $1 AND deleted_at IS NULL \
             ORDER BY position DESC LIMIT 2",
        );
        let last: Vec<(String, i64)> =
            self.query(sql, &[&scope])?.iter().map(|r| (r.get(0), r.get(1))).collect();
        self.lasts.insert(list, last.first().cloned());
        Ok(last.into_iter().find(|(_, id)| *id != except).map(|(key, _)| key))
    }

    fn keys(&mut self, list: List, except: i64) -> TxResult<Vec<(i64, String)>> {
        let (sql, scope) = list_sql(
            list,
            "SELECT id, position FROM tasks WHERE status_id = $1 AND id != $2 AND deleted_at IS NULL \
             ORDER BY position, id",
            "SELECT id, position FROM statuses WHERE project_id = $1 AND id != $2 AND deleted_at IS NULL \
             ORDER BY position, id",
        );
        Ok(self.query(sql, &[&scope, &except])?.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn set_key(&mut self, list: List, id: i64, key: &str) -> TxResult<()> {
        let (sql, _) = list_sql(
            list,
            "UPDATE tasks SET position = $1 WHERE id = $2 RETURNING id",
            "UPDATE statuses SET position = $1 WHERE id = $2 RETURNING id",
        );
        // Re-spacing: the list's keys change.
        self.lasts.remove(&list);
        match list {
            List::Columns(_) => {
                self.firsts.clear();
                self.statuses.remove(&id);
            }
            List::Column(_) => {
                if let Some(Some(task)) = self.tasks.get_mut(&id) {
                    task.position = key.to_string();
                }
            }
        }
        self.write_all(sql, &[&key, &id])?;
        Ok(())
    }

    fn insert_task(&mut self, row: &NewTaskRow) -> TxResult<Task> {
        let sql = concat!(
            "INSERT INTO tasks (project_id, status_id, title, description, assignee_id, priority, labels, \
             due_date, position, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
             RETURNING ",
            task_columns!()
        );
        let priority = row.priority.as_str();
        let values: [&(dyn ToSql + Sync); 10] = [
            &row.project_id,
            &row.status_id,
            &row.title,
            &row.description,
            &row.assignee_id,
            &priority,
            &row.labels,
            &row.due_date,
            &row.position,
            &row.by,
        ];
        let task = rows::task(&self.write_one(sql, &values)?);
        self.placed(List::Column(task.status_id), task.id, &task.position);
        self.tasks.insert(task.id, Some(task.clone()));
        Ok(task)
    }

    fn update_task(&mut self, task: &Task, by: i64) -> TxResult<Task> {
        let sql = concat!(
            "UPDATE tasks SET title = $1, description = $2, assignee_id = $3, priority = $4, labels = $5, \
             due_date = $6, version = version + 1, updated_by = $7, updated_at = now() WHERE id = $8 RETURNING ",
            task_columns!()
        );
        let priority = task.priority.as_str();
        let values: [&(dyn ToSql + Sync); 8] = [
            &task.title,
            &task.description,
            &task.assignee_id,
            &priority,
            &task.labels,
            &task.due_date,
            &by,
            &task.id,
        ];
        let task = rows::task(&self.write_one(sql, &values)?);
        self.tasks.insert(task.id, Some(task.clone()));
        Ok(task)
    }

    fn place_task(&mut self, task_id: i64, status_id: i64, key: &str, by: i64) -> TxResult<Task> {
        let sql = concat!(
            "UPDATE tasks SET status_id = $1, position = $2, version = version + 1, updated_by = $3, \
             updated_at = now() WHERE id = $4 RETURNING ",
            task_columns!()
        );
        let task = rows::task(&self.write_one(sql, &[&status_id, &key, &by, &task_id])?);
        self.left(task_id, false);
        self.placed(List::Column(status_id), task_id, key);
        self.tasks.insert(task_id, Some(task.clone()));
        Ok(task)
    }

    fn trash_task(&mut self, task_id: i64, by: i64, with: Option<i64>) -> TxResult<()> {
        let sql = "UPDATE tasks SET deleted_at = now(), deleted_by = $1, trashed_with = $2 WHERE id = $3 RETURNING id";
        self.write_all(sql, &[&by, &with, &task_id])?;
        self.left(task_id, false);
        self.tasks.insert(task_id, None);
        Ok(())
    }

    fn trashed_task(&mut self, task_id: i64) -> TxResult<Option<(Task, Option<i64>)>> {
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            ", trashed_with FROM tasks WHERE id = $1 AND deleted_at IS NOT NULL"
        );
        Ok(self.query_opt(sql, &[&task_id])?.map(|r| (rows::task(&r), r.get(rows::TASK_COLUMNS))))
    }

    fn restore_task(&mut self, task_id: i64, status_id: i64, key: &str, by: i64) -> TxResult<Task> {
        let sql = concat!(
            "UPDATE tasks SET deleted_at = NULL, deleted_by = NULL, trashed_with = NULL, status_id = $1, \
             position = $2, version = version + 1, updated_by = $3, updated_at = now() WHERE id = $4 RETURNING ",
            task_columns!()
        );
        let task = rows::task(&self.write_one(sql, &[&status_id, &key, &by, &task_id])?);
        self.placed(List::Column(status_id), task_id, key);
        self.tasks.insert(task_id, Some(task.clone()));
        Ok(task)
    }

    fn insert_status(&mut self, row: &NewStatusRow) -> TxResult<Status> {
        let sql = concat!(
            "INSERT INTO statuses (project_id, name, color, position, wip_limit) VALUES ($1, $2, $3, $4, $5) \
             RETURNING ",
            status_columns!()
        );
        let wip = row.wip_limit.and_then(|w| i32::try_from(w).ok());
        let values: [&(dyn ToSql + Sync); 5] = [&row.project_id, &row.name, &row.color, &row.position, &wip];
        let status = rows::status(&self.write_one(sql, &values)?);
        self.column_now(status.id, Some(&status));
        self.placed(List::Columns(status.project_id), status.id, &status.position);
        // A new column holds no card.
        self.lasts.insert(List::Column(status.id), None);
        Ok(status)
    }

    fn update_status(&mut self, status: &Status) -> TxResult<Status> {
        let sql = concat!(
            "UPDATE statuses SET name = $1, color = $2, wip_limit = $3, version = version + 1, updated_at = now() \
             WHERE id = $4 RETURNING ",
            status_columns!()
        );
        let wip = status.wip_limit.and_then(|w| i32::try_from(w).ok());
        let status = rows::status(&self.write_one(sql, &[&status.name, &status.color, &wip, &status.id])?);
        self.column_now(status.id, Some(&status));
        Ok(status)
    }

    fn place_status(&mut self, status_id: i64, key: &str) -> TxResult<Status> {
        let sql = concat!(
            "UPDATE statuses SET position = $1, version = version + 1, updated_at = now() WHERE id = $2 RETURNING ",
            status_columns!()
        );
        let status = rows::status(&self.write_one(sql, &[&key, &status_id])?);
        self.column_now(status_id, Some(&status));
        self.left(status_id, true);
        self.placed(List::Columns(status.project_id), status_id, key);
        Ok(status)
    }

    fn trash_status(&mut self, status_id: i64, by: i64) -> TxResult<()> {
        let sql = "UPDATE statuses SET deleted_at = now(), deleted_by = $1 WHERE id = $2 RETURNING id";
        self.write_all(sql, &[&by, &status_id])?;
        self.column_now(status_id, None);
        self.left(status_id, true);
        Ok(())
    }

    fn trashed_status(&mut self, status_id: i64) -> TxResult<Option<Status>> {
        let sql =
            concat!("SELECT ", status_columns!(), " FROM statuses WHERE id = $1 AND deleted_at IS NOT NULL");
        Ok(self.query_opt(sql, &[&status_id])?.as_ref().map(rows::status))
    }

    fn restore_status(&mut self, status_id: i64, key: &str) -> TxResult<(Status, Vec<Task>)> {
        let sql = concat!(
            "UPDATE statuses SET deleted_at = NULL, deleted_by = NULL, position = $1, version = version + 1, \
             updated_at = now() WHERE id = $2 RETURNING ",
            status_columns!()
        );
        let status = rows::status(&self.write_one(sql, &[&key, &status_id])?);
        let sql = concat!(
            "UPDATE tasks SET deleted_at = NULL, deleted_by = NULL, trashed_with = NULL WHERE trashed_with = $1 \
             RETURNING ",
            task_columns!()
        );
        let mut cards: Vec<Task> = self.write_all(sql, &[&status_id])?.iter().map(rows::task).collect();
        cards.sort_by(|a, b| (&a.position, a.id).cmp(&(&b.position, b.id)));
        self.column_now(status_id, Some(&status));
        self.placed(List::Columns(status.project_id), status_id, key);
        // Its cards are back in it.
        self.lasts.remove(&List::Column(status_id));
        self.tasks.extend(cards.iter().map(|t| (t.id, Some(t.clone()))));
        Ok((status, cards))
    }

    fn next_rev(&mut self, project_id: i64) -> TxResult<u64> {
        let rev = match self.revs.get(&project_id) {
            Some(rev) => rev + 1,
            None => {
                // Not named by the batch (the core came to it along the way): locked now.
                let row =
                    self.query_opt("SELECT rev FROM projects WHERE id = $1 FOR UPDATE", &[&project_id])?;
                row.ok_or(OpError::NotFound("project"))?.get::<_, i64>(0) as u64 + 1
            }
        };
        self.revs.insert(project_id, rev);
        Ok(rev)
    }

    fn log_event(&mut self, project_id: i64, rev: u64, name: &str, data: &str) -> TxResult<()> {
        let name = kanban_protocol::model::events::ALL
            .into_iter()
            .find(|n| *n == name)
            .ok_or_else(|| OpError::Failed(format!("{name:?} is not an event")))?;
        self.events.push((project_id, rev as i64, name, data.to_string()));
        Ok(())
    }

    fn applied(&mut self, user_id: i64, key: &str) -> TxResult<Option<(i64, u64, String, String)>> {
        // A key used earlier in this very batch.
        if let Some(k) = self.keys.iter().find(|k| k.0 == user_id && k.1 == key) {
            return Ok(Some((k.2, k.3 as u64, k.4.to_string(), k.5.clone())));
        }
        if let Some(found) = self.applied.get(&(user_id, key.to_string())) {
            return Ok(found.clone());
        }
        let sql = "SELECT project_id, rev, name, data FROM applied_requests WHERE user_id = $1 AND key = $2";
        let row = self.query_opt(sql, &[&user_id, &key])?;
        Ok(row.map(|r| (r.get(0), r.get::<_, i64>(1) as u64, r.get(2), r.get(3))))
    }

    fn remember(&mut self, user_id: i64, key: &str, committed: &Committed) -> TxResult<()> {
        let data = committed.data.to_string();
        self.keys.push((
            user_id,
            key.to_string(),
            committed.project_id,
            committed.rev as i64,
            committed.event,
            data,
        ));
        Ok(())
    }
}
