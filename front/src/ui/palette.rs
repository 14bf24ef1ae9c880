//! The interface's colors by what they are for ([`Palette`]): the names the
//! config file's `[theme]` sets, and the colors [`super::Theme`] draws at the
//! terminal's depth. A color is `#rrggbb` or one of the terminal's sixteen by
//! name (which the person's terminal scheme decides, as `red` does in `ls`).

use ratatui::style::Color;

/// What a color of the interface is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Selection,
    Accent,
    Border,
    Muted,
    Ok,
    Warning,
    Error,
    OverLimit,
    PriorityLow,
    PriorityMedium,
    PriorityHigh,
    PriorityUrgent,
}

/// A color of the interface: its name in `[theme]`, what it colors (said beside
/// it by `kanban-tui config`) and its default.
#[derive(Debug)]
pub struct Named {
    pub role: Role,
    pub name: &'static str,
    pub colors: &'static str,
    pub default: Color,
}

/// Every color of the interface, in the order `kanban-tui config` writes them.
pub const ROLES: &[Named] = &[
    named(Role::Selection, "selection", "the selected card's background", Color::Rgb(60, 64, 72)),
    named(Role::Accent, "accent", "the selected column's border, open boxes, headings", Color::Cyan),
    named(Role::Border, "border", "the other columns' borders and fields", Color::DarkGray),
    named(Role::Muted, "muted", "quiet text: counts, hints, revisions", Color::DarkGray),
    named(Role::Ok, "ok", "online, and what went as asked", Color::Green),
    named(Role::Warning, "warning", "due soon, connecting, a filter on, read-only", Color::Yellow),
    named(Role::Error, "error", "errors, offline, overdue", Color::Red),
    named(Role::OverLimit, "over-limit", "a column's count past its WIP limit", Color::Red),
    named(Role::PriorityLow, "priority-low", "a low priority", Color::Blue),
    named(Role::PriorityMedium, "priority-medium", "a medium priority", Color::Yellow),
    named(Role::PriorityHigh, "priority-high", "a high priority", Color::LightRed),
    named(Role::PriorityUrgent, "priority-urgent", "an urgent priority", Color::Red),
];

const fn named(role: Role, name: &'static str, colors: &'static str, default: Color) -> Named {
    Named { role, name, colors, default }
}

/// The terminal's sixteen colors by the names a config file may give them (any
/// case, `-`, `_` or a space between words); the first of each is written back.
const TERMINAL: &[(Color, &[&str])] = &[
    (Color::Black, &["black"]),
    (Color::Red, &["red"]),
    (Color::Green, &["green"]),
    (Color::Yellow, &["yellow"]),
    (Color::Blue, &["blue"]),
    (Color::Magenta, &["magenta"]),
    (Color::Cyan, &["cyan"]),
    (Color::Gray, &["gray", "grey"]),
    (Color::DarkGray, &["darkgray", "darkgrey"]),
    (Color::LightRed, &["lightred", "brightred"]),
    (Color::LightGreen, &["lightgreen", "brightgreen"]),
    (Color::LightYellow, &["lightyellow", "brightyellow"]),
    (Color::LightBlue, &["lightblue", "brightblue"]),
    (Color::LightMagenta, &["lightmagenta", "brightmagenta"]),
    (Color::LightCyan, &["lightcyan", "brightcyan"]),
    (Color::White, &["white"]),
    // The terminal's own foreground or background, whatever it is.
    (Color::Reset, &["default"]),
];

/// What a config file may write for a color, for the message about one it may not.
pub const SYNTAX: &str = "\"#rrggbb\" or a terminal color's name (black, red, green, yellow, blue, magenta, \
     cyan, gray, darkgray, lightred, lightgreen, lightyellow, lightblue, lightmagenta, lightcyan, white, \
     default)";

/// A color for each [`Role`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette([Color; ROLES.len()]);

impl Palette {
    /// The colors the interface has unless told otherwise.
    pub const DEFAULT: Palette = {
        let mut colors = [Color::Reset; ROLES.len()];
        let mut i = 0;
        while i < ROLES.len() {
            colors[ROLES[i].role as usize] = ROLES[i].default;
            i += 1;
        }
        Palette(colors)
    };

    pub fn get(&self, role: Role) -> Color {
        self.0[role as usize]
    }

    pub fn set(&mut self, role: Role, color: Color) {
        self.0[role as usize] = color;
    }
}

impl Default for Palette {
    fn default() -> Self {
        Palette::DEFAULT
    }
}

impl Role {
    /// The role a config file names.
    pub fn named(name: &str) -> Option<Role> {
        ROLES.iter().find(|n| n.name == name).map(|n| n.role)
    }
}

/// Reads a color as a config file writes it; `Err` says what may be written.
pub fn parse(text: &str) -> Result<Color, String> {
    let hex = text.trim().strip_prefix('#').is_some_and(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
    if let Some((r, g, b)) = kanban_protocol::color::rgb(text.trim()).filter(|_| hex) {
        return Ok(Color::Rgb(r, g, b));
    }
    let word: String =
        text.chars().filter(|c| !matches!(c, '-' | '_' | ' ')).collect::<String>().to_ascii_lowercase();
    TERMINAL
        .iter()
        .find(|(_, names)| names.contains(&word.as_str()))
        .map(|(color, _)| *color)
        .ok_or_else(|| format!("{text:?} is not a color: write {SYNTAX}"))
}

/// A color as a config file writes it, so that it reads back as the same color.
pub fn name(color: Color) -> String {
    match color {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        color => TERMINAL.iter().find(|(c, _)| *c == color).map_or("default", |(_, names)| names[0]).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_are_read_as_people_write_them() {
        assert_eq!(parse("#3C4048"), Ok(Color::Rgb(0x3c, 0x40, 0x48)));
        assert_eq!(parse("red"), Ok(Color::Red));
        assert_eq!(parse("DarkGray"), Ok(Color::DarkGray));
        assert_eq!(parse("dark-grey"), Ok(Color::DarkGray));
        assert_eq!(parse("bright_red"), Ok(Color::LightRed));
        assert_eq!(parse("default"), Ok(Color::Reset));
        for bad in ["", "#3c404", "#ggggg0", "#+f+f+f", "3c4048x", "purple", "rgb(1,2,3)"] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains("is not a color") && err.contains("#rrggbb"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn every_color_written_back_reads_as_itself() {
        for named in ROLES {
            assert_eq!(parse(&name(named.default)), Ok(named.default), "{}", named.name);
        }
        for (color, _) in TERMINAL {
            assert_eq!(parse(&name(*color)), Ok(*color));
        }
        assert_eq!(name(Color::Rgb(1, 2, 255)), "#0102ff");
    }

    #[test]
    fn each_role_has_one_name_and_its_default() {
        for (i, named) in ROLES.iter().enumerate() {
            assert_eq!(named.role as usize, i, "{} is in its place", named.name);
            assert_eq!(Role::named(named.name), Some(named.role));
            assert_eq!(Palette::DEFAULT.get(named.role), named.default);
        }
    }
}
