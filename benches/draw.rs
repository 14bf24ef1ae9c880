//! A big board's frame, measured (criterion): the client's app holding 10,000 cards
//! over 8 columns, with people present and pointing, drawn into ratatui's
//! `TestBackend` through the same `ui::draw` the terminal calls each frame; a frame
//! after a move key; a filtered frame; and the snapshot's way in (JSON to
//! `BoardState`). The target is a frame under 1 ms (issue #19); `cargo bench -p
//! kanban-tui --bench draw`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kanban_protocol::board::BoardState;
use kanban_protocol::event::{BoardChange, BoardEvent};
use kanban_protocol::model::{
    Board, CursorPos, Member, Pointer, Priority, Project, Role, Status, Task, User, UserInfo,
};
use kanban_protocol::request::{Change, MoveTask};
use kanban_tui::app::input::{KeyCode, KeyEvent, KeyModifiers};
use kanban_tui::app::{Action, App, NetEvent};
use kanban_tui::ui::paint::Depth;
use kanban_tui::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const COLUMNS: [&str; 8] =
    ["Inbox", "Backlog", "Ready", "In Progress", "Review", "Testing", "Done", "Released"];
const PER_COLUMN: i64 = 1_250;
const PEOPLE: [&str; 12] = ["ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy", "jo", "kit", "lou"];
const LABELS: [&str; 8] = ["bug", "ops", "ux", "api", "docs", "security", "perf", "needs review"];
const VERBS: [&str; 10] =
    ["Fix", "Write", "Review", "Ship", "Refactor", "Document", "Measure", "Remove", "Add", "Test"];
const THINGS: [&str; 10] = [
    "the login page",
    "token refresh on reconnect",
    "the export of a board with comments",
    "WIP limits in the column header",
    "the flaky PostgreSQL test",
    "due dates in the user's time zone",
    "the trash purge job",
    "mouse wheel scrolling",
    "the access log",
    "cursor markers for two people with one initial",
];

/// A deterministic stream of small numbers (no seed to keep, the same board every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// The board a snapshot brings: 8 columns of 1,250 cards, most with details (an
/// assignee, a priority, a due date around today, labels), some described, some
/// with comments.
fn big_board() -> Board {
    let mut rng = Lcg(19);
    let statuses = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, name)| Status {
            id: i as i64 + 1,
            project_id: 1,
            name: (*name).into(),
            color: (i % 3 == 0).then(|| "#61afef".into()),
            position: format!("{}", (b'a' + i as u8) as char),
            wip_limit: (i == 3).then_some(20),
            version: 1,
        })
        .collect();
    let today = jiff::Zoned::now().date();
    let mut tasks = Vec::new();
    let mut comments = std::collections::BTreeMap::new();
    for column in 0..COLUMNS.len() as i64 {
        for n in 0..PER_COLUMN {
            let id = 1 + column * PER_COLUMN + n;
            let due = (rng.next(3) == 0).then(|| {
                let days = rng.next(40) as i64 - 10;
                today.checked_add(jiff::Span::new().days(days)).unwrap().to_string()
            });
            let labels = (0..rng.next(3)).map(|_| LABELS[rng.next(8) as usize].to_string()).collect();
            let title = format!("{} {} (#{id})", VERBS[rng.next(10) as usize], THINGS[rng.next(10) as usize]);
            let description = if rng.next(4) == 0 {
                "Seen on the staging board after a restart; steps in the thread.".into()
            } else {
                String::new()
            };
            if rng.next(5) == 0 {
                comments.insert(id, 1 + rng.next(6) as u32);
            }
            tasks.push(Task {
                id,
                project_id: 1,
                status_id: column + 1,
                title,
                description,
                assignee_id: (rng.next(4) != 0).then(|| 1 + rng.next(PEOPLE.len() as u64) as i64),
                priority: Priority::ALL[rng.next(5) as usize],
                labels,
                due_date: due,
                position: format!("a{n:05}"),
                version: 1,
                created_by: Some(1),
                updated_by: Some(1),
                created_at: "2026-11-26T10:00:00Z".into(),
                updated_at: "2026-11-26T10:00:00Z".into(),
                checklist: Vec::new(),
            });
        }
    }
    let members = PEOPLE
        .iter()
        .enumerate()
        .map(|(i, name)| Member {
            id: i as i64 + 1,
            name: (*name).into(),
            color: kanban_protocol::color::for_name(name).to_string(),
            role: if i == 0 { Role::Owner } else { Role::Member },
        })
        .collect();
    Board {
        project: Project { id: 1, name: "Big".into(), role: Role::Owner, archived: false },
        rev: 10_000,
        epoch: 1,
        statuses,
        tasks,
        members,
        comments,
    }
}

/// The app as the client holds it once the board is open: ann, online, with four
/// others present: two on cards in sight, one on a card far down a column (its
/// marker at the column's edge), one on a column.
fn open_app() -> App {
    let mut app = App::new(60, None);
    let net = |app: &mut App, e| drop(app.update(Action::Net(e)));
    net(&mut app, NetEvent::Me(User { id: 1, name: "ann".into(), color: "#e06c75".into() }));
    net(
        &mut app,
        NetEvent::Projects(vec![Project { id: 1, name: "Big".into(), role: Role::Owner, archived: false }]),
    );
    net(&mut app, NetEvent::Connected);
    net(&mut app, NetEvent::Snapshot(big_board()));
    let present =
        PEOPLE[..5].iter().enumerate().map(|(i, n)| ((i + 1).to_string(), info(n))).collect::<Vec<_>>();
    net(&mut app, NetEvent::Present(present));
    for (user, status_id, task_id) in [
        ("2", 1, Some(2)),
        ("3", 2, Some(PER_COLUMN + 3)),
        ("4", 3, Some(2 * PER_COLUMN + 900)),
        ("5", 4, None),
    ] {
        let pos = Pointer::at(CursorPos { status_id, task_id });
        net(&mut app, NetEvent::Cursor { user_id: user.into(), pos });
    }
    app.update(Action::Resize(200, 50));
    app
}

fn info(name: &str) -> UserInfo {
    UserInfo { name: name.into(), color: kanban_protocol::color::for_name(name).to_string() }
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

const THEME: Theme = Theme::new(Depth::TrueColor);

fn frames(c: &mut Criterion) {
    let mut app = open_app();
    for (w, h) in [(200, 50), (120, 40)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        c.bench_function(&format!("frame 10k cards {w}x{h}"), |b| {
            b.iter(|| terminal.draw(|f| ui::draw(f, black_box(&app), THEME)).unwrap().area)
        });
    }

    // A move key and the frame after it: the selection walks down a column (the
    // column scrolls), back to the top at the end.
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    press(&mut app, KeyCode::Right);
    c.bench_function("move key + frame 10k cards 200x50", |b| {
        b.iter(|| {
            let at_end = app.selection.card_index + 1 >= PER_COLUMN as usize;
            press(&mut app, if at_end { KeyCode::Char('g') } else { KeyCode::Down });
            terminal.draw(|f| ui::draw(f, &app, THEME)).unwrap().area
        })
    });

    // Offline with a change waiting: the board is drawn with it (marked ⧗).
    let mut offline = open_app();
    let moved = Change::MoveTask {
        task_id: 3,
        to: MoveTask { status_id: 2, before_id: None, after_id: None, version: None },
    };
    offline.update(Action::Net(NetEvent::Waiting(vec![moved])));
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    c.bench_function("frame with a change waiting 10k cards 200x50", |b| {
        b.iter(|| terminal.draw(|f| ui::draw(f, black_box(&offline), THEME)).unwrap().area)
    });

    // A word filter: every card is asked whether it passes, for the columns' counts.
    let mut filtered = open_app();
    press(&mut filtered, KeyCode::Char('/'));
    for c in "login".chars() {
        press(&mut filtered, KeyCode::Char(c));
    }
    press(&mut filtered, KeyCode::Enter);
    assert_eq!(filtered.filter.as_str(), "login");
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    c.bench_function("filtered frame 10k cards 200x50", |b| {
        b.iter(|| terminal.draw(|f| ui::draw(f, black_box(&filtered), THEME)).unwrap().area)
    });

    // Typing in the filter: each key is another filter, asked of every card once.
    press(&mut filtered, KeyCode::Char('/'));
    let mut typed = false;
    c.bench_function("filter key + frame 10k cards 200x50", |b| {
        b.iter(|| {
            typed = !typed;
            press(&mut filtered, if typed { KeyCode::Backspace } else { KeyCode::Char('n') });
            terminal.draw(|f| ui::draw(f, &filtered, THEME)).unwrap().area
        })
    });
}

/// The client's own work on the snapshot before its first frame: the JSON parsed
/// (as `GET board` brings it) and made a `BoardState`; and on each event after.
fn snapshot(c: &mut Criterion) {
    let json = serde_json::to_vec(&big_board()).unwrap();
    c.bench_function("snapshot 10k cards: parse + BoardState", |b| {
        b.iter(|| BoardState::from(serde_json::from_slice::<Board>(black_box(&json)).unwrap()))
    });

    // Someone moves a card to the top of the next column, and back, on and on; the
    // next frame asks where the cards are.
    let mut board = BoardState::from(big_board());
    let mut card = board.task(7).unwrap().clone();
    c.bench_function("event on 10k cards: a card moved", |b| {
        b.iter(|| {
            card.status_id = 3 - card.status_id;
            card.position = "0".into();
            let event = BoardEvent {
                rev: board.rev + 1,
                by: 2,
                change: BoardChange::TaskMoved { task: card.clone(), from: None },
                rekeyed: vec![],
            };
            board.apply(&event);
            board.cards(2).next().map(|t| t.id)
        })
    });
}

/// A hundred people on one small board (as 100 SSH sessions are, each drawn by
/// the server): one frame of ann's screen after someone else's cursor moved.
fn crowd(c: &mut Criterion) {
    let mut app = App::new(30, None);
    let net = |app: &mut App, e| drop(app.update(Action::Net(e)));
    net(&mut app, NetEvent::Me(User { id: 1, name: "u000".into(), color: "#e06c75".into() }));
    net(
        &mut app,
        NetEvent::Projects(vec![Project { id: 1, name: "bench".into(), role: Role::Owner, archived: false }]),
    );
    net(&mut app, NetEvent::Connected);
    let mut board = big_board();
    board.tasks.truncate(12);
    net(&mut app, NetEvent::Snapshot(board));
    let present: Vec<_> = (1..=100).map(|i| (i.to_string(), info(&format!("u{i:03}")))).collect();
    net(&mut app, NetEvent::Present(present));
    app.update(Action::Resize(100, 30));
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let theme = Theme::new(Depth::Ansi256);
    let mut on = 1;
    c.bench_function("cursor event + frame, 100 present 100x30", |b| {
        b.iter(|| {
            on = 3 - on;
            let pos = Pointer::at(CursorPos { status_id: on, task_id: None });
            net(&mut app, NetEvent::Cursor { user_id: "2".into(), pos });
            terminal.draw(|f| ui::draw(f, &app, theme)).unwrap().area
        })
    });
}

criterion_group!(benches, frames, snapshot, crowd);
criterion_main!(benches);
