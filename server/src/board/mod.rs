//! The board's rules, over any storage: who may change what (the role, checked in
//! the change's own transaction), which values may be stored, optimistic versions,
//! where an item goes in its list (order keys), and the event each committed change
//! makes. A storage lends the core one transaction ([`BoardTx`]) per change and
//! commits the batch; the SQLite store does so now, and a PostgreSQL store can
//! without repeating a rule.

mod change;
mod checklist;
mod comments;
mod notify;
mod place;
pub mod read;
mod statuses;
mod storage;
mod tasks;

use kanban_protocol::event::{BoardChange, BoardEvent};
use kanban_protocol::model::{Rekeyed, Task, events};

pub use change::{Change, Committed, Current, OpError, Write};
pub use storage::{BoardTx, List, NewNotice, NewStatusRow, NewTaskRow, TxResult};

/// Applies one change in `tx`: checks it, writes it, and records its event with
/// the project's next revision. On `Err` the storage must drop whatever the
/// change wrote (its savepoint); nothing of a refused change is kept.
pub fn apply(tx: &mut dyn BoardTx, write: Write) -> Result<Committed, OpError> {
    let by = write.by;
    if let Some(key) = &write.key
        && let Some((project_id, rev, name, data)) = tx.applied(by, key)?
    {
        let event = events::ALL.into_iter().find(|n| *n == name).ok_or(OpError::NotFound("event"))?;
        return Ok(Committed {
            project_id,
            rev,
            event,
            data: data.into(),
            replayed: true,
            notices: Vec::new(),
        });
    }
    let committed = make(tx, by, write.change)?;
    if let Some(key) = &write.key {
        tx.remember(by, key, &committed)?;
    }
    Ok(committed)
}

fn make(tx: &mut dyn BoardTx, by: i64, change: Change) -> Result<Committed, OpError> {
    match change {
        Change::CreateTask { project_id, new } => tasks::create(tx, by, project_id, new),
        Change::UpdateTask { task_id, patch } => tasks::update(tx, by, task_id, patch),
        Change::MoveTask { task_id, to } => tasks::move_to(tx, by, task_id, to),
        Change::DeleteTask { task_id } => tasks::delete(tx, by, task_id),
        Change::CreateStatus { project_id, new } => statuses::create(tx, by, project_id, new),
        Change::UpdateStatus { status_id, patch } => statuses::update(tx, by, status_id, patch),
        Change::MoveStatus { status_id, to } => statuses::move_to(tx, by, status_id, to),
        Change::DeleteStatus { status_id, move_to } => statuses::delete(tx, by, status_id, move_to),
        Change::RestoreTask { task_id } => tasks::restore(tx, by, task_id),
        Change::RestoreStatus { status_id } => statuses::restore(tx, by, status_id),
        Change::CreateComment { task_id, new } => comments::create(tx, by, task_id, new),
        Change::UpdateComment { comment_id, patch } => comments::update(tx, by, comment_id, patch),
        Change::DeleteComment { comment_id } => comments::delete(tx, by, comment_id),
        Change::CreateItem { task_id, new } => checklist::create(tx, by, task_id, new),
        Change::UpdateItem { item_id, patch } => checklist::update(tx, by, item_id, patch),
        Change::MoveItem { item_id, to } => checklist::move_to(tx, by, item_id, to),
        Change::DeleteItem { item_id } => checklist::delete(tx, by, item_id),
    }
}

/// Checks that `user_id` may change the project. Non-members learn nothing: to
/// them the object is `not_found`.
fn require_writer(
    tx: &mut dyn BoardTx,
    project_id: i64,
    user_id: i64,
    not_found: &'static str,
) -> Result<(), OpError> {
    match tx.role(project_id, user_id)? {
        None => Err(OpError::NotFound(not_found)),
        Some(r) if !r.can_write() => Err(OpError::Forbidden("viewers cannot change the board".into())),
        Some(_) if tx.archived(project_id)? => Err(OpError::Forbidden(
            "the board is archived: it takes no changes until an owner brings it back".into(),
        )),
        Some(_) => Ok(()),
    }
}

/// Takes the project's next revision and logs the change's event; returns it
/// encoded once, for the log, the channel and the answer alike.
fn record(
    tx: &mut dyn BoardTx,
    project_id: i64,
    by: i64,
    mut change: BoardChange,
    rekeyed: Vec<Rekeyed>,
) -> Result<Committed, OpError> {
    with_checklists(tx, &mut change)?;
    let rev = tx.next_rev(project_id)?;
    let event = BoardEvent { rev, by, change, rekeyed };
    let text = event.encode();
    tx.log_event(project_id, rev, event.name(), &text)?;
    Ok(Committed {
        project_id,
        rev,
        event: event.name(),
        data: text.into(),
        replayed: false,
        notices: Vec::new(),
    })
}

/// The cards an event carries, each with its checklist: a client replaces a card
/// with the event's. The storage reads cards without theirs, since most changes
/// never show a card (a new card has none).
fn with_checklists(tx: &mut dyn BoardTx, change: &mut BoardChange) -> Result<(), OpError> {
    let tasks: &mut [Task] = match change {
        BoardChange::TaskUpdated { task: t, .. }
        | BoardChange::TaskMoved { task: t, .. }
        | BoardChange::TaskRestored(t) => std::slice::from_mut(t),
        BoardChange::StatusDeleted { tasks, .. } | BoardChange::StatusRestored { tasks, .. } => tasks,
        _ => &mut [],
    };
    for task in tasks {
        task.checklist = tx.checklist(task.id)?;
    }
    Ok(())
}
