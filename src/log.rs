//! The client's log: a file, never the screen (the board is drawn there). By
//! default `kanban-tui.log` in the state directory (`~/.local/state/kanban`),
//! `--log FILE` (`KANBAN_LOG`) elsewhere; `RUST_LOG` sets the level (`info`). A
//! log past a few MiB is moved to `.old` at start, so it never grows without end.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tracing_subscriber::EnvFilter;

/// A log larger than this is moved aside at start.
const KEEP_BYTES: u64 = 4 << 20;

/// When this process started, as `main` saw it.
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Notes that the process has started: the log says how long a start took (to
/// the board's first frame) from here.
pub fn mark_start() {
    STARTED.get_or_init(Instant::now);
}

/// How long since [`mark_start`] (nothing, if it was never called).
pub fn since_start() -> Duration {
    STARTED.get().map_or(Duration::ZERO, Instant::elapsed)
}

/// Where the log goes when `--log` does not say.
pub fn default_file() -> Option<PathBuf> {
    crate::settings::state_dir().map(|d| d.join("kanban-tui.log"))
}

/// Sends this process's log (the embedded server's too) to `file`, or to the
/// default file. A log that cannot be opened is said once on stderr (the screen is
/// not taken yet) and the client runs without one.
pub fn init(file: Option<PathBuf>) {
    let Some(path) = file.or_else(default_file) else { return };
    match open(&path) {
        Ok(file) => {
            let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::sync::Mutex::new(file))
                .with_ansi(false)
                .init();
        }
        Err(e) => eprintln!("kanban-tui: no log ({}: {e})", path.display()),
    }
}

fn open(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.len() > KEEP_BYTES) {
        let mut old = path.as_os_str().to_owned();
        old.push(".old");
        std::fs::rename(path, old)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        // Names of projects and people are in it: the owner's to read.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
