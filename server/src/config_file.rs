//! `kanban-server --config FILE`: the flags of a serving process in a TOML file,
//! one key per flag, named as its long name without the dashes
//! (`max-connections = 5000`, `trusted-proxy = ["10.0.0.0/8"]`), for a site that
//! keeps its settings in configuration management rather than in a unit's
//! environment. What the file says is the default under the environment and the
//! command line: a flag given beats `KANBAN_*`, which beats the file, which beats
//! the built-in default. A key that names no flag is an error, so that a typo is
//! never silently ignored.

use std::path::{Path, PathBuf};

/// Why a configuration file cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: {why}", path.display())]
    Unreadable { path: PathBuf, why: String },
    #[error("{}: {key} {why}", path.display())]
    Key { path: PathBuf, key: String, why: String },
}

/// The file's settings: each key with its value(s) as the command line would
/// give them.
pub fn load(path: &Path) -> Result<Vec<(String, Vec<String>)>, ConfigError> {
    let unreadable = |why: String| ConfigError::Unreadable { path: path.to_owned(), why };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| unreadable(e.to_string()))?;
    table
        .into_iter()
        .map(|(key, value)| {
            let bad =
                |why: &str| ConfigError::Key { path: path.to_owned(), key: key.clone(), why: why.into() };
            let values = match value {
                toml::Value::Array(items) => items
                    .into_iter()
                    .map(|item| scalar(item).ok_or_else(|| bad("holds a list of tables or lists")))
                    .collect(),
                other => {
                    scalar(other).map(|v| vec![v]).ok_or_else(|| bad("is a table: give the flag's value"))
                }
            }?;
            Ok((key, values))
        })
        .collect()
}

/// A value as the command line would give it.
fn scalar(value: toml::Value) -> Option<String> {
    Some(match value {
        toml::Value::String(s) => s,
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(_) | toml::Value::Table(_) => return None,
    })
}

/// Where the configuration file is, if one is named: `--config FILE` (or
/// `--config=FILE`) among `args`, else `KANBAN_CONFIG`. Read before the command
/// line is parsed, since the file gives the parser its defaults.
pub fn named(args: &[std::ffi::OsString]) -> Option<PathBuf> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy();
        if arg == "--" {
            break;
        }
        if arg == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os("KANBAN_CONFIG").map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_as_the_command_line_gives_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kanban.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:7878\"\nmax-connections = 5000\ntrusted-proxy = [\"10.0.0.0/8\", \"192.168.0.0/16\"]\n",
        )
        .unwrap();
        let mut got = load(&file).unwrap();
        got.sort();
        assert_eq!(
            got,
            [
                ("listen".to_string(), vec!["0.0.0.0:7878".to_string()]),
                ("max-connections".to_string(), vec!["5000".to_string()]),
                ("trusted-proxy".to_string(), vec!["10.0.0.0/8".to_string(), "192.168.0.0/16".to_string()]),
            ]
        );
        std::fs::write(&file, "[ssh]\nlisten = 1\n").unwrap();
        assert!(load(&file).unwrap_err().to_string().contains("ssh is a table"));
        std::fs::write(&file, "listen = \n").unwrap();
        assert!(load(&file).is_err());
    }

    #[test]
    fn the_file_is_named_by_the_flag_or_the_environment() {
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(named(&args(&["kanban-server", "--config", "/etc/k.toml"])), Some("/etc/k.toml".into()));
        assert_eq!(
            named(&args(&["kanban-server", "--config=/etc/k.toml", "user", "list"])),
            Some("/etc/k.toml".into())
        );
        assert_eq!(
            named(&args(&["kanban-server", "--", "--config", "x"])),
            std::env::var_os("KANBAN_CONFIG").map(PathBuf::from)
        );
    }
}
