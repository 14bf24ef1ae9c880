//! The embedded default: with no server given or saved, `kanban-tui` runs the
//! server library in its own process on a local SQLite file, as the local user,
//! and opens that user's board. Others on the host can join the same server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use kanban_server::{AppOverrides, Limits, RunningServer, Server, admin};

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
    let server = Server::open(data_dir, &AppOverrides::default(), Limits::default())
        .await
        .with_context(|| format!("opening the board data in {}", data_dir.display()))?;
    let store = server.store().clone();
    let name = local_user();
    let token = local_token(store.as_ref(), data_dir, &name).await?;
    let user = store.user_by_token(&token).await?.context("the local token names no user")?.user;
    let project_id = match store.projects_of(user.id).await?.first() {
        Some(p) => p.id,
        None => {
            admin::project_add(store.as_ref(), &format!("{name}'s board"), &[format!("{name}:owner")]).await?
        }
    };
    let preferred: SocketAddr = ([127, 0, 0, 1], port).into();
    let (url, running) = match server.clone().spawn(preferred).await {
        Ok(running) => (format!("http://{}", running.addr), Some(running)),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            // Another kanban-tui may already serve this very data: then join it.
            let url = format!("http://{preferred}");
            if serves_same_app(&url, &server.hub().app().key).await {
                (url, None)
            } else {
                let running = server.spawn(([127, 0, 0, 1], 0).into()).await?;
                (format!("http://{}", running.addr), Some(running))
            }
        }
        Err(e) => return Err(e).context("starting the embedded server"),
    };
    let dir = shell_quote(&data_dir.display().to_string());
    let hint = JoinHint {
        short: format!("others join at {url} (? shows how)"),
        steps: vec![
            format!("Others join this board at {url}."),
            "Add each one (the first command prints their token):".to_string(),
            format!("  kanban-server --data-dir {dir} user add NAME"),
            format!("  kanban-server --data-dir {dir} project grant {project_id} NAME"),
            "and they run:".to_string(),
            format!("  kanban-tui --server {url} --token TOKEN"),
        ],
    };
    Ok(Embedded { url, token, hint, running })
}

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

async fn serves_same_app(url: &str, app_key: &str) -> bool {
    let Ok(res) = reqwest::get(format!("{url}/api/config")).await else { return false };
    let Ok(config) = res.json::<kanban_protocol::model::ClientConfig>().await else { return false };
    config.app_key == app_key
}

fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-~".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
