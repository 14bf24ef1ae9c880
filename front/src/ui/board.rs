//! The columns and their cards, with everyone's cursor markers (at the column's
//! edge for someone pointing at a card scrolled out of sight).

use kanban_protocol::board::BoardState;
use kanban_protocol::color;
use kanban_protocol::model::{CursorPos, Priority, Task};
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
use crate::app::card_view::TICKED;
use crate::due;
use crate::geometry::{ColumnPlace, Density, Screen};

/// Markers shown by name before they collapse into `+N`.
const MAX_MARKERS: usize = 3;

/// The mark of a card with a description (read it in the card's view).
pub const DESCRIBED: &str = "≡";
/// Before a card's number of comments.
pub const COMMENTED: &str = "✉";
/// Before a marker's initial: that person has the card's form open.
pub const EDITING: &str = "✎";

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

/// Marker spans for the people pointing at a cell: their labels on their colors
/// (with the edit mark for those who have the card's form open), `+N` past a few.
fn markers(users: &[&str], editing: &[&str], looks: &Looks, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for id in users.iter().take(if users.len() > MAX_MARKERS { MAX_MARKERS - 1 } else { MAX_MARKERS }) {
        let (label, color) = looks.get(*id).map_or(("?", None), |l| (l.label.as_str(), l.color));
        let label = if editing.contains(id) { format!("{EDITING}{label}") } else { label.to_string() };
        spans.push(Span::styled(label, theme.marker(color)));
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

impl Ctx<'_> {
    /// The others pointing at a card of column `status_id` that is not drawn:
    /// those above what is shown, and those below.
    fn out_of_sight(&self, place: &ColumnPlace) -> (Vec<&str>, Vec<&str>) {
        let first = place.cards.first().and_then(|c| self.board.task(c.task_id));
        let (mut above, mut below) = (Vec::new(), Vec::new());
        for (id, _) in &self.app.presence.members {
            if Some(id.as_str()) == self.me {
                continue;
            }
            let Some(pos) = self.app.presence.cursors.get(id) else { continue };
            let Some(task) = pos.task_id.filter(|_| pos.status_id == place.status_id) else { continue };
            if place.cards.iter().any(|c| c.task_id == task) {
                continue;
            }
            let Some(task) = self.board.task(task).filter(|t| self.app.filter.matches(self.board, t)) else {
                continue;
            };
            match first {
                Some(f) if (task.position.as_str(), task.id) > (f.position.as_str(), f.id) => {
                    below.push(id.as_str())
                }
                Some(_) => above.push(id.as_str()),
                None => below.push(id.as_str()),
            }
        }
        (above, below)
    }
}

fn draw_column(frame: &mut Frame<'_>, ctx: &Ctx<'_>, place: &ColumnPlace) {
    let Ctx { app, board, me, looks, theme } = *ctx;
    let Some(status) = board.status(place.status_id) else { return };
    let selected = app.selection.status_id == Some(status.id);
    let count = board.card_count(status.id);
    let mut count_text =
        if app.filter.is_empty() { count.to_string() } else { format!("{} of {count}", place.matching) };
    if let Some(limit) = status.wip_limit {
        count_text.push_str(&format!("/{limit}"));
    }
    // A column shown sorted says by what: its order is not the one stored.
    match app.filter.sort_of(status.id) {
        Some(crate::filter::Sort::Due) => count_text.push_str(" ↓due"),
        Some(crate::filter::Sort::Priority) => count_text.push_str(" ↓prio"),
        None => {}
    }
    let over = status.wip_limit.is_some_and(|l| count > l as usize);
    let header_markers = markers(
        &app.presence.pointing_at(CursorPos { status_id: status.id, task_id: None }, me),
        &[],
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
    let (above, below) = ctx.out_of_sight(place);
    if place.above > 0 || !above.is_empty() {
        let text = if place.above > 0 { format!("↑ {} more", place.above) } else { String::new() };
        edge(frame, Rect { height: 1, ..inner }, &text, markers(&above, &[], looks, theme), theme);
    }
    if (place.below > 0 || !below.is_empty()) && inner.height > 0 {
        let row = Rect { y: inner.y + inner.height - 1, height: 1, ..inner };
        let text = if place.below > 0 { format!("↓ {} more", place.below) } else { String::new() };
        edge(frame, row, &text, markers(&below, &[], looks, theme), theme);
    }
    if place.cards.is_empty() && place.above == 0 && place.below == 0 && inner.height > 1 {
        let text = if app.filter.is_empty() { "no cards" } else { "no cards match" };
        edge(frame, Rect { y: inner.y + 1, height: 1, ..inner }, text, Vec::new(), theme);
    }
    for card in &place.cards {
        if let Some(task) = board.task(card.task_id) {
            let is_selected = selected && app.selection.task_id == Some(task.id);
            draw_card(frame, ctx, task, card.area, is_selected);
        }
    }
}

/// A line at a column's edge: how many cards are out of sight there, and the
/// markers of those pointing at them, right-aligned.
fn edge(frame: &mut Frame<'_>, area: Rect, text: &str, marks: Vec<Span<'static>>, theme: Theme) {
    let w = area.width as usize;
    let room = w.saturating_sub(spans_width(&marks));
    let shown = fit(&format!(" {text}"), room);
    let pad = room.saturating_sub(width(&shown));
    let mut spans = vec![Span::styled(shown, theme.dim()), Span::raw(" ".repeat(pad))];
    spans.extend(marks);
    let buffer = frame.buffer_mut();
    let area = area.intersection(buffer.area);
    if !area.is_empty() {
        buffer.set_line(area.x, area.y, &Line::from(spans), area.width);
    }
}

/// A card's details as styled spans that fit `room`: assignee, priority, the due
/// date (before the labels, so that it is never the one cut off; said shortly
/// when the whole line does not fit), labels each in its own color.
fn details(
    board: &BoardState,
    task: &Task,
    today: jiff::civil::Date,
    room: usize,
    theme: Theme,
) -> Vec<Span<'static>> {
    let long = details_with(board, task, today, theme, &|w| w.short(today));
    // The long form of the due date while it fits whole; labels are cut first.
    let through_due = long.iter().position(|s| s.content.starts_with('#')).unwrap_or(long.len());
    if spans_width(&long[..through_due]) <= room {
        return cut(long, room);
    }
    cut(details_with(board, task, today, theme, &due::When::tiny), room)
}

fn details_with(
    board: &BoardState,
    task: &Task,
    today: jiff::civil::Date,
    theme: Theme,
    said: &dyn Fn(due::When) -> String,
) -> Vec<Span<'static>> {
    let mut parts: Vec<Span<'static>> = Vec::new();
    if let Some(m) = task.assignee_id.and_then(|id| board.member(id)) {
        parts.push(Span::styled(format!("@{}", clean(&m.name)), theme.dim()));
    }
    if task.priority != Priority::None {
        parts.push(Span::styled(task.priority.as_str().to_string(), theme.priority(task.priority)));
    }
    if let Some(due) = &task.due_date {
        parts.push(due_span(due, today, theme, said));
    }
    for label in &task.labels {
        parts.push(Span::styled(format!("#{}", clean(label)), theme.label(color::for_name(label))));
    }
    let mut out = Vec::with_capacity(parts.len() * 2);
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(Span::styled(" · ", theme.dim()));
        }
        out.push(part);
    }
    out
}

/// A due date as the board says it: overdue in the error color, soon in the
/// warning color, later dimmed.
fn due_span(
    due: &str,
    today: jiff::civil::Date,
    theme: Theme,
    said: impl Fn(due::When) -> String,
) -> Span<'static> {
    match due::when(due, today) {
        Some(w @ due::When::Overdue(_)) => Span::styled(said(w), theme.error()),
        Some(w @ due::When::Today) => Span::styled(said(w), theme.warn_strong()),
        Some(w) if w.is_soon() => Span::styled(said(w), theme.warn()),
        Some(w) => Span::styled(said(w), theme.dim()),
        None => Span::styled(format!("due {}", clean(due)), theme.dim()),
    }
}

/// Spans cut to `room` columns (whole spans kept, the last one cut with `…`).
fn cut(spans: Vec<Span<'static>>, room: usize) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let w = width(&span.content);
        if used + w <= room {
            used += w;
            out.push(span);
            continue;
        }
        let rest = fit(&span.content, room - used);
        if !rest.is_empty() {
            out.push(Span::styled(rest, span.style));
        }
        break;
    }
    out
}

fn draw_card(frame: &mut Frame<'_>, ctx: &Ctx<'_>, task: &Task, area: Rect, selected: bool) {
    let Ctx { app, board, me, looks, theme } = *ctx;
    let w = area.width as usize;
    let here = app.presence.pointing_at(CursorPos { status_id: task.status_id, task_id: Some(task.id) }, me);
    let marks = markers(&here, &app.presence.editing(task.id, me), looks, theme);
    let bar = priority_bar(task.priority);
    // The selection's pointer, else the mark of a card changed since the last look.
    let pointer = match (selected, app.marks.marked(task.id)) {
        (true, _) => Span::raw("▶"),
        (false, true) => Span::styled(crate::app::since::MARK, theme.news()),
        (false, false) => Span::raw(" "),
    };
    let today = app.filter.today;
    // After the title: the description mark, and in compact cards the due date
    // when it asks for attention (the details line that says it is not drawn).
    let mut after: Vec<Span<'static>> = Vec::new();
    if !task.description.trim().is_empty() {
        after.push(Span::styled(format!(" {DESCRIBED}"), theme.dim()));
    }
    let comments = board.comment_count(task.id);
    if comments > 0 {
        after.push(Span::styled(format!(" {COMMENTED}{comments}"), theme.dim()));
    }
    if !task.checklist.is_empty() {
        // Muted once nothing is left to tick.
        let done = task.checklist.iter().filter(|i| i.done).count();
        let all = task.checklist.len();
        let style = if done == all { theme.dim() } else { Style::default() };
        after.push(Span::styled(format!(" {TICKED} {done}/{all}"), style));
    }
    if app.density == Density::Compact
        && let Some(due) = &task.due_date
        && due::when(due, today).is_some_and(|w| w.is_soon() || matches!(w, due::When::Overdue(_)))
    {
        after.push(Span::raw(" "));
        after.push(due_span(due, today, theme, due::When::tiny));
    }
    let room = w.saturating_sub(3 + spans_width(&marks) + spans_width(&after));
    let title = fit(&task.title, room);
    let pad = w.saturating_sub(2 + width(&title) + spans_width(&after) + 1 + spans_width(&marks));
    let mut first =
        vec![Span::styled(bar, theme.priority(task.priority)), pointer, Span::styled(title, theme.title())];
    first.extend(after);
    first.push(Span::raw(" ".repeat(pad + 1)));
    first.extend(marks);
    let mut lines = vec![Line::from(first)];
    if area.height >= 2 {
        let mut second = vec![Span::styled(bar, theme.priority(task.priority)), Span::raw(" ")];
        second.extend(details(board, task, today, w.saturating_sub(2), theme));
        lines.push(Line::from(second));
    }
    let style = if selected { theme.selected_card() } else { Style::default() };
    // Straight into the buffer: a card's lines are cut to fit already, and a
    // paragraph's reflow would cost more than all the rest of the card.
    let buffer = frame.buffer_mut();
    let area = area.intersection(buffer.area);
    buffer.set_style(area, style);
    for (y, line) in (area.y..area.bottom()).zip(&lines) {
        buffer.set_line(area.x, y, line, area.width);
    }
}
