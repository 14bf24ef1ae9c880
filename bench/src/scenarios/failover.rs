//! `failover`: N users of a presence channel on one node of a cluster, a watcher
//! on another (`--port`); the users' node is killed (SIGKILL, `--kill PID`) and
//! the time until the watcher has heard every `member_removed` is measured: how
//! long the cluster shows people who are gone.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use kanban_protocol::pusher::ServerMessage;
use tokio::time::Instant;

use crate::Target;
use crate::conn::next_message;
use crate::report::Report;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// Users on the node to kill (`--ports`).
    #[arg(long, default_value_t = 50)]
    users: usize,
    /// The process id of the node to kill.
    #[arg(long)]
    kill: u32,
    /// How long to wait for every removal before the run is given up.
    #[arg(long, default_value_t = 120)]
    give_up_after: u64,
}

const CHANNEL: &str = "presence-bench-failover";

pub async fn run(target: &Target, o: Opts) -> anyhow::Result<Report> {
    let doomed = target.nodes();
    ensure!(
        !doomed.contains(&target.port),
        "--ports (the node to kill) must not hold --port (the watcher's)"
    );
    let mut watcher = target.connect(None).await?;
    watcher.subscribe(target, CHANNEL, Some("watcher")).await?;
    let mut users = Vec::new();
    for i in 0..o.users {
        let mut c = target.connect_nth(i).await?;
        c.subscribe(target, CHANNEL, Some(&format!("u{i}"))).await?;
        users.push(c);
    }
    // Every user is seen from the watcher's node before the kill.
    let mut present = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while present.len() < o.users {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = tokio::time::timeout(left, next_message(&mut watcher.socket))
            .await
            .context("the users never all showed on the watcher's node")?
            .context("the watcher was closed")?;
        if let ServerMessage::MemberAdded { user_id, .. } = message {
            present.insert(user_id);
        }
    }
    let status = std::process::Command::new("kill").args(["-9", &o.kill.to_string()]).status()?;
    ensure!(status.success(), "kill -9 {} failed", o.kill);
    let killed = Instant::now();
    drop(users);
    let mut first = None;
    let give_up = killed + Duration::from_secs(o.give_up_after);
    while !present.is_empty() {
        let left = give_up.saturating_duration_since(Instant::now());
        let Ok(message) = tokio::time::timeout(left, next_message(&mut watcher.socket)).await else {
            bail!("{} of {} users still shown after {} s", present.len(), o.users, o.give_up_after);
        };
        match message.context("the watcher was closed")? {
            ServerMessage::MemberRemoved { user_id, .. } => {
                present.remove(&user_id);
                first.get_or_insert_with(|| killed.elapsed());
            }
            _ => continue,
        }
    }
    let last = killed.elapsed();
    let mut report = Report::new("failover");
    report.set("users", o.users);
    report.set("first_removed_s", first.map_or(0.0, |d| (d.as_secs_f64() * 100.0).round() / 100.0));
    report.set("all_removed_s", (last.as_secs_f64() * 100.0).round() / 100.0);
    Ok(report)
}
