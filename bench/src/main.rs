//! kanban-bench: load for any Pusher Channels protocol v7 server (kanban-server,
//! Sockudo, ...), on loopback only. Each scenario ends by itself, prints a table and
//! one JSON line, and exits non-zero when the run was invalid.

mod conn;
mod report;
mod scenarios;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "kanban-bench", version, about = "Pusher-protocol load generator")]
struct Cli {
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    scenario: Scenario,
}

/// Where to send load, and the app to sign for.
#[derive(Args, Clone, Debug)]
pub struct Target {
    /// The server's host: loopback only (127.0.0.0/8 or localhost).
    #[arg(long, default_value = "127.0.0.1", global = true)]
    pub host: String,
    #[arg(long, default_value_t = 7878, global = true)]
    pub port: u16,
    #[arg(long, default_value = "", global = true)]
    pub app_id: String,
    #[arg(long, default_value = "", global = true)]
    pub key: String,
    #[arg(long, default_value = "", global = true, hide_env_values = true)]
    pub secret: String,
    /// The server's process id: report its CPU time (and memory where it applies).
    #[arg(long, global = true)]
    pub pid: Option<u32>,
    /// Nodes of one cluster (or processes sharing one database), by port: the
    /// subscribers and clients go round them, while publishers stay on --port
    /// [default: --port alone].
    #[arg(long, value_delimiter = ',', global = true)]
    pub ports: Vec<u16>,
    /// The process ids of all the servers involved, for their CPU time together
    /// [default: --pid].
    #[arg(long, value_delimiter = ',', global = true)]
    pub pids: Vec<u32>,
}

#[derive(Subcommand)]
enum Scenario {
    /// N subscribers on one private channel; one publisher at R events per second.
    Fanout(scenarios::fanout::Opts),
    /// N users in one presence channel, each sending cursor moves at H Hz.
    Cursors(scenarios::cursors::Opts),
    /// C idle connections, each in a presence channel; memory per connection.
    Connections(scenarios::connections::Opts),
    /// K REST clients changing a board while a subscriber checks every event
    /// (kanban-server only).
    Mutations(scenarios::mutations::Opts),
    /// A big board (C cards over N columns) and what fetching it costs, as sent
    /// and gzipped (kanban-server only).
    Board(scenarios::board::Opts),
    /// N presence users on one node of a cluster, a watcher on another; the
    /// users' node is killed: how long until the watcher hears them all go.
    Failover(scenarios::failover::Opts),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let host = cli.target.host.as_str();
    let loopback = host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|a| a.is_loopback());
    anyhow::ensure!(loopback, "kanban-bench only targets loopback addresses, not {host}");
    let report = match cli.scenario {
        Scenario::Fanout(o) => scenarios::fanout::run(&cli.target, o).await?,
        Scenario::Cursors(o) => scenarios::cursors::run(&cli.target, o).await?,
        Scenario::Connections(o) => scenarios::connections::run(&cli.target, o).await?,
        Scenario::Mutations(o) => scenarios::mutations::run(&cli.target, o).await?,
        Scenario::Board(o) => scenarios::board::run(&cli.target, o).await?,
        Scenario::Failover(o) => scenarios::failover::run(&cli.target, o).await?,
    };
    report.print();
    if let Some(why) = &report.invalid {
        eprintln!("invalid run: {why}");
        std::process::exit(1);
    }
    Ok(())
}
