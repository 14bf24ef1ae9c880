//! Changes of columns: create, rename (and recolor, limit), move, delete (with
//! their cards moved next door).

use std::collections::{BTreeMap, HashSet};

use kanban_protocol::event::BoardChange;
use kanban_protocol::model::{Rekeyed, Status};
use kanban_protocol::request::{MoveStatus, NewStatus, StatusPatch};

use super::place::{place, place_again};
use super::storage::{BoardTx, List, NewStatusRow};
use super::tasks::column_of_project;
use super::{Committed, Current, OpError, record, require_writer};
use kanban_protocol::check as checks;

/// A column that exists, or `NotFound`.
fn load(tx: &mut dyn BoardTx, status_id: i64) -> Result<Status, OpError> {
    tx.status(status_id)?.ok_or(OpError::NotFound("column"))
}

pub fn create(tx: &mut dyn BoardTx, by: i64, project_id: i64, new: NewStatus) -> Result<Committed, OpError> {
    require_writer(tx, project_id, by, "project")?;
    let name = checks::check_status_name(&new.name)?;
    let color = new.color.as_deref().map(checks::check_color).transpose()?;
    if let Some(w) = new.wip_limit {
        checks::check_wip_limit(w)?;
    }
    let placed = place(tx, List::Columns(project_id), new.before_id, new.after_id, None)?;
    let row = NewStatusRow { project_id, name, color, wip_limit: new.wip_limit, position: placed.key };
    let status = tx.insert_status(&row)?;
    record(tx, project_id, by, BoardChange::StatusCreated(status), placed.rekeyed)
}

pub fn update(
    tx: &mut dyn BoardTx,
    by: i64,
    status_id: i64,
    patch: StatusPatch,
) -> Result<Committed, OpError> {
    let mut status = load(tx, status_id)?;
    let before = Some(Box::new(status.clone()));
    require_writer(tx, status.project_id, by, "column")?;
    if let Some(v) = patch.version
        && v != status.version
    {
        return Err(OpError::Stale { given: v, current: Current::Status(Box::new(status)) });
    }
    if patch.name.is_none() && patch.color.is_none() && patch.wip_limit.is_none() {
        return Err(OpError::Invalid("nothing to change: give at least one field".into()));
    }
    if let Some(n) = &patch.name {
        status.name = checks::check_status_name(n)?;
    }
    if let Some(c) = patch.color {
        status.color = c.as_deref().map(checks::check_color).transpose()?;
    }
    if let Some(w) = patch.wip_limit {
        if let Some(w) = w {
            checks::check_wip_limit(w)?;
        }
        status.wip_limit = w;
    }
    let status = tx.update_status(&status)?;
    record(tx, status.project_id, by, BoardChange::StatusUpdated { status, before }, Vec::new())
}

pub fn move_to(tx: &mut dyn BoardTx, by: i64, status_id: i64, to: MoveStatus) -> Result<Committed, OpError> {
    let status = load(tx, status_id)?;
    require_writer(tx, status.project_id, by, "column")?;
    let placed = place(tx, List::Columns(status.project_id), to.before_id, to.after_id, Some(status_id))?;
    let status = tx.place_status(status_id, &placed.key)?;
    record(tx, status.project_id, by, BoardChange::StatusMoved(status), placed.rekeyed)
}

/// Puts a column in the trash: its cards moved to `move_to` first, or with it.
pub fn delete(
    tx: &mut dyn BoardTx,
    by: i64,
    status_id: i64,
    move_to: Option<i64>,
) -> Result<Committed, OpError> {
    let status = load(tx, status_id)?;
    require_writer(tx, status.project_id, by, "column")?;
    let cards = tx.cards(status_id)?;
    let mut moved = Vec::with_capacity(cards.len());
    // The latest key of each card re-spaced along the way.
    let mut rekeyed = BTreeMap::new();
    match move_to {
        // The cards go to the trash with their column, and come back with it.
        None => {
            for card in &cards {
                tx.trash_task(card.id, by, Some(status_id))?;
            }
        }
        Some(target) => {
            if target == status_id {
                return Err(OpError::Invalid("move_to must be another column".into()));
            }
            let target = column_of_project(tx, status.project_id, target)?;
            for card in cards {
                let placed = place(tx, List::Column(target.id), None, None, None)?;
                rekeyed.extend(placed.rekeyed.into_iter().map(|r| (r.id, r.position)));
                moved.push(tx.place_task(card.id, target.id, &placed.key, by)?.id);
            }
        }
    }
    tx.trash_status(status_id, by)?;
    // The moved cards as they ended (a later re-spacing may have moved an earlier
    // one's key again); the rest of the target column by its latest keys.
    let mut tasks = Vec::with_capacity(moved.len());
    for &id in &moved {
        tasks.push(tx.task(id)?.ok_or(OpError::NotFound("task"))?);
    }
    let moved_ids: HashSet<i64> = moved.iter().copied().collect();
    let rekeyed = rekeyed
        .into_iter()
        .filter(|(id, _)| !moved_ids.contains(id))
        .map(|(id, position)| Rekeyed { id, position })
        .collect();
    let change = BoardChange::StatusDeleted { id: status_id, moved_to: move_to, tasks };
    record(tx, status.project_id, by, change, rekeyed)
}

/// Takes a column out of the trash, with the cards that went with it, back where it
/// was (its key; a column given the same key meanwhile sorts beside it, by id).
pub fn restore(tx: &mut dyn BoardTx, by: i64, status_id: i64) -> Result<Committed, OpError> {
    let status = tx.trashed_status(status_id)?.ok_or(OpError::NotFound("column in the trash"))?;
    require_writer(tx, status.project_id, by, "column in the trash")?;
    let placement = place_again(tx, List::Columns(status.project_id), &status.position)?;
    let (status, tasks) = tx.restore_status(status_id, &placement.key)?;
    record(tx, status.project_id, by, BoardChange::StatusRestored { status, tasks }, placement.rekeyed)
}
