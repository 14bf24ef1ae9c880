//! Checklists on cards: ordered items to tick. Members write them, everyone on the
//! board reads them (in the card, in the snapshot and in its events). Each change
//! is a change of the board with its revision, as a card's are.

use kanban_protocol::check as checks;
use kanban_protocol::event::BoardChange;
use kanban_protocol::model::ChecklistItem;
use kanban_protocol::request::{ItemPatch, MoveItem, NewItem};

use super::place::place;
use super::storage::{BoardTx, List};
use super::{Committed, Current, OpError, record, require_writer};

/// The item, and checks that `by` may change it (a writer of its card's project).
fn load(tx: &mut dyn BoardTx, by: i64, item_id: i64) -> Result<(ChecklistItem, i64), OpError> {
    let item = tx.item(item_id)?.ok_or(OpError::NotFound("checklist item"))?;
    let task = tx.task(item.task_id)?.ok_or(OpError::NotFound("checklist item"))?;
    require_writer(tx, task.project_id, by, "checklist item")?;
    Ok((item, task.project_id))
}

pub fn create(tx: &mut dyn BoardTx, by: i64, task_id: i64, new: NewItem) -> Result<Committed, OpError> {
    let task = tx.task(task_id)?.ok_or(OpError::NotFound("task"))?;
    require_writer(tx, task.project_id, by, "task")?;
    let text = checks::check_item(&new.text)?;
    // A checklist is steps a person reads, not a store: bounded, so that a card
    // (carried whole in its events) stays small.
    if tx.checklist(task_id)?.len() >= checks::MAX_ITEMS {
        return Err(OpError::Invalid(format!("a checklist holds at most {} items", checks::MAX_ITEMS)));
    }
    let placed = place(tx, List::Checklist(task_id), new.before_id, new.after_id, None)?;
    let item = tx.insert_item(task_id, &text, new.done, &placed.key)?;
    record(tx, task.project_id, by, BoardChange::ItemCreated(item), placed.rekeyed)
}

pub fn update(tx: &mut dyn BoardTx, by: i64, item_id: i64, patch: ItemPatch) -> Result<Committed, OpError> {
    let (before, project_id) = load(tx, by, item_id)?;
    if let Some(v) = patch.version
        && v != before.version
    {
        return Err(OpError::Stale { given: v, current: Current::Item(Box::new(before)) });
    }
    let text = match &patch.text {
        Some(t) => checks::check_item(t)?,
        None => before.text.clone(),
    };
    let done = patch.done.unwrap_or(before.done);
    if text == before.text && done == before.done {
        return Err(OpError::Invalid("nothing to change: the item already says that".into()));
    }
    let item = tx.update_item(item_id, &text, done)?;
    record(tx, project_id, by, BoardChange::ItemUpdated { item, before: Some(Box::new(before)) }, Vec::new())
}

pub fn move_to(tx: &mut dyn BoardTx, by: i64, item_id: i64, to: MoveItem) -> Result<Committed, OpError> {
    let (item, project_id) = load(tx, by, item_id)?;
    let placed = place(tx, List::Checklist(item.task_id), to.before_id, to.after_id, Some(item_id))?;
    let item = tx.place_item(item_id, &placed.key)?;
    record(tx, project_id, by, BoardChange::ItemMoved(item), placed.rekeyed)
}

pub fn delete(tx: &mut dyn BoardTx, by: i64, item_id: i64) -> Result<Committed, OpError> {
    let (item, project_id) = load(tx, by, item_id)?;
    tx.delete_item(item_id)?;
    record(tx, project_id, by, BoardChange::ItemDeleted(item), Vec::new())
}
