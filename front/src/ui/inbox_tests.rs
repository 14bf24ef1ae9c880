//! The views of #31 drawn: the unread count in the title bar, the inbox, the
//! person's work, the picker's counts, the since mark on a card, and mentions of
//! members highlighted in a card's view.

use kanban_protocol::inbox::MyTask;
use kanban_protocol::model::{Comment, Project, Role};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use super::paint::Depth;
use super::{Theme, draw};
use crate::app::inbox_tests::{note, two_boards};
use crate::app::input::{KeyCode, KeyEvent, KeyModifiers};
use crate::app::tests::task;
use crate::app::{Action, App, NetEvent};

const COLOR: Theme = Theme::new(Depth::TrueColor);

fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app, COLOR)).unwrap();
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    (0..area.height)
        .map(|y| (0..area.width).map(|x| buffer[(x, y)].symbol()).collect::<String>().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where `needle` starts on the screen, in cells.
fn find(buffer: &Buffer, needle: &str) -> (u16, u16) {
    let screen = text(buffer);
    let y = screen.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}:\n{screen}"));
    let line: Vec<&str> = (0..buffer.area.width).map(|x| buffer[(x, y as u16)].symbol()).collect();
    let first = needle.chars().next().unwrap().to_string();
    let x = (0..line.len())
        .find(|&x| line[x] == first && line[x..].concat().starts_with(needle))
        .unwrap_or_else(|| panic!("{needle} in {line:?}"));
    (x as u16, y as u16)
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn today(app: &mut App) {
    app.filter.today = jiff::civil::date(2026, 12, 7);
}

#[test]
fn the_inbox_lists_across_boards_unread_in_bold() {
    let mut app = two_boards();
    today(&mut app);
    app.update(Action::Net(NetEvent::Unread(1)));
    press(&mut app, KeyCode::Char('i'));
    let mut old = note(4, 2, 21, "assigned", true);
    old.at = "2026-12-06T17:40:00Z".into();
    old.what = "bob assigned you “Ship the server”".into();
    app.update(Action::Net(NetEvent::Inbox {
        before: None,
        page: vec![note(5, 1, 12, "mentioned", false), old],
    }));
    let buffer = render(&app, 90, 14);
    insta::assert_snapshot!(text(&buffer));
    let (x, y) = find(&buffer, "bob mentioned");
    assert!(buffer[(x, y)].modifier.contains(Modifier::BOLD), "unread: bold");
    let (x, y) = find(&buffer, "bob assigned");
    assert!(!buffer[(x, y)].modifier.contains(Modifier::BOLD), "read: plain");
    // The count in the title bar, in the accent color.
    let (x, y) = find(&buffer, "✉ 1");
    assert_eq!(buffer[(x, y)].fg, Color::Cyan);
}

#[test]
fn my_work_is_grouped_by_board_with_overdue_marked_and_counted_in_the_picker() {
    let mut app = two_boards();
    today(&mut app);
    let mine = |t: kanban_protocol::model::Task, project: &str, column: &str| MyTask {
        task: t,
        project: project.into(),
        column: column.into(),
        done: false,
    };
    let mut late = task(21, 2, "V", "Ship the server");
    late.due_date = Some("2026-12-01".into());
    let mut soon = task(12, 1, "W", "Pick a name");
    soon.due_date = Some("2026-12-09".into());
    let mut other = task(31, 1, "V", "Rotate the keys");
    other.project_id = 2;
    let work = vec![mine(late, "Launch", "Doing"), mine(soon, "Launch", "Todo"), mine(other, "Ops", "Todo")];
    app.update(Action::Net(NetEvent::MyWork(work)));
    press(&mut app, KeyCode::Char('m'));
    let buffer = render(&app, 90, 14);
    insta::assert_snapshot!(text(&buffer));
    let (x, y) = find(&buffer, "⚠");
    assert_eq!(buffer[(x, y)].fg, Color::Red, "overdue in the error color");

    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('P'));
    let screen = text(&render(&app, 90, 14));
    assert!(screen.contains("Launch  (owner)  2 mine · 1 overdue"), "{screen}");
    assert!(screen.contains("Ops  (member)  1 mine"), "{screen}");
    assert!(!screen.contains("1 mine · 0"), "{screen}");
}

#[test]
fn a_card_changed_since_the_last_look_wears_a_mark() {
    let mut app = two_boards();
    let since = kanban_protocol::inbox::Since { rev: 4, at: None, now: 10, changes: 1, tasks: vec![12] };
    app.update(Action::Net(NetEvent::Since { project_id: 1, since }));
    let buffer = render(&app, 90, 14);
    let (x, y) = find(&buffer, "•Pick a name");
    assert_eq!(buffer[(x, y)].fg, Color::Cyan, "in the accent color");
    press(&mut app, KeyCode::Char('j'));
    assert!(!text(&render(&app, 90, 14)).contains("•Pick"), "selected: the mark goes");
}

#[test]
fn mentions_of_members_are_highlighted_and_others_stay_text() {
    let mut app = two_boards();
    if let Some(board) = app.board.as_mut() {
        let card = board.tasks.iter_mut().find(|t| t.id == 11).unwrap();
        card.description = "Ask **@bob** or @carol".into();
        board.reindex();
    }
    press(&mut app, KeyCode::Enter);
    let comment = Comment {
        id: 1,
        task_id: 11,
        project_id: 1,
        author_id: Some(2),
        body: "@ann can you look? mail x@bob.org".into(),
        created_at: "2026-12-01T10:00:00.000Z".into(),
        updated_at: "2026-12-01T10:00:00.000Z".into(),
        edited_by: None,
    };
    app.update(Action::Net(NetEvent::Comments { task_id: 11, comments: vec![comment], history: vec![] }));
    let ann = kanban_protocol::model::User { id: 1, name: "ann".into(), color: "#e06c75".into() };
    app.update(Action::Net(NetEvent::Watchers { task_id: 11, watchers: vec![ann] }));
    let buffer = render(&app, 90, 40);
    let screen = text(&buffer);
    assert!(screen.contains("Watching   ann"), "{screen}");
    for (mention, highlighted) in [("@bob", true), ("@carol", false), ("@ann", true), ("@bob.org", false)] {
        let (x, y) = find(&buffer, mention);
        let cell = &buffer[(x, y)];
        assert_eq!(
            (cell.fg == Color::Cyan && cell.modifier.contains(Modifier::BOLD)),
            highlighted,
            "{mention}: {cell:?}"
        );
    }
}

#[test]
fn the_picker_without_work_read_says_no_counts() {
    let mut app = two_boards();
    app.projects[1] = Project { id: 2, name: "Ops".into(), role: Role::Viewer, archived: false };
    press(&mut app, KeyCode::Char('P'));
    let screen = text(&render(&app, 90, 14));
    assert!(screen.contains("Ops  (viewer)") && !screen.contains("mine"), "{screen}");
}
