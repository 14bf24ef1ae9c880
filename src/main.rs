//! The `kanban-tui` command: open a board in this terminal, or save a login.

use std::path::PathBuf;

use anyhow::bail;
use clap::{CommandFactory, Parser, Subcommand};
use kanban_protocol::HOST_SOCKET;
use kanban_tui::app::App;
use kanban_tui::client::Client;
use kanban_tui::config::{self, Config};
use kanban_tui::log;
use kanban_tui::net::address;
use kanban_tui::net::api::{Api, ApiError};
use kanban_tui::net::tls;
use kanban_tui::secret;
use kanban_tui::settings::{self, Login};
use kanban_tui::terminal;
use kanban_tui::ui::Theme;
use kanban_tui::ui::paint::ColorChoice;

#[derive(Parser)]
#[command(
    name = "kanban-tui",
    version,
    about = "A shared kanban board in your terminal",
    after_long_help = "Environment (beside each option's own):\n  \
        KANBAN_TOKEN   the token for --server URL, for scripts (`kanban-tui login` saves one instead)\n  \
        KANBAN_SOCKET  the server's Unix socket on this host, where your account says who you are"
)]
struct Cli {
    /// The server: its URL, e.g. http://127.0.0.1:7878 (host:port alone means
    /// http://), or unix:PATH for its socket on this host, where your account says
    /// who you are [default: $KANBAN_SOCKET, the saved login, the host's socket
    /// /run/kanban/kanban.sock, or a server embedded in this process]
    #[arg(long, env = "KANBAN_SERVER", value_parser = address::parse)]
    server: Option<String>,
    /// Refused: a token on the command line is seen by every account on the host
    /// (ps) and kept in shell history. `kanban-tui login` asks for it; scripts set
    /// KANBAN_TOKEN.
    #[arg(long, hide = true)]
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
    /// The config file: keys, colors, editor (`kanban-tui config` prints one with
    /// every default) [default: config.toml in the config directory, e.g.
    /// ~/.config/kanban/config.toml].
    #[arg(long, env = "KANBAN_CONFIG", value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// The embedded server's port (another is taken if it is busy) [default: 7878].
    #[cfg(feature = "embedded")]
    #[arg(long)]
    port: Option<u16>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in to a server and save the login for next time (readable by you
    /// only). Where the server signs people in through the site's provider, this
    /// shows where to go and the code to type there; otherwise (or with
    /// --with-token) the token is asked for without echo, or read from stdin when
    /// it is not a terminal (`ssh host kanban-server user token ann | kanban-tui login ...`).
    Login {
        #[arg(long, value_parser = address::parse)]
        server: String,
        /// Take a token (asked for, or on stdin) even where the server signs
        /// people in through the site's provider (which it does otherwise).
        #[arg(long)]
        with_token: bool,
        /// Refused (see `kanban-tui --help`).
        #[arg(long, hide = true)]
        token: Option<String>,
    },
    /// Serve the embedded board's data with no window (what quitting starts when
    /// others are on the board and it is kept for them).
    #[cfg(feature = "embedded")]
    #[command(hide = true)]
    Serve {
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long)]
        port: u16,
    },
    /// Print the config in effect as TOML, every default written out: a start for
    /// your own config.toml. A config that cannot be used is said, and the status
    /// is 1.
    Config,
    /// Boards from a script: `board list`.
    Board {
        #[command(subcommand)]
        command: kanban_tui::cli::BoardCommand,
    },
    /// Cards from a script or a git hook, by names: list, add, show, edit, move,
    /// comment, delete. Exit status 0, 1 when refused or not found, 2 for usage.
    Card {
        #[command(subcommand)]
        command: kanban_tui::cli::CardCommand,
    },
    /// Speak the Model Context Protocol on stdin and stdout, for coding agents:
    /// tools to list, show, create, edit, move and comment on cards, as you.
    Mcp,
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

const TOKEN_ON_COMMAND_LINE: &str = "--token is not taken: a token on the command line is seen by \
     every account on this host (ps) and kept in your shell's history. Save it with `kanban-tui \
     login --server URL` (it asks for the token, or reads it from stdin), or set KANBAN_TOKEN.";

/// The server to open and the token for it, `None` for the embedded one: `--server`
/// (a Unix socket needs no token; a URL takes KANBAN_TOKEN or the saved login's),
/// the embedded server when its `--data-dir` or `--port` is given (`embedded`:
/// which), then KANBAN_SOCKET, the saved login, and the host's socket where there
/// is one. What is given on the command line wins over what is saved.
fn choose_server(
    given: Option<String>,
    embedded: Option<&str>,
) -> anyhow::Result<(Option<String>, Option<String>)> {
    let env_token = std::env::var("KANBAN_TOKEN").ok().filter(|t| !t.trim().is_empty());
    // (Both given was refused at once, in `main`.)
    if embedded.is_some() {
        return Ok((None, None));
    }
    let saved = settings::load()?;
    if let Some(server) = given {
        if server.starts_with("unix:") {
            return Ok((Some(server), None));
        }
        if let Some(token) = env_token {
            return Ok((Some(server), Some(token)));
        }
        return match saved.filter(|l| address::parse(&l.server).as_deref() == Ok(server.as_str())) {
            Some(l) => Ok((Some(server), Some(l.token))),
            None => bail!(
                "{server} needs a token: save it with `kanban-tui login --server {server}` (it asks for \
                 it), or set KANBAN_TOKEN"
            ),
        };
    }
    if env_token.is_some() {
        bail!("KANBAN_TOKEN needs a server: give --server URL (or KANBAN_SERVER)");
    }
    if let Some(socket) = std::env::var("KANBAN_SOCKET").ok().filter(|s| !s.is_empty()) {
        let server =
            address::parse(&format!("unix:{socket}")).map_err(|e| anyhow::anyhow!("KANBAN_SOCKET: {e}"))?;
        return Ok((Some(server), None));
    }
    if let Some(l) = saved {
        let server = address::parse(&l.server).map_err(|e| anyhow::anyhow!("the saved login: {e}"))?;
        return Ok((Some(server), Some(l.token)));
    }
    if std::path::Path::new(HOST_SOCKET).exists() {
        return Ok((Some(format!("unix:{HOST_SOCKET}")), None));
    }
    Ok((None, None))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    log::mark_start();
    let cli = Cli::parse();
    if cli.token.is_some() || matches!(&cli.command, Some(Command::Login { token: Some(_), .. })) {
        bail!(TOKEN_ON_COMMAND_LINE);
    }
    // Before the terminal is asked for: these print to a pipe or a file.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "kanban-tui", &mut script);
            return print_all(&script);
        }
        Some(Command::Man { dir }) => return man(dir.as_deref()),
        Some(Command::Config) => return print_config(cli.config.as_deref()),
        _ => {}
    }
    #[cfg(feature = "embedded")]
    let embedded_flag = match (&cli.data_dir, cli.port) {
        (Some(_), _) => Some("--data-dir"),
        (None, Some(_)) => Some("--port"),
        (None, None) => None,
    };
    #[cfg(not(feature = "embedded"))]
    let embedded_flag = None;
    if let (Some(server), Some(flag), None) = (&cli.server, embedded_flag, &cli.command) {
        bail!(
            "{flag} is for the board served in this process, and --server {server} names another: \
             give one or the other"
        );
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
    #[cfg(feature = "embedded")]
    if let Some(Command::Serve { data_dir, port }) = &cli.command {
        // Its stderr is the log file beside the data.
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                std::env::var("RUST_LOG").unwrap_or("info".into()),
            ))
            .with_ansi(false)
            .init();
        return kanban_tui::embedded::serve(data_dir, *port).await;
    }
    log::init(cli.log.clone());
    let tls = |server: &str| -> anyhow::Result<_> {
        if server.starts_with("https://") {
            Ok(Some(tls::client_config(cli.ca.as_deref())?))
        } else {
            Ok(None)
        }
    };
    if let Some(Command::Login { server, with_token, .. }) = &cli.command {
        if server.starts_with("unix:") {
            bail!(
                "{server} needs no login: your account on this host says who you are (kanban-tui --server {server})"
            );
        }
        let http = kanban_tui::sso::client(tls(server)?);
        // A server that cannot say is asked again with the token, which says why.
        let sso = !with_token && kanban_tui::sso::offered(&http, server).await.unwrap_or(false);
        let token = if sso {
            kanban_tui::sso::sign_in(&http, server, &mut std::io::stdout()).await?
        } else {
            secret::read_token()?
        };
        let api = Api::with_tls(server, &token, tls(server)?);
        let me = api.me().await.map_err(|e| anyhow::anyhow!("{server}: {e}"))?;
        let path = settings::save(&Login { server: server.clone(), token })?;
        println!("Logged in to {server} as {}; saved in {}", me.name, path.display());
        return Ok(());
    }

    let (server, token) = choose_server(cli.server.clone(), embedded_flag)?;
    if let Some(command @ (Command::Board { .. } | Command::Card { .. } | Command::Mcp)) = cli.command {
        let api = match (server, token) {
            (Some(server), token) if server.starts_with("unix:") || token.is_some() => {
                Api::with_tls(&server, &token.unwrap_or_default(), tls(&server)?)
            }
            #[cfg(feature = "embedded")]
            _ => {
                let port = cli.port.unwrap_or(kanban_tui::embedded::DEFAULT_PORT);
                let e = kanban_tui::embedded::start(&data_dir(cli.data_dir.clone())?, port).await?;
                let api = Api::new(&e.url, &e.token);
                let done = run_cli(&api, command).await;
                drop(e);
                std::process::exit(done);
            }
            #[cfg(not(feature = "embedded"))]
            _ => bail!("no server given or saved: save one with `kanban-tui login --server URL`"),
        };
        std::process::exit(run_cli(&api, command).await);
    }

    let mut app = App::new(cli.fps, cli.project.clone());
    // A config that cannot be used is said here (seen once the board is closed)
    // and on the board; the board has the defaults meanwhile.
    let config = match config::load(cli.config.as_deref()) {
        Ok(loaded) => loaded.config,
        Err(e) => {
            eprintln!("kanban-tui: {e}\nkanban-tui: the config is not used: the board has the defaults");
            app.error_at_start(format!("{e} · not used: the defaults apply"));
            Config::default()
        }
    };
    app.keymap = config.keys;
    app.reach.notify = config.notify;
    // Times are shown where the person is.
    app.zone = jiff::tz::TimeZone::system();
    // The embedded server, when there is one, serves until the board is closed.
    #[cfg(feature = "embedded")]
    let mut _embedded = None;
    let api = match (server, token) {
        (Some(server), token) if server.starts_with("unix:") || token.is_some() => {
            let token = token.unwrap_or_default();
            let api = Api::with_tls(&server, &token, tls(&server)?);
            // A wrong token is said here, before the screen is taken; an unreachable
            // server is retried on screen.
            if let Err(e @ ApiError::Refused { .. }) = api.me().await {
                bail!("{server}: {e}");
            }
            app.server = Some(address::label(&server));
            api
        }
        #[cfg(feature = "embedded")]
        _ => {
            let dir = data_dir(cli.data_dir.clone())?;
            let e = kanban_tui::embedded::start(&dir, cli.port.unwrap_or(kanban_tui::embedded::DEFAULT_PORT))
                .await?;
            app.join_hint = Some(e.hint.clone());
            app.server = Some(format!("here, {}", dir.display()));
            let api = Api::new(&e.url, &e.token);
            _embedded = Some(e);
            api
        }
        #[cfg(not(feature = "embedded"))]
        _ => bail!(
            "no server given or saved: save one with `kanban-tui login --server URL` (this build \
             has no embedded server)"
        ),
    };
    let queue = settings::queue_file(api.base());
    let last_look = api.clone();
    let client = Client::start_with_queue(api, app, queue);
    let depth = cli.color.depth(|name| std::env::var(name).ok());
    // crossterm drops every color under NO_COLOR by itself; the depth chosen here
    // (which honours NO_COLOR unless --color says otherwise) decides instead.
    crossterm::style::force_color_output(depth != kanban_tui::ui::paint::Depth::None);
    let theme = Theme::new(depth).with_palette(config.theme);
    let editor = config.editor.unwrap_or_else(|| config::fallback_editor(|name| std::env::var(name).ok()));
    if let Some((project_id, rev)) = terminal::run(client, theme, cli.fps, editor).await? {
        // The app asked for this on quitting, but the session may be gone before
        // it went: said once more here (the same revision twice is harmless), for
        // a second at most.
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(1), last_look.seen(project_id, rev)).await;
    }
    // The terminal is the shell's again: the embedded server may ask about the others.
    #[cfg(feature = "embedded")]
    if let Some(embedded) = _embedded
        && let Some(said) = kanban_tui::embedded::leave(embedded).await?
    {
        println!("{said}");
    }
    Ok(())
}

/// Where the embedded server keeps its data: `--data-dir`, or the platform's.
#[cfg(feature = "embedded")]
fn data_dir(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match given {
        Some(dir) => Ok(dir),
        None => {
            anyhow::Context::context(kanban_server::default_data_dir(), "no data directory: give --data-dir")
        }
    }
}

/// Runs a board or card command; answers its exit status (1: refused, said on
/// stderr).
async fn run_cli(api: &Api, command: Command) -> i32 {
    let done = match command {
        Command::Board { command } => kanban_tui::cli::board(api, command).await,
        Command::Card { command } => kanban_tui::cli::card(api, command).await,
        Command::Mcp => match kanban_tui::mcp::serve(api.clone()).await {
            Ok(()) => Ok(()),
            Err(e) => Err(kanban_tui::cli::Failure::Said(format!("mcp: {e}"))),
        },
        _ => return 2,
    };
    match done {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("kanban-tui: {e}");
            1
        }
    }
}

/// `kanban-tui config`: the config in effect as TOML, or why it cannot be used.
fn print_config(given: Option<&std::path::Path>) -> anyhow::Result<()> {
    let loaded = config::load(given)?;
    let header = match (&loaded.from, config::default_file()) {
        (Some(path), _) => format!("read from {}", path.display()),
        (None, Some(path)) => format!("no {} yet: these are the defaults", path.display()),
        (None, None) => "no config directory on this platform: these are the defaults".to_string(),
    };
    let header = format!(
        "kanban-tui's config in effect ({header}), every default written out.\n\
         Copy it to start your own: keep what you change, delete the rest."
    );
    let fallback = config::fallback_editor(|name| std::env::var(name).ok());
    print_all(config::print(&loaded.config, &header, &fallback).as_bytes())
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
