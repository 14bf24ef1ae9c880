//! Render snapshots: the board drawn into ratatui's `TestBackend`, compared with
//! the reviewed snapshots in `snapshots/` (insta). Colors are checked cell by cell
//! where they carry meaning.

use crate::app::input::{KeyCode, KeyEvent, KeyModifiers};
use kanban_protocol::model::{CursorPos, Pointer, Role, UserInfo};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use super::paint::Depth;
use super::{Theme, draw};
use crate::app::tests::app_with;
use crate::app::{Action, App, JoinHint, NetEvent};
use crate::geometry::HelpLine;

fn render(app: &App, width: u16, height: u16, theme: Theme) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app, theme)).unwrap();
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    (0..area.height)
        .map(|y| (0..area.width).map(|x| buffer[(x, y)].symbol()).collect::<String>().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

const COLOR: Theme = Theme::new(Depth::TrueColor);
const NO_COLOR: Theme = Theme::new(Depth::None);

fn user(name: &str, color: &str) -> UserInfo {
    UserInfo { name: name.into(), color: color.into() }
}

/// The fixture board with ann (us), bob, cy, dee and eve present; bob, cy and
/// dee point at "Pick a name", eve at the "Doing" column itself.
fn crowded() -> App {
    let mut app = app_with(Role::Owner);
    let people = vec![
        ("1".to_string(), user("ann", "#e06c75")),
        ("2".to_string(), user("bob", "#61afef")),
        ("3".to_string(), user("cy", "#98c379")),
        ("4".to_string(), user("dee", "#c678dd")),
        ("5".to_string(), user("eve", "#e5c07b")),
    ];
    app.update(Action::Net(NetEvent::Present(people)));
    for id in ["2", "3"] {
        let pos = CursorPos { status_id: 1, task_id: Some(12) };
        app.update(Action::Net(NetEvent::Cursor { user_id: id.into(), pos: Pointer::at(pos) }));
    }
    app.update(Action::Net(NetEvent::Cursor {
        user_id: "5".into(),
        pos: Pointer::at(CursorPos { status_id: 2, task_id: None }),
    }));
    app
}

#[test]
fn board_with_presence_and_cursors() {
    let app = crowded();
    let buffer = render(&app, 100, 16, COLOR);
    insta::assert_snapshot!(text(&buffer));
    // Each marker wears its user's color.
    let screen = text(&buffer);
    let row = screen.lines().position(|l| l.contains("Pick a name")).unwrap() as u16;
    let line: Vec<&str> = (0..100).map(|x| buffer[(x, row)].symbol()).collect();
    let b = line.iter().position(|s| *s == "B").unwrap() as u16;
    assert_eq!(buffer[(b, row)].bg, Color::Rgb(0x61, 0xaf, 0xef));
    assert_eq!(buffer[(b + 2, row)].symbol(), "C");
    assert_eq!(buffer[(b + 2, row)].bg, Color::Rgb(0x98, 0xc3, 0x79));
    // Names in the presence bar too.
    let bar: Vec<&str> = (0..100).map(|x| buffer[(x, 1)].symbol()).collect();
    let bob = bar.windows(3).position(|w| w.concat() == "bob").unwrap() as u16;
    assert_eq!(buffer[(bob, 1)].fg, Color::Rgb(0x61, 0xaf, 0xef));
}

#[test]
fn a_crowded_card_collapses_into_plus_n() {
    let mut app = crowded();
    for id in ["4", "5"] {
        let pos = CursorPos { status_id: 1, task_id: Some(12) };
        app.update(Action::Net(NetEvent::Cursor { user_id: id.into(), pos: Pointer::at(pos) }));
    }
    let screen = text(&render(&app, 100, 16, COLOR));
    let line = screen.lines().find(|l| l.contains("Pick a name")).unwrap();
    assert!(line.contains("B C +2"), "{line}");
}

#[test]
fn markers_read_without_color() {
    let app = crowded();
    let buffer = render(&app, 100, 16, NO_COLOR);
    let screen = text(&buffer);
    let line = screen.lines().find(|l| l.contains("Pick a name")).unwrap();
    assert!(line.contains("B C"), "initials carry the meaning: {line}");
    assert!(
        (0..100)
            .all(|x| (0..16).all(|y| buffer[(x, y)].fg == Color::Reset && buffer[(x, y)].bg == Color::Reset))
    );
}

#[test]
fn narrow_terminal_scrolls_columns() {
    let mut app = crowded();
    app.update(Action::Resize(30, 14));
    insta::assert_snapshot!(text(&render(&app, 30, 14, COLOR)));
    // Moving right brings the next column into view.
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('l'), KeyModifiers::NONE)));
    let screen = text(&render(&app, 30, 14, COLOR));
    assert!(screen.contains("Doing"), "{screen}");
    assert!(!screen.contains("Todo"), "{screen}");
}

#[test]
fn help_overlay_lists_every_key() {
    let mut app = crowded();
    app.join_hint = Some(JoinHint {
        short: "others join at http://127.0.0.1:7878".into(),
        steps: vec!["Others join this board at http://127.0.0.1:7878:".into()],
    });
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE)));
    // Tall enough for every key.
    let screen = text(&render(&app, 100, 48, COLOR));
    insta::assert_snapshot!(screen);
    for keys in crate::app::bindings::ROWS.iter().map(|r| r.keys) {
        assert!(screen.contains(keys), "{keys} is listed");
    }
}

/// On a classic 80×24 terminal the help is taller than the screen: it scrolls, and
/// its last line (how others join) is reached and not cut off.
#[test]
fn a_help_taller_than_the_screen_scrolls_to_its_last_line() {
    let mut app = crowded();
    app.viewport = (80, 24);
    let long = "  kanban-server --data-dir /home/someone/.local/share/kanban user add NAME      (prints their token)";
    app.join_hint = Some(JoinHint {
        short: "others join at http://127.0.0.1:7878".into(),
        steps: vec![
            "Others join this board at http://127.0.0.1:7878:".into(),
            long.into(),
            "  kanban-tui --server http://127.0.0.1:7878 --token TOKEN".into(),
        ],
    });
    let press = |app: &mut App, code| app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    press(&mut app, KeyCode::Char('?'));
    let top = text(&render(&app, 80, 24, COLOR));
    assert!(top.contains("move the selection") && !top.contains("--token TOKEN"), "{top}");
    assert!(top.contains("↓↑ scroll"), "the status line says how: {top}");
    for _ in 0..40 {
        press(&mut app, KeyCode::Down);
    }
    let bottom = text(&render(&app, 80, 24, COLOR));
    assert!(bottom.contains("kanban-tui --server http://127.0.0.1:7878 --token TOKEN"), "{bottom}");
    assert!(bottom.contains("(prints their"), "a long line wraps instead of being cut: {bottom}");
    // Scrolling stopped at the end: one step up shows the line above at once.
    press(&mut app, KeyCode::Up);
    let up = text(&render(&app, 80, 24, COLOR));
    assert_ne!(up, bottom);
    press(&mut app, KeyCode::Char('x'));
    assert!(matches!(app.mode, crate::app::Mode::Board), "another key closes it");
}

#[test]
fn the_card_form_shows_every_field() {
    let mut app = crowded();
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)));
    insta::assert_snapshot!(text(&render(&app, 90, 28, COLOR)));
}

/// A description longer than its box wraps between words at the box's width,
/// the end of it in sight, rather than scrolling sideways.
#[test]
fn a_long_description_wraps_softly_in_the_form() {
    let mut app = crowded();
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)));
    app.update(Action::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
    let words = "first the plan then the tests and then the docs for everyone who reads them at the end";
    app.update(Action::Paste(words.into()));
    let screen = text(&render(&app, 90, 28, COLOR));
    assert!(screen.contains("first the plan"), "{screen}");
    assert!(screen.contains("│them at the end"), "the end shows, on a row of its own:\n{screen}");
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("the ")).collect();
    assert!(rows.len() >= 2, "wrapped over rows:\n{screen}");
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut app = crowded();
    for (w, h) in [(1, 1), (5, 3), (10, 4), (24, 6), (200, 2)] {
        app.update(Action::Resize(w, h));
        render(&app, w, h, COLOR);
        for open in [KeyCode::Enter, KeyCode::Char('e'), KeyCode::Char('F'), KeyCode::Char('z')] {
            app.update(Action::Key(KeyEvent::new(open, KeyModifiers::NONE)));
            render(&app, w, h, COLOR);
            app.update(Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        }
    }
}

/// Who has a card's form open shows on the card: the edit mark before their
/// initial, without color too; the mark goes when the form closes.
#[test]
fn someone_editing_a_card_is_marked_on_it() {
    let mut app = crowded();
    let editing = Pointer { status_id: 1, task_id: Some(12), editing: true };
    app.update(Action::Net(NetEvent::Cursor { user_id: "2".into(), pos: editing }));
    let line = |app: &App| {
        let screen = text(&render(app, 100, 16, NO_COLOR));
        screen.lines().find(|l| l.contains("Pick a name")).unwrap().to_string()
    };
    assert!(line(&app).contains("✎B C"), "{}", line(&app));
    app.update(Action::Net(NetEvent::Cursor {
        user_id: "2".into(),
        pos: Pointer { editing: false, ..editing },
    }));
    assert!(line(&app).contains("B C") && !line(&app).contains('✎'), "{}", line(&app));
}

/// A refusal longer than its prompt is said whole, in lines under the answer.
#[test]
fn a_refused_column_color_is_said_whole() {
    let mut app = app_with(Role::Owner);
    let press = |app: &mut App, code| app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    press(&mut app, KeyCode::Char('C'));
    for c in "mauve".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    let screen = text(&render(&app, 80, 24, NO_COLOR)).replace(['│', '╭', '╮', '╰', '╯', '─'], " ");
    let said = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    let why = kanban_protocol::check::check_color("mauve").unwrap_err().message;
    assert!(said.contains(&why.split_whitespace().collect::<Vec<_>>().join(" ")), "{why}\n{screen}");
}

/// A comment takes lines, pasted or typed with Alt-Enter, and shows them; Esc
/// asks before they are lost.
#[test]
fn a_comment_shows_its_lines_and_asks_before_they_go() {
    let mut app = app_with(Role::Owner);
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE)));
    app.update(Action::Paste("Steps:\r\n1. open it\r\n2. see".into()));
    app.update(Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)));
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('!'), KeyModifiers::NONE)));
    let screen = text(&render(&app, 80, 24, NO_COLOR));
    for line in ["Steps:", "1. open it", "2. see", "!"] {
        assert!(
            screen.lines().any(|l| l.trim_matches(|c| c == '│' || c == ' ') == line),
            "{line:?}\n{screen}"
        );
    }
    app.update(Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    let screen = text(&render(&app, 80, 24, NO_COLOR));
    assert!(screen.contains("Discard this comment?"), "{screen}");
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE)));
    let out = app.update(Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let sent: Vec<_> = out
        .into_iter()
        .filter_map(|c| if let crate::app::Command::Write(w) = c { Some(w) } else { None })
        .collect();
    let [crate::app::Change::CreateComment { new, .. }] = &sent[..] else { panic!("{sent:?}") };
    assert_eq!(new.body, "Steps:\n1. open it\n2. see\n!", "posted whole, its lines kept");
}

/// On a narrow terminal the help wraps what a key does at word boundaries, under
/// itself, and PgDn and PgUp move it a page at a time.
#[test]
fn the_help_wraps_at_words_and_pages_with_pgdn() {
    let mut app = crowded();
    app.viewport = (40, 15);
    let help = app.help_box(40, 15);
    let lines = app.help_lines();
    for (i, line) in lines.iter().enumerate() {
        let rows: Vec<&str> = help.rows.iter().filter(|(l, _)| *l == i).map(|(_, r)| r.as_str()).collect();
        if let HelpLine::Keys { keys, does } = line {
            let words: Vec<&str> = rows.iter().flat_map(|r| r.split_whitespace()).collect();
            let line = format!("{keys} {does}");
            assert_eq!(words, line.split_whitespace().collect::<Vec<_>>(), "no word cut: {rows:?}");
            assert!(rows.iter().skip(1).all(|r| r.starts_with(&" ".repeat(17))), "under itself: {rows:?}");
        }
    }
    let press = |app: &mut App, code| app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::PageDown);
    assert!(
        matches!(app.mode, crate::app::Mode::Help(n) if n == help.visible.min(help.max_scroll())),
        "a page"
    );
    press(&mut app, KeyCode::PageDown);
    press(&mut app, KeyCode::PageUp);
    let back = (2 * help.visible).min(help.max_scroll()).saturating_sub(help.visible);
    assert!(matches!(app.mode, crate::app::Mode::Help(n) if n == back), "a page back");
    press(&mut app, KeyCode::End);
    assert!(matches!(app.mode, crate::app::Mode::Help(n) if n == help.max_scroll()));
}
