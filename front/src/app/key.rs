//! A key as the board binds it ([`Key`]): a key code with Ctrl or Alt held, read
//! from a key event, from the config file's words (`"x"`, `"Ctrl-r"`, `"PageDown"`)
//! and written back both ways: as the help shows it (`←`, `PgDn`, `Ctrl-R`) and as
//! the config file takes it.

use std::fmt;

use super::input::{KeyCode, KeyEvent, KeyModifiers};

/// A key of the board: what was pressed and whether Ctrl or Alt was held. Shift
/// is not kept: a character's case says it (`G`, `<`), and Shift-Tab is its own
/// key code (`BackTab`), as terminals send them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

/// The keys named in words, each with the other names it is known by (the
/// first is the one written back).
const NAMED: &[(KeyCode, &[&str])] = &[
    (KeyCode::Enter, &["Enter", "Return"]),
    (KeyCode::Esc, &["Esc", "Escape"]),
    (KeyCode::Tab, &["Tab"]),
    (KeyCode::BackTab, &["BackTab", "Shift-Tab"]),
    (KeyCode::Char(' '), &["Space"]),
    (KeyCode::Backspace, &["Backspace"]),
    (KeyCode::Delete, &["Delete", "Del"]),
    (KeyCode::Left, &["Left", "←"]),
    (KeyCode::Right, &["Right", "→"]),
    (KeyCode::Up, &["Up", "↑"]),
    (KeyCode::Down, &["Down", "↓"]),
    (KeyCode::Home, &["Home"]),
    (KeyCode::End, &["End"]),
    (KeyCode::PageUp, &["PageUp", "PgUp"]),
    (KeyCode::PageDown, &["PageDown", "PgDn"]),
];

/// What a config file may write, for the message about one it may not.
pub const SYNTAX: &str = "a character (\"x\", \"X\", \"?\"), \"Ctrl-x\", \"Alt-x\", or a key's name (Enter, Esc, \
     Tab, BackTab, Space, Backspace, Delete, Left, Right, Up, Down, Home, End, PageUp, PageDown, F1 to F12)";

impl Key {
    /// A character key, alone.
    pub const fn char(c: char) -> Key {
        Key { code: KeyCode::Char(c), ctrl: false, alt: false }
    }

    /// A key with no modifier.
    pub const fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false, alt: false }
    }

    /// A letter with Ctrl held (terminals send Ctrl-r and Ctrl-R alike).
    pub const fn ctrl(c: char) -> Key {
        Key { code: KeyCode::Char(c.to_ascii_lowercase()), ctrl: true, alt: false }
    }

    /// The key a key event is, as the board binds it.
    pub fn of(event: KeyEvent) -> Key {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let code = match event.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            code => code,
        };
        Key { code, ctrl, alt: event.modifiers.contains(KeyModifiers::ALT) }
    }

    /// Reads a key as a config file writes it; `Err` says what may be written.
    pub fn parse(text: &str) -> Result<Key, String> {
        let refuse = || format!("{text:?} is not a key: write {SYNTAX}");
        let (mut ctrl, mut alt, mut rest) = (false, false, text);
        // Modifiers first, as `Ctrl-Alt-x`; a `-` alone (or last) is the key `-`.
        loop {
            let lower = rest.to_ascii_lowercase();
            let cut = ["ctrl-", "ctrl+", "alt-", "alt+"].into_iter().find(|p| lower.starts_with(p));
            match cut {
                Some(prefix) if rest.len() > prefix.len() => {
                    if prefix.starts_with('c') {
                        ctrl = true;
                    } else {
                        alt = true;
                    }
                    rest = &rest[prefix.len()..];
                }
                _ => break,
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() && !"←→↑↓".contains(c) => KeyCode::Char(c),
            _ => named(rest).ok_or_else(refuse)?,
        };
        let code = match code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            code => code,
        };
        Ok(Key { code, ctrl, alt })
    }

    /// The key as the help and the footer show it: `←`, `PgDn`, `Ctrl-R`.
    pub fn shown(self) -> String {
        let code = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.ctrl => c.to_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            code => name(code),
        };
        self.with_modifiers(code)
    }

    /// `Ctrl-`, `Alt-` before `code`, as held.
    fn with_modifiers(self, code: String) -> String {
        let ctrl = if self.ctrl { "Ctrl-" } else { "" };
        let alt = if self.alt { "Alt-" } else { "" };
        format!("{ctrl}{alt}{code}")
    }
}

/// As a config file writes it, so that it reads back as the same key.
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.with_modifiers(name(self.code)))
    }
}

/// A key code by its name (any case) or the other names it has.
fn named(text: &str) -> Option<KeyCode> {
    let found = NAMED.iter().find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(text)));
    if let Some((code, _)) = found {
        return Some(*code);
    }
    let n: u8 = text.strip_prefix(['F', 'f'])?.parse().ok()?;
    (1..=12).contains(&n).then_some(KeyCode::F(n))
}

/// The name a config file writes for `code`.
fn name(code: KeyCode) -> String {
    if let Some((_, names)) = NAMED.iter().find(|(c, _)| *c == code) {
        return names[0].to_string();
    }
    match code {
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        _ => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, ctrl: bool, alt: bool) -> Key {
        Key { code, ctrl, alt }
    }

    #[test]
    fn keys_are_read_as_people_write_them() {
        assert_eq!(Key::parse("x"), Ok(Key::char('x')));
        assert_eq!(Key::parse("X"), Ok(Key::char('X')));
        assert_eq!(Key::parse("-"), Ok(Key::char('-')));
        assert_eq!(Key::parse("Ctrl-r"), Ok(Key::ctrl('r')));
        assert_eq!(Key::parse("ctrl+R"), Ok(Key::ctrl('r')), "Ctrl-R is the same key as Ctrl-r");
        assert_eq!(Key::parse("Ctrl--"), Ok(key(KeyCode::Char('-'), true, false)));
        assert_eq!(Key::parse("Alt-x"), Ok(key(KeyCode::Char('x'), false, true)));
        assert_eq!(Key::parse("Alt-X"), Ok(key(KeyCode::Char('X'), false, true)), "Alt keeps the case");
        assert_eq!(Key::parse("Ctrl-Alt-x"), Ok(key(KeyCode::Char('x'), true, true)));
        assert_eq!(Key::parse("Enter"), Ok(Key::plain(KeyCode::Enter)));
        assert_eq!(Key::parse("escape"), Ok(Key::plain(KeyCode::Esc)));
        assert_eq!(Key::parse("Space"), Ok(Key::char(' ')));
        assert_eq!(Key::parse("PgDn"), Ok(Key::plain(KeyCode::PageDown)));
        assert_eq!(Key::parse("PageDown"), Ok(Key::plain(KeyCode::PageDown)));
        assert_eq!(Key::parse("←"), Ok(Key::plain(KeyCode::Left)), "as the help shows it");
        assert_eq!(Key::parse("Shift-Tab"), Ok(Key::plain(KeyCode::BackTab)));
        assert_eq!(Key::parse("Ctrl-Left"), Ok(key(KeyCode::Left, true, false)));
        assert_eq!(Key::parse("F5"), Ok(Key::plain(KeyCode::F(5))));
        for bad in ["", "Ctlr-x", "xy", "F13", "F0", "Ctrl-", "Shift-x", "\t"] {
            let err = Key::parse(bad).unwrap_err();
            assert!(err.contains("is not a key") && err.contains("Ctrl-x"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn a_key_written_back_reads_as_itself() {
        let keys = [
            Key::char('x'),
            Key::char('G'),
            Key::char(' '),
            Key::char('-'),
            Key::ctrl('r'),
            key(KeyCode::Char('b'), false, true),
            key(KeyCode::Left, true, true),
            Key::plain(KeyCode::PageUp),
            Key::plain(KeyCode::BackTab),
            Key::plain(KeyCode::F(12)),
        ];
        for k in keys {
            assert_eq!(Key::parse(&k.to_string()), Ok(k), "{k}");
        }
        assert_eq!(Key::ctrl('r').to_string(), "Ctrl-r");
    }

    #[test]
    fn the_help_shows_keys_as_it_always_has() {
        assert_eq!(Key::ctrl('r').shown(), "Ctrl-R");
        assert_eq!(Key::plain(KeyCode::Left).shown(), "←");
        assert_eq!(Key::plain(KeyCode::PageDown).shown(), "PgDn");
        assert_eq!(Key::char(' ').shown(), "Space");
        assert_eq!(key(KeyCode::Char('x'), false, true).shown(), "Alt-x");
    }

    #[test]
    fn an_event_is_the_key_it_names() {
        let event = |code, modifiers| Key::of(KeyEvent::new(code, modifiers));
        assert_eq!(event(KeyCode::Char('G'), KeyModifiers::SHIFT), Key::char('G'), "Shift is in the case");
        assert_eq!(event(KeyCode::Char('R'), KeyModifiers::CONTROL | KeyModifiers::SHIFT), Key::ctrl('r'));
        assert_eq!(event(KeyCode::Char('x'), KeyModifiers::ALT), key(KeyCode::Char('x'), false, true));
        assert_ne!(event(KeyCode::Char('x'), KeyModifiers::ALT), Key::char('x'), "Alt-x is not x");
    }
}
