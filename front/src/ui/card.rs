//! A card's view: its lines (from [`crate::app::card_view`]) wrapped in a box over
//! the board, each part in its style, scrolled where the view says.

use kanban_protocol::color;
use ratatui::Frame;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::Theme;
use super::text::clean;
use crate::app::App;
use crate::app::card_view::{self, CardView, Part};
use crate::due::When;
use crate::geometry::TextBox;
use crate::markdown;

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
        card_view::Fetched {
            comments: view.comments.as_deref(),
            history: view.history.as_deref(),
            watchers: app.reach.watchers.get(&view.task_id).map(Vec::as_slice),
        },
        view.chosen,
        app.filter.today,
        &app.zone,
    );
    let text = card_view::text_box(area.width, area.height, &lines);
    let scroll = view.scroll.min(text.max_scroll());
    let names: Vec<&str> = board.members.iter().map(|m| m.name.as_str()).collect();
    let rows = shown_rows(&text, &lines, &markdown::render(&task.description), scroll, &names, theme);
    let title = if text.max_scroll() > 0 {
        format!(" Card #{} · {}–{} of {} · ↓↑ ", task.id, scroll + 1, scroll + text.visible, text.rows.len())
    } else {
        format!(" Card #{} ", task.id)
    };
    frame.render_widget(Clear, text.area);
    frame.render_widget(Paragraph::new(rows).block(boxed(title, theme)), text.area);
}

/// The rows in sight, each in its style: a description's row with the inline
/// styles of its part of the line.
fn shown_rows(
    text: &TextBox,
    lines: &[(Part, String)],
    described: &[markdown::Line],
    scroll: u16,
    names: &[&str],
    theme: Theme,
) -> Vec<Line<'static>> {
    let shown = usize::from(scroll)..usize::from(scroll) + usize::from(text.visible);
    // Where the next row of a description line starts in its text: the rows of
    // a line follow each other, the spaces of their breaks left out.
    let mut at = (usize::MAX, 0);
    let mut rows = Vec::with_capacity(usize::from(text.visible));
    for (r, (i, row)) in text.rows.iter().enumerate() {
        let line = match lines[*i].0 {
            Part::Markdown(n) => {
                let source = &described[n];
                if at.0 != *i {
                    at = (*i, 0);
                }
                let body = row.trim_start();
                match source.text.get(at.1..).and_then(|rest| rest.find(body)) {
                    Some(p) => {
                        let start = at.1 + p;
                        at.1 = start + body.len();
                        shown
                            .contains(&r)
                            .then(|| rich(source, &row[..row.len() - body.len()], start, body, names, theme))
                    }
                    // Not found as it is (wrapping changed it): shown plain.
                    None => shown.contains(&r).then(|| styled(Part::Text, row, theme)),
                }
            }
            // A comment's words, with the members it names.
            Part::Text => shown.contains(&r).then(|| mentioned(row, names, theme)),
            part => shown.contains(&r).then(|| styled(part, row, theme)),
        };
        rows.extend(line);
    }
    rows
}

/// A row of a description line: its `indent`, then `body`, which starts at byte
/// `start` of the line, in the styles of the runs over it.
fn rich(
    source: &markdown::Line,
    indent: &str,
    start: usize,
    body: &str,
    names: &[&str],
    theme: Theme,
) -> Line<'static> {
    let base = match source.block {
        markdown::Block::Heading => theme.selected_border().add_modifier(Modifier::BOLD),
        markdown::Block::Code => theme.dim(),
        markdown::Block::Text => Style::default(),
    };
    let end = start + body.len();
    let mut cuts = vec![start, end];
    for run in &source.runs {
        cuts.extend([run.start, run.end].into_iter().filter(|c| (start..end).contains(c)));
    }
    // A member named outside code is drawn as a mention.
    let mentions: Vec<std::ops::Range<usize>> = match source.block {
        markdown::Block::Code => Vec::new(),
        _ => crate::mention::member_spans(&source.text, names)
            .into_iter()
            .filter(|m| {
                !source
                    .runs
                    .iter()
                    .any(|r| r.style == markdown::Inline::Code && r.start <= m.start && m.end <= r.end)
            })
            .collect(),
    };
    for m in &mentions {
        cuts.extend([m.start, m.end].into_iter().filter(|c| (start..end).contains(c)));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut spans = vec![Span::raw(format!(" {indent}"))];
    for pair in cuts.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        let Some(piece) = source.text.get(from..to) else { continue };
        let style =
            source.runs.iter().filter(|r| r.start <= from && to <= r.end).fold(base, |style, run| match run
                .style
            {
                markdown::Inline::Strong => style.add_modifier(Modifier::BOLD),
                markdown::Inline::Emphasis => style.add_modifier(Modifier::ITALIC),
                markdown::Inline::Code => style.patch(theme.dim()),
                markdown::Inline::Link => style.add_modifier(Modifier::UNDERLINED),
            });
        let style = match mentions.iter().any(|m| m.start <= from && to <= m.end) {
            true => style.patch(theme.mention()),
            false => style,
        };
        spans.push(Span::styled(clean(piece).into_owned(), style));
    }
    Line::from(spans)
}

/// A row of plain text with the mentions of `names` in it highlighted.
fn mentioned(row: &str, names: &[&str], theme: Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    let mut at = 0;
    for m in crate::mention::member_spans(row, names) {
        spans.push(Span::raw(clean(&row[at..m.start]).into_owned()));
        spans.push(Span::styled(clean(&row[m.clone()]).into_owned(), theme.mention()));
        at = m.end;
    }
    spans.push(Span::raw(clean(&row[at..]).into_owned()));
    Line::from(spans)
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
        Part::Meta | Part::Item(true) => Line::from(Span::styled(text, theme.dim())),
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
        Part::Field | Part::Due(_) | Part::Text | Part::Blank | Part::Markdown(_) | Part::Item(false) => {
            Line::raw(text)
        }
    }
}
