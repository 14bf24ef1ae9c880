//! Saved login: server and token in the platform's config directory, readable by
//! the owner only.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// What `kanban-tui login` saves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub server: String,
    pub token: String,
}

/// The config directory: `KANBAN_CONFIG_DIR`, or the platform's (e.g. `~/.config/kanban`).
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KANBAN_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "kanban").map(|d| d.config_dir().to_path_buf())
}

/// Where changes waiting for a server are kept: `KANBAN_STATE_DIR`, or the
/// platform's state directory (e.g. `~/.local/state/kanban`; the local data
/// directory where there is none).
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KANBAN_STATE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("", "", "kanban")?;
    Some(dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir()).to_path_buf())
}

/// The file of changes waiting for `server`: one per server, named after it.
pub fn queue_file(server: &str) -> Option<PathBuf> {
    let name: String = server
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
        .collect();
    state_dir().map(|d| d.join(format!("waiting-{name}.json")))
}

fn login_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join("login.json"))
}

/// The saved login, if there is one.
pub fn load() -> anyhow::Result<Option<Login>> {
    let Some(path) = login_file() else { return Ok(None) };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            Ok(Some(serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Saves a login (mode 0600: the token is a secret); returns where.
pub fn save(login: &Login) -> anyhow::Result<PathBuf> {
    let path = login_file().context("no config directory on this platform")?;
    let dir = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_private(&path, &serde_json::to_vec_pretty(login)?)?;
    Ok(path)
}

/// Writes a file only its owner can read, replacing it.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An existing file keeps its mode on open: tighten it first.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    let mut file = options.open(path).with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}
