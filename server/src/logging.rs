//! The server's log on stderr: text for a person at a terminal, or JSON (one object
//! per line, the event's fields beside `timestamp`, `level` and `target`) for a log
//! collector. `RUST_LOG` filters either; the access log is the target
//! `kanban_server::access`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per event, colored on a terminal.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber: `RUST_LOG` when set, else `default_level`.
pub fn init(format: LogFormat, default_level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        // Flattened, so that collectors find `status` or `path` at the top level.
        LogFormat::Json => builder.json().flatten_event(true).with_ansi(false).init(),
    }
}
