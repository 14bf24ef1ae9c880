//! Colors and styles, in one place, drawn at the terminal's depth ([`Depth`]):
//! without color every distinction still shows through modifiers and glyphs. The
//! colors are the [`Palette`]'s (the defaults, or the config's `[theme]`).

use kanban_protocol::model::Priority;
use ratatui::style::{Color, Modifier, Style};

use super::paint::Depth;
use super::palette::{Palette, Role};

/// The styles of one run of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub depth: Depth,
    pub palette: Palette,
}

impl Theme {
    /// The default colors at `depth`.
    pub const fn new(depth: Depth) -> Self {
        Theme { depth, palette: Palette::DEFAULT }
    }

    /// These colors instead of the defaults.
    pub const fn with_palette(self, palette: Palette) -> Self {
        Theme { palette, ..self }
    }

    /// The color for `role` as this terminal shows it: `#rrggbb` at its depth, a
    /// terminal color as it is; none without color.
    fn color(&self, role: Role) -> Option<Color> {
        match self.palette.get(role) {
            _ if self.depth == Depth::None => None,
            Color::Rgb(r, g, b) => self.depth.paint((r, g, b)),
            c => Some(c),
        }
    }

    fn fg(&self, role: Role) -> Style {
        self.color(role).map_or_else(Style::default, |c| Style::default().fg(c))
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
        match self.color(Role::Selection) {
            Some(bg) => Style::default().bg(bg).add_modifier(Modifier::BOLD),
            None => Style::default().add_modifier(Modifier::REVERSED),
        }
    }

    pub fn selected_border(&self) -> Style {
        self.fg(Role::Accent).add_modifier(Modifier::BOLD)
    }

    pub fn border(&self) -> Style {
        self.fg(Role::Border)
    }

    pub fn dim(&self) -> Style {
        self.fg(Role::Muted)
    }

    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(Role::Error).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Role::Ok)
    }

    pub fn warn(&self) -> Style {
        self.fg(Role::Warning)
    }

    /// A warning that cannot wait (due today).
    pub fn warn_strong(&self) -> Style {
        self.fg(Role::Warning).add_modifier(Modifier::BOLD)
    }

    /// A label, in the color its name gives it (the same on every card and every
    /// screen).
    pub fn label(&self, hex: &str) -> Style {
        self.hex(hex)
    }

    /// A member named with `@name`: bold in the accent color (bold alone
    /// without color).
    pub fn mention(&self) -> Style {
        self.fg(Role::Accent).add_modifier(Modifier::BOLD)
    }

    /// The unread count, and the mark of a card changed since the last look.
    pub fn news(&self) -> Style {
        self.fg(Role::Accent).add_modifier(Modifier::BOLD)
    }

    pub fn over_limit(&self) -> Style {
        self.fg(Role::OverLimit).add_modifier(Modifier::BOLD)
    }

    pub fn priority(&self, p: Priority) -> Style {
        match p {
            Priority::None => self.dim(),
            Priority::Low => self.fg(Role::PriorityLow),
            Priority::Medium => self.fg(Role::PriorityMedium),
            Priority::High => self.fg(Role::PriorityHigh),
            Priority::Urgent => self.fg(Role::PriorityUrgent).add_modifier(Modifier::BOLD),
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
