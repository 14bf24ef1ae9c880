//! The board as shown: the app's board with the changes still waiting for the
//! server drawn in, each marked `⧗` (a new card at the end of its column, an edit on
//! its card), so that work done offline is seen where it will land.

use std::cell::RefCell;
use std::ops::Deref;
use std::rc::Rc;

use kanban_protocol::board::BoardState;
use kanban_protocol::model::Task;

use crate::app::{App, Change};

/// The mark of a change not yet made.
pub const WAITING: &str = "⧗ ";

/// The board to draw: the app's own, or a copy with the changes waiting in it.
pub enum Shown<'a> {
    Board(&'a BoardState),
    Waiting(Rc<BoardState>),
}

impl Deref for Shown<'_> {
    type Target = BoardState;

    fn deref(&self) -> &BoardState {
        match self {
            Shown::Board(board) => board,
            Shown::Waiting(board) => board,
        }
    }
}

/// The last board drawn with changes waiting in it, of which board generation and
/// which changes: kept while they stay the same, so that a big board is not copied
/// on every frame of an outage.
struct Last {
    generation: u64,
    waiting: Vec<Change>,
    shown: Rc<BoardState>,
}

thread_local! {
    static LAST: RefCell<Option<Last>> = const { RefCell::new(None) };
}

/// The board to draw, if there is one.
pub fn shown(app: &App) -> Option<Shown<'_>> {
    let board = app.board.as_ref()?;
    if app.waiting.is_empty() {
        // The outage is over: its copy goes.
        LAST.set(None);
        return Some(Shown::Board(board));
    }
    let kept = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|l| l.generation == board.generation() && l.waiting == app.waiting)
            .map(|l| Rc::clone(&l.shown))
    });
    let shown = kept.unwrap_or_else(|| {
        let shown = Rc::new(with_waiting(board, &app.waiting));
        let last =
            Last { generation: board.generation(), waiting: app.waiting.clone(), shown: Rc::clone(&shown) };
        LAST.set(Some(last));
        shown
    });
    Some(Shown::Waiting(shown))
}

/// `board` with the changes `waiting` drawn in.
fn with_waiting(board: &BoardState, waiting: &[Change]) -> BoardState {
    let mut shown = board.clone();
    for (i, change) in waiting.iter().enumerate() {
        match change {
            Change::CreateTask { project_id, new } if *project_id == board.project.id => {
                let Some(status_id) = new.status_id.or_else(|| board.statuses.first().map(|s| s.id)) else {
                    continue;
                };
                let mut ghost = Task {
                    // Ids no card has; after every key in its column.
                    id: -1 - i as i64,
                    status_id,
                    title: new.title.clone(),
                    description: new.description.clone().unwrap_or_default(),
                    assignee_id: new.assignee_id,
                    priority: new.priority.unwrap_or_default(),
                    labels: new.labels.clone().unwrap_or_default(),
                    due_date: new.due_date.clone(),
                    position: "~".into(),
                    ..blank(board.project.id)
                };
                mark(&mut ghost);
                shown.tasks.push(ghost);
            }
            Change::UpdateTask { task_id, patch } => {
                if let Some(t) = shown.tasks.iter_mut().find(|t| t.id == *task_id) {
                    if let Some(title) = &patch.title {
                        t.title.clone_from(title);
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
                    mark(t);
                }
            }
            Change::MoveTask { task_id, .. } | Change::DeleteTask { task_id } => {
                if let Some(t) = shown.tasks.iter_mut().find(|t| t.id == *task_id) {
                    mark(t);
                }
            }
            _ => {}
        }
    }
    // The ghosts take their places in their columns.
    shown.reindex();
    shown
}

fn mark(task: &mut Task) {
    if !task.title.starts_with(WAITING) {
        task.title.insert_str(0, WAITING);
    }
}

fn blank(project_id: i64) -> Task {
    Task {
        id: 0,
        project_id,
        status_id: 0,
        title: String::new(),
        description: String::new(),
        assignee_id: None,
        priority: Default::default(),
        labels: Vec::new(),
        due_date: None,
        position: String::new(),
        version: 0,
        created_by: None,
        updated_by: None,
        created_at: String::new(),
        updated_at: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use kanban_protocol::event::{BoardChange, BoardEvent};
    use kanban_protocol::model::Role;
    use kanban_protocol::request::{NewTask, TaskPatch};

    use super::*;
    use crate::app::tests::{app_with, task};
    use crate::app::{Action, NetEvent};

    fn titles(board: &BoardState, status_id: i64) -> Vec<String> {
        board.cards(status_id).map(|t| t.title.clone()).collect()
    }

    #[test]
    fn changes_waiting_are_drawn_in_and_the_copy_kept_while_nothing_changes() {
        let mut app = app_with(Role::Owner);
        let new = NewTask { title: "Offline idea".into(), status_id: Some(2), ..NewTask::default() };
        let patch = TaskPatch { title: Some("Pick a better name".into()), ..TaskPatch::default() };
        let waiting =
            vec![Change::CreateTask { project_id: 1, new }, Change::UpdateTask { task_id: 12, patch }];
        app.update(Action::Net(NetEvent::Waiting(waiting)));
        let first = shown(&app).unwrap();
        assert_eq!(titles(&first, 2), ["Ship the server", "⧗ Offline idea"], "at the end of its column");
        assert_eq!(titles(&first, 1)[1], "⧗ Pick a better name");
        assert_eq!(first.task(-1).map(|t| t.status_id), Some(2));
        let Shown::Waiting(first) = first else { panic!("a copy") };
        let Some(Shown::Waiting(again)) = shown(&app) else { panic!("a copy") };
        assert!(Rc::ptr_eq(&first, &again), "the same board, the same changes: the same copy");

        // Someone else's change comes in: the copy is made again, with it.
        let event = BoardEvent {
            rev: 11,
            by: 2,
            change: BoardChange::TaskCreated(task(40, 2, "Z", "theirs")),
            rekeyed: vec![],
        };
        app.update(Action::Net(NetEvent::Board(Box::new(event))));
        let again = shown(&app).unwrap();
        assert_eq!(titles(&again, 2), ["Ship the server", "theirs", "⧗ Offline idea"]);

        app.update(Action::Net(NetEvent::Waiting(Vec::new())));
        assert!(matches!(shown(&app), Some(Shown::Board(_))), "nothing waits: the board itself");
        assert_eq!(titles(&shown(&app).unwrap(), 2), ["Ship the server", "theirs"]);
    }
}
