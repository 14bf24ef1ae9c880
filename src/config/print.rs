//! The config in effect written back as TOML (`kanban-tui config`): every action
//! with its keys, every color, the editor, each said in a comment, so that a
//! person can copy it as the start of their own. It reads back as the same config
//! (a test holds it to that).

use kanban_front::app::bindings::ROWS;
use kanban_front::app::key::Key;
use kanban_front::ui::palette::{self, ROLES};

use super::Config;

/// `config` as a config file, after `header` (comment lines, said first).
/// `fallback` is the editor used when the config names none.
pub fn print(config: &Config, header: &str, fallback: &str) -> String {
    let mut out = String::new();
    for line in header.lines() {
        out.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
    }
    out.push_str("\n[keys]\n");
    out.push_str(KEYS);
    for row in ROWS.iter().filter(|row| !row.actions.is_empty()) {
        out.push_str(&format!("# {}\n", row.does));
        for bound in row.actions {
            out.push_str(&format!("{} = {}\n", bound.name, keys(config.keys.keys(bound.action))));
        }
    }
    out.push_str("\n[theme]\n");
    out.push_str("# \"#rrggbb\", or a terminal color's name (red, lightred, darkgray, default, ...)\n");
    for named in ROLES {
        let value = quoted(&palette::name(config.theme.get(named.role)));
        out.push_str(&format!("{} = {value}  # {}\n", named.name, named.colors));
    }
    out.push_str("\n[editor]\n");
    out.push_str("# The command that edits text, run by the shell (as git's core.editor).\n");
    match &config.editor {
        Some(command) => out.push_str(&format!("command = {}\n", quoted(command))),
        None => {
            out.push_str("# Not set: $VISUAL, else $EDITOR, else vi; here that is:\n");
            out.push_str(&format!("# command = {}\n", quoted(fallback)));
        }
    }
    out.push_str("\n[notify]\n");
    out.push_str("# A new @mention of you rings the terminal's bell, and/or asks it for a desktop\n");
    out.push_str("# notification (OSC 9 and OSC 777, where the terminal shows them).\n");
    out.push_str(&format!("bell = {}\n", config.notify.bell));
    out.push_str(&format!("desktop = {}\n", config.notify.desktop));
    out
}

/// What `[keys]` takes, said above it.
const KEYS: &str = "\
# The board's keys (a form's, a prompt's and a box's own keys stay as they are).
# action = \"key\" or [\"key\", \"key\"] ([] for none): a character (\"x\", \"X\"), \"Ctrl-x\",
# \"Alt-x\", or a key's name (Enter, Esc, Tab, BackTab, Space, Left, PageDown, Home, F5, ...).
# Keys given replace the action's own; a key given here leaves any other action that had
# it. Ctrl-C (quit) and Ctrl-Z (suspend) work everywhere and are not bound here.
";

/// An action's keys: one as a string, else a list.
fn keys(keys: &[Key]) -> String {
    match keys {
        [key] => quoted(&key.to_string()),
        keys => format!("[{}]", keys.iter().map(|k| quoted(&k.to_string())).collect::<Vec<_>>().join(", ")),
    }
}

/// `text` as a TOML string, escaped as TOML wants.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}
