//! Reaching the person across boards, through `update`: the unread count follows
//! their channel, the inbox and their work jump to a card on another board, a
//! card is watched, since-I-last-looked marks go, a mention rings.

use kanban_protocol::inbox::{MarkRead, MyTask, Notification, NotificationsRead, Since};
use kanban_protocol::model::{Project, Role, User};

use super::inbox::Notify;
use super::tests::{app_with, board, key, task};
use super::*;
use crate::app::input::{KeyCode, KeyEvent, KeyModifiers};

fn net(app: &mut App, event: NetEvent) -> Vec<Command> {
    app.update(Action::Net(event))
}

pub(crate) fn note(id: i64, project_id: i64, task_id: i64, kind: &str, read: bool) -> Notification {
    Notification {
        id,
        kind: kind.into(),
        project_id,
        project: if project_id == 1 { "Launch".into() } else { "Ops".into() },
        task_id: Some(task_id),
        by: Some(2),
        at: "2026-12-07T09:15:00Z".into(),
        what: format!("bob mentioned you on card {task_id}"),
        read,
    }
}

/// The fixture app, able to open board 2 ("Ops") too.
pub(crate) fn two_boards() -> App {
    let mut app = app_with(Role::Owner);
    app.projects.push(Project { id: 2, name: "Ops".into(), role: Role::Member, archived: false });
    app
}

/// Board 2 as the server sends it: the fixture's cards, on "Ops".
fn ops() -> kanban_protocol::model::Board {
    let mut b = board(Role::Member);
    b.project = Project { id: 2, name: "Ops".into(), role: Role::Member, archived: false };
    b
}

#[test]
fn the_unread_count_follows_the_persons_channel() {
    let mut app = two_boards();
    assert_eq!(app.reach.unread, None, "not said before the server says");
    let out = net(&mut app, NetEvent::Connected);
    assert!(out.contains(&Command::Net(Request::Unread)), "asked on every connection: {out:?}");
    net(&mut app, NetEvent::Unread(2));
    net(&mut app, NetEvent::Notified(Box::new(note(7, 2, 21, "commented", false))));
    assert_eq!(app.reach.unread, Some(3));
    // One already read (made read elsewhere) does not count.
    net(&mut app, NetEvent::Notified(Box::new(note(8, 2, 21, "commented", true))));
    assert_eq!(app.reach.unread, Some(3));
    // Another client of theirs marked some read: the count is the server's.
    net(&mut app, NetEvent::NotificationsRead(NotificationsRead { ids: vec![7], all: false, unread: 1 }));
    assert_eq!(app.reach.unread, Some(1));
}

#[test]
fn the_inbox_lists_live_and_marks_read_everywhere() {
    let mut app = two_boards();
    let out = key(&mut app, KeyCode::Char('i'));
    assert_eq!(out, [Command::Net(Request::Inbox { unread_only: false, before: None })]);
    net(
        &mut app,
        NetEvent::Inbox {
            before: None,
            page: vec![note(5, 1, 12, "mentioned", false), note(4, 2, 21, "assigned", true)],
        },
    );
    key(&mut app, KeyCode::Down);
    // A new one comes first; the one chosen stays chosen.
    net(&mut app, NetEvent::Notified(Box::new(note(6, 1, 13, "commented", false))));
    let Mode::Inbox(view) = &app.mode else { panic!("{:?}", app.mode) };
    let ids: Vec<i64> = view.items.as_ref().unwrap().iter().map(|n| n.id).collect();
    assert_eq!((ids.as_slice(), view.chosen), (&[6, 5, 4][..], 2));
    // r marks all read, through the server, which tells every client.
    let out = key(&mut app, KeyCode::Char('r'));
    assert_eq!(out, [Command::Net(Request::MarkRead(MarkRead { ids: vec![], all: true }))]);
    net(&mut app, NetEvent::NotificationsRead(NotificationsRead { ids: vec![], all: true, unread: 0 }));
    let Mode::Inbox(view) = &app.mode else { panic!() };
    assert!(view.items.as_ref().unwrap().iter().all(|n| n.read));
    assert_eq!(app.reach.unread, Some(0));
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode, Mode::Board));
}

#[test]
fn enter_in_the_inbox_opens_the_cards_board_and_selects_it_once_loaded() {
    let mut app = two_boards();
    key(&mut app, KeyCode::Char('i'));
    net(&mut app, NetEvent::Inbox { before: None, page: vec![note(5, 2, 13, "mentioned", false)] });
    let out = key(&mut app, KeyCode::Enter);
    assert!(out.contains(&Command::Net(Request::MarkRead(MarkRead { ids: vec![5], all: false }))), "{out:?}");
    assert!(out.contains(&Command::Net(Request::Open(2))), "the picker's way to a board: {out:?}");
    assert!(out.contains(&Command::Net(Request::Seen { project_id: 1, rev: 10 })), "the board left: {out:?}");
    assert!(matches!(app.mode, Mode::Board));
    assert_eq!(app.selection.task_id, None, "not before the board is here");
    net(&mut app, NetEvent::Snapshot(ops()));
    assert_eq!((app.selection.status_id, app.selection.task_id), (Some(1), Some(13)));
}

#[test]
fn enter_in_my_work_goes_to_the_card_on_this_board_at_once() {
    let mut app = two_boards();
    // The start's read (for the picker) is in flight: `m` asks again once it is answered.
    assert!(key(&mut app, KeyCode::Char('m')).is_empty());
    let out = net(&mut app, NetEvent::MyWork(Vec::new()));
    assert_eq!(out, [Command::Net(Request::MyWork)]);
    let mine = |t: kanban_protocol::model::Task, project: &str| MyTask {
        task: t,
        project: project.into(),
        column: "Doing".into(),
        done: false,
    };
    let mut other = task(31, 1, "V", "Elsewhere");
    other.project_id = 2;
    let mut overdue = task(21, 2, "V", "Ship the server");
    overdue.due_date = Some("2026-12-01".into());
    net(
        &mut app,
        NetEvent::MyWork(vec![
            mine(overdue, "Launch"),
            mine(other, "Ops"),
            mine(task(12, 1, "W", "Pick"), "Launch"),
        ]),
    );
    app.filter.today = jiff::civil::date(2026, 12, 7);
    assert_eq!(app.reach.counts(1, app.filter.today), Some((2, 1)), "the picker's: 2 mine · 1 overdue");
    assert_eq!(app.reach.counts(2, app.filter.today), Some((1, 0)));
    // Grouped by board: Launch's two first, then Ops's.
    key(&mut app, KeyCode::Down);
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "the open board: nothing to fetch");
    assert_eq!(app.selection.task_id, Some(12));
    assert_eq!(app.project_id, Some(1));
}

#[test]
fn since_marks_go_when_selected_and_by_key() {
    let mut app = two_boards();
    app.filter.today = jiff::civil::date(2026, 12, 7);
    let selected = app.selection.task_id;
    let since = Since {
        rev: 4,
        at: Some("2026-12-06T17:40:00Z".into()),
        now: 10,
        changes: 7,
        tasks: vec![11, 12, 21],
    };
    let out = net(&mut app, NetEvent::Since { project_id: 1, since });
    assert_eq!(out, [Command::Net(Request::Seen { project_id: 1, rev: 10 })], "seen, once read");
    assert!(
        app.notice.as_ref().unwrap().text.starts_with("7 changes since yesterday 17:40"),
        "{:?}",
        app.notice
    );
    // The card the board opened on keeps its mark until the selection comes to it.
    assert_eq!(selected, Some(11));
    assert!(app.marks.marked(11) && app.marks.marked(12) && app.marks.marked(21));
    key(&mut app, KeyCode::Char('j'));
    assert!(!app.marks.marked(12), "selected: seen");
    key(&mut app, KeyCode::Char('k'));
    assert!(!app.marks.marked(11));
    assert!(app.marks.marked(21));
    key(&mut app, KeyCode::Char('X'));
    assert!(!app.marks.marked(21), "X clears them all");
    // A first look marks nothing; another board's answer is not this one's.
    let first = Since { rev: 0, at: None, now: 10, changes: 4, tasks: vec![13] };
    net(&mut app, NetEvent::Since { project_id: 1, since: first.clone() });
    assert!(!app.marks.marked(13));
    assert!(net(&mut app, NetEvent::Since { project_id: 2, since: first }).is_empty());
}

#[test]
fn quitting_tells_the_server_what_was_seen() {
    let mut app = two_boards();
    let out = key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
    assert_eq!(out, [Command::Net(Request::Seen { project_id: 1, rev: 10 })]);
}

#[test]
fn w_toggles_watching_and_the_view_says_who_watches() {
    let mut app = two_boards();
    let out = key(&mut app, KeyCode::Char('W'));
    assert_eq!(out, [Command::Net(Request::Watch { task_id: 11, watch: Some(true) })]);
    let ann = User { id: 1, name: "ann".into(), color: "#e06c75".into() };
    net(&mut app, NetEvent::Watchers { task_id: 11, watchers: vec![ann] });
    assert_eq!(app.watching(11), Some(true));
    // The view asks who watches with the thread, and W there stops.
    let out = key(&mut app, KeyCode::Enter);
    assert!(out.contains(&Command::Net(Request::Watch { task_id: 11, watch: None })), "{out:?}");
    let out = key(&mut app, KeyCode::Char('W'));
    assert_eq!(out, [Command::Net(Request::Watch { task_id: 11, watch: Some(false) })]);
    assert!(matches!(app.mode, Mode::Card(_)), "the view stays");
}

#[test]
fn a_mention_rings_only_when_the_config_says_so() {
    let mut app = two_boards();
    net(&mut app, NetEvent::Notified(Box::new(note(1, 1, 11, "mentioned", false))));
    assert_eq!(app.alert, None, "off by default");
    app.reach.notify = Notify { bell: true, desktop: false };
    net(&mut app, NetEvent::Notified(Box::new(note(2, 1, 11, "commented", false))));
    assert_eq!(app.alert, None, "only a mention");
    net(&mut app, NetEvent::Notified(Box::new(note(3, 1, 11, "mentioned", false))));
    assert_eq!(app.alert.take().as_deref(), Some("\x07"));
    let desktop = Notify { bell: false, desktop: true }.sequence("ann: \x1b[31mhi;").unwrap();
    assert_eq!(
        desktop, "\x1b]9;ann: [31mhi\x07\x1b]777;notify;kanban;ann: [31mhi\x07",
        "no escape rides along"
    );
}

#[test]
fn tab_after_an_at_prefix_completes_in_the_comment_prompt() {
    let mut app = two_boards();
    key(&mut app, KeyCode::Char('c'));
    for c in "ask @b".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Tab);
    let Mode::Prompt(prompt) = &app.mode else { panic!("{:?}", app.mode) };
    assert_eq!(prompt.value(), "ask @bob ");
}

#[test]
fn tab_after_an_at_prefix_completes_in_the_description_and_moves_on_elsewhere() {
    let mut app = two_boards();
    key(&mut app, KeyCode::Char('e'));
    let Mode::Form(form) = &mut app.mode else { panic!("{:?}", app.mode) };
    form.field = form::Field::Description;
    for c in "ping @a".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    app.update(Action::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
    let Mode::Form(form) = &app.mode else { panic!() };
    assert_eq!(
        (form.field, form.description.lines().join("\n")),
        (form::Field::Description, "ping @ann ".into())
    );
    // Not after an @word: Tab moves to the next field, as before.
    key(&mut app, KeyCode::Tab);
    let Mode::Form(form) = &app.mode else { panic!() };
    assert_ne!(form.field, form::Field::Description);
}

#[test]
fn down_past_a_full_page_asks_for_the_older_ones_once() {
    let mut app = two_boards();
    key(&mut app, KeyCode::Char('i'));
    let page: Vec<Notification> = (0..50).rev().map(|id| note(id + 100, 1, 11, "changed", true)).collect();
    net(&mut app, NetEvent::Inbox { before: None, page });
    key(&mut app, KeyCode::End);
    let out = key(&mut app, KeyCode::Down);
    assert_eq!(out, [Command::Net(Request::Inbox { unread_only: false, before: Some(100) })]);
    assert!(key(&mut app, KeyCode::Down).is_empty(), "once");
    net(&mut app, NetEvent::Inbox { before: Some(100), page: vec![note(42, 2, 21, "moved", false)] });
    key(&mut app, KeyCode::Down);
    let Mode::Inbox(view) = &app.mode else { panic!() };
    assert_eq!((view.items.as_ref().unwrap().len(), view.chosen, view.more), (51, 50, false));
    assert!(key(&mut app, KeyCode::Down).is_empty(), "a short page was the last");
}

#[test]
fn work_that_cannot_be_read_is_said_only_to_who_asked_to_see_it() {
    let mut app = two_boards();
    let failed =
        || NetEvent::NotRead { read: reads::Read::Work, message: "Cannot read your work: 404".into() };
    net(&mut app, failed());
    assert_eq!(app.notice, None, "the picker's counts: quiet");
    key(&mut app, KeyCode::Char('m'));
    net(&mut app, failed());
    assert!(app.notice.as_ref().is_some_and(|n| n.error && n.text.contains("404")), "{:?}", app.notice);
}

#[test]
fn an_ssh_client_asks_for_the_bell_in_words() {
    assert_eq!(Notify::from_words("bell"), Notify { bell: true, desktop: false });
    assert_eq!(Notify::from_words("Desktop, bell"), Notify { bell: true, desktop: true });
    assert_eq!(Notify::from_words("loud"), Notify::default());
}
