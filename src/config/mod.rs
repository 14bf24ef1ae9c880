//! The person's config file: their keys, colors and editor ([`Config`]), from
//! `config.toml` in the config directory or the file `--config` names. A file that
//! cannot be used is an error naming the file and the line ([`ConfigError`]); the
//! board then starts with the defaults, the whole file left aside, so that a
//! config is never half applied. Reading it is [`parse`]'s, writing the config in
//! effect back as TOML (`kanban-tui config`) is [`print`]'s.

mod parse;
mod print;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use kanban_front::app::keymap::KeyMap;
use kanban_front::ui::palette::Palette;

pub use parse::parse;
pub use print::print;

/// What a config file sets; every part the default where it says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `[keys]`: the board's keys.
    pub keys: KeyMap,
    /// `[theme]`: the interface's colors.
    pub theme: Palette,
    /// `[editor] command`: the command line that edits text, run by the shell (as
    /// git's `core.editor`); `None`: [`fallback_editor`].
    pub editor: Option<String>,
    /// `[notify] bell`, `desktop`: how a new mention is rung (off by default).
    pub notify: kanban_front::app::inbox::Notify,
}

/// A config file that cannot be used, and where it says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// The line at fault (from 1), when the fault is on one.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A config as read, and the file it was read from (none: there was no file).
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub from: Option<PathBuf>,
}

/// The file read when `--config` names none: `config.toml` in the config
/// directory ([`crate::settings::config_dir`]).
pub fn default_file() -> Option<PathBuf> {
    crate::settings::config_dir().map(|dir| dir.join("config.toml"))
}

/// Reads the config: the file `given` (which must be there), else the default
/// file when there is one, else the defaults.
pub fn load(given: Option<&Path>) -> Result<Loaded, ConfigError> {
    load_from(given, default_file())
}

/// [`load`], the default file being `default`.
fn load_from(given: Option<&Path>, default: Option<PathBuf>) -> Result<Loaded, ConfigError> {
    let Some(path) = given.map(Path::to_path_buf).or(default) else {
        return Ok(Loaded { config: Config::default(), from: None });
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Loaded { config: parse(&text, &path)?, from: Some(path) }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && given.is_none() => {
            Ok(Loaded { config: Config::default(), from: None })
        }
        Err(e) => Err(ConfigError { path, line: None, message: format!("cannot be read: {e}") }),
    }
}

/// The editor when the config names none: `$VISUAL`, else `$EDITOR`, else `vi`
/// (`var` reads the environment).
pub fn fallback_editor(var: impl Fn(&str) -> Option<String>) -> String {
    ["VISUAL", "EDITOR"]
        .into_iter()
        .find_map(|name| var(name).filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "vi".into())
}

#[cfg(test)]
mod load_tests {
    use super::*;

    #[test]
    fn a_missing_default_file_is_the_defaults_and_a_missing_given_one_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let default = dir.path().join("config.toml");
        let loaded = load_from(None, Some(default.clone())).unwrap();
        assert_eq!((loaded.config, loaded.from), (Config::default(), None));
        let given = dir.path().join("mine.toml");
        let err = load_from(Some(&given), Some(default.clone())).unwrap_err();
        assert_eq!(err.path, given);
        assert!(err.to_string().contains("cannot be read"), "{err}");
        std::fs::write(&default, "[editor]\ncommand = \"nano\"\n").unwrap();
        let loaded = load_from(None, Some(default.clone())).unwrap();
        assert_eq!(loaded.config.editor.as_deref(), Some("nano"));
        assert_eq!(loaded.from, Some(default));
    }

    #[test]
    fn the_editor_falls_back_to_visual_then_editor_then_vi() {
        let env = |pairs: &'static [(&str, &str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(fallback_editor(env(&[("VISUAL", "code -w"), ("EDITOR", "nano")])), "code -w");
        assert_eq!(fallback_editor(env(&[("VISUAL", ""), ("EDITOR", "nano")])), "nano");
        assert_eq!(fallback_editor(env(&[])), "vi");
    }
}
