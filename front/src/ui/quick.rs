//! The quick filters' box: the menu of keys, or the list being chosen from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::Theme;
use super::text::fit;
use crate::app::quick::{MENU, QuickMenu};

pub fn menu(frame: &mut Frame<'_>, menu: &QuickMenu, theme: Theme) {
    let (title, lines): (String, Vec<Line>) = match menu {
        QuickMenu::Menu => (
            " Quick filters ".into(),
            MENU.iter()
                .map(|(key, does)| {
                    Line::from(vec![Span::styled(format!(" {key}  "), theme.title()), Span::raw(*does)])
                })
                .collect(),
        ),
        QuickMenu::List { kind, choices, index } if choices.is_empty() => (
            format!(" {} ", kind.title()),
            vec![Line::from(Span::styled(" none on this board", theme.dim()))],
        ),
        QuickMenu::List { kind, choices, index } => {
            let rows = usize::from(frame.area().height.saturating_sub(5)).max(1);
            let skip = index.saturating_sub(rows - 1);
            let lines = choices
                .iter()
                .enumerate()
                .skip(skip)
                .take(rows)
                .map(|(i, (shown, _))| {
                    let mark = if i == *index { "▶" } else { " " };
                    let style =
                        if i == *index { theme.selected_card() } else { ratatui::style::Style::default() };
                    Line::from(Span::styled(fit(&format!(" {mark} {shown}"), 36), style))
                })
                .collect();
            (format!(" {} ", kind.title()), lines)
        }
    };
    let screen = frame.area();
    let above_status = Rect { height: screen.height.saturating_sub(1), ..screen };
    let w = 40.min(above_status.width);
    let h = (lines.len() as u16 + 2).min(above_status.height);
    let area = Rect {
        x: above_status.x + (above_status.width - w) / 2,
        y: above_status.y + (above_status.height - h) / 2,
        width: w,
        height: h,
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.selected_border())
        .title(Span::styled(title, theme.title()));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
