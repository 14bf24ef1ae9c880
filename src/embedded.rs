//! The embedded default: with no server given or saved, `kanban-tui` runs the
//! server library in its own process on a local SQLite file, as the local user,
//! and opens that user's board. Others on the host can join the same server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kanban_server::data_dir::{LockError, Serving};
use kanban_server::store::Store;
use kanban_server::{AppOverrides, Limits, OpenError, RunningServer, Server, admin};

use crate::app::JoinHint;
use crate::settings::write_private;

/// The port an embedded server prefers, the same as `kanban-server`'s default.
pub const DEFAULT_PORT: u16 = 7878;

/// A server to talk to, started here or found already running on this data.
pub struct Embedded {
    pub url: String,
    pub token: String,
    /// How others join, for the screen.
    pub hint: JoinHint,
    /// Serving until dropped (`None` when another process already serves this data).
    pub running: Option<RunningServer>,
}

/// The local user's name: `$USER`, or "me".
fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.is_empty() && !u.chars().any(|c| c.is_whitespace() || c.is_control()))
        .unwrap_or_else(|| "me".into())
}

/// Starts (or finds) the server on `data_dir` and makes sure the local user has a
/// token and a board.
pub async fn start(data_dir: &Path, port: u16) -> anyhow::Result<Embedded> {
    // Others join this process's server: each of their connections is a file.
    let _ = kanban_server::raise_open_file_limit();
    let (server, url, running) = match open_or_find(data_dir).await? {
        Found::Opened(server) => {
            let preferred: SocketAddr = ([127, 0, 0, 1], port).into();
            let running = match server.clone().spawn(preferred).await {
                Ok(running) => running,
                // The port is someone else's (this data directory is ours).
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    server.clone().spawn(([127, 0, 0, 1], 0).into()).await?
                }
                Err(e) => return Err(e).context("starting the embedded server"),
            };
            (Some(server), format!("http://{}", running.addr), Some(running))
        }
        // Another process (a kanban-server, or another kanban-tui) serves this
        // data: join it rather than serve the same database twice.
        Found::Served(url) => (None, url, None),
    };
    // The user and board are made through the database directly, as the admin
    // commands do, whoever serves it.
    let store: Arc<dyn Store> = match &server {
        Some(server) => server.store().clone(),
        None => Arc::new(kanban_server::open_store(data_dir).await?),
    };
    let name = local_user();
    let token = local_token(store.as_ref(), data_dir, &name).await?;
    let user = store.user_by_token(&token).await?.context("the local token names no user")?.user;
    let project_id = match store.projects_of(user.id).await?.first() {
        Some(p) => p.id,
        None => {
            admin::project_add(store.as_ref(), &format!("{name}'s board"), &[format!("{name}:owner")]).await?
        }
    };
    let dir = shell_quote(&data_dir.display().to_string());
    let hint = JoinHint {
        short: format!("others join at {url} (? shows how)"),
        steps: vec![
            format!("Others join this board at {url}."),
            "Add each one (the first command prints their token):".to_string(),
            format!("  kanban-server --data-dir {dir} user add NAME"),
            format!("  kanban-server --data-dir {dir} project grant {project_id} NAME"),
            "and they run, pasting the token when it is asked for:".to_string(),
            format!("  kanban-tui login --server {url}"),
            "  kanban-tui".to_string(),
        ],
    };
    Ok(Embedded { url, token, hint, running })
}

/// What a data directory offers this process.
enum Found {
    /// Nobody served it: it is ours to serve.
    Opened(Server),
    /// Another process serves it, at this URL.
    Served(String),
}

/// Opens `data_dir` to serve it, or finds who does. A process that holds it but
/// has not yet said where it listens is given a few seconds to.
async fn open_or_find(data_dir: &Path) -> anyhow::Result<Found> {
    let mut waited = Duration::ZERO;
    loop {
        let error = match Server::open(data_dir, &AppOverrides::default(), Limits::default()).await {
            Ok(server) => return Ok(Found::Opened(server)),
            Err(e) => e,
        };
        match &error {
            OpenError::Lock(LockError::Busy { serving: Some(Serving { url: Some(url), .. }), .. }) => {
                return Ok(Found::Served(url.clone()));
            }
            OpenError::Lock(LockError::Busy { .. }) if waited < STARTING => {}
            _ => {
                let where_ = data_dir.display();
                return Err(anyhow::Error::new(error).context(format!("opening the board data in {where_}")));
            }
        }
        tokio::time::sleep(STARTING_POLL).await;
        waited += STARTING_POLL;
    }
}

/// How long a process holding the data directory may take to start listening.
const STARTING: Duration = Duration::from_secs(5);
const STARTING_POLL: Duration = Duration::from_millis(100);

/// The local user's token, kept (0600) beside the database, made on first run.
async fn local_token(
    store: &dyn kanban_server::store::Store,
    data_dir: &Path,
    name: &str,
) -> anyhow::Result<String> {
    let file: PathBuf = data_dir.join("local-token");
    if let Ok(saved) = std::fs::read_to_string(&file) {
        let saved = saved.trim().to_string();
        if store.user_by_token(&saved).await?.is_some() {
            return Ok(saved);
        }
    }
    let token = match store.user_by_name(name).await {
        Ok(user) => store.issue_token(user.id).await?,
        Err(kanban_server::store::StoreError::NotFound(_)) => admin::user_add(store, name, None).await?,
        Err(e) => return Err(e.into()),
    };
    write_private(&file, token.as_bytes())?;
    Ok(token)
}

fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-~".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
