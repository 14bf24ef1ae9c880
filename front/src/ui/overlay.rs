//! Boxes drawn over the board: help, the card form, a prompt, a question, the
//! project picker, the trash.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui_textarea::TextArea;

use super::Theme;
use super::text::{clean, fit};
use crate::app::App;
use crate::app::card_view::minute;
use crate::app::form::{Ask, CardForm, Confirm, Field, Prompt};
use crate::app::trash::{Item, TrashView};
use crate::geometry::{HELP_KEYS, HelpLine, keys_fit};

/// The screen above the status bar: boxes leave its last line visible, which says
/// what the keys do in them and why a save was refused.
pub(super) fn above_status(frame: &Frame<'_>) -> Rect {
    let area = frame.area();
    Rect { height: area.height.saturating_sub(1), ..area }
}

/// A box of at most `w`×`h` in the middle of `area`.
pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

pub(super) fn boxed<'a>(title: &'a str, theme: Theme) -> Block<'a> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.selected_border())
        .title(Span::styled(format!(" {title} "), theme.title()))
}

pub fn help(frame: &mut Frame<'_>, app: &App, scroll: u16, theme: Theme) {
    let lines = app.help_lines();
    let help = app.help_box(frame.area().width, frame.area().height);
    let scroll = scroll.min(help.max_scroll());
    let shown = help.rows.iter().enumerate().skip(usize::from(scroll)).take(usize::from(help.visible));
    let rows: Vec<Line> = shown
        .map(|(k, (i, row))| {
            let first_row = k == 0 || help.rows[k - 1].0 != *i;
            let HelpLine::Keys { keys, .. } = &lines[*i] else {
                return Line::from(Span::styled(row.clone(), theme.dim()));
            };
            if !first_row {
                return Line::raw(row.clone());
            }
            // A key line: the keys column (or the keys' own row) in the title style.
            let cut = if keys_fit(keys) { HELP_KEYS } else { keys.chars().count() + 1 };
            let head: String = row.chars().take(cut).collect();
            let rest: String = row.chars().skip(cut).collect();
            Line::from(vec![Span::styled(head, theme.title()), Span::raw(rest)])
        })
        .collect();
    let title = if help.max_scroll() > 0 {
        format!("Keys · {}–{} of {} · ↓↑", scroll + 1, scroll + help.visible, help.rows.len())
    } else {
        "Keys".to_string()
    };
    frame.render_widget(Clear, help.area);
    frame.render_widget(Paragraph::new(rows).block(boxed(&title, theme)), help.area);
}

fn field_block<'a>(label: &'a str, focused: bool, theme: Theme) -> Block<'a> {
    let style = if focused { theme.selected_border() } else { theme.border() };
    Block::bordered().border_type(BorderType::Plain).border_style(style).title(Span::styled(label, style))
}

/// A text field of the form, marked when its value was refused (the reason is on
/// the form's last line, where it has room).
fn text_field(
    frame: &mut Frame<'_>,
    area: Rect,
    label: &str,
    input: &TextArea<'_>,
    (focused, refused): (bool, bool),
    theme: Theme,
) {
    let mut block = field_block(label, focused, theme);
    if refused {
        block = block.title(Span::styled(" ✕ ", theme.error()));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(input, inner);
}

fn value_field(frame: &mut Frame<'_>, area: Rect, label: &str, value: &str, focused: bool, theme: Theme) {
    let arrows = if focused { "◀ ▶ " } else { "" };
    let text = Line::from(vec![Span::styled(arrows, theme.dim()), Span::raw(clean(value).into_owned())]);
    frame.render_widget(Paragraph::new(text).block(field_block(label, focused, theme)), area);
}

/// The card form; `editing` names the others who have this card's form open too.
pub fn form(
    frame: &mut Frame<'_>,
    form: &CardForm,
    editing: &[String],
    zone: &jiff::tz::TimeZone,
    theme: Theme,
) {
    let title = match (&form.task, form.read_only) {
        (None, _) => "New card".to_string(),
        (Some(t), _) if form.deleted_by.is_some() => format!("Card #{} (deleted)", t.id),
        (Some(t), true) => format!("Card #{} (read-only)", t.id),
        (Some(t), false) => format!("Card #{} · version {}", t.id, t.version),
    };
    let outer = centered(above_status(frame), 76, 24);
    frame.render_widget(Clear, outer);
    let block = boxed(&title, theme);
    let inner = block.inner(outer);
    frame.render_widget(block, outer);
    if inner.height < 12 || inner.width < 20 {
        frame.render_widget(Paragraph::new("the terminal is too small for the card form"), inner);
        return;
    }
    let row = |y: u16, h: u16| Rect { x: inner.x, y: inner.y + y, width: inner.width, height: h };
    let half = |y: u16, right: bool| {
        let w = inner.width / 2;
        Rect {
            x: inner.x + if right { w } else { 0 },
            y: inner.y + y,
            width: if right { inner.width - w } else { w },
            height: 3,
        }
    };
    let f = form.field;
    // Focus, and whether the field's value was refused.
    let state = |field: Field| (f == field, form.error.as_ref().is_some_and(|(at, _)| *at == Some(field)));
    let description_h = inner.height.saturating_sub(3 + 3 + 3 + 1).max(3);
    text_field(frame, row(0, 3), "Title", &form.title, state(Field::Title), theme);
    text_field(
        frame,
        row(3, description_h),
        "Description",
        &form.description,
        state(Field::Description),
        theme,
    );
    let y = 3 + description_h;
    value_field(
        frame,
        half(y, false),
        "Assignee",
        form.assignee_name().unwrap_or("nobody"),
        f == Field::Assignee,
        theme,
    );
    value_field(frame, half(y, true), "Priority", form.priority.as_str(), f == Field::Priority, theme);
    text_field(
        frame,
        half(y + 3, false),
        "Labels (comma-separated)",
        &form.labels,
        state(Field::Labels),
        theme,
    );
    text_field(frame, half(y + 3, true), &form.due_title(), &form.due, state(Field::Due), theme);
    // The last line: a question, a refusal, or what others did to the card, before
    // who made it.
    let said = match (&form.asking, &form.error, &form.deleted_by, &form.note) {
        (Some(Ask::Discard), ..) => Some(("Discard your changes? (y/n)".to_string(), theme.error())),
        (Some(Ask::Quit), ..) => Some(("Quit, and lose your changes? (y/n)".to_string(), theme.error())),
        (None, Some((None, error)), ..) => Some((format!("✕ {error}"), theme.error())),
        (None, Some((Some(field), error)), ..) => {
            Some((format!("✕ {}: {error}", field.label()), theme.error()))
        }
        (None, _, Some(who), _) => Some((
            format!("{who} deleted this card: Ctrl-S saves your text as a new card, Esc drops it"),
            theme.warn(),
        )),
        (None, _, None, Some(note)) => Some((note.clone(), theme.warn())),
        (None, None, None, None) if !editing.is_empty() => {
            let verb = if editing.len() == 1 { "is" } else { "are" };
            Some((format!("✎ {} {verb} editing this card", editing.join(", ")), theme.warn()))
        }
        _ => None,
    };
    if let Some((text, style)) = said {
        frame.render_widget(
            Paragraph::new(Span::styled(fit(&text, inner.width as usize), style)),
            row(y + 6, 1),
        );
    } else if let Some(t) = &form.task {
        let who = |id: Option<i64>| {
            id.and_then(|id| form.members.iter().find(|m| m.id == id))
                .map(|m| m.name.clone())
                .unwrap_or_else(|| "?".into())
        };
        let meta = format!(
            "created by {} {} · updated by {} {}",
            who(t.created_by),
            minute(&t.created_at, zone),
            who(t.updated_by),
            minute(&t.updated_at, zone)
        );
        frame.render_widget(
            Paragraph::new(Span::styled(fit(&meta, inner.width as usize), theme.dim())),
            row(y + 6, 1),
        );
    }
}

pub fn prompt(frame: &mut Frame<'_>, prompt: &Prompt, theme: Theme) {
    let room = above_status(frame);
    let width = if matches!(prompt.kind, crate::app::form::PromptKind::Comment { .. }) { 72 } else { 60 };
    let width = width.min(room.width);
    // What is asked or why the answer was refused, whole, in lines under the
    // answer (a list of colors does not fit one line).
    let note =
        prompt.question().map(str::to_string).or_else(|| prompt.error.as_ref().map(|e| format!("✕ {e}")));
    let note: Vec<String> = note
        .map(|n| {
            textwrap::wrap(&n, usize::from(width.saturating_sub(2)).max(1))
                .into_iter()
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    // A comment's lines show, up to eight (then the text scrolls in its box).
    let lines = prompt.input.lines().len().clamp(1, 8) as u16;
    let area = centered(room, width, lines + note.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let block = boxed(prompt.title(), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let input = Rect { height: lines.min(inner.height), ..inner };
    frame.render_widget(&prompt.input, input);
    let below =
        Rect { y: input.y + input.height, height: inner.height.saturating_sub(input.height), ..inner };
    let note: Vec<Line> = note.into_iter().map(|l| Line::from(Span::styled(l, theme.error()))).collect();
    frame.render_widget(Paragraph::new(note), below);
}

pub fn confirm(frame: &mut Frame<'_>, confirm: &Confirm, theme: Theme) {
    let question = confirm.question();
    let area = centered(above_status(frame), (question.chars().count() as u16 + 4).max(30), 3);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(format!(" {question}")).block(boxed("Sure?", theme)), area);
}

pub fn picker(frame: &mut Frame<'_>, app: &App, index: usize, theme: Theme) {
    let lines: Vec<Line> = app
        .projects
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let archived = if p.archived { ", archived" } else { "" };
            let text =
                format!(" {} {}  ({}{archived})", if i == index { "▶" } else { " " }, clean(&p.name), p.role);
            let mut spans = vec![Span::raw(text)];
            // The person's open cards there, from their work across boards.
            match app.reach.counts(p.id, app.filter.today) {
                Some((0, _)) | None => {}
                Some((mine, 0)) => spans.push(Span::styled(format!("  {mine} mine"), theme.dim())),
                Some((mine, overdue)) => {
                    spans.push(Span::styled(format!("  {mine} mine · "), theme.dim()));
                    spans.push(Span::styled(format!("{overdue} overdue"), theme.error()));
                }
            }
            let line = Line::from(spans);
            if i == index { line.style(theme.selected_card()) } else { line }
        })
        .collect();
    // Wider when there are counts to say beside the names.
    let counted =
        app.projects.iter().any(|p| app.reach.counts(p.id, app.filter.today).is_some_and(|c| c.0 > 0));
    let area = centered(above_status(frame), if counted { 66 } else { 50 }, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(boxed("Open a project", theme)), area);
}

/// The board's members, each in their color, with their role; the chosen one
/// marked.
pub fn members(frame: &mut Frame<'_>, app: &App, index: usize, theme: Theme) {
    let Some(board) = app.board.as_ref() else { return };
    let lines: Vec<Line> = board
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let chosen = i == index;
            let mark = if chosen { "▶" } else { " " };
            let name = Span::styled(format!(" {mark} {:<20}", clean(&m.name)), theme.hex(&m.color));
            let role = Span::raw(format!(" {}", m.role));
            let line = Line::from(vec![name, role]);
            if chosen { line.style(theme.selected_card()) } else { line }
        })
        .collect();
    let title = format!("Members of {}", clean(&board.project.name));
    let area = centered(above_status(frame), 50, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(boxed(&title, theme)), area);
}

/// The board's history, newest first, from line `scroll` on.
pub fn activity(
    frame: &mut Frame<'_>,
    lines: Option<&[kanban_protocol::model::Activity]>,
    scroll: usize,
    zone: &jiff::tz::TimeZone,
    theme: Theme,
) {
    let (area, rows) = crate::geometry::history_box(frame.area().width, frame.area().height);
    let width = area.width.saturating_sub(2) as usize;
    let shown: Vec<Line> = match lines {
        None => vec![Line::from(Span::styled(" loading…", theme.dim()))],
        Some([]) => vec![Line::from(Span::styled(" Nothing has happened here yet", theme.dim()))],
        Some(lines) => lines
            .iter()
            .skip(scroll)
            .take(rows)
            .map(|l| {
                Line::from(vec![
                    Span::styled(format!(" {} ", minute(&l.at, zone)), theme.dim()),
                    Span::raw(fit(&clean(&l.what), width.saturating_sub(22))),
                ])
            })
            .collect(),
    };
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(shown).block(boxed("History", theme)), area);
}

/// Whom to follow: the others here, each in their color.
pub fn follow(frame: &mut Frame<'_>, app: &App, index: usize, looks: &super::paint::Looks, theme: Theme) {
    let lines: Vec<Line> = app
        .others()
        .iter()
        .enumerate()
        .map(|(i, (id, info))| {
            let color = looks.get(id).and_then(|l| l.color);
            let mark = if i == index { "▶" } else { " " };
            let style = if i == index { theme.selected_card() } else { ratatui::style::Style::default() };
            Line::from(vec![
                Span::styled(format!(" {mark} "), style),
                Span::styled("●", theme.marker(color)),
                Span::styled(format!(" {}", clean(&info.name)), style),
            ])
        })
        .collect();
    let area = centered(above_status(frame), 40, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(boxed("Follow", theme)), area);
}

/// A line of the trash: what it is, where it goes back, who deleted it and when.
fn trash_line(app: &App, item: &Item) -> String {
    let board = app.board.as_ref();
    let who = item
        .deleted_by()
        .and_then(|id| board.and_then(|b| b.member(id)))
        .map_or_else(|| "someone".to_string(), |m| clean(&m.name).into_owned());
    let what = match item {
        Item::Card(t) => {
            let column = board.and_then(|b| b.status(t.task.status_id));
            let into = column.map_or_else(|| "the first column".into(), |s| format!("“{}”", clean(&s.name)));
            format!("“{}” · in {into}", clean(&t.task.title))
        }
        Item::Column(s) => {
            let cards = match s.cards {
                1 => " with its card".to_string(),
                n if n > 1 => format!(" with its {n} cards"),
                _ => String::new(),
            };
            format!("column “{}”{cards}", clean(&s.status.name))
        }
    };
    format!("{what} · deleted by {who} {}", minute(item.deleted_at(), &app.zone))
}

pub fn trash(frame: &mut Frame<'_>, app: &App, view: &TrashView, theme: Theme) {
    let rows = view.items.as_ref().map_or(1, |items| items.len().max(1)) as u16;
    let area = centered(above_status(frame), 76, rows.saturating_add(2).min(16));
    let width = area.width.saturating_sub(4) as usize;
    let lines: Vec<Line> = match &view.items {
        None => vec![Line::from(Span::styled(" loading…", theme.dim()))],
        Some(items) if items.is_empty() => vec![Line::from(Span::styled(" The trash is empty", theme.dim()))],
        Some(items) => {
            // Scrolled so that the selected line is in view.
            let rows = usize::from(area.height.saturating_sub(2)).max(1);
            let skip = view.index.saturating_sub(rows - 1);
            items
                .iter()
                .enumerate()
                .skip(skip)
                .take(rows)
                .map(|(i, item)| {
                    let mark = if i == view.index { "▶" } else { " " };
                    let text = fit(&format!(" {mark} {}", trash_line(app, item)), width + 2);
                    let style = if i == view.index {
                        theme.selected_card()
                    } else {
                        ratatui::style::Style::default()
                    };
                    Line::from(Span::styled(text, style))
                })
                .collect()
        }
    };
    let count = view.items.as_ref().map_or(0, Vec::len);
    let title = format!("Trash · {count} · deleted, newest first");
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(boxed(&title, theme)), area);
}
