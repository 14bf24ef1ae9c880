//! Undo and redo of this person's own changes, as a stack per session. Undoing is
//! an ordinary change sent through the API (everyone sees it), made from what the
//! change did (its committed event) and what was there before (taken when it was
//! sent). Before it is sent, an undo is checked against the board as it is now:
//! when someone else has changed what it would put back since, it says so and
//! changes nothing, so nobody's later work is overwritten; the version it sends
//! makes the server refuse it too if a change lands in between.

use kanban_protocol::board::BoardState;
use kanban_protocol::event::{BoardChange, BoardEvent};
use kanban_protocol::model::{ChecklistItem, Status, Task};
use kanban_protocol::request::{ItemPatch, MoveItem, MoveStatus, MoveTask, NewItem, StatusPatch, TaskPatch};

use super::Change;

/// Steps kept on each stack; the oldest go first.
const DEPTH: usize = 100;

/// Why a change was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The person made it: it can be undone, and what was undone cannot be redone
    /// any more.
    Do,
    Undo,
    Redo,
}

/// What was there before a change, taken when it is sent.
#[derive(Debug, Clone)]
pub enum Before {
    Nothing,
    /// The card, and the cards above and below it in its column.
    Task {
        task: Task,
        above: Option<i64>,
        below: Option<i64>,
    },
    /// The column, and the columns left and right of it.
    Status {
        status: Status,
        left: Option<i64>,
        right: Option<i64>,
    },
    /// A checklist item, and the items above and below it in its card's list.
    Item {
        item: ChecklistItem,
        above: Option<i64>,
        below: Option<i64>,
    },
}

#[derive(Debug)]
struct Sent {
    change: Change,
    origin: Origin,
    before: Before,
    /// What an undo or redo takes back, said as the change it undoes was.
    what: Option<String>,
}

/// How to take back a committed change; checked against the board when asked for.
#[derive(Debug, Clone, PartialEq)]
enum Inverse {
    /// Delete a card made (or brought back): `after` as the change left it.
    Delete {
        after: Task,
    },
    Restore {
        task_id: i64,
    },
    /// Put back the fields of `patch` that the change set to `after`'s values.
    Revert {
        after: Task,
        patch: TaskPatch,
    },
    /// Move `after` back to its column, between the cards it was between.
    MoveBack {
        after: Task,
        status_id: i64,
        above: Option<i64>,
        below: Option<i64>,
    },
    /// Delete a column made (or brought back) with `cards` in it.
    DeleteColumn {
        status_id: i64,
        cards: Vec<i64>,
    },
    RestoreColumn {
        status_id: i64,
    },
    RevertColumn {
        after: Status,
        patch: StatusPatch,
    },
    MoveColumnBack {
        after: Status,
        left: Option<i64>,
        right: Option<i64>,
    },
    /// Delete an item made: `after` as the change left it.
    DeleteItem {
        after: ChecklistItem,
    },
    /// Make again an item deleted (`item` as it was), between the items it was
    /// between.
    AddItemAgain {
        item: ChecklistItem,
        above: Option<i64>,
        below: Option<i64>,
    },
    /// Put back the text or the tick that the change set to `after`'s.
    RevertItem {
        after: ChecklistItem,
        patch: ItemPatch,
    },
    /// Move `after` back between the items it was between.
    MoveItemBack {
        after: ChecklistItem,
        above: Option<i64>,
        below: Option<i64>,
    },
}

#[derive(Debug, Clone)]
struct Step {
    inverse: Inverse,
    /// The change as the person would say it: "the move of “Write docs”".
    what: String,
}

/// The undo and redo stacks of one project, and the changes on their way.
#[derive(Debug, Default)]
pub struct History {
    undo: Vec<Step>,
    redo: Vec<Step>,
    sent: Vec<Sent>,
}

impl History {
    /// A change is on its way; `before` is what it changes, as it is now (see
    /// [`before`]).
    pub fn sent(&mut self, change: &Change, origin: Origin, what: Option<String>, before: Before) {
        self.sent.push(Sent { change: change.clone(), origin, before, what });
    }

    /// The changes on their way, in the order they were sent.
    pub fn on_the_way(&self) -> impl Iterator<Item = &Change> {
        self.sent.iter().map(|s| &s.change)
    }

    /// A change was committed: its inverse goes on the stack its origin says.
    /// Answers why it was sent and what it did, if this session sent it.
    pub fn done(&mut self, change: &Change, event: &BoardEvent) -> Option<(Origin, String)> {
        let i = self.sent.iter().position(|s| s.change == *change)?;
        let sent = self.sent.remove(i);
        let inverse = inverse(&sent, event)?;
        let what = sent.what.unwrap_or_else(|| describe(&sent.before, event));
        let origin = sent.origin;
        let step = Step { inverse, what: what.clone() };
        let stack = match sent.origin {
            Origin::Do => {
                self.redo.clear();
                &mut self.undo
            }
            Origin::Redo => &mut self.undo,
            Origin::Undo => &mut self.redo,
        };
        stack.push(step);
        if stack.len() > DEPTH {
            stack.remove(0);
        }
        Some((origin, what))
    }

    /// Whether a change of this session is on its way (its answer decides what
    /// an undo would take back).
    pub fn in_flight(&self) -> bool {
        !self.sent.is_empty()
    }

    /// A change was not made: why it was sent, if it was.
    pub fn failed(&mut self, change: &Change) -> Option<Origin> {
        let i = self.sent.iter().position(|s| s.change == *change)?;
        Some(self.sent.remove(i).origin)
    }

    /// The change that undoes the last one, and what it undoes; or why it cannot
    /// be undone (the step is then dropped: the board moved on past it).
    pub fn undo(&mut self, board: &BoardState, me: i64) -> Option<Result<(Change, String), String>> {
        let step = self.undo.pop()?;
        Some(
            resolve(&step.inverse, board, me)
                .map(|c| (c, step.what.clone()))
                .map_err(|why| format!("Cannot undo {}: {why}", step.what)),
        )
    }

    /// The change that redoes the last undone one, as [`History::undo`].
    pub fn redo(&mut self, board: &BoardState, me: i64) -> Option<Result<(Change, String), String>> {
        let step = self.redo.pop()?;
        Some(
            resolve(&step.inverse, board, me)
                .map(|c| (c, step.what.clone()))
                .map_err(|why| format!("Cannot redo {}: {why}", step.what)),
        )
    }
}

/// The cards above and below `key` in column `status_id`, but for `id`.
fn card_neighbours(board: &BoardState, status_id: i64, id: i64, key: &str) -> (Option<i64>, Option<i64>) {
    let others = board.cards(status_id).filter(|t| t.id != id);
    let (mut above, mut below): (Option<&Task>, Option<&Task>) = (None, None);
    for t in others {
        if (t.position.as_str(), t.id) < (key, id) {
            above = Some(t);
        } else if below.is_none() {
            below = Some(t);
        }
    }
    (above.map(|t| t.id), below.map(|t| t.id))
}

/// The columns left and right of `key`, but for `id`.
fn column_neighbours(board: &BoardState, id: i64, key: &str) -> (Option<i64>, Option<i64>) {
    let others = || board.statuses.iter().filter(move |s| s.id != id);
    let left = others().rfind(|s| (s.position.as_str(), s.id) < (key, id)).map(|s| s.id);
    let right = others().find(|s| (s.position.as_str(), s.id) > (key, id)).map(|s| s.id);
    (left, right)
}

/// The items above and below `item` in its card's checklist, but for itself.
fn item_neighbours(board: &BoardState, item: &ChecklistItem) -> (Option<i64>, Option<i64>) {
    let Some(task) = board.task(item.task_id) else { return (None, None) };
    let others = || task.checklist.iter().filter(|i| i.id != item.id);
    let at = (item.position.as_str(), item.id);
    let above = others().rfind(|i| (i.position.as_str(), i.id) < at).map(|i| i.id);
    let below = others().find(|i| (i.position.as_str(), i.id) > at).map(|i| i.id);
    (above, below)
}

/// Where an item goes back: after the item that was above it, or before the one
/// that was below it, where they still are; first again if it was first.
fn item_place(board: &BoardState, item: &ChecklistItem, above: Option<i64>, below: Option<i64>) -> MoveItem {
    let list = board.task(item.task_id).map_or(&[][..], |t| t.checklist.as_slice());
    let here = |id: &i64| *id != item.id && list.iter().any(|i| i.id == *id);
    let first = list.iter().find(|i| i.id != item.id).map(|i| i.id);
    match (above.filter(here), below.filter(here)) {
        (Some(a), _) => MoveItem { before_id: None, after_id: Some(a) },
        (None, Some(b)) => MoveItem { before_id: Some(b), after_id: None },
        (None, None) if above.is_none() => MoveItem { before_id: first, after_id: None },
        (None, None) => MoveItem::default(),
    }
}

/// What `change` changes, as `board` has it now.
pub fn before(change: &Change, board: &BoardState) -> Before {
    let task = |id: i64| match board.task(id) {
        Some(t) => {
            let (above, below) = card_neighbours(board, t.status_id, t.id, &t.position);
            Before::Task { task: t.clone(), above, below }
        }
        None => Before::Nothing,
    };
    let status = |id: i64| match board.status(id) {
        Some(s) => {
            let (left, right) = column_neighbours(board, s.id, &s.position);
            Before::Status { status: s.clone(), left, right }
        }
        None => Before::Nothing,
    };
    let item = |id: i64| match board.item(id) {
        Some(i) => {
            let (above, below) = item_neighbours(board, i);
            Before::Item { item: i.clone(), above, below }
        }
        None => Before::Nothing,
    };
    match change {
        Change::UpdateTask { task_id, .. }
        | Change::MoveTask { task_id, .. }
        | Change::DeleteTask { task_id } => task(*task_id),
        Change::UpdateItem { item_id, .. }
        | Change::MoveItem { item_id, .. }
        | Change::DeleteItem { item_id } => item(*item_id),
        Change::UpdateStatus { status_id, .. }
        | Change::MoveStatus { status_id, .. }
        | Change::DeleteStatus { status_id, .. } => status(*status_id),
        // Comments are not undone (a deleted one is asked about first).
        Change::CreateTask { .. }
        | Change::CreateStatus { .. }
        | Change::RestoreTask { .. }
        | Change::RestoreStatus { .. }
        | Change::CreateComment { .. }
        | Change::UpdateComment { .. }
        | Change::DeleteComment { .. }
        | Change::CreateItem { .. } => Before::Nothing,
    }
}

/// The old values of the fields `patch` sets.
fn task_patch_back(patch: &TaskPatch, old: &Task) -> TaskPatch {
    TaskPatch {
        title: patch.title.as_ref().map(|_| old.title.clone()),
        description: patch.description.as_ref().map(|_| old.description.clone()),
        assignee_id: patch.assignee_id.map(|_| old.assignee_id),
        priority: patch.priority.map(|_| old.priority),
        labels: patch.labels.as_ref().map(|_| old.labels.clone()),
        due_date: patch.due_date.as_ref().map(|_| old.due_date.clone()),
        version: None,
    }
}

fn status_patch_back(patch: &StatusPatch, old: &Status) -> StatusPatch {
    StatusPatch {
        name: patch.name.as_ref().map(|_| old.name.clone()),
        color: patch.color.as_ref().map(|_| old.color.clone()),
        wip_limit: patch.wip_limit.map(|_| old.wip_limit),
        version: None,
    }
}

fn inverse(sent: &Sent, event: &BoardEvent) -> Option<Inverse> {
    Some(match (&event.change, &sent.before, &sent.change) {
        (BoardChange::TaskCreated(t) | BoardChange::TaskRestored(t), ..) => {
            Inverse::Delete { after: t.clone() }
        }
        (BoardChange::TaskDeleted { id }, ..) => Inverse::Restore { task_id: *id },
        (
            BoardChange::TaskUpdated { task: t, .. },
            Before::Task { task: old, .. },
            Change::UpdateTask { patch, .. },
        ) => Inverse::Revert { after: t.clone(), patch: task_patch_back(patch, old) },
        (BoardChange::TaskMoved { task: t, .. }, Before::Task { task: old, above, below }, _) => {
            Inverse::MoveBack { after: t.clone(), status_id: old.status_id, above: *above, below: *below }
        }
        (BoardChange::StatusCreated(s), ..) => Inverse::DeleteColumn { status_id: s.id, cards: Vec::new() },
        (BoardChange::StatusRestored { status, tasks }, ..) => {
            Inverse::DeleteColumn { status_id: status.id, cards: tasks.iter().map(|t| t.id).collect() }
        }
        (
            BoardChange::StatusUpdated { status: s, .. },
            Before::Status { status: old, .. },
            Change::UpdateStatus { patch, .. },
        ) => Inverse::RevertColumn { after: s.clone(), patch: status_patch_back(patch, old) },
        (BoardChange::StatusMoved(s), Before::Status { left, right, .. }, _) => {
            Inverse::MoveColumnBack { after: s.clone(), left: *left, right: *right }
        }
        (BoardChange::StatusDeleted { id, .. }, ..) => Inverse::RestoreColumn { status_id: *id },
        (BoardChange::ItemCreated(item), ..) => Inverse::DeleteItem { after: item.clone() },
        (BoardChange::ItemDeleted(item), Before::Item { above, below, .. }, _) => {
            Inverse::AddItemAgain { item: item.clone(), above: *above, below: *below }
        }
        (
            BoardChange::ItemUpdated { item, .. },
            Before::Item { item: old, .. },
            Change::UpdateItem { patch, .. },
        ) => {
            let patch = ItemPatch {
                text: patch.text.as_ref().map(|_| old.text.clone()),
                done: patch.done.map(|_| old.done),
                version: None,
            };
            Inverse::RevertItem { after: item.clone(), patch }
        }
        (BoardChange::ItemMoved(item), Before::Item { above, below, .. }, _) => {
            Inverse::MoveItemBack { after: item.clone(), above: *above, below: *below }
        }
        _ => return None,
    })
}

/// The change as the person would say it.
fn describe(before: &Before, event: &BoardEvent) -> String {
    let old_title = match before {
        Before::Task { task, .. } => task.title.as_str(),
        _ => "",
    };
    let old_name = match before {
        Before::Status { status, .. } => status.name.as_str(),
        _ => "",
    };
    match &event.change {
        BoardChange::TaskCreated(t) => format!("the new card “{}”", t.title),
        BoardChange::TaskRestored(t) => format!("bringing back “{}”", t.title),
        BoardChange::TaskUpdated { task: t, .. } => format!("the edit of “{}”", t.title),
        BoardChange::TaskMoved { task: t, .. } => format!("the move of “{}”", t.title),
        BoardChange::TaskDeleted { .. } => format!("deleting “{old_title}”"),
        BoardChange::StatusCreated(s) => format!("the new column “{}”", s.name),
        BoardChange::StatusRestored { status, .. } => format!("bringing back column “{}”", status.name),
        BoardChange::StatusUpdated { status: s, .. } => format!("the renaming of column “{}”", s.name),
        BoardChange::StatusMoved(s) => format!("the move of column “{}”", s.name),
        BoardChange::StatusDeleted { .. } => format!("deleting column “{old_name}”"),
        BoardChange::CommentCreated { .. } => "the comment".into(),
        BoardChange::CommentUpdated { .. } => "the comment's edit".into(),
        BoardChange::CommentDeleted { .. } => "deleting the comment".into(),
        BoardChange::ItemCreated(i) => format!("the new item “{}”", i.text),
        BoardChange::ItemUpdated { item: i, before: Some(old) } if i.done != old.done => {
            format!("{} “{}”", if i.done { "ticking" } else { "unticking" }, i.text)
        }
        BoardChange::ItemUpdated { item: i, .. } => format!("the edit of item “{}”", i.text),
        BoardChange::ItemMoved(i) => format!("the move of item “{}”", i.text),
        BoardChange::ItemDeleted(i) => format!("deleting item “{}”", i.text),
    }
}

/// Who changed a card last, for "… changed it since".
fn who(board: &BoardState, task: &Task) -> String {
    task.updated_by.and_then(|id| board.member(id)).map_or_else(|| "someone".into(), |m| m.name.clone())
}

/// The change that carries out `inverse` on the board as it is, or why not.
fn resolve(inverse: &Inverse, board: &BoardState, me: i64) -> Result<Change, String> {
    let gone = || "it is not on the board any more".to_string();
    match inverse {
        Inverse::Delete { after } => {
            let now = board.task(after.id).ok_or_else(gone)?;
            if now.version != after.version && now.updated_by != Some(me) {
                return Err(format!("{} changed it since", who(board, now)));
            }
            Ok(Change::DeleteTask { task_id: after.id })
        }
        Inverse::Restore { task_id } => Ok(Change::RestoreTask { task_id: *task_id }),
        Inverse::Revert { after, patch } => {
            let now = board.task(after.id).ok_or_else(gone)?;
            let same = [
                patch.title.is_none() || now.title == after.title,
                patch.description.is_none() || now.description == after.description,
                patch.assignee_id.is_none() || now.assignee_id == after.assignee_id,
                patch.priority.is_none() || now.priority == after.priority,
                patch.labels.is_none() || now.labels == after.labels,
                patch.due_date.is_none() || now.due_date == after.due_date,
            ];
            if same.contains(&false) {
                return Err(format!("{} changed it since", who(board, now)));
            }
            let patch = TaskPatch { version: Some(now.version), ..patch.clone() };
            Ok(Change::UpdateTask { task_id: after.id, patch })
        }
        Inverse::MoveBack { after, status_id, above, below } => {
            let now = board.task(after.id).ok_or_else(gone)?;
            let (here_above, here_below) = card_neighbours(board, after.status_id, after.id, &after.position);
            let (now_above, now_below) = card_neighbours(board, now.status_id, now.id, &now.position);
            let unmoved = now.status_id == after.status_id
                && (now.position == after.position
                    || (now_above, now_below) == (here_above, here_below)
                    || now.updated_by == Some(me));
            if !unmoved {
                return Err(format!("{} moved it since", who(board, now)));
            }
            if board.status(*status_id).is_none() {
                return Err("its column is gone".into());
            }
            let in_column =
                |id: &i64| board.task(*id).is_some_and(|t| t.status_id == *status_id && t.id != after.id);
            let first = board.cards(*status_id).find(|t| t.id != after.id).map(|t| t.id);
            let (after_id, before_id) = match (above.filter(in_column), below.filter(in_column)) {
                (Some(a), _) => (Some(a), None),
                (None, Some(b)) => (None, Some(b)),
                // It was first: it goes first again.
                (None, None) if above.is_none() => (None, first),
                (None, None) => (None, None),
            };
            let to = MoveTask { status_id: *status_id, before_id, after_id, version: Some(now.version) };
            Ok(Change::MoveTask { task_id: after.id, to })
        }
        Inverse::DeleteColumn { status_id, cards } => {
            board.status(*status_id).ok_or_else(gone)?;
            let mut now: Vec<i64> = board.cards(*status_id).map(|t| t.id).collect();
            let mut then = cards.clone();
            now.sort_unstable();
            then.sort_unstable();
            if now != then {
                return Err("its cards changed since".into());
            }
            Ok(Change::DeleteStatus { status_id: *status_id, move_to: None })
        }
        Inverse::RestoreColumn { status_id } => Ok(Change::RestoreStatus { status_id: *status_id }),
        Inverse::RevertColumn { after, patch } => {
            let now = board.status(after.id).ok_or_else(gone)?;
            let same = (patch.name.is_none() || now.name == after.name)
                && (patch.color.is_none() || now.color == after.color)
                && (patch.wip_limit.is_none() || now.wip_limit == after.wip_limit);
            if !same {
                return Err("someone changed it since".into());
            }
            let patch = StatusPatch { version: Some(now.version), ..patch.clone() };
            Ok(Change::UpdateStatus { status_id: after.id, patch })
        }
        Inverse::MoveColumnBack { after, left, right } => {
            let now = board.status(after.id).ok_or_else(gone)?;
            let here = column_neighbours(board, after.id, &after.position);
            if now.position != after.position && column_neighbours(board, now.id, &now.position) != here {
                return Err("someone moved it since".into());
            }
            let exists = |id: &i64| board.status(*id).is_some() && *id != after.id;
            let first = board.statuses.iter().find(|s| s.id != after.id).map(|s| s.id);
            let to = match (left.filter(exists), right.filter(exists)) {
                (Some(l), _) => MoveStatus { before_id: None, after_id: Some(l) },
                (None, Some(r)) => MoveStatus { before_id: Some(r), after_id: None },
                (None, None) if left.is_none() => MoveStatus { before_id: first, after_id: None },
                (None, None) => MoveStatus::default(),
            };
            Ok(Change::MoveStatus { status_id: after.id, to })
        }
        Inverse::DeleteItem { after } => {
            board.item(after.id).ok_or_else(gone)?;
            Ok(Change::DeleteItem { item_id: after.id })
        }
        Inverse::AddItemAgain { item, above, below } => {
            board.task(item.task_id).ok_or_else(|| "its card is not on the board any more".to_string())?;
            let MoveItem { before_id, after_id } = item_place(board, item, *above, *below);
            let new = NewItem { text: item.text.clone(), done: item.done, before_id, after_id };
            Ok(Change::CreateItem { task_id: item.task_id, new })
        }
        Inverse::RevertItem { after, patch } => {
            let now = board.item(after.id).ok_or_else(gone)?;
            let same = (patch.text.is_none() || now.text == after.text)
                && (patch.done.is_none() || now.done == after.done);
            if !same {
                return Err("someone changed it since".into());
            }
            let patch = ItemPatch { version: Some(now.version), ..patch.clone() };
            Ok(Change::UpdateItem { item_id: after.id, patch })
        }
        Inverse::MoveItemBack { after, above, below } => {
            let now = board.item(after.id).ok_or_else(gone)?;
            if now.position != after.position && item_neighbours(board, now) != item_neighbours(board, after)
            {
                return Err("someone moved it since".into());
            }
            Ok(Change::MoveItem { item_id: after.id, to: item_place(board, after, *above, *below) })
        }
    }
}
