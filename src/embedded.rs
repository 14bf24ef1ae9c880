//! The embedded default: with no server given or saved, `kanban-tui` runs the
//! server library in its own process on a local SQLite file, as the local user,
//! and opens that user's board. Others on the host can join the same server.
//!
//! When its host quits while others are on the board, the board need not go with
//! the window: [`leave`] asks whether to keep serving in the background (a
//! detached server process on the same data and port, which the others' clients
//! reconnect to, and which later `kanban-tui`s join) or to stop and disconnect them.

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
    /// The server served here, to ask who is on its boards.
    server: Option<Server>,
    /// The local user, who is not counted among the others.
    user_id: i64,
    data_dir: PathBuf,
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
    let data_dir = data_dir.to_owned();
    Ok(Embedded { url, token, hint, running, server, user_id: user.id, data_dir })
}

impl Embedded {
    /// The names of the people other than the local user on this process's
    /// boards (in a presence channel), sorted.
    pub async fn others_present(&self) -> Vec<String> {
        let Some(server) = &self.server else { return Vec::new() };
        let adapter = server.hub().adapter();
        let mut ids: Vec<i64> = adapter
            .channels("presence-")
            .into_iter()
            .flat_map(|(channel, _)| adapter.members(&channel))
            .filter_map(|id| id.parse().ok())
            .filter(|id| *id != self.user_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let users = server.store().users().await.unwrap_or_default();
        let mut names: Vec<String> =
            users.into_iter().filter(|u| ids.contains(&u.id)).map(|u| u.name).collect();
        names.sort();
        names
    }
}

/// Whether, on quitting, the board keeps being served for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaving {
    KeepServing,
    Stop,
}

/// The question [`leave`] asks, for `others` on the board.
pub fn question(others: &[String]) -> String {
    let people = match others.len() {
        1 => "1 other person is".to_string(),
        n => format!("{n} other people are"),
    };
    format!(
        "{people} on this board ({}), served from this terminal.\n\
         Keep serving it in the background [K], or stop and disconnect them [s]? ",
        others.join(", ")
    )
}

/// Reads the answer to [`question`]: Enter or k keeps serving, s stops; anything
/// else (or no answer at all) asks again, up to three times, then keeps serving,
/// which loses nobody's work.
pub fn answer(mut read_line: impl FnMut() -> Option<String>, mut say: impl FnMut(&str)) -> Leaving {
    for _ in 0..3 {
        match read_line().map(|l| l.trim().to_lowercase()) {
            Some(a) if a.is_empty() || a == "k" || a == "keep" => return Leaving::KeepServing,
            Some(a) if a == "s" || a == "stop" => return Leaving::Stop,
            Some(_) => say("k (keep serving) or s (stop)? "),
            None => break,
        }
    }
    Leaving::KeepServing
}

/// Ends this process's part in the board: when others are on it, asks (on the
/// terminal given back) whether to keep serving it in the background. Returns
/// what was done, in words for the terminal.
pub async fn leave(mut embedded: Embedded) -> anyhow::Result<Option<String>> {
    let Some(running) = embedded.running.take() else { return Ok(None) };
    let others = embedded.others_present().await;
    let keep = !others.is_empty() && {
        use std::io::Write as _;
        print!("{}", question(&others));
        let _ = std::io::stdout().flush();
        let read_line = || {
            let mut line = String::new();
            match std::io::stdin().read_line(&mut line) {
                Ok(0) | Err(_) => None,
                Ok(_) => Some(line),
            }
        };
        answer(read_line, |s| {
            print!("{s}");
            let _ = std::io::stdout().flush();
        }) == Leaving::KeepServing
    };
    let port = running.addr.port();
    // The others' clients are asked to reconnect (4200), and find the background
    // server at the same address.
    running.stop().await.context("stopping the embedded server")?;
    drop(embedded.server.take());
    if !keep {
        return Ok((!others.is_empty()).then(|| format!("Stopped: {} disconnected.", others.join(", "))));
    }
    let (pid, url) = serve_in_background(&embedded.data_dir, port).await?;
    Ok(Some(format!(
        "The board is served in the background at {url} (process {pid}; its log is {}). \
         Stop it with: kill {pid}",
        embedded.data_dir.join(BACKGROUND_LOG).display()
    )))
}

/// The background server's log, in the data directory.
pub const BACKGROUND_LOG: &str = "kanban-server.log";

/// Starts this program as a detached server of `data_dir` on `port` and waits
/// until it says where it listens (in the data directory's lock). The process
/// has its own process group and no terminal: closing the window does not end it.
async fn serve_in_background(data_dir: &Path, port: u16) -> anyhow::Result<(u32, String)> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().context("finding this program to start the server")?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.join(BACKGROUND_LOG))
        .context("opening the background server's log")?;
    let child = std::process::Command::new(exe)
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--port")
        .arg(port.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .context("starting the background server")?;
    let pid = child.id();
    let mut waited = Duration::ZERO;
    while waited < STARTING {
        if let Some(Serving { pid: holder, url: Some(url) }) = kanban_server::data_dir::serving(data_dir)
            && holder == pid
        {
            return Ok((pid, url));
        }
        tokio::time::sleep(STARTING_POLL).await;
        waited += STARTING_POLL;
    }
    anyhow::bail!(
        "the background server did not start within {} s: see {}",
        STARTING.as_secs(),
        data_dir.join(BACKGROUND_LOG).display()
    )
}

/// Serves `data_dir` on `127.0.0.1:port` until SIGTERM or SIGINT: the background
/// server that [`leave`] starts. A hangup of the terminal it came from is not
/// a reason to stop.
pub async fn serve(data_dir: &Path, port: u16) -> anyhow::Result<()> {
    let _ = kanban_server::raise_open_file_limit();
    let hangup = Arc::new(std::sync::atomic::AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGHUP, hangup)?;
    let server = Server::open(data_dir, &AppOverrides::default(), Limits::default())
        .await
        .with_context(|| format!("opening the board data in {}", data_dir.display()))?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("listening on 127.0.0.1:{port}"))?;
    let stop = kanban_server::shutdown_signal();
    tracing::info!(addr = %listener.local_addr()?, data_dir = %data_dir.display(), "serving in the background");
    let store = server.store().clone();
    server.serve(listener, None, stop).await?;
    store.close().await;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_question_names_the_others_and_the_answer_defaults_to_keeping_them() {
        let q = question(&["ann".into(), "bob".into()]);
        assert!(q.contains("2 other people") && q.contains("ann, bob"), "{q}");
        assert!(question(&["ann".into()]).contains("1 other person is"));
        let answers = |given: &[&str]| {
            let mut given = given.iter().map(|s| s.to_string());
            answer(|| given.next(), |_| {})
        };
        assert_eq!(answers(&["\n"]), Leaving::KeepServing);
        assert_eq!(answers(&["k\n"]), Leaving::KeepServing);
        assert_eq!(answers(&["S\n"]), Leaving::Stop);
        assert_eq!(answers(&["what\n", "s\n"]), Leaving::Stop);
        assert_eq!(answers(&["x", "y", "z", "s"]), Leaving::KeepServing, "asked three times");
        assert_eq!(answers(&[]), Leaving::KeepServing, "no answer loses nobody's work");
    }
}
