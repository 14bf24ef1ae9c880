//! Reading and finding cards, drawn into ratatui's `TestBackend`: cards as tall
//! as they need (and a line each in compact), the card's view, due dates and
//! labels, quick filters and their counts, markers of those pointing out of sight,
//! and hints that follow the role.

use jiff::civil::date;
use kanban_protocol::event::{BoardChange, BoardEvent};
use kanban_protocol::model::{CursorPos, Pointer, Priority, Role, Task, UserInfo};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use super::paint::Depth;
use super::{Theme, draw};
use crate::app::input::{KeyCode, KeyEvent, KeyModifiers};
use crate::app::tests::{app_with, board, task};
use crate::app::{Action, App, Change, Mode, NetEvent};

const COLOR: Theme = Theme::new(Depth::TrueColor);

fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app, COLOR)).unwrap();
    terminal.backend().buffer().clone()
}

fn lines(buffer: &Buffer) -> Vec<String> {
    let area = buffer.area;
    (0..area.height)
        .map(|y| (0..area.width).map(|x| buffer[(x, y)].symbol()).collect::<String>().trim_end().to_string())
        .collect()
}

fn screen(app: &App, width: u16, height: u16) -> String {
    lines(&render(app, width, height)).join("\n")
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// The fixture board with `tasks` in its first column instead, on 2026-12-01.
fn with_cards(role: Role, tasks: Vec<Task>, (w, h): (u16, u16)) -> App {
    let mut app = app_with(role);
    let mut b = board(role);
    b.rev = 20;
    b.tasks = tasks;
    app.update(Action::Net(NetEvent::Snapshot(b)));
    app.update(Action::Resize(w, h));
    app.filter.today = date(2026, 12, 1);
    app
}

fn plain(n: i64) -> Vec<Task> {
    (0..n).map(|i| task(100 + i, 1, &format!("a{i:03}"), &format!("Card {i}"))).collect()
}

/// Where the first cell of `text` is on the screen.
fn find(buffer: &Buffer, text: &str) -> Option<(u16, u16)> {
    let rows = lines(buffer);
    let y = rows.iter().position(|l| l.contains(text))?;
    let before = &rows[y][..rows[y].find(text)?];
    Some((unicode_width::UnicodeWidthStr::width(before) as u16, y as u16))
}

#[test]
fn cards_take_the_rows_they_need_and_compact_takes_one() {
    let mut cards = plain(30);
    cards[1].labels = vec!["ops".into()];
    let mut app = with_cards(Role::Owner, cards, (100, 35));
    let roomy = screen(&app, 100, 35);
    let shown = |s: &str| (0..30).filter(|i| s.lines().any(|l| l.contains(&format!("Card {i} ")))).count();
    // A plain card is one line and a row between: 35 rows hold 14 of them (three
    // rows a card held 8).
    assert!(shown(&roomy) >= 14, "{roomy}");
    let card1 = roomy.lines().position(|l| l.contains("Card 1 ")).unwrap();
    assert!(
        roomy.lines().nth(card1 + 1).unwrap().contains("#ops"),
        "a card with details has its line:\n{roomy}"
    );
    assert!(!roomy.lines().nth(card1 - 1).unwrap().contains("Card 0"), "a row between cards:\n{roomy}");
    assert!(roomy.contains("↓ ") && roomy.contains(" more"), "{roomy}");

    press(&mut app, KeyCode::Char('z'));
    let compact = screen(&app, 100, 35);
    assert!(shown(&compact) >= 28, "a line a card:\n{compact}");
    let card1 = compact.lines().position(|l| l.contains("Card 1 ")).unwrap();
    assert!(compact.lines().nth(card1 + 1).unwrap().contains("Card 2"), "{compact}");
    insta::assert_snapshot!(compact);
    press(&mut app, KeyCode::Char('z'));
    let board = |s: &str| s.lines().take(34).collect::<Vec<_>>().join("\n");
    assert_eq!(board(&screen(&app, 100, 35)), board(&roomy), "z again is roomy again");
}

#[test]
fn page_keys_jump_a_column_at_a_time() {
    let mut app = with_cards(Role::Owner, plain(60), (100, 30));
    press(&mut app, KeyCode::Char('g'));
    let visible = |app: &App| {
        let s = screen(app, 100, 30);
        (0..60).filter(|i| s.lines().any(|l| l.contains(&format!("Card {i} ")))).count()
    };
    let page = visible(&app);
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.selection.card_index, page, "a page down is as many cards as were shown");
    assert!(screen(&app, 100, 30).contains(&format!("▶Card {page}")));
    press(&mut app, KeyCode::PageDown);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.selection.card_index, page);
    press(&mut app, KeyCode::End);
    assert_eq!(app.selection.card_index, 59);
    assert!(screen(&app, 100, 30).contains("▶Card 59"));
    press(&mut app, KeyCode::Home);
    assert_eq!(app.selection.card_index, 0);
}

fn long_card() -> Task {
    let mut t = task(
        11,
        1,
        "V",
        "Fix the login page when the password has spaces in it, and the other characters people type",
    );
    t.description = "Steps:\n1. open the login page\n2. type a password with spaces\n\nExpected: it works. \
                     Actual: a 500 from the server, and nothing in its log about why that would be."
        .into();
    t.labels = vec!["bug".into(), "auth".into()];
    t.priority = Priority::High;
    t.due_date = Some("2026-11-28".into());
    t.assignee_id = Some(2);
    t
}

#[test]
fn the_card_view_wraps_the_whole_title_and_description() {
    let mut app = with_cards(Role::Owner, vec![long_card()], (80, 30));
    let board = screen(&app, 80, 30);
    assert!(board.contains('≡'), "a card with a description is marked:\n{board}");
    assert!(!board.contains("characters people type"), "the board cuts the title:\n{board}");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.mode, Mode::Card(_)));
    let view = screen(&app, 80, 30);
    insta::assert_snapshot!(view);
    for words in ["characters people type", "a 500 from the server", "2. type a password with spaces"] {
        assert!(view.contains(words), "{words}:\n{view}");
    }
    assert!(view.contains("⚠ 3 days overdue") && view.contains("#bug #auth") && view.contains("bob"));
    assert!(view.contains("e edit"), "a writer is offered e:\n{view}");
    // e edits from the view.
    press(&mut app, KeyCode::Char('e'));
    assert!(matches!(&app.mode, Mode::Form(f) if !f.read_only));

    // A short screen scrolls the view to its last line.
    let mut app = with_cards(Role::Viewer, vec![long_card()], (80, 14));
    press(&mut app, KeyCode::Enter);
    assert!(!screen(&app, 80, 14).contains("updated by"));
    for _ in 0..30 {
        press(&mut app, KeyCode::Down);
    }
    let bottom = screen(&app, 80, 14);
    assert!(bottom.contains("updated by"), "{bottom}");
    assert!(!bottom.contains("e edit"), "a viewer is not offered e:\n{bottom}");
}

#[test]
fn due_dates_stand_out_and_labels_keep_their_colors() {
    let mut overdue = task(11, 1, "V", "Late one");
    overdue.due_date = Some("2026-11-30".into());
    overdue.labels = vec!["a-very-long-label".into(), "another-long-label".into(), "bug".into()];
    let mut today = task(12, 1, "W", "Today's");
    today.due_date = Some("2026-12-01".into());
    today.labels = vec!["bug".into()];
    let mut later = task(13, 1, "X", "Later");
    later.due_date = Some("2026-12-24".into());
    later.labels = vec!["ops".into()];
    let app = with_cards(Role::Owner, vec![overdue, today, later], (90, 20));
    let buffer = render(&app, 90, 20);
    let text = lines(&buffer).join("\n");
    // The due date comes before the labels, so the labels are what is cut.
    assert!(text.contains("⚠ 1 day overdue"), "{text}");
    assert!(text.contains("◆ due today") && text.contains("due Dec 24"), "{text}");
    let (x, y) = find(&buffer, "⚠ 1 day overdue").unwrap();
    assert_eq!(buffer[(x, y)].fg, Color::Red, "overdue in the error color");
    let (x, y) = find(&buffer, "◆ due today").unwrap();
    assert_eq!(buffer[(x, y)].fg, Color::Yellow);
    let (x, y) = find(&buffer, "due Dec 24").unwrap();
    assert_eq!(buffer[(x, y)].fg, Color::DarkGray, "later is quiet");
    // A label has the same color wherever it is, and others have theirs.
    let color_of = |label: &str| {
        let rows = lines(&buffer);
        let cells: Vec<Color> = rows
            .iter()
            .enumerate()
            .filter_map(|(y, l)| {
                let before = &l[..l.find(label)?];
                let x = unicode_width::UnicodeWidthStr::width(before) as u16;
                Some(buffer[(x, y as u16)].fg)
            })
            .collect();
        cells
    };
    let bugs = color_of("#bug");
    assert_eq!(bugs.len(), 1, "the overdue card's #bug is cut, today's shows");
    let ops = color_of("#ops");
    assert_ne!(bugs[0], ops[0]);
    let want = |name: &str| {
        let (r, g, b) = kanban_protocol::color::rgb(kanban_protocol::color::for_name(name)).unwrap();
        Color::Rgb(r, g, b)
    };
    assert_eq!(bugs[0], want("bug"));
    assert_eq!(ops[0], want("ops"));

    // A column too narrow for the long form says it shortly, still whole.
    let mut narrow = with_cards(Role::Owner, app.board.clone().unwrap().tasks, (84, 20));
    narrow.presence = app.presence.clone();
    let mut late = narrow.board.as_ref().unwrap().tasks[0].clone();
    late.assignee_id = Some(2);
    late.priority = Priority::High;
    let mut b = board(Role::Owner);
    b.rev = 30;
    b.tasks = vec![late];
    narrow.update(Action::Net(NetEvent::Snapshot(b)));
    let text = screen(&narrow, 84, 20);
    assert!(text.contains("@bob · high · ⚠ 1d late"), "{text}");
}

#[test]
fn quick_filters_count_what_they_show_and_say_why_a_new_card_hides() {
    let mut cards = plain(5);
    cards[2].assignee_id = Some(1); // ann: me
    cards[3].priority = Priority::Urgent;
    let mut app = with_cards(Role::Owner, cards, (100, 20));
    press(&mut app, KeyCode::Char('F'));
    assert!(screen(&app, 100, 20).contains("my cards (@me)"));
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(app.filter.as_str(), "@me");
    let s = screen(&app, 100, 20);
    assert!(s.contains("Todo 1 of 5") && s.contains("Card 2") && !s.contains("Card 3"), "{s}");
    assert!(s.contains("filter: @me"), "{s}");
    // By priority, from its list: the urgent one is first.
    press(&mut app, KeyCode::Char('F'));
    press(&mut app, KeyCode::Char('p'));
    assert!(screen(&app, 100, 20).contains("▶ urgent"));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.filter.as_str(), "@me !urgent");
    assert!(screen(&app, 100, 20).contains("Todo 0 of 5"));
    press(&mut app, KeyCode::Char('F'));
    press(&mut app, KeyCode::Char('x'));
    assert!(app.filter.is_empty());

    // A card I make that the filter hides is said, with why.
    app.filter.set("#ops");
    press(&mut app, KeyCode::Char('n'));
    for c in "Quiet".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    let out = app.update(Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let sent = out.iter().find_map(|c| match c {
        crate::app::Command::Write(w @ Change::CreateTask { .. }) => Some(w.clone()),
        _ => None,
    });
    let made = BoardEvent {
        rev: 21,
        by: 1,
        change: BoardChange::TaskCreated(task(200, 1, "z", "Quiet")),
        rekeyed: vec![],
    };
    app.update(Action::Net(NetEvent::Done { change: Box::new(sent.unwrap()), event: Box::new(made) }));
    let said = app.notice.as_ref().map(|n| n.text.clone()).unwrap_or_default();
    assert!(said.contains("“Quiet”") && said.contains("hides it: it has no label #ops"), "{said}");
}

#[test]
fn someone_pointing_out_of_sight_shows_at_the_columns_edge() {
    let mut app = with_cards(Role::Owner, plain(40), (100, 20));
    let bob = UserInfo { name: "bob".into(), color: "#61afef".into() };
    let cy = UserInfo { name: "cy".into(), color: "#98c379".into() };
    app.update(Action::Net(NetEvent::Present(vec![("2".into(), bob), ("3".into(), cy)])));
    // bob on the last card, far below; cy on one in sight.
    let pos = |task_id| CursorPos { status_id: 1, task_id: Some(task_id) };
    app.update(Action::Net(NetEvent::Cursor { user_id: "2".into(), pos: Pointer::at(pos(139)) }));
    app.update(Action::Net(NetEvent::Cursor { user_id: "3".into(), pos: Pointer::at(pos(101)) }));
    let s = screen(&app, 100, 20);
    let edge = s.lines().find(|l| l.contains("↓ ")).unwrap();
    assert!(edge.contains(" more") && edge.contains(" B "), "bob's marker at the bottom edge: {edge}");
    assert!(!edge.contains(" C "), "{edge}");
    // Scrolled to the end, the first cards are out of sight above: cy's is there.
    press(&mut app, KeyCode::End);
    let s = screen(&app, 100, 20);
    let edge = s.lines().find(|l| l.contains("↑ ")).unwrap();
    assert!(edge.contains(" C "), "cy's marker at the top edge: {edge}");
    let bobs = s.lines().find(|l| l.contains("Card 39")).unwrap();
    assert!(bobs.contains(" B "), "bob's marker on his card, now in sight: {bobs}");
}

#[test]
fn a_viewers_footer_offers_no_key_that_changes_the_board() {
    let app = with_cards(Role::Viewer, plain(3), (100, 20));
    let footer = lines(&render(&app, 100, 20)).last().cloned().unwrap();
    for offered in ["? help", "Enter view", "/ F filter", "q quit"] {
        assert!(footer.contains(offered), "{offered}: {footer}");
    }
    for not in ["n new", "e edit", "H/L", "d delete"] {
        assert!(!footer.contains(not), "{not}: {footer}");
    }
    let writer = with_cards(Role::Member, plain(3), (100, 20));
    let footer = lines(&render(&writer, 100, 20)).last().cloned().unwrap();
    assert!(footer.contains("n new") && footer.contains("e edit"), "{footer}");
}

/// The description is drawn as Markdown: a heading in bold, emphasis in italic,
/// task-list boxes; an escape sequence in the text is shown inert, never sent.
#[test]
fn the_card_view_renders_the_description_as_markdown_and_no_escape_gets_through() {
    let mut card = task(11, 1, "V", "Plan it");
    card.description =
        "## The plan\n\n- [x] write *tests*\n- [ ] ship \u{1b}]52;c;ZXZpbA==\u{7}now \u{1b}[2J".into();
    let mut app = with_cards(Role::Owner, vec![card], (80, 30));
    press(&mut app, KeyCode::Enter);
    let buffer = render(&app, 80, 30);
    let view = lines(&buffer).join("\n");
    assert!(view.contains("The plan") && !view.contains("## The plan"), "{view}");
    assert!(view.contains("☑ write tests") && view.contains("☐ ship"), "{view}");
    // The first cell of `text` on the screen.
    let cell = |text: &str| {
        let rows = lines(&buffer);
        let (y, row) = rows.iter().enumerate().find(|(_, l)| l.contains(text)).expect(text);
        let x = row[..row.find(text).expect(text)].chars().count();
        buffer[(x as u16, y as u16)].clone()
    };
    assert!(cell("The plan").modifier.contains(ratatui::style::Modifier::BOLD));
    assert!(cell("tests").modifier.contains(ratatui::style::Modifier::ITALIC));
    assert!(!cell("write").modifier.contains(ratatui::style::Modifier::ITALIC));
    for row in lines(&buffer) {
        assert!(!row.chars().any(char::is_control), "a control character on the screen: {row:?}");
    }
}
