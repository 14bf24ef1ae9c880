//! The `kanban-tui` command: open a board in this terminal, or save a login.

use std::path::PathBuf;

use anyhow::bail;
use clap::{CommandFactory, Parser, Subcommand};
use kanban_tui::app::App;
use kanban_tui::client::Client;
use kanban_tui::log;
use kanban_tui::net::address;
use kanban_tui::net::api::{Api, ApiError};
use kanban_tui::net::tls;
use kanban_tui::settings::{self, Login};
use kanban_tui::terminal;
use kanban_tui::ui::Theme;
use kanban_tui::ui::paint::ColorChoice;

#[derive(Parser)]
#[command(name = "kanban-tui", version, about = "A shared kanban board in your terminal")]
struct Cli {
    /// The server's URL, e.g. http://127.0.0.1:7878 (host:port alone means http://)
    /// [default: the saved login, or a server embedded in this process]
    #[arg(long, env = "KANBAN_SERVER", value_parser = address::parse)]
    server: Option<String>,
    /// Your token (from `kanban-server user add`).
    #[arg(long, env = "KANBAN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The project to open, by id or name [default: the only one, or a picker].
    #[arg(long)]
    project: Option<String>,
    /// Colors: auto (from NO_COLOR, COLORTERM and TERM), truecolor, 256, 16 or never.
    #[arg(long, env = "KANBAN_COLOR", default_value = "auto")]
    color: ColorChoice,
    /// Frames per second: the most redraws, and cursor events, per second.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=240))]
    fps: u32,
    /// Where the embedded server keeps its data [default: the platform's data directory].
    #[cfg(feature = "embedded")]
    #[arg(long, env = "KANBAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// A PEM file of CA certificates to trust (for a server with a private CA),
    /// beside the system's roots.
    #[arg(long, env = "KANBAN_CA")]
    ca: Option<PathBuf>,
    /// The log file [default: kanban-tui.log in the state directory, e.g.
    /// ~/.local/state/kanban]; RUST_LOG sets the level (info).
    #[arg(long, env = "KANBAN_LOG")]
    log: Option<PathBuf>,
    /// The embedded server's port (another is taken if it is busy).
    #[cfg(feature = "embedded")]
    #[arg(long, default_value_t = kanban_tui::embedded::DEFAULT_PORT)]
    port: u16,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check a server and token, and save them for next time (readable by you only).
    Login {
        #[arg(long, value_parser = address::parse)]
        server: String,
        #[arg(long)]
        token: String,
    },
    /// Print a completion script for SHELL to stdout.
    Completions { shell: clap_complete::Shell },
    /// Print the man page kanban-tui(1) to stdout, or write one page per command
    /// into a directory.
    Man {
        /// Write kanban-tui.1, kanban-tui-login.1, ... into DIR.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Before the terminal is asked for: these print to a pipe or a file.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "kanban-tui", &mut script);
            return print_all(&script);
        }
        Some(Command::Man { dir }) => return man(dir.as_deref()),
        _ => {}
    }
    if cli.command.is_none() {
        // ratatui cannot draw without a terminal (and would panic trying): say so.
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
            bail!(
                "kanban-tui draws the board in a terminal, and this is not one (stdin or stdout \
                 is redirected). Over ssh, ask for a terminal: ssh -t HOST kanban-tui"
            );
        }
    }
    log::init(cli.log.clone());
    let tls = |server: &str| -> anyhow::Result<_> {
        if server.starts_with("https://") {
            Ok(Some(tls::client_config(cli.ca.as_deref())?))
        } else {
            Ok(None)
        }
    };
    if let Some(Command::Login { server, token }) = &cli.command {
        let (server, token) = (server.clone(), token.clone());
        let api = Api::with_tls(&server, &token, tls(&server)?);
        let me = api.me().await.map_err(|e| anyhow::anyhow!("{server}: {e}"))?;
        let path = settings::save(&Login { server: server.clone(), token })?;
        println!("Logged in to {server} as {}; saved in {}", me.name, path.display());
        return Ok(());
    }

    let saved = settings::load()?;
    let (server, token) = match (cli.server.clone(), cli.token.clone()) {
        (Some(s), Some(t)) => (Some(s), Some(t)),
        (Some(s), None) => match saved.filter(|l| address::parse(&l.server).as_deref() == Ok(s.as_str())) {
            Some(l) => (Some(s), Some(l.token)),
            None => bail!("--server {s} needs --token (or save one with `kanban-tui login`)"),
        },
        (None, Some(_)) => bail!("--token needs --server"),
        (None, None) => match saved {
            Some(l) => {
                let server =
                    address::parse(&l.server).map_err(|e| anyhow::anyhow!("the saved login: {e}"))?;
                (Some(server), Some(l.token))
            }
            None => (None, None),
        },
    };

    #[cfg_attr(not(feature = "embedded"), allow(unused_mut))]
    let mut app = App::new(cli.fps, cli.project.clone());
    // The embedded server, when there is one, serves until the board is closed.
    #[cfg(feature = "embedded")]
    let mut _embedded = None;
    let api = match (server, token) {
        (Some(server), Some(token)) => {
            let api = Api::with_tls(&server, &token, tls(&server)?);
            // A wrong token is said here, before the screen is taken; an unreachable
            // server is retried on screen.
            if let Err(e @ ApiError::Refused { .. }) = api.me().await {
                bail!("{server}: {e}");
            }
            api
        }
        #[cfg(feature = "embedded")]
        _ => {
            let dir = match cli.data_dir.clone() {
                Some(d) => d,
                None => anyhow::Context::context(
                    kanban_server::default_data_dir(),
                    "no data directory: give --data-dir",
                )?,
            };
            let e = kanban_tui::embedded::start(&dir, cli.port).await?;
            app.join_hint = Some(e.hint.clone());
            let api = Api::new(&e.url, &e.token);
            _embedded = Some(e);
            api
        }
        #[cfg(not(feature = "embedded"))]
        _ => bail!(
            "no server given or saved: give --server URL --token TOKEN, or save them with \
             `kanban-tui login` (this build has no embedded server)"
        ),
    };
    let queue = settings::queue_file(api.base());
    let client = Client::start_with_queue(api, app, queue);
    let depth = cli.color.depth(|name| std::env::var(name).ok());
    // crossterm drops every color under NO_COLOR by itself; the depth chosen here
    // (which honours NO_COLOR unless --color says otherwise) decides instead.
    crossterm::style::force_color_output(depth != kanban_tui::ui::paint::Depth::None);
    let theme = Theme::new(depth);
    terminal::run(client, theme, cli.fps).await
}

/// The man page on stdout, or every page in `dir`. `help` is left out: the pages
/// are the help.
fn man(dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    let cli = Cli::command().disable_help_subcommand(true);
    match dir {
        Some(dir) => anyhow::Context::with_context(clap_mangen::generate_to(cli, dir), || {
            format!("cannot write in {}", dir.display())
        }),
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cli).render(&mut page)?;
            print_all(&page)
        }
    }
}

/// Writes `bytes` to stdout; a reader that stopped early (`| head`) is no error.
fn print_all(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
