//! Changes of cards: create, edit, move, delete.

use kanban_protocol::event::BoardChange;
use kanban_protocol::model::{Status, Task};
use kanban_protocol::request::{MoveTask, NewTask, TaskPatch};

use super::notify::{About, notify};
use super::place::{place, place_again};
use super::storage::{BoardTx, List, NewTaskRow};
use super::{Committed, Current, OpError, record, require_writer};
use kanban_protocol::check as checks;

/// A card that exists, or `NotFound`.
fn load(tx: &mut dyn BoardTx, task_id: i64) -> Result<Task, OpError> {
    tx.task(task_id)?.ok_or(OpError::NotFound("task"))
}

/// The column `status_id` if it belongs to the project.
pub(super) fn column_of_project(
    tx: &mut dyn BoardTx,
    project_id: i64,
    status_id: i64,
) -> Result<Status, OpError> {
    match tx.status(status_id)? {
        Some(s) if s.project_id == project_id => Ok(s),
        _ => Err(OpError::Invalid(format!("column {status_id} is not a column of this project"))),
    }
}

fn check_assignee(tx: &mut dyn BoardTx, project_id: i64, assignee: Option<i64>) -> Result<(), OpError> {
    if let Some(user) = assignee
        && tx.role(project_id, user)?.is_none()
    {
        return Err(OpError::Invalid(format!("user {user} is not a member of this project")));
    }
    Ok(())
}

/// Refuses a change made against another version than the card's, answering
/// the card as it is (with its checklist, as a client holds it).
fn check_version(tx: &mut dyn BoardTx, task: &Task, given: Option<i64>) -> Result<(), OpError> {
    match given {
        Some(v) if v != task.version => {
            let current = Task { checklist: tx.checklist(task.id)?, ..task.clone() };
            Err(OpError::Stale { given: v, current: Current::Task(Box::new(current)) })
        }
        _ => Ok(()),
    }
}

pub fn create(tx: &mut dyn BoardTx, by: i64, project_id: i64, new: NewTask) -> Result<Committed, OpError> {
    require_writer(tx, project_id, by, "project")?;
    let title = checks::check_title(&new.title)?;
    let description = new.description.unwrap_or_default();
    checks::check_description(&description)?;
    let labels = checks::check_labels(&new.labels.unwrap_or_default())?;
    if let Some(d) = &new.due_date {
        checks::check_due_date(d)?;
    }
    check_assignee(tx, project_id, new.assignee_id)?;
    let status_id = match new.status_id {
        Some(id) => column_of_project(tx, project_id, id)?.id,
        None => tx
            .first_status(project_id)?
            .ok_or_else(|| OpError::Invalid("the project has no column to put a card in".into()))?,
    };
    let placed = place(tx, List::Column(status_id), new.before_id, new.after_id, None)?;
    let row = NewTaskRow {
        project_id,
        status_id,
        title,
        description,
        assignee_id: new.assignee_id,
        priority: new.priority.unwrap_or_default(),
        labels,
        due_date: new.due_date,
        position: placed.key,
        by,
    };
    let task = tx.insert_task(&row)?;
    let notices = notify(tx, by, About::Created(&task))?;
    let committed = record(tx, project_id, by, BoardChange::TaskCreated(task), placed.rekeyed)?;
    Ok(Committed { notices, ..committed })
}

pub fn update(tx: &mut dyn BoardTx, by: i64, task_id: i64, patch: TaskPatch) -> Result<Committed, OpError> {
    let mut task = load(tx, task_id)?;
    let before = Box::new(task.clone());
    require_writer(tx, task.project_id, by, "task")?;
    check_version(tx, &task, patch.version)?;
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
        task.title = checks::check_title(t)?;
    }
    if let Some(d) = patch.description {
        checks::check_description(&d)?;
        task.description = d;
    }
    if let Some(a) = patch.assignee_id {
        check_assignee(tx, task.project_id, a)?;
        task.assignee_id = a;
    }
    if let Some(p) = patch.priority {
        task.priority = p;
    }
    if let Some(l) = &patch.labels {
        task.labels = checks::check_labels(l)?;
    }
    if let Some(d) = patch.due_date {
        if let Some(d) = &d {
            checks::check_due_date(d)?;
        }
        task.due_date = d;
    }
    let task = tx.update_task(&task, by)?;
    let notices = notify(tx, by, About::Updated { old: &before, new: &task })?;
    let committed =
        record(tx, task.project_id, by, BoardChange::TaskUpdated { task, before: Some(before) }, Vec::new())?;
    Ok(Committed { notices, ..committed })
}

pub fn move_to(tx: &mut dyn BoardTx, by: i64, task_id: i64, to: MoveTask) -> Result<Committed, OpError> {
    let task = load(tx, task_id)?;
    require_writer(tx, task.project_id, by, "task")?;
    check_version(tx, &task, to.version)?;
    let status = column_of_project(tx, task.project_id, to.status_id)?;
    let placed = place(tx, List::Column(status.id), to.before_id, to.after_id, Some(task_id))?;
    let from = Some(task.status_id);
    let task = tx.place_task(task_id, status.id, &placed.key, by)?;
    // A reorder within its column tells nobody.
    let notices = if from == Some(status.id) {
        Vec::new()
    } else {
        notify(tx, by, About::Moved { task: &task, column: &status.name })?
    };
    let committed = record(tx, task.project_id, by, BoardChange::TaskMoved { task, from }, placed.rekeyed)?;
    Ok(Committed { notices, ..committed })
}

/// Puts a card in the trash, whence anyone who may write restores it.
pub fn delete(tx: &mut dyn BoardTx, by: i64, task_id: i64) -> Result<Committed, OpError> {
    let task = load(tx, task_id)?;
    require_writer(tx, task.project_id, by, "task")?;
    tx.trash_task(task_id, by, None)?;
    let notices = notify(tx, by, About::Deleted(&task))?;
    let committed = record(tx, task.project_id, by, BoardChange::TaskDeleted { id: task_id }, Vec::new())?;
    Ok(Committed { notices, ..committed })
}

/// Takes a card out of the trash: back into its column where its key was, or, when
/// its column is gone, at the end of the first one.
pub fn restore(tx: &mut dyn BoardTx, by: i64, task_id: i64) -> Result<Committed, OpError> {
    let (task, with) = tx.trashed_task(task_id)?.ok_or(OpError::NotFound("task in the trash"))?;
    require_writer(tx, task.project_id, by, "task in the trash")?;
    if with.is_some() {
        return Err(OpError::Invalid("this card went with its column: restore the column".into()));
    }
    let (status_id, placement) = match tx.status(task.status_id)? {
        Some(s) => (s.id, place_again(tx, List::Column(s.id), &task.position)?),
        None => {
            let first = tx
                .first_status(task.project_id)?
                .ok_or_else(|| OpError::Invalid("the project has no column to put the card in".into()))?;
            (first, place(tx, List::Column(first), None, None, None)?)
        }
    };
    let task = tx.restore_task(task_id, status_id, &placement.key, by)?;
    let notices = notify(tx, by, About::Restored(&task))?;
    let committed = record(tx, task.project_id, by, BoardChange::TaskRestored(task), placement.rekeyed)?;
    Ok(Committed { notices, ..committed })
}
