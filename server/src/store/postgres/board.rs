//! The board's writes on PostgreSQL: a batch of changes in one transaction (one
//! commit, one WAL flush), with the rules the board core's ([`crate::board`]).
//!
//! Several server processes write the same database, so a batch first locks the
//! rows of the projects it changes (in id order: no deadlock), before it reads
//! anything: from then on it sees every change committed before, and no other
//! process commits a change of those projects until it has. Revisions therefore
//! follow each other across processes with no gap and no repeat.
//!
//! Round trips and statements are what a change costs here, so the core runs over
//! what the batch holds in memory ([`overlay`]): the cards and columns it names,
//! read once under the lock, and whatever else it reads, kept. What the changes
//! write is written at the end, for the whole batch, in a few set statements:
//! the cards and columns made, those changed, the event log, the change keys, the
//! revisions. A change the core refuses is undone in memory. What happens when
//! the database fails a batch is the batch policy's ([`crate::store::batch`]).

use std::collections::HashSet;

use kanban_protocol::request::Change;
use postgres::types::ToSql;

use super::overlay::{self, Tx};
use super::pool::Conn;
use super::rows::{status_columns, task_columns};
use crate::board::{OpError, Write};
use crate::store::batch::{BatchTx, Batches, Commit, KEYS_KEPT_DAYS};
use crate::store::sql::ChangeSql;
use crate::store::{Failure, StoreError};

impl From<postgres::Error> for OpError {
    fn from(e: postgres::Error) -> Self {
        OpError::Failed(e.to_string())
    }
}

impl ChangeSql for Conn {
    fn purge_trash(c: &mut Conn, days: u32) -> crate::store::Result<u64> {
        let days = i32::try_from(days).unwrap_or(i32::MAX);
        let mut tx = c.client.transaction()?;
        // Cards first: a column goes once no card refers to it.
        let cards =
            tx.execute("DELETE FROM tasks WHERE deleted_at <= now() - make_interval(days => $1)", &[&days])?;
        let columns = tx.execute(
            "DELETE FROM statuses WHERE deleted_at <= now() - make_interval(days => $1) \
             AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.status_id = statuses.id)",
            &[&days],
        )?;
        tx.commit()?;
        Ok(cards + columns)
    }
}

impl Batches for Conn {
    type Tx<'c> = Tx<'c>;

    fn begin<'c>(c: &'c mut Conn, batch: &[Write]) -> crate::store::Result<Tx<'c>> {
        let Conn { client, statements, .. } = c;
        let mut tx = Tx::new(client.transaction()?, statements);
        prepare(&mut tx, batch)?;
        Ok(tx)
    }

    /// The connection was gone before the batch could commit (a database
    /// restart): nothing of it was made, so it may go again on a new one. (An
    /// error at the commit itself is [`Commit::Unknown`].)
    fn recover(c: &mut Conn, e: &StoreError) -> bool {
        e.is(Failure::Lost) && c.reopen().is_ok()
    }
}

impl BatchTx for Tx<'_> {
    /// Where the overlay was: what the change wrote is in memory until the commit.
    type Mark = overlay::Mark;

    fn mark(&mut self) -> crate::store::Result<overlay::Mark> {
        Ok(Tx::mark(self))
    }

    fn keep(&mut self, _: overlay::Mark) -> crate::store::Result<()> {
        Ok(())
    }

    fn undo(&mut self, mark: overlay::Mark) -> crate::store::Result<()> {
        Tx::undo(self, mark);
        Ok(())
    }

    /// Any failed statement aborts a PostgreSQL transaction.
    fn broken(&mut self) -> Option<StoreError> {
        self.broken.take().map(StoreError::from)
    }

    fn trim(&mut self, project_id: i64, upto: u64) -> crate::store::Result<()> {
        run(self, "DELETE FROM events WHERE project_id = $1 AND rev <= $2", &[&project_id, &(upto as i64)])?;
        let days = KEYS_KEPT_DAYS as i32;
        run(self, "DELETE FROM applied_requests WHERE at < now() - make_interval(days => $1)", &[&days])?;
        Ok(())
    }

    fn commit(mut self) -> Result<(), Commit> {
        flush(&mut self).map_err(|e| Commit::NotMade(e.into()))?;
        self.tx.commit().map_err(|e| Commit::Unknown(e.into()))
    }
}

/// What the batch names: projects, cards, columns, and how many cards and columns
/// it may make.
#[derive(Default)]
struct Named {
    projects: Vec<i64>,
    tasks: Vec<i64>,
    statuses: Vec<i64>,
    comments: Vec<i64>,
    items: Vec<i64>,
    new_tasks: i64,
    new_statuses: i64,
}

fn named(batch: &[Write]) -> Named {
    let mut n = Named::default();
    for write in batch {
        match &write.change {
            Change::CreateTask { project_id, new } => {
                n.projects.push(*project_id);
                n.new_tasks += 1;
                n.statuses.extend(new.status_id);
            }
            Change::CreateStatus { project_id, .. } => {
                n.projects.push(*project_id);
                n.new_statuses += 1;
            }
            Change::MoveTask { task_id, to } => {
                n.tasks.push(*task_id);
                n.statuses.push(to.status_id);
            }
            Change::UpdateTask { task_id, .. }
            | Change::DeleteTask { task_id }
            | Change::RestoreTask { task_id } => n.tasks.push(*task_id),
            Change::DeleteStatus { status_id, move_to } => {
                n.statuses.push(*status_id);
                n.statuses.extend(*move_to);
            }
            Change::UpdateStatus { status_id, .. }
            | Change::MoveStatus { status_id, .. }
            | Change::RestoreStatus { status_id } => n.statuses.push(*status_id),
            Change::CreateComment { task_id, .. } => n.tasks.push(*task_id),
            Change::UpdateComment { comment_id, .. } | Change::DeleteComment { comment_id } => {
                n.comments.push(*comment_id)
            }
            Change::CreateItem { task_id, .. } => n.tasks.push(*task_id),
            Change::UpdateItem { item_id, .. }
            | Change::MoveItem { item_id, .. }
            | Change::DeleteItem { item_id } => n.items.push(*item_id),
        }
    }
    n
}

/// Locks the rows of the batch's projects, in id order, and reads their
/// revisions: everything after this sees all that was committed before. Then, in
/// a statement of its own (a snapshot taken after the lock), the cards, columns
/// and change keys the batch names, the transaction's time and ids for what it
/// makes.
fn prepare(tx: &mut Tx<'_>, batch: &[Write]) -> Result<(), postgres::Error> {
    let mut n = named(batch);
    if !n.tasks.is_empty() || !n.statuses.is_empty() || !n.comments.is_empty() || !n.items.is_empty() {
        // A card, column, comment or item never changes project: this may be read
        // before the lock.
        let sql = "SELECT project_id FROM tasks WHERE id = ANY($1) \
                   UNION SELECT project_id FROM statuses WHERE id = ANY($2) \
                   UNION SELECT project_id FROM comments WHERE id = ANY($3) \
                   UNION SELECT project_id FROM checklist_items WHERE id = ANY($4)";
        let found = run_query(tx, sql, &[&n.tasks, &n.statuses, &n.comments, &n.items])?;
        n.projects.extend(found.iter().map(|r| r.get::<_, i64>(0)));
    }
    n.projects.sort_unstable();
    n.projects.dedup();
    let sql = "SELECT id, rev FROM projects WHERE id = ANY($1) ORDER BY id FOR UPDATE";
    for row in run_query(tx, sql, &[&n.projects])? {
        tx.revs.insert(row.get(0), row.get::<_, i64>(1) as u64);
    }
    let sql = "SELECT kanban_ts(now()), \
               ARRAY(SELECT nextval(pg_get_serial_sequence('tasks', 'id')) FROM generate_series(1, $1::bigint)), \
               ARRAY(SELECT nextval(pg_get_serial_sequence('statuses', 'id')) FROM generate_series(1, $2::bigint))";
    let row = run_query(tx, sql, &[&n.new_tasks, &n.new_statuses])?.pop().expect("one row");
    tx.now = row.get(0);
    // Taken from the end: the first made gets the lowest.
    tx.card_ids = row.get::<_, Vec<i64>>(1).into_iter().rev().collect();
    tx.column_ids = row.get::<_, Vec<i64>>(2).into_iter().rev().collect();
    if !n.tasks.is_empty() {
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            ", deleted_at IS NOT NULL, deleted_by, trashed_with FROM tasks WHERE id = ANY($1)"
        );
        let rows = run_query(tx, sql, &[&n.tasks])?;
        tx.cards.extend(n.tasks.iter().map(|id| (*id, None)));
        for row in &rows {
            let card = overlay::card_of(row);
            tx.cards.insert(card.task.id, Some(card));
        }
    }
    if !n.statuses.is_empty() {
        let sql = concat!(
            "SELECT ",
            status_columns!(),
            ", deleted_at IS NOT NULL, deleted_by FROM statuses WHERE id = ANY($1)"
        );
        let rows = run_query(tx, sql, &[&n.statuses])?;
        tx.columns.extend(n.statuses.iter().map(|id| (*id, None)));
        for row in &rows {
            let column = overlay::column_of(row);
            tx.columns.insert(column.status.id, Some(column));
        }
    }
    let keyed: Vec<(i64, &str)> = batch.iter().filter_map(|w| Some((w.by, w.key.as_deref()?))).collect();
    if !keyed.is_empty() {
        let (users, keys): (Vec<i64>, Vec<&str>) = keyed.iter().copied().unzip();
        let sql = "SELECT user_id, key, project_id, rev, name, data FROM applied_requests \
                   WHERE (user_id, key) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))";
        let rows = run_query(tx, sql, &[&users, &keys])?;
        tx.applied.extend(keyed.iter().map(|(u, k)| ((*u, k.to_string()), None)));
        for row in rows {
            let found = (row.get(2), row.get::<_, i64>(3) as u64, row.get(4), row.get(5));
            tx.applied.insert((row.get(0), row.get(1)), Some(found));
        }
    }
    Ok(())
}

fn run_query(
    tx: &mut Tx<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<postgres::Row>, postgres::Error> {
    let statement = tx.statements.get(&mut tx.tx, sql)?;
    tx.tx.query(&statement, params)
}

fn run(tx: &mut Tx<'_>, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, postgres::Error> {
    let statement = tx.statements.get(&mut tx.tx, sql)?;
    tx.tx.execute(&statement, params)
}

/// Writes what the batch holds and changed: columns made, cards made, cards and
/// columns changed, the revisions, the events, the change keys; and trims the logs.
fn flush(tx: &mut Tx<'_>) -> Result<(), postgres::Error> {
    let new_columns: Vec<overlay::Column> =
        tx.new_columns.iter().filter_map(|id| tx.columns[id].clone()).collect();
    let made: HashSet<i64> = new_columns.iter().map(|c| c.status.id).collect();
    let changed_columns: Vec<overlay::Column> = tx
        .changed_columns
        .iter()
        .filter(|id| !made.contains(id))
        .filter_map(|id| tx.columns.get(id).cloned().flatten())
        .collect();
    let new_cards: Vec<overlay::Card> = tx.new_cards.iter().filter_map(|id| tx.cards[id].clone()).collect();
    let made: HashSet<i64> = new_cards.iter().map(|c| c.task.id).collect();
    let changed_cards: Vec<overlay::Card> = tx
        .changed_cards
        .iter()
        .filter(|id| !made.contains(id))
        .filter_map(|id| tx.cards.get(id).cloned().flatten())
        .collect();
    if !new_columns.is_empty() {
        let c = ColumnArrays::of(&new_columns);
        run(
            tx,
            "INSERT INTO statuses (id, project_id, name, color, position, wip_limit, version, created_at, updated_at, \
             deleted_at, deleted_by) \
             SELECT v.id, v.project_id, v.name, v.color, v.position, v.wip, v.version, now(), now(), \
             CASE WHEN v.deleted THEN now() END, v.deleted_by \
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], \
             $8::bool[], $9::bigint[]) AS v(id, project_id, name, color, position, wip, version, deleted, deleted_by)",
            &c.params(),
        )?;
    }
    if !new_cards.is_empty() {
        let c = CardArrays::of(&new_cards);
        run(
            tx,
            "INSERT INTO tasks (id, project_id, status_id, title, description, assignee_id, priority, labels, \
             due_date, position, version, created_by, updated_by, created_at, updated_at, deleted_at, deleted_by, \
             trashed_with) \
             SELECT v.id, v.project_id, v.status_id, v.title, v.description, v.assignee_id, v.priority, \
             ARRAY(SELECT jsonb_array_elements_text(v.labels::jsonb)), v.due_date, v.position, v.version, \
             v.created_by, v.updated_by, now(), now(), CASE WHEN v.deleted THEN now() END, v.deleted_by, \
             v.trashed_with \
             FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[], \
             $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bool[], \
             $15::bigint[], $16::bigint[]) AS v(id, project_id, status_id, title, description, assignee_id, \
             priority, labels, due_date, position, version, created_by, updated_by, deleted, deleted_by, trashed_with)",
            &c.params(),
        )?;
    }
    if !changed_cards.is_empty() {
        let c = CardArrays::of(&changed_cards);
        run(
            tx,
            "UPDATE tasks SET status_id = v.status_id, title = v.title, description = v.description, \
             assignee_id = v.assignee_id, priority = v.priority, \
             labels = ARRAY(SELECT jsonb_array_elements_text(v.labels::jsonb)), due_date = v.due_date, \
             position = v.position, \
             updated_at = CASE WHEN v.version <> tasks.version THEN now() ELSE tasks.updated_at END, \
             version = v.version, updated_by = v.updated_by, \
             deleted_at = CASE WHEN v.deleted THEN COALESCE(tasks.deleted_at, now()) END, \
             deleted_by = v.deleted_by, trashed_with = v.trashed_with \
             FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[], \
             $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bool[], \
             $15::bigint[], $16::bigint[]) AS v(id, project_id, status_id, title, description, assignee_id, \
             priority, labels, due_date, position, version, created_by, updated_by, deleted, deleted_by, trashed_with) \
             WHERE tasks.id = v.id",
            &c.params(),
        )?;
    }
    if !changed_columns.is_empty() {
        let c = ColumnArrays::of(&changed_columns);
        run(
            tx,
            "UPDATE statuses SET name = v.name, color = v.color, position = v.position, wip_limit = v.wip, \
             updated_at = CASE WHEN v.version <> statuses.version THEN now() ELSE statuses.updated_at END, \
             version = v.version, \
             deleted_at = CASE WHEN v.deleted THEN COALESCE(statuses.deleted_at, now()) END, \
             deleted_by = v.deleted_by \
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], \
             $8::bool[], $9::bigint[]) AS v(id, project_id, name, color, position, wip, version, deleted, deleted_by) \
             WHERE statuses.id = v.id",
            &c.params(),
        )?;
    }
    let (events, keys) = (std::mem::take(&mut tx.events), std::mem::take(&mut tx.keys));
    if !events.is_empty() {
        let touched: HashSet<i64> = events.iter().map(|e| e.0).collect();
        let (ids, revs): (Vec<i64>, Vec<i64>) = touched.iter().map(|p| (*p, tx.revs[p] as i64)).unzip();
        run(
            tx,
            "UPDATE projects SET rev = v.rev FROM unnest($1::bigint[], $2::bigint[]) AS v(id, rev) \
             WHERE projects.id = v.id",
            &[&ids, &revs],
        )?;
        let p: Vec<i64> = events.iter().map(|e| e.0).collect();
        let r: Vec<i64> = events.iter().map(|e| e.1).collect();
        let n: Vec<&str> = events.iter().map(|e| e.2).collect();
        let d: Vec<&str> = events.iter().map(|e| e.3.as_str()).collect();
        run(
            tx,
            "INSERT INTO events (project_id, rev, name, data) \
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])",
            &[&p, &r, &n, &d],
        )?;
    }
    if !keys.is_empty() {
        let users: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let names: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
        let projects: Vec<i64> = keys.iter().map(|k| k.2).collect();
        let revs: Vec<i64> = keys.iter().map(|k| k.3).collect();
        let events: Vec<&str> = keys.iter().map(|k| k.4).collect();
        let data: Vec<&str> = keys.iter().map(|k| k.5.as_str()).collect();
        run(
            tx,
            "INSERT INTO applied_requests (user_id, key, project_id, rev, name, data) \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[])",
            &[&users, &names, &projects, &revs, &events, &data],
        )?;
    }
    Ok(())
}

/// Columns as arrays, one per field, for `unnest`.
struct ColumnArrays {
    id: Vec<i64>,
    project: Vec<i64>,
    name: Vec<String>,
    color: Vec<Option<String>>,
    position: Vec<String>,
    wip: Vec<Option<i32>>,
    version: Vec<i64>,
    deleted: Vec<bool>,
    deleted_by: Vec<Option<i64>>,
}

impl ColumnArrays {
    fn of(columns: &[overlay::Column]) -> Self {
        let mut a = ColumnArrays {
            id: Vec::new(),
            project: Vec::new(),
            name: Vec::new(),
            color: Vec::new(),
            position: Vec::new(),
            wip: Vec::new(),
            version: Vec::new(),
            deleted: Vec::new(),
            deleted_by: Vec::new(),
        };
        for c in columns {
            let s = &c.status;
            a.id.push(s.id);
            a.project.push(s.project_id);
            a.name.push(s.name.clone());
            a.color.push(s.color.clone());
            a.position.push(s.position.clone());
            a.wip.push(s.wip_limit.and_then(|w| i32::try_from(w).ok()));
            a.version.push(s.version);
            a.deleted.push(c.trash.is_some());
            a.deleted_by.push(c.trash.flatten());
        }
        a
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 9] {
        [
            &self.id,
            &self.project,
            &self.name,
            &self.color,
            &self.position,
            &self.wip,
            &self.version,
            &self.deleted,
            &self.deleted_by,
        ]
    }
}

/// Cards as arrays, one per field, for `unnest` (labels as JSON arrays: an array
/// of arrays of different lengths is not one PostgreSQL takes).
struct CardArrays {
    id: Vec<i64>,
    project: Vec<i64>,
    status: Vec<i64>,
    title: Vec<String>,
    description: Vec<String>,
    assignee: Vec<Option<i64>>,
    priority: Vec<&'static str>,
    labels: Vec<String>,
    due: Vec<Option<String>>,
    position: Vec<String>,
    version: Vec<i64>,
    created_by: Vec<Option<i64>>,
    updated_by: Vec<Option<i64>>,
    deleted: Vec<bool>,
    deleted_by: Vec<Option<i64>>,
    trashed_with: Vec<Option<i64>>,
}

impl CardArrays {
    fn of(cards: &[overlay::Card]) -> Self {
        let mut a = CardArrays {
            id: Vec::new(),
            project: Vec::new(),
            status: Vec::new(),
            title: Vec::new(),
            description: Vec::new(),
            assignee: Vec::new(),
            priority: Vec::new(),
            labels: Vec::new(),
            due: Vec::new(),
            position: Vec::new(),
            version: Vec::new(),
            created_by: Vec::new(),
            updated_by: Vec::new(),
            deleted: Vec::new(),
            deleted_by: Vec::new(),
            trashed_with: Vec::new(),
        };
        for c in cards {
            let t = &c.task;
            a.id.push(t.id);
            a.project.push(t.project_id);
            a.status.push(t.status_id);
            a.title.push(t.title.clone());
            a.description.push(t.description.clone());
            a.assignee.push(t.assignee_id);
            a.priority.push(t.priority.as_str());
            a.labels.push(serde_json::to_string(&t.labels).expect("strings serialize"));
            a.due.push(t.due_date.clone());
            a.position.push(t.position.clone());
            a.version.push(t.version);
            a.created_by.push(t.created_by);
            a.updated_by.push(t.updated_by);
            a.deleted.push(c.trash.is_some());
            a.deleted_by.push(c.trash.and_then(|(by, _)| by));
            a.trashed_with.push(c.trash.and_then(|(_, with)| with));
        }
        a
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 16] {
        [
            &self.id,
            &self.project,
            &self.status,
            &self.title,
            &self.description,
            &self.assignee,
            &self.priority,
            &self.labels,
            &self.due,
            &self.position,
            &self.version,
            &self.created_by,
            &self.updated_by,
            &self.deleted,
            &self.deleted_by,
            &self.trashed_with,
        ]
    }
}
