//! Colors and styles, in one place, drawn at the terminal's depth ([`Depth`]):
//! without color every distinction still shows through modifiers and glyphs.

use kanban_protocol::model::Priority;
use ratatui::style::{Color, Modifier, Style};

use super::paint::Depth;

/// The styles of one run of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub depth: Depth,
}

impl Theme {
    pub const fn new(depth: Depth) -> Self {
        Theme { depth }
    }

    fn colored(&self) -> bool {
        self.depth != Depth::None
    }

    fn fg(&self, c: Color) -> Style {
        if self.colored() { Style::default().fg(c) } else { Style::default() }
    }

    /// A `#rrggbb` color (a column's, a label's) as a foreground.
    pub fn hex(&self, hex: &str) -> Style {
        self.depth.hex(hex).map_or_else(Style::default, |c| Style::default().fg(c))
    }

    /// A person's color (as [`super::paint::looks`] gave it) as a foreground.
    pub fn user(&self, color: Option<Color>) -> Style {
        color.map_or_else(Style::default, |c| Style::default().fg(c))
    }

    /// A cursor marker: the person's color as background, so it stands out.
    pub fn marker(&self, color: Option<Color>) -> Style {
        match color {
            Some(c) => Style::default().bg(c).fg(Color::Black).add_modifier(Modifier::BOLD),
            None => Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }

    pub fn selected_card(&self) -> Style {
        match self.depth.paint((60, 64, 72)) {
            Some(bg) => Style::default().bg(bg).add_modifier(Modifier::BOLD),
            None => Style::default().add_modifier(Modifier::REVERSED),
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

    /// A warning that cannot wait (due today).
    pub fn warn_strong(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// A label, in the color its name gives it (the same on every card and every
    /// screen).
    pub fn label(&self, hex: &str) -> Style {
        self.hex(hex)
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
