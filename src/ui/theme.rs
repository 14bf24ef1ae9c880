//! Colors and styles, in one place, with `NO_COLOR` honoured: without color every
//! distinction still shows through modifiers and glyphs.

use kanban_protocol::color;
use kanban_protocol::model::Priority;
use ratatui::style::{Color, Modifier, Style};

/// The styles of one run of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Color unless `NO_COLOR` is set (to anything non-empty), as no-color.org asks.
    pub fn from_env() -> Self {
        Theme { color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color { Style::default().fg(c) } else { Style::default() }
    }

    /// A user's color as a foreground.
    pub fn user(&self, hex: &str) -> Style {
        match color::rgb(hex) {
            Some((r, g, b)) => self.fg(Color::Rgb(r, g, b)),
            None => Style::default(),
        }
    }

    /// A cursor marker: the user's color as background, so it stands out.
    pub fn marker(&self, hex: &str) -> Style {
        match (self.color, color::rgb(hex)) {
            (true, Some((r, g, b))) => {
                Style::default().bg(Color::Rgb(r, g, b)).fg(Color::Black).add_modifier(Modifier::BOLD)
            }
            _ => Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }

    pub fn selected_card(&self) -> Style {
        if self.color {
            Style::default().bg(Color::Rgb(60, 64, 72)).add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn selected_border(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn border(&self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn dim(&self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn over_limit(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn priority(&self, p: Priority) -> Style {
        match p {
            Priority::None => self.dim(),
            Priority::Low => self.fg(Color::Blue),
            Priority::Medium => self.fg(Color::Yellow),
            Priority::High => self.fg(Color::LightRed),
            Priority::Urgent => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }
}

/// The glyph at the left edge of a card, by priority (readable without color).
pub fn priority_bar(p: Priority) -> &'static str {
    match p {
        Priority::None => " ",
        Priority::Low => "▏",
        Priority::Medium => "▎",
        Priority::High => "▌",
        Priority::Urgent => "█",
    }
}
