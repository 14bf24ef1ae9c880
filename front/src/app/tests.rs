//! `update` without I/O: events in order, gaps, pending events, keys to commands.

use super::input::{KeyCode, KeyEvent, KeyModifiers};
use kanban_protocol::event::{BoardChange, BoardEvent};
use kanban_protocol::model::{
    Board, ChecklistItem, Member, Pointer, Priority, Project, Role, Status, Task, User, UserInfo,
};
use kanban_protocol::request::{MoveTask, TaskPatch};

use super::*;
use crate::app::card_view::Chosen;
use crate::app::form::Field;

pub(crate) fn task(id: i64, status_id: i64, position: &str, title: &str) -> Task {
    Task {
        id,
        project_id: 1,
        status_id,
        title: title.into(),
        description: String::new(),
        assignee_id: None,
        priority: Priority::None,
        labels: vec![],
        due_date: None,
        position: position.into(),
        version: 1,
        created_by: Some(1),
        updated_by: Some(1),
        created_at: "2026-11-26T10:00:00Z".into(),
        updated_at: "2026-11-26T10:00:00Z".into(),
        checklist: Vec::new(),
    }
}

pub(crate) fn status(id: i64, position: &str, name: &str) -> Status {
    Status {
        id,
        project_id: 1,
        name: name.into(),
        color: None,
        position: position.into(),
        wip_limit: None,
        version: 1,
    }
}

pub(crate) fn board(role: Role) -> Board {
    Board {
        project: Project { id: 1, name: "Launch".into(), role, archived: false },
        rev: 10,
        epoch: 1,
        statuses: vec![status(1, "F", "Todo"), status(2, "U", "Doing"), status(3, "j", "Done")],
        tasks: vec![
            task(11, 1, "V", "Write the README"),
            task(12, 1, "W", "Pick a name"),
            task(13, 1, "X", "Fix the login bug"),
            task(21, 2, "V", "Ship the server"),
        ],
        members: vec![
            Member { id: 1, name: "ann".into(), color: "#e06c75".into(), role: Role::Owner },
            Member { id: 2, name: "bob".into(), color: "#61afef".into(), role: Role::Member },
        ],
        comments: Default::default(),
    }
}

/// An app online with the fixture board open, as ann.
pub(crate) fn app_with(role: Role) -> App {
    let mut app = App::new(60, None);
    app.update(Action::Net(NetEvent::Me(User { id: 1, name: "ann".into(), color: "#e06c75".into() })));
    let out = app.update(Action::Net(NetEvent::Projects(vec![Project {
        id: 1,
        name: "Launch".into(),
        role,
        archived: false,
    }])));
    assert_eq!(
        out,
        vec![
            Command::Net(Request::MyWork),
            Command::Net(Request::Open(1)),
            Command::Net(Request::Reload(1)),
            Command::Net(Request::Since(1)),
        ]
    );
    app.update(Action::Net(NetEvent::Connected));
    let out = app.update(Action::Net(NetEvent::Snapshot(board(role))));
    assert!(out.contains(&Command::Net(Request::CatchUp { project_id: 1, after: 10, epoch: 1 })), "{out:?}");
    // Nothing was missed: the catch-up is answered, as the network side answers every read.
    app.update(Action::Net(NetEvent::Missed(Vec::new())));
    app
}

pub(crate) fn key(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub(crate) fn writes(out: Vec<Command>) -> Vec<Change> {
    out.into_iter().filter_map(|c| if let Command::Write(w) = c { Some(w) } else { None }).collect()
}

/// An event by bob (user 2) at `rev`.
fn ev(rev: u64, change: BoardChange) -> BoardEvent {
    BoardEvent { rev, by: 2, change, rekeyed: vec![] }
}

/// `task-created` of `t` at `rev`, as it arrives on the channel.
fn created(rev: u64, t: Task) -> Action {
    Action::Net(NetEvent::Board(Box::new(ev(rev, BoardChange::TaskCreated(t)))))
}

fn titles(app: &App, status_id: i64) -> Vec<String> {
    app.board.as_ref().unwrap().cards(status_id).map(|t| t.title.clone()).collect()
}

#[test]
fn events_apply_in_order_and_a_gap_asks_for_the_missed() {
    let mut app = app_with(Role::Owner);
    let ev = created;
    assert!(
        app.update(ev(11, task(14, 2, "W", "eleven")))
            .iter()
            .all(|c| !matches!(c, Command::Net(Request::CatchUp { .. })))
    );
    assert_eq!(titles(&app, 2), ["Ship the server", "eleven"]);
    // 12 is missing: 13 waits, and the app asks for what follows 11.
    let out = app.update(ev(13, task(16, 2, "Y", "thirteen")));
    assert!(out.contains(&Command::Net(Request::CatchUp { project_id: 1, after: 11, epoch: 1 })), "{out:?}");
    assert_eq!(app.board.as_ref().unwrap().rev, 11);
    // Meanwhile 14 arrives: it waits too.
    app.update(ev(14, task(17, 2, "Z", "fourteen")));
    assert_eq!(titles(&app, 2).len(), 2);
    // The catch-up brings 12 and 13; then 14 applies.
    let missed = vec![
        self::ev(12, BoardChange::TaskCreated(task(15, 2, "X", "twelve"))),
        self::ev(13, BoardChange::TaskCreated(task(16, 2, "Y", "thirteen"))),
    ];
    app.update(Action::Net(NetEvent::Missed(missed)));
    assert_eq!(app.board.as_ref().unwrap().rev, 14);
    assert_eq!(titles(&app, 2), ["Ship the server", "eleven", "twelve", "thirteen", "fourteen"]);
}

/// An event claiming a revision no fetch can reach (forged, or from a broken
/// server) costs a bounded number of fetches, one at a time, and is then dropped;
/// real events around it still apply in order.
#[test]
fn a_revision_nobody_can_fetch_never_starts_a_loop() {
    let mut app = app_with(Role::Owner);
    let ev = created;
    let nothing_new = || Action::Net(NetEvent::Missed(vec![]));
    let mut fetches = Vec::new();
    let out = app.update(ev(1010, task(99, 1, "Z", "forged")));
    fetches.extend(out.into_iter().filter(|c| !matches!(c, Command::Net(Request::Cursor(_)))));
    // Meanwhile a real event arrives: it waits, in order.
    assert!(app.update(ev(11, task(40, 2, "X", "real"))).is_empty(), "one fetch in flight at a time");
    for _ in 0..10 {
        let Some(last) = fetches.last() else { break };
        let answer = match last {
            Command::Net(Request::CatchUp { .. }) => {
                // The catch-up brings 11 (it is real); nothing reaches 1010.
                let real = self::ev(11, BoardChange::TaskCreated(task(40, 2, "X", "real")));
                let reached = app.board.as_ref().unwrap().rev;
                if reached < 11 { Action::Net(NetEvent::Missed(vec![real])) } else { nothing_new() }
            }
            Command::Net(Request::Reload(1)) => {
                let mut b = board(Role::Owner);
                b.rev = 11;
                b.tasks.push(task(40, 2, "X", "real"));
                Action::Net(NetEvent::Snapshot(b))
            }
            other => panic!("unexpected {other:?}"),
        };
        let out: Vec<Command> = app
            .update(answer)
            .into_iter()
            .filter(|c| !matches!(c, Command::Net(Request::Cursor(_))))
            .collect();
        if out.is_empty() {
            break;
        }
        fetches.extend(out);
    }
    let catch_ups = fetches.iter().filter(|c| matches!(c, Command::Net(Request::CatchUp { .. }))).count();
    let reloads = fetches.iter().filter(|c| matches!(c, Command::Net(Request::Reload(_)))).count();
    assert_eq!(reloads, 1, "{fetches:?}");
    // Two catch-ups for the gap, and the one every fresh board is followed by.
    assert!(catch_ups <= 3, "{fetches:?}");
    let b = app.board.as_ref().unwrap();
    assert_eq!(b.rev, 11, "the forged revision never counted");
    assert!(b.task(99).is_none());
    assert_eq!(titles(&app, 2), ["Ship the server", "real"]);
    // The next real event applies at once, with no fetch.
    let out = app.update(ev(12, task(41, 2, "Y", "next")));
    assert!(out.iter().all(|c| matches!(c, Command::Net(Request::Cursor(_)))), "{out:?}");
    assert_eq!(app.board.as_ref().unwrap().rev, 12);
}

#[test]
fn events_before_the_snapshot_wait_for_it() {
    let mut app = App::new(60, None);
    app.update(Action::Net(NetEvent::Projects(vec![Project {
        id: 1,
        name: "Launch".into(),
        role: Role::Owner,
        archived: false,
    }])));
    app.update(created(9, task(31, 3, "W", "stale")));
    app.update(created(11, task(30, 3, "V", "early")));
    assert!(app.board.is_none());
    app.update(Action::Net(NetEvent::Snapshot(board(Role::Owner))));
    assert_eq!(titles(&app, 3), ["early"], "the later event applied, the older one ignored");
}

#[test]
fn a_reconnect_catches_up_from_the_current_revision() {
    let mut app = app_with(Role::Owner);
    app.update(Action::Net(NetEvent::Disconnected { reason: "gone".into(), retry_in_ms: 500 }));
    assert!(matches!(app.connection, Connection::Offline { .. }));
    let out = app.update(Action::Net(NetEvent::Connected));
    assert!(out.contains(&Command::Net(Request::CatchUp { project_id: 1, after: 10, epoch: 1 })));
    assert_eq!(app.connection, Connection::Online);
}

#[test]
fn keys_make_the_right_changes() {
    let mut app = app_with(Role::Owner);
    assert_eq!(app.selection.task_id, Some(11));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.selection.task_id, Some(12));
    // K: above the card before it.
    let w = writes(key(&mut app, KeyCode::Char('K')));
    assert_eq!(
        w,
        [Change::MoveTask {
            task_id: 12,
            to: MoveTask { status_id: 1, before_id: Some(11), after_id: None, version: None }
        }]
    );
    // J: below the next one, on the board as K left it (its answer not come yet:
    // 12 is first now, and 11 below it).
    let w = writes(key(&mut app, KeyCode::Char('J')));
    assert_eq!(
        w,
        [Change::MoveTask {
            task_id: 12,
            to: MoveTask { status_id: 1, before_id: None, after_id: Some(11), version: None }
        }]
    );
    // L: into the next column at the same row (row 1: past its one card, so last).
    let w = writes(key(&mut app, KeyCode::Char('L')));
    assert_eq!(
        w,
        [Change::MoveTask {
            task_id: 12,
            to: MoveTask { status_id: 2, before_id: None, after_id: None, version: None }
        }]
    );
    // H: back, at its row there (before 13); then from the first column, nothing.
    let w = writes(key(&mut app, KeyCode::Char('H')));
    assert_eq!(
        w,
        [Change::MoveTask {
            task_id: 12,
            to: MoveTask { status_id: 1, before_id: Some(13), after_id: None, version: None }
        }]
    );
    assert!(writes(key(&mut app, KeyCode::Char('H'))).is_empty());
    // a: assign to me; p: next priority.
    let w = writes(key(&mut app, KeyCode::Char('a')));
    assert_eq!(
        w,
        [Change::UpdateTask {
            task_id: 12,
            patch: TaskPatch { assignee_id: Some(Some(1)), ..TaskPatch::default() }
        }]
    );
    let w = writes(key(&mut app, KeyCode::Char('p')));
    assert_eq!(
        w,
        [Change::UpdateTask {
            task_id: 12,
            patch: TaskPatch { priority: Some(Priority::Low), ..TaskPatch::default() }
        }]
    );
    // d asks first; n cancels, y deletes.
    assert!(writes(key(&mut app, KeyCode::Char('d'))).is_empty());
    assert!(matches!(app.mode, Mode::Confirm(_)));
    assert!(writes(key(&mut app, KeyCode::Char('n'))).is_empty());
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(writes(key(&mut app, KeyCode::Char('y'))), [Change::DeleteTask { task_id: 12 }]);
}

#[test]
fn a_new_card_from_the_board() {
    let mut app = app_with(Role::Member);
    key(&mut app, KeyCode::Char('l'));
    key(&mut app, KeyCode::Char('n'));
    for c in "Plan the demo".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let w = writes(key(&mut app, KeyCode::Enter));
    let [change @ Change::CreateTask { project_id: 1, new }] = w.as_slice() else { panic!("{w:?}") };
    assert_eq!((new.title.as_str(), new.status_id), ("Plan the demo", Some(2)));
    // The answer puts the selection on the new card.
    let made = ev(11, BoardChange::TaskCreated(task(40, 2, "Z", "Plan the demo")));
    app.update(Action::Net(NetEvent::Done { change: Box::new(change.clone()), event: Box::new(made) }));
    assert_eq!(app.selection.task_id, Some(40));

    // When the answer comes after the user has moved on, the selection stays.
    key(&mut app, KeyCode::Char('n'));
    for c in "Another".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let w = writes(key(&mut app, KeyCode::Enter));
    key(&mut app, KeyCode::Char('g'));
    let here = app.selection.task_id;
    let made = ev(12, BoardChange::TaskCreated(task(41, 2, "Zz", "Another")));
    app.update(Action::Net(NetEvent::Done { change: Box::new(w[0].clone()), event: Box::new(made) }));
    assert_eq!(app.selection.task_id, here);
}

#[test]
fn viewers_are_told_no_and_nothing_is_sent() {
    let mut app = app_with(Role::Viewer);
    for code in
        [KeyCode::Char('n'), KeyCode::Char('L'), KeyCode::Char('d'), KeyCode::Char('N'), KeyCode::Char('a')]
    {
        assert!(writes(key(&mut app, code)).is_empty(), "{code:?}");
        assert!(app.notice.as_ref().is_some_and(|n| n.error), "{code:?} says why");
        assert!(matches!(app.mode, Mode::Board));
    }
    // They may still read a card, in its view (no form: nothing there to save).
    key(&mut app, KeyCode::Enter);
    assert!(matches!(&app.mode, Mode::Card(v) if v.task_id == 11));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(&app.mode, Mode::Card(_)), "e shows a viewer the view too");
    assert!(writes(key(&mut app, KeyCode::Char('e'))).is_empty());
    assert!(app.notice.as_ref().is_some_and(|n| n.error), "e in the view says why not");
    key(&mut app, KeyCode::Esc);
    for code in [KeyCode::Char('w'), KeyCode::Char('C'), KeyCode::Char('r')] {
        assert!(writes(key(&mut app, code)).is_empty(), "{code:?}");
        assert!(matches!(app.mode, Mode::Board), "{code:?}");
    }
}

/// `y` and `Y` put the selected card's reference and its text on the clipboard,
/// for viewers too, and say so; nothing is sent.
#[test]
fn yank_copies_the_card_and_says_what() {
    let mut app = app_with(Role::Viewer);
    assert!(key(&mut app, KeyCode::Char('y')).is_empty());
    assert_eq!(app.clipboard.take().as_deref(), Some("#11 Write the README"));
    assert_eq!(
        app.notice.as_ref().map(|n| n.text.as_str()),
        Some("Copied “#11 Write the README” to the clipboard")
    );
    // A card without a description gives its title; with one, the title, a blank line, the rest.
    key(&mut app, KeyCode::Char('Y'));
    assert_eq!(app.clipboard.take().as_deref(), Some("Write the README"));
    let described =
        Task { description: "- one\n- two".into(), version: 2, ..task(11, 1, "V", "Write the README") };
    app.update(Action::Net(NetEvent::Board(Box::new(ev(
        11,
        BoardChange::TaskUpdated { task: described, before: None },
    )))));
    assert!(key(&mut app, KeyCode::Char('Y')).is_empty());
    assert_eq!(app.clipboard.take().as_deref(), Some("Write the README\n\n- one\n- two"));
    assert!(app.notice.as_ref().is_some_and(|n| n.text.starts_with("Copied the text of “#11")));
}

/// Made a viewer while a card's form is open: saving sends nothing, and the form
/// stays, typing and all, saying why.
#[test]
fn a_form_saved_after_becoming_a_viewer_stays_open_with_the_typing() {
    let mut app = app_with(Role::Member);
    key(&mut app, KeyCode::Char('n'));
    for c in "Keep me".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let mut members = app.board.as_ref().unwrap().members.clone();
    members.iter_mut().find(|m| m.id == 1).unwrap().role = Role::Viewer;
    app.update(Action::Net(NetEvent::Members { project_id: 1, members }));
    assert!(!app.can_write());
    assert!(writes(key(&mut app, KeyCode::Enter)).is_empty());
    let Mode::Form(form) = &app.mode else { panic!("the form went: {:?}", app.mode) };
    assert_eq!(form.title.lines(), ["Keep me"]);
    assert!(
        form.error.as_ref().is_some_and(|(_, e)| e.contains("viewers cannot change")),
        "{:?}",
        form.error
    );
}

#[test]
fn a_refused_change_leaves_the_board_as_the_server_has_it() {
    let mut app = app_with(Role::Owner);
    let before = app.board.clone();
    app.update(Action::Net(NetEvent::Failed("the task changed meanwhile".into())));
    assert_eq!(app.board, before);
    assert_eq!(app.notice.as_ref().map(|n| n.text.as_str()), Some("the task changed meanwhile"));
}

#[test]
fn the_selection_follows_its_card_and_survives_its_deletion() {
    let mut app = app_with(Role::Owner);
    key(&mut app, KeyCode::Char('j')); // card 12
    let moved = ev(11, BoardChange::TaskMoved { task: task(12, 3, "V", "Pick a name"), from: None });
    app.update(Action::Net(NetEvent::Board(Box::new(moved))));
    assert_eq!((app.selection.status_id, app.selection.task_id), (Some(3), Some(12)));
    let deleted = ev(12, BoardChange::TaskDeleted { id: 12 });
    app.update(Action::Net(NetEvent::Board(Box::new(deleted))));
    assert_eq!((app.selection.status_id, app.selection.task_id), (Some(3), None));
}

#[test]
fn filter_narrows_the_cards() {
    let mut app = app_with(Role::Owner);
    key(&mut app, KeyCode::Char('/'));
    for c in "bug".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert_eq!(app.filter.as_str(), "bug");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.selection.task_id, Some(13), "the selection moves onto what is shown");
    key(&mut app, KeyCode::Esc);
    assert!(app.filter.is_empty());
}

#[test]
fn presence_and_cursors() {
    let mut app = app_with(Role::Owner);
    let bob = UserInfo { name: "bob".into(), color: "#61afef".into() };
    app.update(Action::Net(NetEvent::Present(vec![(
        "1".into(),
        UserInfo { name: "ann".into(), color: "#e06c75".into() },
    )])));
    // Our position went out already; a newcomer makes it go out again.
    let now = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
    let _ = app.cursor_due(now);
    assert_eq!(app.cursor_due(now + std::time::Duration::from_secs(1)), None);
    app.update(Action::Net(NetEvent::Joined("2".into(), bob)));
    let later = now + std::time::Duration::from_secs(2);
    assert_eq!(
        app.cursor_due(later),
        Some(Command::Net(Request::Cursor(Pointer { status_id: 1, task_id: Some(11), editing: false })))
    );
    app.update(Action::Net(NetEvent::Cursor {
        user_id: "2".into(),
        pos: Pointer { status_id: 1, task_id: Some(12), editing: false },
    }));
    assert_eq!(app.presence.cursors.len(), 1);
    app.update(Action::Net(NetEvent::Left("2".into())));
    assert!(app.presence.cursors.is_empty());
}

#[test]
fn several_projects_bring_a_picker() {
    let mut app = App::new(60, None);
    let projects = vec![
        Project { id: 1, name: "Launch".into(), role: Role::Owner, archived: false },
        Project { id: 2, name: "Ops".into(), role: Role::Viewer, archived: false },
    ];
    // The person's work is asked for the picker's counts.
    assert_eq!(
        app.update(Action::Net(NetEvent::Projects(projects.clone()))),
        [Command::Net(Request::MyWork)]
    );
    assert!(matches!(app.mode, Mode::Picker(0)));
    key(&mut app, KeyCode::Down);
    let open = vec![
        Command::Net(Request::Open(2)),
        Command::Net(Request::Reload(2)),
        Command::Net(Request::Since(2)),
    ];
    assert_eq!(key(&mut app, KeyCode::Enter), open);
    let mut named = App::new(60, Some("Ops".into()));
    let mut asked = vec![Command::Net(Request::MyWork)];
    asked.extend(open);
    assert_eq!(named.update(Action::Net(NetEvent::Projects(projects))), asked);
}

#[test]
fn a_click_selects_the_card_under_the_mouse_and_the_wheel_scrolls() {
    use crate::app::input::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = app_with(Role::Owner);
    app.update(Action::Resize(90, 20));
    let screen =
        crate::geometry::layout(90, 20, app.board.as_ref(), &app.selection, &app.filter, app.density);
    let target = screen.columns[1].cards[0];
    let click = |kind, column, row| MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE };
    app.update(Action::Mouse(click(
        MouseEventKind::Down(MouseButton::Left),
        target.area.x + 2,
        target.area.y,
    )));
    assert_eq!((app.selection.status_id, app.selection.task_id), (Some(2), Some(21)));
    // The wheel over the first column moves through its cards.
    let first = screen.columns[0].area;
    app.update(Action::Mouse(click(MouseEventKind::ScrollDown, first.x + 2, first.y + 3)));
    assert_eq!(app.selection.status_id, Some(1));
    assert_eq!(app.selection.task_id, Some(12));
}

fn ctrl(app: &mut App, c: char) -> Vec<Command> {
    app.update(Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
}

#[test]
fn an_edit_refused_as_stale_comes_back_with_the_typing_over_the_current_card() {
    let mut app = app_with(Role::Owner);
    // ann opens card 11 and types at the end of its title.
    key(&mut app, KeyCode::Char('e'));
    for c in " now".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let sent = writes(ctrl(&mut app, 's'));
    let [Change::UpdateTask { task_id: 11, patch }] = &sent[..] else { panic!("one update: {sent:?}") };
    assert_eq!((patch.title.as_deref(), patch.version), (Some("Write the README now"), Some(1)));
    assert!(matches!(app.mode, Mode::Board));

    // Meanwhile bob changed the card's description; the server refuses ann's version.
    let current =
        Task { description: "bob's words".into(), version: 2, ..task(11, 1, "V", "Write the README") };
    app.update(Action::Net(NetEvent::Stale {
        change: Box::new(sent[0].clone()),
        message: "the task changed meanwhile: version 1 was given, it is at 2".into(),
        current: Box::new(current),
    }));
    let Mode::Form(form) = &app.mode else { panic!("the form is back: {:?}", app.mode) };
    assert_eq!(form.title.lines(), ["Write the README now"], "ann's typing is kept");
    assert_eq!(form.description.lines(), ["bob's words"], "bob's change is taken in");
    assert!(form.error.as_ref().is_some_and(|(field, text)| field.is_none() && text.contains("Save again")));

    // Saving again sends ann's change alone, against the current version.
    let sent = writes(ctrl(&mut app, 's'));
    let [Change::UpdateTask { task_id: 11, patch }] = &sent[..] else { panic!("one update: {sent:?}") };
    assert_eq!(
        *patch,
        TaskPatch { title: Some("Write the README now".into()), version: Some(2), ..TaskPatch::default() }
    );
}

#[test]
fn a_refused_save_waits_for_the_keyboard_and_then_comes_back() {
    let mut app = app_with(Role::Owner);
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Char('!'));
    let sent = writes(ctrl(&mut app, 's'));
    assert_eq!(sent.len(), 1);
    key(&mut app, KeyCode::Char('/')); // the filter prompt is open when the answer comes
    let current = Task { version: 2, ..task(11, 1, "V", "Write the README") };
    app.update(Action::Net(NetEvent::Stale {
        change: Box::new(sent[0].clone()),
        message: "changed meanwhile".into(),
        current: Box::new(current),
    }));
    assert!(matches!(app.mode, Mode::Prompt(_)), "the prompt keeps the keyboard: {:?}", app.mode);
    key(&mut app, KeyCode::Esc);
    let Mode::Form(form) = &app.mode else { panic!("the form comes back: {:?}", app.mode) };
    assert_eq!(form.title.lines(), ["Write the README!"]);
}

/// A save the server refuses (a value, the server itself) brings the form back with
/// the reason beside the field at fault; a card deleted or changed by someone else
/// while its form is open is said at once, and a deleted one is saved as new.
#[test]
fn forms_outlive_refusals_and_follow_their_card() {
    use kanban_protocol::check::FieldName;
    let mut app = app_with(Role::Owner);
    key(&mut app, KeyCode::Char('n'));
    for c in "A card".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let sent = writes(ctrl(&mut app, 's'));
    assert!(matches!(app.mode, Mode::Board));
    app.update(Action::Net(NetEvent::NotSaved {
        change: Box::new(sent[0].clone()),
        message: "title must be 1 to 200 characters on one line".into(),
        field: Some(FieldName::Title),
    }));
    let Mode::Form(form) = &app.mode else { panic!("the form is back: {:?}", app.mode) };
    assert_eq!(form.title.lines(), ["A card"]);
    assert!(form.error.as_ref().is_some_and(|(f, m)| *f == Some(Field::Title) && m.contains("200")));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('y'));

    // bob changes, moves, then deletes card 11 while ann's form of it is open.
    key(&mut app, KeyCode::Char('e'));
    for c in " now".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let renamed =
        Task { description: "bob's words".into(), version: 2, ..task(11, 1, "V", "Write the README") };
    app.update(Action::Net(NetEvent::Board(Box::new(ev(
        11,
        BoardChange::TaskUpdated { task: renamed, before: None },
    )))));
    let Mode::Form(form) = &app.mode else { panic!() };
    assert_eq!(form.note.as_deref(), Some("bob changed the description: shown here"));
    assert_eq!(form.description.lines(), ["bob's words"]);
    assert_eq!(form.title.lines(), ["Write the README now"]);
    let moved =
        Task { description: "bob's words".into(), version: 3, ..task(11, 2, "V", "Write the README") };
    app.update(Action::Net(NetEvent::Board(Box::new(ev(
        12,
        BoardChange::TaskMoved { task: moved, from: None },
    )))));
    let Mode::Form(form) = &app.mode else { panic!() };
    assert_eq!(form.note.as_deref(), Some("bob moved this card to Doing"), "a move is no conflict");
    app.update(Action::Net(NetEvent::Board(Box::new(ev(13, BoardChange::TaskDeleted { id: 11 })))));
    let Mode::Form(form) = &app.mode else { panic!() };
    assert_eq!(form.deleted_by.as_deref(), Some("bob"));
    let sent = writes(ctrl(&mut app, 's'));
    let [Change::CreateTask { new, .. }] = &sent[..] else { panic!("saved as a new card: {sent:?}") };
    assert_eq!(
        (new.title.as_str(), new.description.as_deref()),
        ("Write the README now", Some("bob's words"))
    );
}

/// Ctrl-C with unsaved changes asks; without, it quits.
#[test]
fn ctrl_c_asks_before_unsaved_changes_go() {
    let mut app = app_with(Role::Owner);
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Char('x'));
    ctrl(&mut app, 'c');
    assert!(!app.quit);
    let Mode::Form(form) = &app.mode else { panic!() };
    assert_eq!(form.asking, Some(crate::app::form::Ask::Quit));
    key(&mut app, KeyCode::Char('y'));
    assert!(app.quit);
    let mut app = app_with(Role::Owner);
    ctrl(&mut app, 'c');
    assert!(app.quit, "nothing unsaved: quits at once");
}

/// Refused for good: the board leaves the screen, the session is told to stop,
/// and only a key tries again (q quits).
#[test]
fn a_refusal_clears_the_board_and_waits_for_a_key() {
    let mut app = app_with(Role::Owner);
    let out = app.update(Action::Net(NetEvent::Refused("No access to this project".into())));
    assert_eq!(out, vec![Command::Net(Request::Pause)]);
    assert!(app.board.is_none() && app.project_id.is_none());
    assert!(app.presence.members.is_empty());
    assert!(matches!(app.connection, Connection::Refused(_)));
    // A second refusal (from another request) changes nothing.
    assert!(app.update(Action::Net(NetEvent::Refused("again".into()))).is_empty());
    let out = key(&mut app, KeyCode::Char('j'));
    assert_eq!(out, vec![Command::Net(Request::Retry)]);
    assert_eq!(app.connection, Connection::Connecting);
    // The projects come back: the board opens again.
    let out = app.update(Action::Net(NetEvent::Projects(vec![Project {
        id: 1,
        name: "Launch".into(),
        role: Role::Owner,
        archived: false,
    }])));
    // A board read that was in flight at the refusal does not hold this one back.
    assert_eq!(
        out,
        vec![
            Command::Net(Request::MyWork),
            Command::Net(Request::Open(1)),
            Command::Net(Request::Reload(1)),
            Command::Net(Request::Since(1)),
        ]
    );
    app.update(Action::Net(NetEvent::Refused("No access".into())));
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

/// Offline, the status bar counts down to the next try (the app asks to be drawn
/// again each second), `r` tries at once, and what was said before the reconnect
/// goes when it succeeds.
#[test]
fn offline_the_countdown_counts_and_r_retries_now() {
    let mut app = app_with(Role::Owner);
    app.error("Cannot load the board: connection refused");
    app.update(Action::Net(NetEvent::Disconnected { reason: "gone".into(), retry_in_ms: 2_500 }));
    let now = tokio::time::Instant::now();
    let left = app.retry_in(now).unwrap();
    assert!(left <= std::time::Duration::from_millis(2_500) && left > std::time::Duration::from_secs(2));
    // 2.5 s left shows "3s"; at 2 s left it shows "2s": the next tick is then.
    let tick = app.next_tick(now).unwrap();
    assert_eq!(app.retry_in(tick).unwrap(), std::time::Duration::from_secs(2));
    let tick = app.next_tick(tick).unwrap();
    assert_eq!(app.retry_in(tick).unwrap(), std::time::Duration::from_secs(1));
    let tick = app.next_tick(tick).unwrap();
    assert_eq!(app.next_tick(tick), None, "at zero, nothing more to count");

    assert_eq!(key(&mut app, KeyCode::Char('r')), [Command::Net(Request::Retry)], "r: now, not a rename");
    assert_eq!(app.connection, Connection::Connecting);
    assert!(matches!(app.mode, Mode::Board));
    app.error("Cannot catch up: connection refused");
    app.update(Action::Net(NetEvent::Connected));
    assert_eq!(app.notice, None, "the notices from before the reconnect are gone");
    // Online, r renames the column again.
    key(&mut app, KeyCode::Char('r'));
    assert!(matches!(app.mode, Mode::Prompt(_)));
}

/// Offline, cursor moves wait without a timer running (no wake-ups per frame while
/// nobody can hear them); the reconnect sends where the user points now.
#[test]
fn offline_cursor_moves_wait_without_a_timer() {
    let mut app = app_with(Role::Owner);
    let now = tokio::time::Instant::now();
    app.update(Action::Net(NetEvent::Disconnected { reason: "gone".into(), retry_in_ms: 500 }));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.next_frame(now), None, "no frame timer while offline");
    assert_eq!(app.cursor_due(now + std::time::Duration::from_secs(1)), None);
    app.update(Action::Net(NetEvent::Connected));
    let later = now + std::time::Duration::from_secs(2);
    assert_eq!(
        app.cursor_due(later),
        Some(Command::Net(Request::Cursor(Pointer { status_id: 1, task_id: Some(13), editing: false })))
    );
}

/// A change kept from an earlier run and refused when it is finally sent opens in a
/// form made from it, with the reason: never dropped unseen.
#[test]
fn a_kept_change_refused_on_replay_opens_in_its_form() {
    use kanban_protocol::check::FieldName;
    use kanban_protocol::request::NewTask;
    let mut app = app_with(Role::Owner);
    let new = NewTask { title: "From yesterday".into(), status_id: Some(2), ..NewTask::default() };
    let change = Change::CreateTask { project_id: 1, new };
    app.update(Action::Net(NetEvent::Waiting(vec![change.clone()])));
    assert_eq!(app.waiting.len(), 1);
    app.update(Action::Net(NetEvent::NotSaved {
        change: Box::new(change),
        message: "due_date \"x\" is not a date".into(),
        field: Some(FieldName::DueDate),
    }));
    let Mode::Form(form) = &app.mode else { panic!("a form: {:?}", app.mode) };
    assert_eq!(form.title.lines(), ["From yesterday"]);
    assert_eq!(form.status_id, 2);
    assert_eq!(form.error.as_ref().map(|(f, _)| *f), Some(Some(Field::Due)));
    app.update(Action::Net(NetEvent::Waiting(vec![])));
    assert!(app.waiting.is_empty());
}

/// Answers `change` as the server would have: with `event` at the next revision.
fn answer(app: &mut App, change: Change, by: i64, what: BoardChange) {
    let rev = app.board.as_ref().unwrap().rev + 1;
    let event = BoardEvent { rev, by, change: what, rekeyed: vec![] };
    app.update(Action::Net(NetEvent::Done { change: Box::new(change), event: Box::new(event) }));
}

fn undo_key(app: &mut App) -> Vec<Change> {
    writes(key(app, KeyCode::Char('u')))
}

#[test]
fn undoing_a_move_puts_the_card_back_between_its_neighbours() {
    let mut app = app_with(Role::Member);
    // "Pick a name" (12, between 11 and 13) moves down below 13.
    key(&mut app, KeyCode::Char('j'));
    let sent = writes(key(&mut app, KeyCode::Char('J')));
    let [Change::MoveTask { task_id: 12, .. }] = sent.as_slice() else { panic!("{sent:?}") };
    let moved = Task { position: "Y".into(), version: 2, ..task(12, 1, "Y", "Pick a name") };
    answer(&mut app, sent[0].clone(), 1, BoardChange::TaskMoved { task: moved, from: None });
    let to = MoveTask { status_id: 1, before_id: None, after_id: Some(11), version: Some(2) };
    assert_eq!(undo_key(&mut app), [Change::MoveTask { task_id: 12, to }]);

    // The first card moved away goes back first, before whatever is first now.
    let mut app = app_with(Role::Member);
    let sent = writes(key(&mut app, KeyCode::Char('L')));
    let moved =
        Task { status_id: 2, position: "W".into(), version: 2, ..task(11, 2, "W", "Write the README") };
    answer(&mut app, sent[0].clone(), 1, BoardChange::TaskMoved { task: moved, from: None });
    let to = MoveTask { status_id: 1, before_id: Some(12), after_id: None, version: Some(2) };
    assert_eq!(undo_key(&mut app), [Change::MoveTask { task_id: 11, to }]);
}

#[test]
fn an_undo_over_someone_elses_later_change_says_who_and_sends_nothing() {
    let mut app = app_with(Role::Member);
    let sent = writes(key(&mut app, KeyCode::Char('p')));
    let mine = Task { priority: Priority::Low, version: 2, ..task(11, 1, "V", "Write the README") };
    answer(&mut app, sent[0].clone(), 1, BoardChange::TaskUpdated { task: mine.clone(), before: None });
    // bob changes the same field.
    let theirs = Task { priority: Priority::Urgent, version: 3, updated_by: Some(2), ..mine.clone() };
    let rev = app.board.as_ref().unwrap().rev + 1;
    let event = BoardEvent {
        rev,
        by: 2,
        change: BoardChange::TaskUpdated { task: theirs, before: None },
        rekeyed: vec![],
    };
    app.update(Action::Net(NetEvent::Board(Box::new(event))));
    assert_eq!(undo_key(&mut app), []);
    let notice = app.notice.clone().unwrap();
    assert!(notice.error && notice.text.contains("bob changed it since"), "{notice:?}");

    // A change of another field does not stand in the way: only the priority goes back.
    let mut app = app_with(Role::Member);
    let sent = writes(key(&mut app, KeyCode::Char('p')));
    answer(&mut app, sent[0].clone(), 1, BoardChange::TaskUpdated { task: mine.clone(), before: None });
    let theirs = Task { title: "README".into(), version: 3, updated_by: Some(2), ..mine };
    let rev = app.board.as_ref().unwrap().rev + 1;
    let event = BoardEvent {
        rev,
        by: 2,
        change: BoardChange::TaskUpdated { task: theirs, before: None },
        rekeyed: vec![],
    };
    app.update(Action::Net(NetEvent::Board(Box::new(event))));
    let patch = TaskPatch { priority: Some(Priority::None), version: Some(3), ..TaskPatch::default() };
    assert_eq!(undo_key(&mut app), [Change::UpdateTask { task_id: 11, patch }]);
}

#[test]
fn an_undo_refused_by_the_server_is_said_and_opens_no_form() {
    let mut app = app_with(Role::Member);
    let sent = writes(key(&mut app, KeyCode::Char('p')));
    let mine = Task { priority: Priority::Low, version: 2, ..task(11, 1, "V", "Write the README") };
    answer(&mut app, sent[0].clone(), 1, BoardChange::TaskUpdated { task: mine.clone(), before: None });
    let undo = undo_key(&mut app);
    let current = Box::new(Task { version: 3, ..mine });
    let change = Box::new(undo[0].clone());
    app.update(Action::Net(NetEvent::Stale { change, message: "stale".into(), current }));
    assert!(matches!(app.mode, Mode::Board), "{:?}", app.mode);
    assert!(app.notice.as_ref().unwrap().text.contains("someone changed it meanwhile"));
    assert_eq!(undo_key(&mut app), [], "nothing left to undo");
    assert_eq!(app.notice.as_ref().unwrap().text, "Nothing to undo");
}

#[test]
fn undo_waits_for_the_change_on_its_way() {
    let mut app = app_with(Role::Member);
    let sent = writes(key(&mut app, KeyCode::Char('p')));
    assert_eq!(undo_key(&mut app), [], "the priority change is not answered yet");
    let mine = Task { priority: Priority::Low, version: 2, ..task(11, 1, "V", "Write the README") };
    let rev = app.board.as_ref().unwrap().rev + 1;
    let event = BoardEvent {
        rev,
        by: 1,
        change: BoardChange::TaskUpdated { task: mine, before: None },
        rekeyed: vec![],
    };
    let out =
        app.update(Action::Net(NetEvent::Done { change: Box::new(sent[0].clone()), event: Box::new(event) }));
    let patch = TaskPatch { priority: Some(Priority::None), version: Some(2), ..TaskPatch::default() };
    assert_eq!(writes(out), [Change::UpdateTask { task_id: 11, patch }]);
}

/// Keys typed in a burst, faster than their answers: each acts on the board as
/// the keys before it left it, so three presses are three steps, each one
/// change; the answers come; and undo walks them back one by one.
#[test]
fn keys_in_a_burst_are_each_a_step_and_undo_walks_them_back() {
    let mut app = app_with(Role::Member);
    let raised: Vec<Change> = (0..3).flat_map(|_| writes(key(&mut app, KeyCode::Char('p')))).collect();
    let priorities: Vec<Priority> = raised
        .iter()
        .map(|c| match c {
            Change::UpdateTask { patch, .. } => patch.priority.unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(priorities, [Priority::Low, Priority::Medium, Priority::High], "three steps");
    let seen = |app: &App| app.seen().unwrap().task(11).unwrap().priority;
    assert_eq!(seen(&app), Priority::High, "shown before the answers come");
    // "Write the README" (11, first) goes down twice: below 12, then below 13.
    let moved: Vec<Change> = (0..2).flat_map(|_| writes(key(&mut app, KeyCode::Char('J')))).collect();
    let below: Vec<Option<i64>> = moved
        .iter()
        .map(|c| match c {
            Change::MoveTask { to, .. } => to.after_id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(below, [Some(12), Some(13)], "two places, each from the last");
    assert!(writes(key(&mut app, KeyCode::Char('J'))).is_empty(), "last already: nothing");

    // The answers, in order: versions 2 to 6.
    let mut card = task(11, 1, "V", "Write the README");
    for (i, change) in raised.iter().enumerate() {
        card = Task { priority: priorities[i], version: card.version + 1, ..card };
        answer(&mut app, change.clone(), 1, BoardChange::TaskUpdated { task: card.clone(), before: None });
    }
    for (change, position) in moved.iter().zip(["W5", "Y"]) {
        card = Task { position: position.into(), version: card.version + 1, ..card };
        answer(&mut app, change.clone(), 1, BoardChange::TaskMoved { task: card.clone(), from: None });
    }
    assert_eq!(titles(&app, 1), ["Pick a name", "Fix the login bug", "Write the README"]);

    // Undo, one step at a time: the moves back, then the priorities down.
    let mut undone = Vec::new();
    for _ in 0..5 {
        let sent = undo_key(&mut app);
        assert_eq!(sent.len(), 1, "one change per undo: {:?}", app.notice);
        let what = match &sent[0] {
            Change::MoveTask { to, .. } => {
                card = Task {
                    position: if to.after_id == Some(12) { "W5".into() } else { "U".into() },
                    version: card.version + 1,
                    ..card
                };
                BoardChange::TaskMoved { task: card.clone(), from: None }
            }
            Change::UpdateTask { patch, .. } => {
                card = Task { priority: patch.priority.unwrap(), version: card.version + 1, ..card };
                BoardChange::TaskUpdated { task: card.clone(), before: None }
            }
            other => panic!("{other:?}"),
        };
        undone.push(sent[0].clone());
        answer(&mut app, sent[0].clone(), 1, what);
    }
    assert_eq!(titles(&app, 1), ["Write the README", "Pick a name", "Fix the login bug"], "back in place");
    assert_eq!(app.board.as_ref().unwrap().task(11).unwrap().priority, Priority::None, "and its priority");
    let steps: Vec<String> = undone
        .iter()
        .map(|c| match c {
            Change::MoveTask { to, .. } => format!("move after {:?} before {:?}", to.after_id, to.before_id),
            Change::UpdateTask { patch, .. } => format!("priority {:?}", patch.priority.unwrap()),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        steps,
        [
            "move after Some(12) before None",
            "move after None before Some(12)",
            "priority Medium",
            "priority Low",
            "priority None"
        ]
    );
}

#[test]
fn a_viewer_cannot_undo() {
    let mut app = app_with(Role::Viewer);
    assert_eq!(undo_key(&mut app), []);
    assert_eq!(app.notice.as_ref().unwrap().text, "Viewers cannot change the board");
}

/// Opening a card's form to change it says so on the cursor, under its throttle;
/// closing it, a new card's form, or a viewer's `e` does not.
#[test]
fn an_open_card_form_is_editing_on_the_pointer() {
    let mut app = app_with(Role::Owner);
    let mut now = tokio::time::Instant::now();
    let mut due = |app: &mut App| {
        now += std::time::Duration::from_secs(1);
        app.cursor_due(now)
    };
    let _ = due(&mut app);
    let at =
        |editing| Some(Command::Net(Request::Cursor(Pointer { status_id: 1, task_id: Some(11), editing })));
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(app.mode, Mode::Form(_)));
    assert_eq!(due(&mut app), at(true));
    assert_eq!(due(&mut app), None, "said once");
    key(&mut app, KeyCode::Esc);
    assert_eq!(due(&mut app), at(false), "the form closed");
    // A new card's form edits no card.
    key(&mut app, KeyCode::Char('n'));
    assert!(matches!(app.mode, Mode::Form(_)));
    assert_eq!(due(&mut app), None);

    let mut viewer = app_with(Role::Viewer);
    let _ = viewer.cursor_due(now + std::time::Duration::from_secs(5));
    key(&mut viewer, KeyCode::Char('e'));
    assert_eq!(viewer.cursor_due(now + std::time::Duration::from_secs(9)), None, "a viewer edits nothing");
}

fn points(app: &mut App, id: &str, status_id: i64, task_id: Option<i64>) {
    let pos = Pointer { status_id, task_id, editing: false };
    app.update(Action::Net(NetEvent::Cursor { user_id: id.into(), pos }));
}

/// `f` follows someone here: the selection goes where theirs is and goes; a move
/// key, `f` again, or their leaving stops it.
#[test]
fn following_someone_moves_the_selection_with_theirs() {
    let mut app = app_with(Role::Owner);
    let info = |name: &str| UserInfo { name: name.into(), color: "#61afef".into() };
    key(&mut app, KeyCode::Char('f'));
    assert!(app.following.is_none() && matches!(app.mode, Mode::Board), "nobody to follow");
    app.update(Action::Net(NetEvent::Present(vec![("1".into(), info("ann")), ("2".into(), info("bob"))])));
    points(&mut app, "2", 2, Some(21));
    // One other: followed at once, from where they point now.
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.following.as_deref(), Some("2"));
    assert_eq!((app.selection.status_id, app.selection.task_id), (Some(2), Some(21)));
    points(&mut app, "2", 1, Some(13));
    assert_eq!(app.selection.task_id, Some(13), "it goes where theirs goes");
    key(&mut app, KeyCode::Char('k'));
    assert!(app.following.is_none(), "a move key stops");
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("Stopped following bob")));
    assert_eq!(app.selection.task_id, Some(12));
    points(&mut app, "2", 1, Some(11));
    assert_eq!(app.selection.task_id, Some(12), "no longer following");

    // Several: chosen from a list.
    app.update(Action::Net(NetEvent::Joined("3".into(), info("cy"))));
    key(&mut app, KeyCode::Char('f'));
    assert!(matches!(app.mode, Mode::Follow(0)));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.following.as_deref(), Some("3"));
    points(&mut app, "2", 2, Some(21));
    assert_eq!(app.selection.task_id, Some(12), "only the one followed leads");
    points(&mut app, "3", 1, Some(11));
    assert_eq!(app.selection.task_id, Some(11));
    app.update(Action::Net(NetEvent::Left("3".into())));
    assert!(app.following.is_none(), "gone, so not followed");
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.following.as_deref(), Some("2"), "one is left: followed at once");
    key(&mut app, KeyCode::Char('f'));
    assert!(app.following.is_none(), "f again stops");
}

/// `c` asks for a comment and sends it as a change; the card's view fetches its
/// thread, shows it, and keeps it as comment events come.
#[test]
fn comments_are_written_with_c_and_the_view_keeps_the_thread() {
    let mut app = app_with(Role::Owner);
    key(&mut app, KeyCode::Char('c'));
    assert!(
        matches!(&app.mode, Mode::Prompt(p) if matches!(p.kind, form::PromptKind::Comment { task_id: 11, .. }))
    );
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&app.mode, Mode::Prompt(p) if p.error.is_some()),
        "an empty comment stays to be written"
    );
    for ch in "Looks good".chars() {
        key(&mut app, KeyCode::Char(ch));
    }
    let sent = writes(key(&mut app, KeyCode::Enter));
    assert!(
        matches!(&sent[..], [Change::CreateComment { task_id: 11, new }] if new.body == "Looks good"),
        "{sent:?}"
    );
    assert!(matches!(app.mode, Mode::Board));

    let out = key(&mut app, KeyCode::Enter);
    assert!(out.contains(&Command::Net(Request::Comments(11))), "{out:?}");
    let comment = |id: i64, body: &str| kanban_protocol::model::Comment {
        id,
        task_id: 11,
        project_id: 1,
        author_id: Some(1),
        body: body.into(),
        created_at: "2026-12-01T10:00:00.000Z".into(),
        updated_at: "2026-12-01T10:00:00.000Z".into(),
        edited_by: None,
    };
    app.update(Action::Net(NetEvent::Comments {
        task_id: 11,
        comments: vec![comment(1, "first")],
        history: Vec::new(),
    }));
    let thread = |app: &App| match &app.mode {
        Mode::Card(v) => v.comments.clone().unwrap().into_iter().map(|c| c.body).collect::<Vec<_>>(),
        _ => panic!("the view closed"),
    };
    assert_eq!(thread(&app), ["first"]);
    app.update(Action::Net(NetEvent::Board(Box::new(ev(
        11,
        BoardChange::CommentCreated { comment: comment(2, "second"), comments: 2 },
    )))));
    app.update(Action::Net(NetEvent::Board(Box::new(ev(
        12,
        BoardChange::CommentUpdated { comment: comment(1, "first, edited"), comments: 2 },
    )))));
    assert_eq!(thread(&app), ["first, edited", "second"]);
    app.update(Action::Net(NetEvent::Board(Box::new(ev(
        13,
        BoardChange::CommentDeleted { id: 2, task_id: 11, comments: 1 },
    )))));
    assert_eq!(thread(&app), ["first, edited"]);
    assert_eq!(app.board.as_ref().unwrap().comment_count(11), 1, "and the board counts them");
    // c in the view comments too, and comes back to it.
    key(&mut app, KeyCode::Char('c'));
    for ch in "third".chars() {
        key(&mut app, KeyCode::Char(ch));
    }
    let sent = writes(key(&mut app, KeyCode::Enter));
    assert!(matches!(&sent[..], [Change::CreateComment { task_id: 11, .. }]), "{sent:?}");
    assert_eq!(thread(&app), ["first, edited"], "back in the view, its thread kept for the event");
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Esc);
    assert_eq!(thread(&app), ["first, edited"], "Esc comes back to the view too");

    let mut viewer = app_with(Role::Viewer);
    assert!(writes(key(&mut viewer, KeyCode::Char('c'))).is_empty());
    assert!(matches!(viewer.mode, Mode::Board), "viewers read the thread only");
}

/// In a card's view `Tab` chooses a comment: `e` edits it in the comment prompt
/// (its text there), `d` deletes it after asking, both back to the view; someone
/// else's comment is only an owner's to change.
#[test]
fn a_chosen_comment_is_edited_and_deleted_from_the_view() {
    let comment = |id: i64, author: i64, body: &str| kanban_protocol::model::Comment {
        id,
        task_id: 11,
        project_id: 1,
        author_id: Some(author),
        body: body.into(),
        created_at: "2026-12-01T10:00:00.000Z".into(),
        updated_at: "2026-12-01T10:00:00.000Z".into(),
        edited_by: None,
    };
    let open = |role: Role| {
        let mut app = app_with(role);
        key(&mut app, KeyCode::Enter);
        let comments = vec![comment(1, 1, "mine\nsecond line"), comment(2, 2, "bob's")];
        app.update(Action::Net(NetEvent::Comments { task_id: 11, comments, history: Vec::new() }));
        app
    };
    let chosen = |app: &App| match &app.mode {
        Mode::Card(v) => v.chosen,
        _ => panic!("not in the view: {:?}", app.mode),
    };

    let mut app = open(Role::Member);
    key(&mut app, KeyCode::Tab);
    assert_eq!(chosen(&app), Some(Chosen::Comment(1)));
    key(&mut app, KeyCode::Char('e'));
    let Mode::Prompt(prompt) = &app.mode else { panic!("the comment's prompt") };
    assert_eq!(prompt.value(), "mine\nsecond line", "its text to change");
    // Saved unchanged, nothing is sent; changed, the change is.
    assert!(writes(key(&mut app, KeyCode::Enter)).is_empty());
    assert_eq!(chosen(&app), Some(Chosen::Comment(1)), "back in the view, the comment still chosen");
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Char('!'));
    let sent = writes(key(&mut app, KeyCode::Enter));
    assert!(
        matches!(&sent[..], [Change::UpdateComment { comment_id: 1, patch }] if patch.body == "mine\nsecond line!"),
        "{sent:?}"
    );
    // bob's comment: a member who is not its author may not.
    key(&mut app, KeyCode::Tab);
    assert_eq!(chosen(&app), Some(Chosen::Comment(2)));
    assert!(writes(key(&mut app, KeyCode::Char('d'))).is_empty());
    assert!(app.notice.as_ref().is_some_and(|n| n.error && n.text.contains("author or an owner")));
    assert_eq!(chosen(&app), Some(Chosen::Comment(2)), "still in the view");
    // Esc lets the comment go first, then closes the view.
    key(&mut app, KeyCode::Esc);
    assert_eq!(chosen(&app), None);

    // An owner deletes it, after a question; "n" keeps it, both back to the view.
    let mut app = open(Role::Owner);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(chosen(&app), Some(Chosen::Comment(2)), "Shift-Tab starts from the last");
    key(&mut app, KeyCode::Char('d'));
    assert!(matches!(&app.mode, Mode::Confirm(c) if c.question() == "Delete bob's comment for good? (y/n)"));
    assert!(writes(key(&mut app, KeyCode::Char('n'))).is_empty());
    assert_eq!(chosen(&app), Some(Chosen::Comment(2)));
    key(&mut app, KeyCode::Char('d'));
    let sent = writes(key(&mut app, KeyCode::Char('y')));
    assert_eq!(sent, [Change::DeleteComment { comment_id: 2 }]);
    assert!(matches!(app.mode, Mode::Card(_)));
    // A chosen comment out of sight is scrolled into it.
    let mut app = app_with(Role::Member);
    app.update(Action::Resize(60, 14));
    key(&mut app, KeyCode::Enter);
    let comments = (1..=12).map(|id| comment(id, 1, &format!("note {id}"))).collect();
    app.update(Action::Net(NetEvent::Comments { task_id: 11, comments, history: Vec::new() }));
    let scroll = |app: &App| match &app.mode {
        Mode::Card(v) => v.scroll,
        _ => panic!("not in the view"),
    };
    assert_eq!(scroll(&app), 0);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(chosen(&app), Some(Chosen::Comment(12)));
    assert!(scroll(&app) > 0, "scrolled down to the last comment");
    let down = scroll(&app);
    key(&mut app, KeyCode::Esc);
    assert_eq!(chosen(&app), None, "Esc lets it go, the view stays");
    key(&mut app, KeyCode::Tab);
    assert_eq!(chosen(&app), Some(Chosen::Comment(1)));
    assert!((1..down).contains(&scroll(&app)), "scrolled up to the first comment, not to the top");
}

/// `s` shows the selected column by due date, by priority, then as stored again;
/// the stored order does not change, the selected card stays selected, and J/K
/// say why they do not move cards while it is sorted.
#[test]
fn s_sorts_a_column_for_the_eye_only() {
    let mut app = app_with(Role::Member);
    let changed = |id: i64, rev: u64, title: &str, due: Option<&str>, priority: Priority| {
        let t = Task { due_date: due.map(str::to_string), priority, version: 2, ..task(id, 1, "", title) };
        Action::Net(NetEvent::Board(Box::new(ev(rev, BoardChange::TaskUpdated { task: t, before: None }))))
    };
    app.update(changed(11, 11, "Write the README", None, Priority::Urgent));
    app.update(changed(12, 12, "Pick a name", Some("2026-12-05"), Priority::Low));
    app.update(changed(13, 13, "Fix the login bug", Some("2026-12-02"), Priority::None));
    let shown = |app: &App| {
        let board = app.board.as_ref().unwrap();
        let cards = crate::selection::visible_cards(board, 1, &app.filter);
        (0..cards.len()).map(|n| cards.get(n).unwrap().id).collect::<Vec<_>>()
    };
    assert_eq!(shown(&app), [11, 12, 13]);
    assert_eq!(app.selection.task_id, Some(11));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(shown(&app), [13, 12, 11], "soonest due first, none last");
    assert_eq!((app.selection.task_id, app.selection.card_index), (Some(11), 2), "the card stays selected");
    assert!(writes(key(&mut app, KeyCode::Char('K'))).is_empty());
    assert!(app.notice.as_ref().is_some_and(|n| n.error && n.text.contains("shown by due date")));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(shown(&app), [11, 12, 13], "the most urgent first");
    app.update(changed(13, 14, "Fix the login bug", Some("2026-12-02"), Priority::High));
    assert_eq!(shown(&app), [11, 13, 12], "kept sorted as cards change");
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(shown(&app), [11, 12, 13], "as stored again");
    assert_eq!(app.filter.sort_of(1), None);
}

/// `A` opens the board's history, fetched, and fetched again as the board changes.
#[test]
fn a_opens_the_history_and_keeps_it_current() {
    let mut app = app_with(Role::Viewer);
    let out = key(&mut app, KeyCode::Char('A'));
    assert!(out.contains(&Command::Net(Request::Activity(1))), "{out:?}");
    assert!(matches!(app.mode, Mode::Activity(None, 0)));
    let line = |rev: u64, what: &str| kanban_protocol::model::Activity {
        rev,
        by: Some(1),
        at: "2026-12-01T10:00:00.000Z".into(),
        event: "task-created".into(),
        task_id: Some(11),
        what: what.into(),
    };
    app.update(Action::Net(NetEvent::Activity {
        project_id: 1,
        lines: vec![line(10, "ann added “x” to Todo")],
    }));
    assert!(matches!(&app.mode, Mode::Activity(Some(lines), 0) if lines.len() == 1));
    let out = app.update(created(11, task(30, 1, "Z", "new")));
    assert!(out.contains(&Command::Net(Request::Activity(1))), "{out:?}");
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode, Mode::Board));
}

/// The history scrolls until its last line is at the box's bottom, not until one
/// line is left.
#[test]
fn the_history_scrolls_to_a_full_last_page() {
    let mut app = app_with(Role::Owner);
    app.viewport = (80, 24);
    key(&mut app, KeyCode::Char('A'));
    let lines = (0..50)
        .map(|i| kanban_protocol::model::Activity {
            rev: 60 - i,
            by: Some(1),
            at: "2026-12-01T10:00:00.000Z".into(),
            event: "task-updated".into(),
            task_id: Some(11),
            what: format!("line {i}"),
        })
        .collect();
    app.update(Action::Net(NetEvent::Activity { project_id: 1, lines }));
    let (_, page) = crate::geometry::history_box(80, 24);
    for _ in 0..100 {
        key(&mut app, KeyCode::Down);
    }
    assert!(matches!(app.mode, Mode::Activity(_, n) if n == 50 - page), "a full page at the end");
    key(&mut app, KeyCode::PageUp);
    assert!(matches!(app.mode, Mode::Activity(_, n) if n == 50 - 2 * page));
}

/// Keys in a burst (the history opened and closed a thousand times, a busy
/// board's events under it) ask for one read at a time: the newest ask waits for
/// the answer, and goes then only if the history is still open.
#[test]
fn a_burst_of_keys_asks_for_one_read_at_a_time() {
    let mut app = app_with(Role::Owner);
    let reads =
        |out: &[Command]| out.iter().filter(|c| matches!(c, Command::Net(Request::Activity(_)))).count();
    let mut asked = 0;
    for i in 0..1001 {
        asked += reads(&key(&mut app, KeyCode::Char('A')));
        asked += reads(&app.update(created(11 + i, task(100 + i as i64, 2, "Z", "busy"))));
    }
    assert_eq!(asked, 1, "one read in flight");
    assert!(matches!(app.mode, Mode::Activity(None, 0)), "open after an odd number of presses");
    let out = app.update(Action::Net(NetEvent::Activity { project_id: 1, lines: Vec::new() }));
    assert_eq!(reads(&out), 1, "the newest ask goes with the answer: {out:?}");
    // A failed read frees its kind too; closed meanwhile, nothing more is asked.
    key(&mut app, KeyCode::Char('A'));
    app.update(created(1012, task(2000, 2, "Z", "busy")));
    let failed = NetEvent::NotRead { read: Read::History, message: "Cannot read the history: gone".into() };
    assert_eq!(reads(&app.update(Action::Net(failed))), 0);
    assert!(app.notice.as_ref().is_some_and(|n| n.error && n.text.contains("Cannot read the history")));
    assert_eq!(reads(&key(&mut app, KeyCode::Char('A'))), 1, "nothing in flight: the next goes at once");
}

/// Following someone to another board: their client says where it went, and the
/// follower opens it too when it may; a board it may not open ends the following.
#[test]
fn following_goes_to_the_board_the_followed_person_opens() {
    let mut app = app_with(Role::Owner);
    app.projects.push(Project { id: 2, name: "Beta".into(), role: Role::Member, archived: false });
    let info = |name: &str| UserInfo { name: name.into(), color: "#61afef".into() };
    app.update(Action::Net(NetEvent::Present(vec![("1".into(), info("ann")), ("2".into(), info("bob"))])));
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.following.as_deref(), Some("2"));
    // Someone not followed going elsewhere changes nothing.
    let out = app.update(Action::Net(NetEvent::Switched { user_id: "3".into(), project_id: 2 }));
    assert!(out.is_empty() && app.project_id == Some(1));
    let out = app.update(Action::Net(NetEvent::Switched { user_id: "2".into(), project_id: 2 }));
    assert!(out.contains(&Command::Net(Request::Open(2))), "{out:?}");
    assert_eq!((app.project_id, app.following.as_deref()), (Some(2), Some("2")));
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("Following bob to Beta")));
    // bob leaving the old board's channel, said before the new board's presence
    // came, is of the old board: still following.
    app.update(Action::Net(NetEvent::Left("2".into())));
    assert_eq!(app.following.as_deref(), Some("2"));
    app.update(Action::Net(NetEvent::Present(vec![("1".into(), info("ann")), ("2".into(), info("bob"))])));
    let out = app.update(Action::Net(NetEvent::Switched { user_id: "2".into(), project_id: 9 }));
    assert!(!out.contains(&Command::Net(Request::Open(9))));
    assert!(app.following.is_none() && app.project_id == Some(2));
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("bob went to a board you cannot open")));
}

/// An item of card 11's checklist.
fn item(id: i64, position: &str, text: &str, done: bool) -> ChecklistItem {
    ChecklistItem { id, task_id: 11, text: text.into(), done, position: position.into(), version: 1 }
}

/// The app as `role`, card 11 with three items (bob made them), its view open.
fn with_checklist(role: Role) -> App {
    let mut app = app_with(role);
    for (rev, it) in [
        (11, item(101, "a", "reproduce", false)),
        (12, item(102, "b", "fix", false)),
        (13, item(103, "c", "test", false)),
    ] {
        app.update(Action::Net(NetEvent::Board(Box::new(ev(rev, BoardChange::ItemCreated(it))))));
    }
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.mode, Mode::Card(_)), "{:?}", app.mode);
    app
}

fn chosen_in(app: &App) -> Option<Chosen> {
    match &app.mode {
        Mode::Card(v) => v.chosen,
        _ => panic!("not in the view: {:?}", app.mode),
    }
}

/// In a card's view `Tab` chooses its items before its comments: `Space` ticks,
/// `J`/`K` move, `e` edits and `d` deletes one, `a` adds them a line at a time,
/// and `u` on the board takes a tick or a deletion back.
#[test]
fn a_checklist_is_worked_from_the_card_view() {
    use kanban_protocol::request::{ItemPatch, MoveItem, NewItem};
    let mut app = with_checklist(Role::Member);
    key(&mut app, KeyCode::Tab);
    assert_eq!(chosen_in(&app), Some(Chosen::Item(101)));
    let sent = writes(key(&mut app, KeyCode::Char(' ')));
    let tick = Change::UpdateItem {
        item_id: 101,
        patch: ItemPatch { text: None, done: Some(true), version: Some(1) },
    };
    assert_eq!(sent, std::slice::from_ref(&tick));
    let ticked = ChecklistItem { done: true, version: 2, ..item(101, "a", "reproduce", false) };
    answer(&mut app, tick, 1, BoardChange::ItemUpdated { item: ticked, before: None });
    assert!(app.board.as_ref().unwrap().item(101).unwrap().done);
    // Moves: up from the first is said, not sent; down goes past the next, and
    // shows there before the answer (K then goes back up past it).
    assert!(writes(key(&mut app, KeyCode::Char('K'))).is_empty());
    assert!(
        app.notice.as_ref().is_some_and(|n| n.error && n.text.contains("first item")),
        "{:?}",
        app.notice
    );
    assert_eq!(
        writes(key(&mut app, KeyCode::Char('J'))),
        [Change::MoveItem { item_id: 101, to: MoveItem { before_id: None, after_id: Some(102) } }]
    );
    assert_eq!(
        writes(key(&mut app, KeyCode::Char('K'))),
        [Change::MoveItem { item_id: 101, to: MoveItem { before_id: Some(102), after_id: None } }]
    );
    // Edited in its prompt, back to the view.
    key(&mut app, KeyCode::Char('e'));
    let Mode::Prompt(prompt) = &app.mode else { panic!("the item's prompt: {:?}", app.mode) };
    assert_eq!(prompt.value(), "reproduce");
    key(&mut app, KeyCode::Char('!'));
    let sent = writes(key(&mut app, KeyCode::Enter));
    let patch = ItemPatch { text: Some("reproduce!".into()), done: None, version: Some(2) };
    assert_eq!(sent, [Change::UpdateItem { item_id: 101, patch }]);
    assert_eq!(chosen_in(&app), Some(Chosen::Item(101)), "back in the view, still chosen");
    // Added a line at a time, at the end; an empty line ends the list.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('a'));
    for c in "ship".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let sent = writes(key(&mut app, KeyCode::Enter));
    let new = NewItem { text: "ship".into(), ..NewItem::default() };
    assert_eq!(sent, [Change::CreateItem { task_id: 11, new }]);
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.value().is_empty()), "ready for the next");
    assert!(writes(key(&mut app, KeyCode::Enter)).is_empty());
    assert!(matches!(app.mode, Mode::Card(_)));
    // Deleted at once, and brought back by an undo, where it was.
    let mut app = with_checklist(Role::Member);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(chosen_in(&app), Some(Chosen::Item(102)));
    let sent = writes(key(&mut app, KeyCode::Char('d')));
    assert_eq!(sent, [Change::DeleteItem { item_id: 102 }]);
    answer(&mut app, sent[0].clone(), 1, BoardChange::ItemDeleted(item(102, "b", "fix", false)));
    assert_eq!(chosen_in(&app), None, "the deleted item is let go");
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode, Mode::Board));
    let new = NewItem { text: "fix".into(), done: false, before_id: None, after_id: Some(101) };
    assert_eq!(undo_key(&mut app), [Change::CreateItem { task_id: 11, new }]);
    // The tick before it, undone with the board as it is.
    let mut app = with_checklist(Role::Member);
    key(&mut app, KeyCode::Tab);
    let sent = writes(key(&mut app, KeyCode::Char(' ')));
    let ticked = ChecklistItem { done: true, version: 2, ..item(101, "a", "reproduce", false) };
    answer(&mut app, sent[0].clone(), 1, BoardChange::ItemUpdated { item: ticked, before: None });
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    let back = ItemPatch { text: None, done: Some(false), version: Some(2) };
    assert_eq!(undo_key(&mut app), [Change::UpdateItem { item_id: 101, patch: back }]);

    // A viewer chooses and reads, and is told no.
    let mut viewer = with_checklist(Role::Viewer);
    key(&mut viewer, KeyCode::Tab);
    assert!(writes(key(&mut viewer, KeyCode::Char(' '))).is_empty());
    assert!(viewer.notice.as_ref().is_some_and(|n| n.error && n.text.contains("Viewers")));
    assert_eq!(chosen_in(&viewer), Some(Chosen::Item(101)), "still in the view");
}

/// `E` hands the card's title and description to the editor and saves what comes
/// back as the form saves (nothing from a failed editor, nothing unchanged);
/// Ctrl-G in the form puts it back in the form, to be saved there; over SSH there
/// is no editor, and the key says so.
#[test]
fn the_editor_gets_the_text_and_what_it_leaves_is_saved_as_the_form_saves() {
    let mut app = app_with(Role::Member);
    key(&mut app, KeyCode::Char('E'));
    assert_eq!(app.editor.take().as_deref(), Some("Write the README\n"), "the title, and no description");
    let sent = writes(app.update(Action::Edited(Ok("README first\n\n## Plan\n- write it\n".into()))));
    let patch = TaskPatch {
        title: Some("README first".into()),
        description: Some("## Plan\n- write it".into()),
        version: Some(1),
        ..TaskPatch::default()
    };
    assert_eq!(sent, [Change::UpdateTask { task_id: 11, patch }]);
    assert!(matches!(app.mode, Mode::Board), "{:?}", app.mode);

    let mut app = app_with(Role::Member);
    key(&mut app, KeyCode::Char('E'));
    assert!(
        writes(app.update(Action::Edited(Err("the editor (vi) exited with status 1".into())))).is_empty()
    );
    assert!(matches!(app.mode, Mode::Board));
    assert!(app.notice.as_ref().is_some_and(|n| n.error && n.text.starts_with("Nothing saved: the editor")));
    key(&mut app, KeyCode::Char('E'));
    let text = app.editor.take().unwrap();
    assert!(writes(app.update(Action::Edited(Ok(text)))).is_empty(), "unchanged: nothing to send");
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("Nothing changed")));

    // From the form: back into it, saved with Ctrl-S.
    key(&mut app, KeyCode::Char('e'));
    assert!(writes(ctrl(&mut app, 'g')).is_empty());
    assert_eq!(app.editor.take().as_deref(), Some("Write the README\n"));
    assert!(writes(app.update(Action::Edited(Ok("From the form\r\nno blank line\n".into())))).is_empty());
    let Mode::Form(form) = &app.mode else { panic!("the form: {:?}", app.mode) };
    assert_eq!(
        (form.title.lines().join(""), form.description.lines().join("\n")),
        ("From the form".into(), "no blank line".into())
    );
    let sent = writes(ctrl(&mut app, 's'));
    assert!(
        matches!(&sent[..], [Change::UpdateTask { task_id: 11, patch }] if patch.title.as_deref() == Some("From the form")),
        "{sent:?}"
    );

    // No editor at hand (an SSH session); a viewer changes nothing.
    let mut app = app_with(Role::Member);
    app.can_edit_externally = false;
    key(&mut app, KeyCode::Char('E'));
    assert!(app.editor.is_none() && matches!(app.mode, Mode::Board));
    assert!(app.notice.as_ref().is_some_and(|n| n.error && n.text.contains("over SSH")));
    let mut viewer = app_with(Role::Viewer);
    key(&mut viewer, KeyCode::Char('E'));
    assert!(viewer.editor.is_none() && matches!(viewer.mode, Mode::Board));
}

fn boards_asked(out: Vec<Command>) -> Vec<BoardsChange> {
    out.into_iter()
        .filter_map(|c| if let Command::Net(Request::Boards(b)) = c { Some(b) } else { None })
        .collect()
}

/// The picker makes a board (which opens once made) and, for its owners, renames
/// and archives one; the members screen adds, changes and removes members, for
/// owners only.
#[test]
fn boards_and_members_are_changed_from_the_picker_and_the_members_screen() {
    let mut app = app_with(Role::Owner);
    let out = key(&mut app, KeyCode::Char('P'));
    assert!(
        out.contains(&Command::Net(Request::Projects { archived: false })),
        "the list is asked for again: {out:?}"
    );
    key(&mut app, KeyCode::Char('n'));
    for c in "Beta".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert_eq!(boards_asked(key(&mut app, KeyCode::Enter)), [BoardsChange::Make { name: "Beta".into() }]);
    let made = Project { id: 2, name: "Beta".into(), role: Role::Owner, archived: false };
    let out = app.update(Action::Net(NetEvent::Project(made)));
    assert!(out.contains(&Command::Net(Request::Open(2))), "the new board opens: {out:?}");
    assert_eq!(app.projects.len(), 2);
    // Rename and archive, from the picker, by an owner; archived, it leaves it.
    key(&mut app, KeyCode::Char('P'));
    key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Char('!'));
    let renamed = boards_asked(key(&mut app, KeyCode::Enter));
    assert!(
        matches!(&renamed[..], [BoardsChange::Rename { name, .. }] if name.ends_with('!')),
        "{renamed:?}"
    );
    key(&mut app, KeyCode::Char('P'));
    key(&mut app, KeyCode::Char('x'));
    assert!(matches!(app.mode, Mode::Confirm(Confirm::ArchiveBoard { .. })), "asked first");
    let archived = boards_asked(key(&mut app, KeyCode::Char('y')));
    assert!(matches!(&archived[..], [BoardsChange::Archive { archived: true, .. }]), "{archived:?}");
    let gone = Project { id: 2, name: "Beta".into(), role: Role::Owner, archived: true };
    app.update(Action::Net(NetEvent::Project(gone.clone())));
    assert_eq!(app.projects.len(), 1, "out of the picker");
    // Asked for, archived boards show, and x brings one back at once.
    key(&mut app, KeyCode::Char('P'));
    let out = key(&mut app, KeyCode::Char('.'));
    assert!(out.contains(&Command::Net(Request::Projects { archived: true })), "{out:?}");
    let launch = app.projects[0].clone();
    app.update(Action::Net(NetEvent::ProjectsNow(vec![launch, gone.clone()])));
    key(&mut app, KeyCode::Char('j'));
    let back = boards_asked(key(&mut app, KeyCode::Char('x')));
    assert_eq!(back, [BoardsChange::Archive { project_id: 2, archived: false }]);
    app.update(Action::Net(NetEvent::Project(Project { archived: false, ..gone })));
    assert!(app.projects.iter().all(|p| !p.archived));
    assert!(app.notice.as_ref().is_some_and(|n| n.text.starts_with("Brought Beta back")));

    // The members screen (on the fixture board, ann an owner, bob a member).
    let mut app = app_with(Role::Owner);
    key(&mut app, KeyCode::Char('M'));
    key(&mut app, KeyCode::Char('a'));
    for c in "cy viewer".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let added = boards_asked(key(&mut app, KeyCode::Enter));
    assert_eq!(added, [BoardsChange::Grant { project_id: 1, user: "cy".into(), role: Role::Viewer }]);
    assert!(matches!(app.mode, Mode::Members(_)), "back to the list");
    key(&mut app, KeyCode::Char('a'));
    for c in "cy boss".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert!(boards_asked(key(&mut app, KeyCode::Enter)).is_empty(), "an unknown role is said, not sent");
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.error.as_ref().is_some_and(|e| e.contains("boss"))));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('M'));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(
        boards_asked(key(&mut app, KeyCode::Char('r'))),
        [BoardsChange::SetRole { project_id: 1, member_id: 2, role: Role::Viewer }],
        "bob, a member, a viewer next"
    );
    key(&mut app, KeyCode::Char('d'));
    assert!(matches!(&app.mode, Mode::Confirm(c) if c.question().contains("bob's access")));
    assert_eq!(
        boards_asked(key(&mut app, KeyCode::Char('y'))),
        [BoardsChange::Remove { project_id: 1, member_id: 2 }]
    );
    assert!(matches!(app.mode, Mode::Members(_)));

    // A member reads the list and changes nothing.
    let mut app = app_with(Role::Member);
    key(&mut app, KeyCode::Char('M'));
    assert!(boards_asked(key(&mut app, KeyCode::Char('a'))).is_empty());
    assert!(app.notice.as_ref().is_some_and(|n| n.error && n.text.contains("owners")));
}
