//! The lines around the board: title bar, presence bar, status bar.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::paint::Looks;
use super::text::{clean, fit};
use crate::app::bindings::BoardAction;
use crate::app::card_view::Chosen;
use crate::app::quick::QuickMenu;
use crate::app::{App, Connection, Mode};
use crate::geometry::Screen;
use kanban_protocol::model::Role;

pub fn title(frame: &mut Frame<'_>, app: &App, screen: &Screen, theme: Theme) {
    let mut spans = vec![Span::styled(" kanban ", theme.title())];
    if let Some(board) = &app.board {
        spans.push(Span::styled("│ ", theme.dim()));
        spans.push(Span::styled(clean(&board.project.name).into_owned(), theme.title()));
        spans.push(Span::styled(format!(" · rev {}", board.rev), theme.dim()));
        if !board.project.role.can_write() {
            spans.push(Span::styled(" · read-only", theme.warn()));
        }
    }
    spans.push(Span::styled(" │ ", theme.dim()));
    // Always in sight, whatever board is open: the unread notifications.
    match app.reach.unread {
        Some(0) => spans.push(Span::styled("✉ 0 │ ", theme.dim())),
        Some(n) => spans.push(Span::styled(format!("✉ {n} │ "), theme.news())),
        None => {}
    }
    if !app.waiting.is_empty() {
        let n = app.waiting.len();
        // Before the connection's state, which can be long.
        let text = format!("{}{n} waiting │ ", crate::app::seen::WAITING);
        spans.push(Span::styled(text, theme.warn()));
    }
    match &app.connection {
        Connection::Online => spans.push(Span::styled("● online", theme.ok())),
        Connection::Connecting => spans.push(Span::styled("◌ connecting…", theme.warn())),
        Connection::Offline { reason, .. } => {
            let left = app.retry_in(tokio::time::Instant::now()).unwrap_or_default();
            let when = match left.as_secs_f64().ceil() as u64 {
                0 => "retrying now…".to_string(),
                secs => match app.keymap.first(BoardAction::RenameColumn) {
                    Some(r) => format!("retrying in {secs}s · {r} now"),
                    None => format!("retrying in {secs}s"),
                },
            };
            spans.push(Span::styled(format!("○ offline ({}), {when}", clean(reason)), theme.error()));
        }
        Connection::Refused(_) => spans.push(Span::styled("✕ refused", theme.error())),
    }
    // Which server, after how the connection is (which matters more when the line
    // is short).
    if let Some(server) = &app.server {
        spans.push(Span::styled(format!(" · on {}", clean(server)), theme.dim()));
    }
    if !app.filter.is_empty() {
        spans.push(Span::styled(format!(" │ filter: {}", clean(app.filter.as_str())), theme.warn()));
    }
    if screen.left > 0 || screen.right > 0 {
        spans.push(Span::styled(format!(" │ ◀ {} · {} ▶", screen.left, screen.right), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), screen.title);
}

pub fn presence(frame: &mut Frame<'_>, app: &App, looks: &Looks, area: Rect, theme: Theme) {
    let me = app.my_id();
    let mut spans = vec![Span::styled(" here: ", theme.dim())];
    for (id, info) in &app.presence.members {
        let color = looks.get(id).and_then(|l| l.color);
        spans.push(Span::styled("● ", theme.user(color)));
        let you = if Some(id) == me.as_ref() { " (you)" } else { "" };
        spans.push(Span::styled(
            format!("{}{you}", clean(&info.name)),
            theme.user(color).add_modifier(ratatui::style::Modifier::BOLD),
        ));
        spans.push(Span::raw("  "));
    }
    let alone = app.presence.members.iter().all(|(id, _)| Some(id) == me.as_ref());
    if let (true, Some(hint)) = (alone, &app.join_hint) {
        spans.push(Span::styled(format!("— {}", hint.short), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn status(frame: &mut Frame<'_>, app: &App, area: Rect, theme: Theme) {
    let width = area.width as usize;
    let line = match &app.notice {
        Some(n) => {
            let style = if n.error { theme.error() } else { theme.ok() };
            Line::from(Span::styled(fit(&format!(" {}", n.text), width), style))
        }
        None => {
            let screen = frame.area();
            let scrolls = matches!(app.mode, Mode::Help(_))
                && app.help_box(screen.width, screen.height).max_scroll() > 0;
            let writer = app.can_write();
            let hints: String = match &app.mode {
                Mode::Form(form) if form.read_only => " Tab next field · Esc close".into(),
                Mode::Form(_) => {
                    " Tab next field · Enter or Ctrl-S save (Enter in the description: new line) · Esc cancel"
                        .into()
                }
                Mode::Card(v) if writer && matches!(v.chosen, Some(Chosen::Item(_))) => {
                    " Space tick · e edit · d delete · J K move · a add after · Tab next · Esc let it go"
                        .into()
                }
                Mode::Card(v) if writer && v.chosen.is_some() => {
                    " e edit the comment · d delete it · Tab next · Esc let it go".into()
                }
                Mode::Card(_) if writer => {
                    " ↑↓ scroll · e edit · a add item · c comment · W watch · Tab choose · Esc close".into()
                }
                Mode::Card(_) => " ↑↓ PgUp PgDn scroll · W watch · Tab choose · Esc close".into(),
                Mode::Quick(QuickMenu::Menu) => " a letter chooses · Esc close".into(),
                Mode::Quick(_) => " ↑↓ choose · Enter filter by it · Esc back".into(),
                Mode::Prompt(_) => " Enter confirm · Esc cancel".into(),
                Mode::Confirm(_) => " y yes · any other key no".into(),
                Mode::Picker(_) if app.show_archived => {
                    " ↑↓ choose · Enter open · n new · r rename · x archive / bring back · . hide archived"
                        .into()
                }
                Mode::Picker(_) => {
                    " ↑↓ choose · Enter open · n new board · r rename · x archive · . archived too".into()
                }
                Mode::Members(_) if app.board.as_ref().is_some_and(|b| b.project.role == Role::Owner) => {
                    " ↑↓ choose · a add · r change role · d remove · Esc close".into()
                }
                Mode::Members(_) => " ↑↓ choose · Esc close".into(),
                Mode::Follow(_) => " ↑↓ choose · Enter follow · Esc close".into(),
                Mode::Activity(..) => " ↑↓ PgUp PgDn scroll · any other key closes".into(),
                Mode::Trash(_) => " ↑↓ choose · Enter bring it back · Esc close".into(),
                Mode::Inbox(_) => {
                    " ↑↓ choose · Enter go to the card (marks it read) · r mark all read · Esc close".into()
                }
                Mode::Work(_) => " ↑↓ choose · Enter go to the card · Esc close".into(),
                Mode::Help(_) if scrolls => " ↓↑ scroll · any other key closes the help".into(),
                Mode::Help(_) => " any key closes the help".into(),
                Mode::Board if matches!(app.connection, Connection::Refused(_)) => {
                    format!(" any key tries again · {} quit", quit_key(app))
                }
                Mode::Board if app.board.is_none() => format!(" loading… · {} quit", quit_key(app)),
                // Only keys this person may use: a viewer reads, filters and points.
                Mode::Board if writer => board_hints(app, WRITER_HINTS),
                Mode::Board => board_hints(app, READER_HINTS) + " · read-only",
            };
            // Whom the selection follows stays said while it does.
            let following = app.following.as_ref().filter(|_| matches!(app.mode, Mode::Board));
            match following.and_then(|id| app.presence.info(id)) {
                Some(info) => {
                    let text = match app.keymap.first(BoardAction::Follow) {
                        Some(f) => format!(" following {}: a move key stops · {f} stops too", info.name),
                        None => format!(" following {}: a move key stops", info.name),
                    };
                    Line::from(Span::styled(fit(&text, width), theme.title()))
                }
                None => Line::from(Span::styled(fit(&hints, width), Style::default())),
            }
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A hint of the board's footer: the actions whose first keys it offers (as the
/// person's keys have them), what goes between those keys, and what they do.
type Hint = (&'static [BoardAction], &'static str, &'static str);

/// What the footer offers someone who may change the board.
const WRITER_HINTS: &[Hint] = &[
    (&[BoardAction::Help], "", "help"),
    (&[BoardAction::ViewCard], "", "view"),
    (&[BoardAction::NewCard], "", "new"),
    (&[BoardAction::EditCard], "", "edit"),
    (&[BoardAction::MoveCardLeft, BoardAction::MoveCardRight], "/", "move"),
    (&[BoardAction::DeleteCard], "", "delete"),
    (&[BoardAction::Filter, BoardAction::QuickFilter], " ", "filter"),
    (&[BoardAction::Quit], "", "quit"),
];

/// What the footer offers a viewer: reading, filtering and pointing.
const READER_HINTS: &[Hint] = &[
    (&[BoardAction::Help], "", "help"),
    (&[BoardAction::ViewCard], "", "view"),
    (&[BoardAction::Filter, BoardAction::QuickFilter], " ", "filter"),
    (&[BoardAction::ToggleDensity], "", "compact"),
    (&[BoardAction::SwitchProject], "", "project"),
    (&[BoardAction::Quit], "", "quit"),
];

/// The hints with the keys in effect; an action with no key is not offered.
fn board_hints(app: &App, hints: &[Hint]) -> String {
    let mut out = String::new();
    for (actions, sep, does) in hints {
        let keys: Vec<String> = actions.iter().filter_map(|a| app.keymap.first(*a)).collect();
        if !keys.is_empty() {
            out.push_str(if out.is_empty() { " " } else { " · " });
            out.push_str(&format!("{} {does}", keys.join(sep)));
        }
    }
    out
}

/// The key that quits, said in the footer: Ctrl-C when the config left quit none.
fn quit_key(app: &App) -> String {
    app.keymap.first(BoardAction::Quit).unwrap_or_else(|| "Ctrl-C".into())
}
