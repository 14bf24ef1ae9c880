//! A card's view: its lines (from [`crate::app::card_view`]) wrapped in a box over
//! the board, each part in its style, scrolled where the view says.

use kanban_protocol::color;
use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::Theme;
use super::text::clean;
use crate::app::App;
use crate::app::card_view::{self, CardView, Part};
use crate::due::When;

pub fn view(frame: &mut Frame<'_>, app: &App, view: &CardView, theme: Theme) {
    let area = frame.area();
    let Some(board) = app.seen() else { return };
    let Some(task) = board.task(view.task_id) else {
        let text = card_view::text_box(area.width, area.height, &[(Part::Meta, String::new())]);
        frame.render_widget(Clear, text.area);
        let gone = Paragraph::new(Span::styled(" This card was deleted. Any key closes this.", theme.warn()))
            .block(boxed(" Card ".to_string(), theme));
        frame.render_widget(gone, text.area);
        return;
    };
    let lines = card_view::lines(
        &board,
        task,
        view.comments.as_deref(),
        view.chosen,
        view.history.as_deref(),
        app.filter.today,
        &app.zone,
    );
    let text = card_view::text_box(area.width, area.height, &lines);
    let scroll = view.scroll.min(text.max_scroll());
    let rows: Vec<Line> = text
        .rows
        .iter()
        .skip(usize::from(scroll))
        .take(usize::from(text.visible))
        .map(|(i, row)| styled(lines[*i].0, row, theme))
        .collect();
    let title = if text.max_scroll() > 0 {
        format!(" Card #{} · {}–{} of {} · ↓↑ ", task.id, scroll + 1, scroll + text.visible, text.rows.len())
    } else {
        format!(" Card #{} ", task.id)
    };
    frame.render_widget(Clear, text.area);
    frame.render_widget(Paragraph::new(rows).block(boxed(title, theme)), text.area);
}

fn boxed(title: String, theme: Theme) -> Block<'static> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.selected_border())
        .title(Span::styled(title, theme.title()))
}

/// One wrapped row in the style of its part (a margin of one column each side).
fn styled(part: Part, row: &str, theme: Theme) -> Line<'static> {
    let text = format!(" {}", clean(row));
    match part {
        Part::Title => Line::from(Span::styled(text, theme.title())),
        Part::Meta => Line::from(Span::styled(text, theme.dim())),
        Part::Heading | Part::Chosen => Line::from(Span::styled(text, theme.selected_border())),
        Part::Due(Some(When::Overdue(_))) => Line::from(Span::styled(text, theme.error())),
        Part::Due(Some(When::Today)) => Line::from(Span::styled(text, theme.warn_strong())),
        Part::Due(Some(w)) if w.is_soon() => Line::from(Span::styled(text, theme.warn())),
        Part::Labels => {
            // Each #label in the color the board gives it.
            let mut spans = Vec::new();
            for (i, word) in text.split(' ').enumerate() {
                if i > 0 {
                    spans.push(Span::raw(" "));
                }
                match word.strip_prefix('#') {
                    Some(label) => {
                        spans.push(Span::styled(word.to_string(), theme.label(color::for_name(label))))
                    }
                    None => spans.push(Span::raw(word.to_string())),
                }
            }
            Line::from(spans)
        }
        Part::Field | Part::Due(_) | Part::Text | Part::Blank => Line::raw(text),
    }
}
