//! The board as the person sees it: the server's board with their own changes on
//! their way drawn in (those sent and not yet answered, and those waiting for a
//! server that cannot be reached, kept from an earlier run too). Keys act on this
//! board, so that three presses are three steps even when the first answer has
//! not come (`ppp` raises priority thrice, `JJJ` moves three places), each one
//! change, and undo walks them back one by one. Changes that wait for the server
//! are marked `⧗` where they will land (a new card at its place in its column, a
//! moved one in the column it goes to).
//!
//! A change the server refuses simply drops out: the board falls back to what the
//! server says. The copy is made once per board generation and set of changes, so
//! that a big board is not copied on every frame.

use std::ops::Deref;
use std::sync::{Arc, Mutex, PoisonError};

use kanban_protocol::board::{BoardState, sort_items};
use kanban_protocol::model::{ChecklistItem, Status, Task};
use kanban_protocol::order;
use kanban_protocol::request::{StatusPatch, TaskPatch};

use super::Change;

/// The mark of a change not yet made.
pub const WAITING: &str = "⧗ ";

/// The board to act on and draw: the server's own, or a copy with changes in it.
pub enum Seen<'a> {
    Board(&'a BoardState),
    Predicted(Arc<BoardState>),
}

impl Deref for Seen<'_> {
    type Target = BoardState;

    fn deref(&self) -> &BoardState {
        match self {
            Seen::Board(board) => board,
            Seen::Predicted(board) => board,
        }
    }
}

/// A change on its way, and whether it waits for a server that cannot be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnItsWay {
    pub change: Change,
    pub waiting: bool,
}

/// The last copy made: of which board generation, with which changes.
#[derive(Debug, Default)]
pub struct Cache(Mutex<Option<Cached>>);

#[derive(Debug)]
struct Cached {
    generation: u64,
    changes: Vec<OnItsWay>,
    seen: Arc<BoardState>,
}

/// The board, if there is one, as `me` sees it with `changes` made: borrowing
/// the board alone.
pub fn board_of<'a>(
    board: &'a Option<BoardState>,
    cache: &Cache,
    changes: Vec<OnItsWay>,
    me: Option<i64>,
) -> Option<Seen<'a>> {
    Some(of(board.as_ref()?, changes, me, cache))
}

/// The board `app` shows, borrowing its board alone, so that its other fields
/// (the selection, the mode) may change while it is held.
macro_rules! seen_of {
    ($app:expr) => {{
        let (changes, me) = $app.seen_parts();
        $crate::app::seen::board_of(&$app.board, &$app.seen, changes, me)
    }};
}
pub(crate) use seen_of;

/// `board` as `me` sees it with `changes` made (in order), from the cache while
/// they stay the same.
pub fn of<'a>(board: &'a BoardState, changes: Vec<OnItsWay>, me: Option<i64>, cache: &Cache) -> Seen<'a> {
    let mut cached = cache.0.lock().unwrap_or_else(PoisonError::into_inner);
    if changes.is_empty() {
        // Nothing on its way: the copy goes.
        *cached = None;
        return Seen::Board(board);
    }
    if let Some(c) = cached.as_ref().filter(|c| c.generation == board.generation() && c.changes == changes) {
        return Seen::Predicted(Arc::clone(&c.seen));
    }
    let seen = Arc::new(predict(board, &changes, me));
    *cached = Some(Cached { generation: board.generation(), changes, seen: Arc::clone(&seen) });
    Seen::Predicted(seen)
}

/// `board` with `changes` made in it, as the server will make them (ids of what
/// is new are negative: nothing real has them).
pub fn predict(board: &BoardState, changes: &[OnItsWay], me: Option<i64>) -> BoardState {
    let mut seen = board.clone();
    for (i, on) in changes.iter().enumerate() {
        let made = make(&mut seen, &on.change, -1 - i as i64, me);
        if on.waiting
            && let Some(id) = made
            && let Some(t) = seen.tasks.iter_mut().find(|t| t.id == id)
            && !t.title.starts_with(WAITING)
        {
            t.title.insert_str(0, WAITING);
        }
        // The next change places itself among the cards as they are now.
        seen.reindex();
    }
    seen
}

/// Makes one change in `seen`; answers the card it made or changed, if one.
fn make(seen: &mut BoardState, change: &Change, new_id: i64, me: Option<i64>) -> Option<i64> {
    match change {
        Change::CreateTask { project_id, new } if *project_id == seen.project.id => {
            let status_id = new.status_id.or_else(|| seen.statuses.first().map(|s| s.id))?;
            let position = card_key(seen, status_id, new.before_id, new.after_id, None);
            let task = Task {
                id: new_id,
                project_id: *project_id,
                status_id,
                title: new.title.clone(),
                description: new.description.clone().unwrap_or_default(),
                assignee_id: new.assignee_id,
                priority: new.priority.unwrap_or_default(),
                labels: new.labels.clone().unwrap_or_default(),
                due_date: new.due_date.clone(),
                position,
                version: 1,
                created_by: me,
                updated_by: me,
                created_at: String::new(),
                updated_at: String::new(),
                checklist: Vec::new(),
            };
            seen.tasks.push(task);
            Some(new_id)
        }
        Change::UpdateTask { task_id, patch } => {
            let t = seen.tasks.iter_mut().find(|t| t.id == *task_id)?;
            patch_task(t, patch, me);
            Some(*task_id)
        }
        Change::MoveTask { task_id, to } => {
            seen.task(*task_id)?;
            seen.status(to.status_id)?;
            let position = card_key(seen, to.status_id, to.before_id, to.after_id, Some(*task_id));
            let t = seen.tasks.iter_mut().find(|t| t.id == *task_id)?;
            t.status_id = to.status_id;
            t.position = position;
            t.version += 1;
            t.updated_by = me;
            Some(*task_id)
        }
        Change::DeleteTask { task_id } => {
            seen.tasks.retain(|t| t.id != *task_id);
            None
        }
        Change::CreateStatus { project_id, new } if *project_id == seen.project.id => {
            let position = column_key(seen, new.before_id, new.after_id, None);
            seen.statuses.push(Status {
                id: new_id,
                project_id: *project_id,
                name: new.name.clone(),
                color: new.color.clone(),
                position,
                wip_limit: new.wip_limit,
                version: 1,
            });
            None
        }
        Change::UpdateStatus { status_id, patch } => {
            let s = seen.statuses.iter_mut().find(|s| s.id == *status_id)?;
            patch_status(s, patch);
            None
        }
        Change::MoveStatus { status_id, to } => {
            let position = column_key(seen, to.before_id, to.after_id, Some(*status_id));
            let s = seen.statuses.iter_mut().find(|s| s.id == *status_id)?;
            s.position = position;
            None
        }
        Change::DeleteStatus { status_id, move_to } => {
            delete_status(seen, *status_id, *move_to);
            None
        }
        Change::CreateComment { task_id, .. } => {
            let n = seen.comment_count(*task_id) + 1;
            seen.comments.insert(*task_id, n);
            None
        }
        Change::CreateItem { task_id, new } => {
            let t = seen.tasks.iter_mut().find(|t| t.id == *task_id)?;
            let position = item_key(&t.checklist, new.before_id, new.after_id, None);
            let text = new.text.trim().to_string();
            t.checklist.push(ChecklistItem {
                id: new_id,
                task_id: *task_id,
                text,
                done: new.done,
                position,
                version: 1,
            });
            sort_items(&mut t.checklist);
            None
        }
        Change::UpdateItem { item_id, patch } => {
            let item = seen.tasks.iter_mut().flat_map(|t| &mut t.checklist).find(|i| i.id == *item_id)?;
            if let Some(text) = &patch.text {
                text.trim().clone_into(&mut item.text);
            }
            if let Some(done) = patch.done {
                item.done = done;
            }
            item.version += 1;
            None
        }
        Change::MoveItem { item_id, to } => {
            let t = seen.tasks.iter_mut().find(|t| t.checklist.iter().any(|i| i.id == *item_id))?;
            let position = item_key(&t.checklist, to.before_id, to.after_id, Some(*item_id));
            let item = t.checklist.iter_mut().find(|i| i.id == *item_id)?;
            item.position = position;
            item.version += 1;
            sort_items(&mut t.checklist);
            None
        }
        Change::DeleteItem { item_id } => {
            for t in &mut seen.tasks {
                t.checklist.retain(|i| i.id != *item_id);
            }
            None
        }
        // What comes back from the trash, and what a comment's change does to a
        // count, only the server's answer says.
        Change::CreateTask { .. }
        | Change::CreateStatus { .. }
        | Change::RestoreTask { .. }
        | Change::RestoreStatus { .. }
        | Change::UpdateComment { .. }
        | Change::DeleteComment { .. } => None,
    }
}

/// A card's patch, as the server makes it.
fn patch_task(t: &mut Task, patch: &TaskPatch, me: Option<i64>) {
    if let Some(title) = &patch.title {
        t.title.clone_from(title);
    }
    if let Some(d) = &patch.description {
        t.description.clone_from(d);
    }
    if let Some(a) = patch.assignee_id {
        t.assignee_id = a;
    }
    if let Some(p) = patch.priority {
        t.priority = p;
    }
    if let Some(l) = &patch.labels {
        t.labels.clone_from(l);
    }
    if let Some(d) = &patch.due_date {
        t.due_date.clone_from(d);
    }
    t.version += 1;
    t.updated_by = me;
}

/// A column's patch, as the server makes it.
fn patch_status(s: &mut Status, patch: &StatusPatch) {
    if let Some(name) = &patch.name {
        s.name.clone_from(name);
    }
    if let Some(color) = &patch.color {
        s.color.clone_from(color);
    }
    if let Some(limit) = patch.wip_limit {
        s.wip_limit = limit;
    }
    s.version += 1;
}

/// A column deleted: its cards moved to the end of `move_to` where that is a
/// column, else gone with it.
fn delete_status(seen: &mut BoardState, status_id: i64, move_to: Option<i64>) {
    seen.statuses.retain(|s| s.id != status_id);
    match move_to.filter(|to| seen.status(*to).is_some()) {
        Some(to) => {
            let mut key = seen.cards(to).last().map(|t| t.position.clone());
            for t in seen.tasks.iter_mut().filter(|t| t.status_id == status_id) {
                let next = order::between(key.as_deref(), None);
                t.status_id = to;
                t.position.clone_from(&next);
                key = Some(next);
            }
        }
        None => seen.tasks.retain(|t| t.status_id != status_id),
    }
}

/// The key of a card placed in column `status_id` before card `before`, after
/// card `after`, or else at the end, leaving out card `moving`.
fn card_key(
    seen: &BoardState,
    status_id: i64,
    before: Option<i64>,
    after: Option<i64>,
    moving: Option<i64>,
) -> String {
    let cards: Vec<&Task> = seen.cards(status_id).filter(|t| Some(t.id) != moving).collect();
    let keys: Vec<&str> = cards.iter().map(|t| t.position.as_str()).collect();
    let at = |id: i64| cards.iter().position(|t| t.id == id);
    key_among(&keys, before.and_then(at), after.and_then(at))
}

/// The key of a column placed before column `before`, after `after`, or else last.
fn column_key(seen: &BoardState, before: Option<i64>, after: Option<i64>, moving: Option<i64>) -> String {
    let columns: Vec<&Status> = seen.statuses.iter().filter(|s| Some(s.id) != moving).collect();
    let keys: Vec<&str> = columns.iter().map(|s| s.position.as_str()).collect();
    let at = |id: i64| columns.iter().position(|s| s.id == id);
    key_among(&keys, before.and_then(at), after.and_then(at))
}

/// The key of an item placed in `list` before item `before`, after `after`, or
/// else last, leaving out item `moving`.
fn item_key(list: &[ChecklistItem], before: Option<i64>, after: Option<i64>, moving: Option<i64>) -> String {
    let items: Vec<&ChecklistItem> = list.iter().filter(|i| Some(i.id) != moving).collect();
    let keys: Vec<&str> = items.iter().map(|i| i.position.as_str()).collect();
    let at = |id: i64| items.iter().position(|i| i.id == id);
    key_among(&keys, before.and_then(at), after.and_then(at))
}

/// A key in `keys` (in order) right before the one at `before`, right after the
/// one at `after`, or after the last.
fn key_among(keys: &[&str], before: Option<usize>, after: Option<usize>) -> String {
    let (lo, hi) = match (before, after) {
        (Some(b), _) => (b.checked_sub(1).map(|i| keys[i]), Some(keys[b])),
        (None, Some(a)) => (Some(keys[a]), keys.get(a + 1).copied()),
        (None, None) => (keys.last().copied(), None),
    };
    // Keys the server made are ordered; two equal ones (ties broken by id) leave
    // no room between them, and the card goes right after the lower.
    match (lo, hi) {
        (Some(l), Some(h)) if l >= h => order::between(Some(l), None),
        _ => order::between(lo, hi),
    }
}

#[cfg(test)]
mod tests {
    use kanban_protocol::model::{Priority, Role};
    use kanban_protocol::request::{MoveTask, NewTask, TaskPatch};

    use super::*;
    use crate::app::tests::board;

    fn on(change: Change) -> OnItsWay {
        OnItsWay { change, waiting: false }
    }

    fn titles(board: &BoardState, status_id: i64) -> Vec<String> {
        board.cards(status_id).map(|t| t.title.clone()).collect()
    }

    #[test]
    fn changes_on_their_way_are_made_in_order() {
        let board = BoardState::from(board(Role::Owner));
        let raise = |p| Change::UpdateTask {
            task_id: 11,
            patch: TaskPatch { priority: Some(p), ..TaskPatch::default() },
        };
        let down = |after| Change::MoveTask {
            task_id: 11,
            to: MoveTask { status_id: 1, before_id: None, after_id: Some(after), version: None },
        };
        let changes = vec![on(raise(Priority::Low)), on(raise(Priority::Medium)), on(down(12)), on(down(13))];
        let seen = predict(&board, &changes, Some(1));
        let card = seen.task(11).unwrap();
        assert_eq!((card.priority, card.version), (Priority::Medium, 5), "two edits, two moves");
        assert_eq!(titles(&seen, 1), ["Pick a name", "Fix the login bug", "Write the README"]);
        assert_eq!(titles(&board, 1)[0], "Write the README", "the server's board is untouched");

        // Across columns, then a new card first in it.
        let across = Change::MoveTask {
            task_id: 12,
            to: MoveTask { status_id: 2, before_id: Some(21), after_id: None, version: None },
        };
        let new =
            NewTask { title: "Idea".into(), status_id: Some(2), before_id: Some(12), ..NewTask::default() };
        let seen = predict(&board, &[on(across), on(Change::CreateTask { project_id: 1, new })], Some(1));
        assert_eq!(titles(&seen, 2), ["Idea", "Pick a name", "Ship the server"]);
        assert_eq!(seen.task(-2).map(|t| t.status_id), Some(2), "a new card's id is no real one's");
    }

    #[test]
    fn waiting_changes_are_marked_where_they_land_and_the_copy_is_kept() {
        let board = BoardState::from(board(Role::Owner));
        let across = Change::MoveTask {
            task_id: 12,
            to: MoveTask { status_id: 2, before_id: None, after_id: None, version: None },
        };
        let changes = vec![OnItsWay { change: across, waiting: true }];
        let cache = Cache::default();
        let Seen::Predicted(first) = of(&board, changes.clone(), Some(1), &cache) else { panic!("a copy") };
        assert_eq!(titles(&first, 2), ["Ship the server", "⧗ Pick a name"], "in the column it goes to");
        let Seen::Predicted(again) = of(&board, changes, Some(1), &cache) else { panic!("a copy") };
        assert!(Arc::ptr_eq(&first, &again), "the same board, the same changes: the same copy");
        assert!(matches!(of(&board, Vec::new(), Some(1), &cache), Seen::Board(_)), "nothing on its way");
    }
}
