//! The columns and their cards, with everyone's cursor markers.

use kanban_protocol::board::BoardState;
use kanban_protocol::model::{CursorPos, Task};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};

use super::Theme;
use super::paint::Looks;
use super::text::{clean, fit, width};
use super::theme::priority_bar;
use crate::app::App;
use crate::geometry::{ColumnPlace, Screen};

/// Markers shown by name before they collapse into `+N`.
const MAX_MARKERS: usize = 3;

pub fn board(
    frame: &mut Frame<'_>,
    app: &App,
    shown: Option<&BoardState>,
    screen: &Screen,
    looks: &Looks,
    theme: Theme,
) {
    let Some(board) = shown else {
        if let crate::app::Connection::Refused(reason) = &app.connection {
            let lines = vec![
                Line::from(Span::styled(format!(" ✕ {}", clean(reason)), theme.error())),
                Line::from(""),
                Line::from(Span::styled(" Press any key to try again, q to quit.", theme.dim())),
            ];
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), screen.board);
            return;
        }
        let text = if app.project_id.is_some() { " loading the board…" } else { " no board open" };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), screen.board);
        return;
    };
    let me = app.my_id();
    for column in &screen.columns {
        let ctx = Ctx { app, board, me: me.as_deref(), looks, theme };
        draw_column(frame, &ctx, column);
    }
}

/// Marker spans for the people pointing at a cell: their labels on their colors,
/// `+N` past a few.
fn markers(users: &[&str], looks: &Looks, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for id in users.iter().take(if users.len() > MAX_MARKERS { MAX_MARKERS - 1 } else { MAX_MARKERS }) {
        let (label, color) = looks.get(*id).map_or(("?", None), |l| (l.label.as_str(), l.color));
        spans.push(Span::styled(label.to_string(), theme.marker(color)));
        spans.push(Span::raw(" "));
    }
    if users.len() > MAX_MARKERS {
        spans.push(Span::styled(format!("+{}", users.len() - (MAX_MARKERS - 1)), theme.title()));
        spans.push(Span::raw(" "));
    }
    spans
}

fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| width(&s.content)).sum()
}

/// What every part of the board is drawn from.
struct Ctx<'a> {
    app: &'a App,
    board: &'a BoardState,
    /// My presence id: my own cursor is the selection, not a marker.
    me: Option<&'a str>,
    looks: &'a Looks,
    theme: Theme,
}

fn draw_column(frame: &mut Frame<'_>, ctx: &Ctx<'_>, place: &ColumnPlace) {
    let Ctx { app, board, me, looks, theme } = *ctx;
    let Some(status) = board.status(place.status_id) else { return };
    let selected = app.selection.status_id == Some(status.id);
    let count = board.cards(status.id).count();
    let count_text = match status.wip_limit {
        Some(limit) => format!("{count}/{limit}"),
        None => count.to_string(),
    };
    let over = status.wip_limit.is_some_and(|l| count > l as usize);
    let header_markers = markers(
        &app.presence.pointing_at(CursorPos { status_id: status.id, task_id: None }, me),
        looks,
        theme,
    );
    let room =
        (place.area.width as usize).saturating_sub(6 + count_text.len() + spans_width(&header_markers));
    let mut title = vec![
        Span::styled(
            format!(" {} ", fit(&status.name, room)),
            if selected { theme.selected_border() } else { theme.title() },
        ),
        Span::styled(count_text, if over { theme.over_limit() } else { theme.dim() }),
        Span::raw(" "),
    ];
    title.extend(header_markers);
    let border = if selected { theme.selected_border() } else { theme.border() };
    let mut block =
        Block::bordered().border_type(BorderType::Rounded).border_style(border).title(Line::from(title));
    if let Some(color) = &status.color {
        block = block.title_bottom(Line::from(Span::styled(" ■ ", theme.hex(color))));
    }
    frame.render_widget(block, place.area);
    let inner = Rect {
        x: place.area.x + 1,
        y: place.area.y + 1,
        width: place.area.width.saturating_sub(2),
        height: place.area.height.saturating_sub(2),
    };
    if place.above > 0 {
        hint(frame, Rect { height: 1, ..inner }, &format!("↑ {} more", place.above), theme);
    }
    if place.below > 0 && inner.height > 0 {
        let row = Rect { y: inner.y + inner.height - 1, height: 1, ..inner };
        hint(frame, row, &format!("↓ {} more", place.below), theme);
    }
    if place.cards.is_empty() && place.above == 0 && place.below == 0 && inner.height > 1 {
        let text = if app.filter.is_empty() { "no cards" } else { "no cards match" };
        hint(frame, Rect { y: inner.y + 1, height: 1, ..inner }, text, theme);
    }
    for card in &place.cards {
        if let Some(task) = board.task(card.task_id) {
            let is_selected = selected && app.selection.task_id == Some(task.id);
            draw_card(frame, ctx, task, card.area, is_selected);
        }
    }
}

fn hint(frame: &mut Frame<'_>, area: Rect, text: &str, theme: Theme) {
    frame.render_widget(
        Paragraph::new(Span::styled(fit(&format!(" {text}"), area.width as usize), theme.dim())),
        area,
    );
}

/// The details line of a card: assignee, priority, labels, due date.
pub fn details(board: &BoardState, task: &Task) -> String {
    let mut parts = Vec::new();
    if let Some(m) = task.assignee_id.and_then(|id| board.member(id)) {
        parts.push(format!("@{}", m.name));
    }
    if task.priority != kanban_protocol::model::Priority::None {
        parts.push(task.priority.as_str().to_string());
    }
    if !task.labels.is_empty() {
        parts.push(task.labels.iter().map(|l| format!("#{l}")).collect::<Vec<_>>().join(" "));
    }
    if let Some(due) = &task.due_date {
        parts.push(format!("due {due}"));
    }
    parts.join(" · ")
}

fn draw_card(frame: &mut Frame<'_>, ctx: &Ctx<'_>, task: &Task, area: Rect, selected: bool) {
    let Ctx { app, board, me, looks, theme } = *ctx;
    let w = area.width as usize;
    let here = app.presence.pointing_at(CursorPos { status_id: task.status_id, task_id: Some(task.id) }, me);
    let marks = markers(&here, looks, theme);
    let bar = priority_bar(task.priority);
    let pointer = if selected { "▶" } else { " " };
    let room = w.saturating_sub(3 + spans_width(&marks));
    let title = fit(&task.title, room);
    let pad = w.saturating_sub(2 + width(&title) + 1 + spans_width(&marks));
    let mut first = vec![
        Span::styled(bar, theme.priority(task.priority)),
        Span::raw(pointer),
        Span::styled(title, theme.title()),
        Span::raw(" ".repeat(pad + 1)),
    ];
    first.extend(marks);
    let details = details(board, task);
    let second = Line::from(vec![
        Span::styled(bar, theme.priority(task.priority)),
        Span::raw(" "),
        Span::styled(fit(&details, w.saturating_sub(2)), theme.dim()),
    ]);
    let style = if selected { theme.selected_card() } else { Style::default() };
    frame.render_widget(Paragraph::new(vec![Line::from(first), second]).style(style), area);
}
