//! The board's writes on SQLite: a batch of changes in one transaction (one
//! fsync), each change in its own savepoint so that a refused one leaves no trace
//! and does not disturb the others.

use std::collections::HashSet;
use std::sync::Arc;

use kanban_protocol::model::{EventData, Rekeyed, Status, Task, events};
use kanban_protocol::request::{MoveStatus, MoveTask, NewStatus, NewTask, StatusPatch, TaskPatch};
use rusqlite::{Connection, DropBehavior, OptionalExtension, TransactionBehavior};

use super::place::{List, place};
use super::rows::{self, load_status, load_task, require_writer, status_columns, task_columns};
use crate::store::board::{self as check, Change, Committed, OpError, Write};

/// Applies `batch` in one transaction; answers each write in order. It runs on the
/// writer's own connection, synchronously: a change's statements follow each other
/// without a thread hop between them.
pub fn apply(
    conn: &mut Connection,
    retention: u64,
    batch: Vec<Write>,
) -> rusqlite::Result<Vec<Result<Committed, OpError>>> {
    // IMMEDIATE takes the write lock up front: a deferred transaction that read
    // first could fail to upgrade while an admin command writes.
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = Vec::with_capacity(batch.len());
    let mut touched = HashSet::new();
    for write in batch {
        let mut savepoint = tx.savepoint()?;
        match apply_one(&savepoint, write) {
            Ok(committed) => {
                savepoint.commit()?;
                touched.insert((committed.project_id, committed.rev));
                out.push(Ok(committed));
            }
            Err(e) => {
                savepoint.set_drop_behavior(DropBehavior::Rollback);
                savepoint.finish()?;
                out.push(Err(e));
            }
        }
    }
    for (project_id, rev) in touched {
        // Keep the last `retention` events; older ones answer 410 (fetch the board).
        if rev > retention && rev.is_multiple_of(64) {
            tx.prepare_cached("DELETE FROM events WHERE project_id = ? AND rev <= ?")?
                .execute((project_id, (rev - retention) as i64))?;
        }
    }
    tx.commit()?;
    Ok(out)
}

fn apply_one(conn: &Connection, write: Write) -> Result<Committed, OpError> {
    let by = write.by;
    match write.change {
        Change::CreateTask { project_id, new } => create_task(conn, by, project_id, new),
        Change::UpdateTask { task_id, patch } => update_task(conn, by, task_id, patch),
        Change::MoveTask { task_id, to } => move_task(conn, by, task_id, to),
        Change::DeleteTask { task_id } => delete_task(conn, by, task_id),
        Change::CreateStatus { project_id, new } => create_status(conn, by, project_id, new),
        Change::UpdateStatus { status_id, patch } => update_status(conn, by, status_id, patch),
        Change::MoveStatus { status_id, to } => move_status(conn, by, status_id, to),
        Change::DeleteStatus { status_id, move_to } => delete_status(conn, by, status_id, move_to),
    }
}

/// Bumps the project's revision and logs the event; returns it encoded once.
fn record(
    conn: &Connection,
    project_id: i64,
    event: &'static str,
    mut data: EventData,
) -> Result<Committed, OpError> {
    let rev: i64 = conn
        .prepare_cached("UPDATE projects SET rev = rev + 1 WHERE id = ? RETURNING rev")?
        .query_row([project_id], |r| r.get(0))?;
    data.rev = rev as u64;
    let text: Arc<str> = serde_json::to_string(&data).map_err(|e| OpError::Failed(e.to_string()))?.into();
    conn.prepare_cached("INSERT INTO events (project_id, rev, name, data) VALUES (?, ?, ?, ?)")?
        .execute((project_id, rev, event, &*text))?;
    Ok(Committed { project_id, rev: rev as u64, event, data: text })
}

fn event_data(by: i64) -> EventData {
    EventData {
        rev: 0,
        by,
        task: None,
        status: None,
        id: None,
        moved_to: None,
        tasks: Vec::new(),
        rekeyed: Vec::new(),
    }
}

fn stale(what: &'static str, key: &'static str, current: String, given: i64, now: i64) -> OpError {
    OpError::Conflict {
        message: format!("the {what} changed meanwhile: version {given} was given, it is at {now}"),
        current: Some((key, current)),
    }
}

fn check_assignee(conn: &Connection, project_id: i64, assignee: Option<i64>) -> Result<(), OpError> {
    if let Some(user) = assignee
        && rows::role(conn, project_id, user)?.is_none()
    {
        return Err(OpError::Invalid(format!("user {user} is not a member of this project")));
    }
    Ok(())
}

/// The column `status_id` if it belongs to the project.
fn column_of_project(conn: &Connection, project_id: i64, status_id: i64) -> Result<Status, OpError> {
    match load_status(conn, status_id) {
        Ok(s) if s.project_id == project_id => Ok(s),
        Ok(_) | Err(OpError::NotFound(_)) => {
            Err(OpError::Invalid(format!("column {status_id} is not a column of this project")))
        }
        Err(e) => Err(e),
    }
}

/// Puts a card at `position` in column `status_id`: the one row a move writes.
fn set_place(
    conn: &Connection,
    task_id: i64,
    status_id: i64,
    position: String,
    by: i64,
) -> Result<Task, OpError> {
    let sql = concat!(
        "UPDATE tasks SET status_id = ?, position = ?, version = version + 1, updated_by = ?, \
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? RETURNING ",
        task_columns!()
    );
    Ok(conn.prepare_cached(sql)?.query_row((status_id, position, by, task_id), |r| Ok(rows::task(r)))?)
}

fn create_task(conn: &Connection, by: i64, project_id: i64, new: NewTask) -> Result<Committed, OpError> {
    require_writer(conn, project_id, by, "project")?;
    let title = check::check_title(&new.title)?;
    let description = new.description.unwrap_or_default();
    check::check_description(&description)?;
    let labels = check::check_labels(&new.labels.unwrap_or_default())?;
    if let Some(d) = &new.due_date {
        check::check_due_date(d)?;
    }
    check_assignee(conn, project_id, new.assignee_id)?;
    let status_id = match new.status_id {
        Some(id) => column_of_project(conn, project_id, id)?.id,
        None => conn
            .prepare_cached("SELECT id FROM statuses WHERE project_id = ? ORDER BY position, id LIMIT 1")?
            .query_row([project_id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| OpError::Invalid("the project has no column to put a card in".into()))?,
    };
    let placed = place(conn, List::Column(status_id), new.before_id, new.after_id, None)?;
    let labels = serde_json::to_string(&labels).expect("strings serialize");
    let priority = new.priority.unwrap_or_default();
    let sql = concat!(
        "INSERT INTO tasks (project_id, status_id, title, description, assignee_id, priority, labels, due_date, \
         position, created_by, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
        task_columns!()
    );
    let values = rusqlite::params![
        project_id,
        status_id,
        title,
        description,
        new.assignee_id,
        priority.as_str(),
        labels,
        new.due_date,
        placed.position,
        by,
        by
    ];
    let task = conn.prepare_cached(sql)?.query_row(values, |r| Ok(rows::task(r)))?;
    let data = EventData { task: Some(task), rekeyed: placed.rekeyed, ..event_data(by) };
    record(conn, project_id, events::TASK_CREATED, data)
}

fn update_task(conn: &Connection, by: i64, task_id: i64, patch: TaskPatch) -> Result<Committed, OpError> {
    let mut task = load_task(conn, task_id)?;
    require_writer(conn, task.project_id, by, "task")?;
    if let Some(v) = patch.version
        && v != task.version
    {
        let current = serde_json::to_string(&task).expect("serializes");
        return Err(stale("task", "task", current, v, task.version));
    }
    let empty = patch.title.is_none()
        && patch.description.is_none()
        && patch.assignee_id.is_none()
        && patch.priority.is_none()
        && patch.labels.is_none()
        && patch.due_date.is_none();
    if empty {
        return Err(OpError::Invalid("nothing to change: give at least one field".into()));
    }
    if let Some(t) = &patch.title {
        task.title = check::check_title(t)?;
    }
    if let Some(d) = patch.description {
        check::check_description(&d)?;
        task.description = d;
    }
    if let Some(a) = patch.assignee_id {
        check_assignee(conn, task.project_id, a)?;
        task.assignee_id = a;
    }
    if let Some(p) = patch.priority {
        task.priority = p;
    }
    if let Some(l) = &patch.labels {
        task.labels = check::check_labels(l)?;
    }
    if let Some(d) = patch.due_date {
        if let Some(d) = &d {
            check::check_due_date(d)?;
        }
        task.due_date = d;
    }
    let sql = concat!(
        "UPDATE tasks SET title = ?, description = ?, assignee_id = ?, priority = ?, labels = ?, due_date = ?, \
         version = version + 1, updated_by = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
         WHERE id = ? RETURNING ",
        task_columns!()
    );
    let values = rusqlite::params![
        task.title,
        task.description,
        task.assignee_id,
        task.priority.as_str(),
        serde_json::to_string(&task.labels).expect("strings serialize"),
        task.due_date,
        by,
        task_id
    ];
    let task = conn.prepare_cached(sql)?.query_row(values, |r| Ok(rows::task(r)))?;
    record(conn, task.project_id, events::TASK_UPDATED, EventData { task: Some(task), ..event_data(by) })
}

fn move_task(conn: &Connection, by: i64, task_id: i64, to: MoveTask) -> Result<Committed, OpError> {
    let task = load_task(conn, task_id)?;
    require_writer(conn, task.project_id, by, "task")?;
    if let Some(v) = to.version
        && v != task.version
    {
        let current = serde_json::to_string(&task).expect("serializes");
        return Err(stale("task", "task", current, v, task.version));
    }
    let status = column_of_project(conn, task.project_id, to.status_id)?;
    let placed = place(conn, List::Column(status.id), to.before_id, to.after_id, Some(task_id))?;
    let task = set_place(conn, task_id, status.id, placed.position, by)?;
    let project_id = task.project_id;
    let data = EventData { task: Some(task), rekeyed: placed.rekeyed, ..event_data(by) };
    record(conn, project_id, events::TASK_MOVED, data)
}

fn delete_task(conn: &Connection, by: i64, task_id: i64) -> Result<Committed, OpError> {
    let task = load_task(conn, task_id)?;
    require_writer(conn, task.project_id, by, "task")?;
    conn.prepare_cached("DELETE FROM tasks WHERE id = ?")?.execute([task_id])?;
    record(conn, task.project_id, events::TASK_DELETED, EventData { id: Some(task_id), ..event_data(by) })
}

fn create_status(conn: &Connection, by: i64, project_id: i64, new: NewStatus) -> Result<Committed, OpError> {
    require_writer(conn, project_id, by, "project")?;
    let name = check::check_status_name(&new.name)?;
    let color = new.color.as_deref().map(check::check_color).transpose()?;
    if let Some(w) = new.wip_limit {
        check::check_wip_limit(w)?;
    }
    let placed = place(conn, List::Columns(project_id), new.before_id, new.after_id, None)?;
    let sql = concat!(
        "INSERT INTO statuses (project_id, name, color, position, wip_limit) VALUES (?, ?, ?, ?, ?) RETURNING ",
        status_columns!()
    );
    let values = (project_id, name, color, placed.position, new.wip_limit.map(i64::from));
    let status = conn.prepare_cached(sql)?.query_row(values, |r| Ok(rows::status(r)))?;
    let data = EventData { status: Some(status), rekeyed: placed.rekeyed, ..event_data(by) };
    record(conn, project_id, events::STATUS_CREATED, data)
}

fn update_status(
    conn: &Connection,
    by: i64,
    status_id: i64,
    patch: StatusPatch,
) -> Result<Committed, OpError> {
    let mut status = load_status(conn, status_id)?;
    require_writer(conn, status.project_id, by, "column")?;
    if let Some(v) = patch.version
        && v != status.version
    {
        let current = serde_json::to_string(&status).expect("serializes");
        return Err(stale("column", "status", current, v, status.version));
    }
    if patch.name.is_none() && patch.color.is_none() && patch.wip_limit.is_none() {
        return Err(OpError::Invalid("nothing to change: give at least one field".into()));
    }
    if let Some(n) = &patch.name {
        status.name = check::check_status_name(n)?;
    }
    if let Some(c) = patch.color {
        status.color = c.as_deref().map(check::check_color).transpose()?;
    }
    if let Some(w) = patch.wip_limit {
        if let Some(w) = w {
            check::check_wip_limit(w)?;
        }
        status.wip_limit = w;
    }
    let sql = concat!(
        "UPDATE statuses SET name = ?, color = ?, wip_limit = ?, version = version + 1, \
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? RETURNING ",
        status_columns!()
    );
    let values = (&status.name, &status.color, status.wip_limit.map(i64::from), status_id);
    let status = conn.prepare_cached(sql)?.query_row(values, |r| Ok(rows::status(r)))?;
    record(
        conn,
        status.project_id,
        events::STATUS_UPDATED,
        EventData { status: Some(status), ..event_data(by) },
    )
}

fn move_status(conn: &Connection, by: i64, status_id: i64, to: MoveStatus) -> Result<Committed, OpError> {
    let status = load_status(conn, status_id)?;
    require_writer(conn, status.project_id, by, "column")?;
    let placed = place(conn, List::Columns(status.project_id), to.before_id, to.after_id, Some(status_id))?;
    let sql = concat!(
        "UPDATE statuses SET position = ?, version = version + 1, \
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? RETURNING ",
        status_columns!()
    );
    let status =
        conn.prepare_cached(sql)?.query_row((placed.position, status_id), |r| Ok(rows::status(r)))?;
    let project_id = status.project_id;
    let data = EventData { status: Some(status), rekeyed: placed.rekeyed, ..event_data(by) };
    record(conn, project_id, events::STATUS_MOVED, data)
}

fn delete_status(
    conn: &Connection,
    by: i64,
    status_id: i64,
    move_to: Option<i64>,
) -> Result<Committed, OpError> {
    let status = load_status(conn, status_id)?;
    require_writer(conn, status.project_id, by, "column")?;
    let sql = concat!("SELECT ", task_columns!(), " FROM tasks WHERE status_id = ? ORDER BY position, id");
    let cards: Vec<Task> =
        conn.prepare_cached(sql)?.query_map([status_id], |r| Ok(rows::task(r)))?.collect::<Result<_, _>>()?;
    let mut moved = Vec::with_capacity(cards.len());
    // Latest key of each card re-spaced along the way.
    let mut rekeyed = std::collections::BTreeMap::new();
    match move_to {
        None if !cards.is_empty() => {
            return Err(OpError::Conflict {
                message: format!("the column holds {} cards: say where they go with move_to", cards.len()),
                current: None,
            });
        }
        None => {}
        Some(target) => {
            if target == status_id {
                return Err(OpError::Invalid("move_to must be another column".into()));
            }
            let target = column_of_project(conn, status.project_id, target)?;
            for card in cards {
                let placed = place(conn, List::Column(target.id), None, None, None)?;
                rekeyed.extend(placed.rekeyed.into_iter().map(|r| (r.id, r.position)));
                moved.push(set_place(conn, card.id, target.id, placed.position, by)?.id);
            }
        }
    }
    conn.prepare_cached("DELETE FROM statuses WHERE id = ?")?.execute([status_id])?;
    // The moved cards as they ended (a later re-spacing may have moved an earlier
    // one's key again); the rest of the target column by its latest keys.
    let tasks = moved.iter().map(|&id| load_task(conn, id)).collect::<Result<Vec<_>, _>>()?;
    let rekeyed = rekeyed
        .into_iter()
        .filter(|(id, _)| !moved.contains(id))
        .map(|(id, position)| Rekeyed { id, position })
        .collect();
    let data = EventData { id: Some(status_id), moved_to: move_to, tasks, rekeyed, ..event_data(by) };
    record(conn, status.project_id, events::STATUS_DELETED, data)
}
