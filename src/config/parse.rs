//! A config file's text into a [`Config`]: TOML read by the `toml` crate, which
//! keeps where each name and value was (`Spanned`), so that whatever is wrong (the
//! syntax, an unknown section, action or color name, a key or a color that cannot
//! be read, a key given to two actions) is said with its line. The first fault in
//! the file is said; nothing of a file with one is used.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use kanban_front::app::bindings::BoardAction;
use kanban_front::app::input::KeyCode;
use kanban_front::app::key::Key;
use kanban_front::ui::palette::{self, Role};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use super::{Config, ConfigError};

/// The file as TOML has it, each name and value with where it was.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    keys: BTreeMap<Spanned<String>, Spanned<Binding>>,
    #[serde(default)]
    theme: BTreeMap<Spanned<String>, Spanned<String>>,
    editor: Option<Editor>,
    notify: Option<Notify>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Notify {
    #[serde(default)]
    bell: bool,
    #[serde(default)]
    desktop: bool,
}

/// `[editor]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Editor {
    command: Option<Spanned<String>>,
}

/// An action's keys: one (`"x"`, where the value's place is the key's) or a list,
/// each with its place.
enum Binding {
    One(String),
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for Binding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = Binding;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key (\"x\") or a list of keys ([\"x\", \"Ctrl-x\"], [] for none)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Binding, E> {
                Ok(Binding::One(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Binding, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element()? {
                    keys.push(key);
                }
                Ok(Binding::Many(keys))
            }
        }
        deserializer.deserialize_any(Keys)
    }
}

/// A fault and where in the text it is.
type Fault = (Range<usize>, String);

/// Reads the config in `text`, the contents of `path` (named in its errors).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let error = |span: Option<Range<usize>>, message: String| ConfigError {
        path: path.to_path_buf(),
        line: span.map(|s| line_of(text, s.start)),
        message,
    };
    let file: File = toml::from_str(text).map_err(|e| error(e.span(), e.message().trim().to_string()))?;
    read(file).map_err(|(span, message)| error(Some(span), message))
}

/// The config a file sets, or its first fault in the file's order.
fn read(file: File) -> Result<Config, Fault> {
    let mut faults = Vec::new();
    let mut config = Config::default();
    for (action, keys) in keys(&file.keys, &mut faults) {
        config.keys.bind(action, &keys);
    }
    for (name, value) in &file.theme {
        match (Role::named(name.get_ref()), palette::parse(value.get_ref())) {
            (None, _) => faults.push((
                name.span(),
                format!("unknown color {:?} in [theme] (kanban-tui config lists them all)", name.get_ref()),
            )),
            (_, Err(e)) => faults.push((value.span(), e)),
            (Some(role), Ok(color)) => config.theme.set(role, color),
        }
    }
    if let Some(command) = file.editor.and_then(|e| e.command) {
        if command.get_ref().trim().is_empty() {
            let message = "[editor] command is empty: leave it out for $VISUAL, $EDITOR or vi";
            faults.push((command.span(), message.to_string()));
        }
        config.editor = Some(command.into_inner());
    }
    if let Some(Notify { bell, desktop }) = file.notify {
        config.notify = kanban_front::app::inbox::Notify { bell, desktop };
    }
    match faults.into_iter().min_by_key(|(span, _)| span.start) {
        Some(fault) => Err(fault),
        None => Ok(config),
    }
}

/// `[keys]` as bindings in the file's order; the faults go to `faults`.
fn keys(
    file: &BTreeMap<Spanned<String>, Spanned<Binding>>,
    faults: &mut Vec<Fault>,
) -> Vec<(BoardAction, Vec<Key>)> {
    let mut entries: Vec<_> = file.iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    // Each key given, with the action it was given to: a key goes to one action.
    let mut given: Vec<(Key, BoardAction)> = Vec::new();
    let mut out = Vec::new();
    'actions: for (name, binding) in entries {
        let Some(action) = BoardAction::named(name.get_ref()) else {
            let message =
                format!("unknown action {:?} in [keys] (kanban-tui config lists them all)", name.get_ref());
            faults.push((name.span(), message));
            continue;
        };
        let texts: Vec<(&str, Range<usize>)> = match binding.get_ref() {
            Binding::One(text) => vec![(text, binding.span())],
            Binding::Many(list) => list.iter().map(|k| (k.get_ref().as_str(), k.span())).collect(),
        };
        let mut keys = Vec::new();
        for (text, span) in texts {
            let key = match Key::parse(text) {
                Ok(key) => key,
                Err(e) => {
                    faults.push((span, e));
                    continue 'actions;
                }
            };
            if let Some(why) = kept(key) {
                faults.push((span, format!("{text:?} cannot be bound: {why}")));
                continue 'actions;
            }
            if let Some((_, other)) = given.iter().find(|(k, a)| *k == key && *a != action) {
                faults
                    .push((span, format!("{text:?} is given to {} too: a key does one thing", other.name())));
                continue 'actions;
            }
            given.push((key, action));
            keys.push(key);
        }
        out.push((action, keys));
    }
    out
}

/// Why a key cannot be bound, when it cannot: Ctrl-C and Ctrl-Z work in every
/// mode, before the board sees a key.
fn kept(key: Key) -> Option<&'static str> {
    match key {
        Key { code: KeyCode::Char('c'), ctrl: true, alt: false } => Some("it quits from anywhere"),
        Key { code: KeyCode::Char('z'), ctrl: true, alt: false } => Some("it suspends from anywhere"),
        _ => None,
    }
}

/// The line (from 1) of the byte at `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}
