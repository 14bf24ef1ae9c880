//! The person's lists across boards: the inbox (newest first, unread in bold,
//! each line its board, what happened and when) and their work (grouped by
//! board, due first, overdue marked).

use ratatui::Frame;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::Theme;
use super::overlay::{above_status, boxed, centered};
use super::text::{clean, fit};
use crate::app::App;
use crate::app::inbox::{InboxView, by_board, is_overdue, said_when};
use crate::due;

/// The rows a list box shows on this screen, and the first row shown so that
/// `chosen` is in sight.
fn window(frame: &Frame<'_>, len: usize, chosen: usize) -> (u16, usize) {
    let room = above_status(frame).height.saturating_sub(4).max(1) as usize;
    let rows = len.clamp(1, room);
    (rows as u16, chosen.saturating_sub(rows - 1))
}

pub fn inbox(frame: &mut Frame<'_>, app: &App, view: &InboxView, theme: Theme) {
    let width = above_status(frame).width.saturating_sub(4).min(100);
    let inner = width.saturating_sub(2) as usize;
    let lines: Vec<Line> = match &view.items {
        None => vec![Line::from(Span::styled(" loading…", theme.dim()))],
        Some(items) if items.is_empty() => {
            vec![Line::from(Span::styled(
                " Nothing yet: mentions and cards you watch come here",
                theme.dim(),
            ))]
        }
        Some(items) => {
            let (rows, from) = window(frame, items.len(), view.chosen);
            items
                .iter()
                .enumerate()
                .skip(from)
                .take(rows as usize)
                .map(|(i, n)| {
                    let chosen = i == view.chosen;
                    let weight =
                        if n.read { Style::default() } else { Style::default().add_modifier(Modifier::BOLD) };
                    let when = said_when(&n.at, &app.zone, app.filter.today);
                    let board = format!(" {} {} · ", if chosen { "▶" } else { " " }, clean(&n.project));
                    let room = inner.saturating_sub(board.chars().count() + when.chars().count() + 3);
                    let line = Line::from(vec![
                        Span::styled(board, theme.dim()),
                        Span::styled(fit(&n.what, room), weight),
                        Span::styled(format!(" · {when}"), theme.dim()),
                    ]);
                    if chosen { line.style(theme.selected_card()) } else { line }
                })
                .collect()
        }
    };
    let unread = app.reach.unread.map(|n| format!(" · {n} unread")).unwrap_or_default();
    let title = format!("Inbox{unread}");
    let area = centered(above_status(frame), width, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(boxed(&title, theme)), area);
}

pub fn work(frame: &mut Frame<'_>, app: &App, chosen: usize, theme: Theme) {
    let width = above_status(frame).width.saturating_sub(4).min(90);
    let inner = width.saturating_sub(2) as usize;
    let today = app.filter.today;
    let lines: Vec<Line> = match &app.reach.work {
        None => vec![Line::from(Span::styled(" loading…", theme.dim()))],
        Some(work) if work.is_empty() => {
            vec![Line::from(Span::styled(" No open card is yours on any board", theme.dim()))]
        }
        Some(work) => {
            let mut all = Vec::new();
            let mut at = 0;
            // The row of the chosen card, to keep it in sight.
            let mut chosen_row = 0;
            for (board, cards) in by_board(work) {
                all.push(Line::from(Span::styled(format!(" {}", clean(board)), theme.selected_border())));
                for t in cards {
                    let is_chosen = at == chosen;
                    if is_chosen {
                        chosen_row = all.len();
                    }
                    at += 1;
                    let due = t.task.due_date.as_deref().map(|d| match due::when(d, today) {
                        Some(w) if is_overdue(t, today) => {
                            Span::styled(format!(" · {}", w.short(today)), theme.error())
                        }
                        Some(w) => Span::styled(format!(" · {}", w.short(today)), theme.dim()),
                        None => Span::styled(format!(" · due {}", clean(d)), theme.dim()),
                    });
                    let column = format!(" · {}", clean(&t.column));
                    let lead = format!("   {} ", if is_chosen { "▶" } else { " " });
                    let due_width = due.as_ref().map_or(0, |s| s.content.chars().count());
                    let room =
                        inner.saturating_sub(lead.chars().count() + column.chars().count() + due_width);
                    let mut spans =
                        vec![Span::raw(lead), Span::styled(fit(&t.task.title, room), theme.title())];
                    spans.push(Span::styled(column, theme.dim()));
                    spans.extend(due);
                    let line = Line::from(spans);
                    all.push(if is_chosen { line.style(theme.selected_card()) } else { line });
                }
            }
            let (rows, from) = window(frame, all.len(), chosen_row);
            all.into_iter().skip(from).take(rows as usize).collect()
        }
    };
    let area = centered(above_status(frame), width, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(boxed("My work: open cards, due first", theme)), area);
}
