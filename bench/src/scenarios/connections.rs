//! `connections`: C idle connections, each subscribed to a presence channel of its
//! own, or with `--shared` all to ONE presence channel: the connect rate, and the
//! server's memory per connection (`--pid`). Shared, every client keeps reading
//! (each newcomer's `member_added` reaches all the others), and the run is valid
//! only once every client knows all C members.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kanban_protocol::pusher::ServerMessage;
use tokio_tungstenite::tungstenite::Message;

use crate::Target;
use crate::conn::{Conn, sources};
use crate::report::{Report, rss_bytes};

/// The one channel of `--shared`.
const SHARED: &str = "presence-bench-shared";
/// How long the members' news may take to reach every client.
const SPREAD: Duration = Duration::from_secs(60);

#[derive(clap::Args, Debug)]
pub struct Opts {
    #[arg(long, default_value_t = 1_000)]
    count: usize,
    /// Connections opening at once.
    #[arg(long, default_value_t = 256)]
    parallel: usize,
    /// All in one presence channel instead of one channel each.
    #[arg(long)]
    shared: bool,
}

pub async fn run(target: &Target, o: Opts) -> anyhow::Result<Report> {
    let before = target.pid.and_then(rss_bytes);
    let sources = sources(o.count);
    // Clients that know every member (shared only).
    let complete = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let conns = super::in_parallel(o.count, o.parallel, |i| {
        let source = sources[i % sources.len()];
        let complete = complete.clone();
        let count = o.count;
        async move {
            let mut c = target.connect(source).await?;
            if !o.shared {
                c.subscribe(target, &format!("presence-bench-idle-{i}"), Some(&format!("u{i}"))).await?;
                return Ok(Held::Idle(Box::new(c)));
            }
            let listed = c.subscribe(target, SHARED, Some(&format!("u{i}"))).await?.unwrap_or(0);
            Ok(Held::reading(c, listed, count, complete))
        }
    })
    .await?;
    let took = start.elapsed();
    let mut report = Report::new("connections");
    if o.shared {
        let spread = Instant::now();
        while complete.load(Ordering::Acquire) < o.count && spread.elapsed() < SPREAD {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let knowing = complete.load(Ordering::Acquire);
        report.set("shared_channel", true);
        report.set("clients_knowing_everyone", knowing);
        if knowing < o.count {
            report.invalid = Some(format!("{knowing} of {} clients heard of every member", o.count));
        }
    }
    // Let the server settle (buffers drained, tasks parked) before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = target.pid.and_then(rss_bytes);
    report.set("connections", conns.len());
    report.set("connect_s", (took.as_secs_f64() * 100.0).round() / 100.0);
    report.set("connects_per_s", (conns.len() as f64 / took.as_secs_f64()).round());
    if let (Some(b), Some(a)) = (before, after) {
        report.set("server_rss_before_kib", b / 1024);
        report.set("server_rss_after_kib", a / 1024);
        report.set("server_bytes_per_connection", a.saturating_sub(b) / conns.len().max(1) as u64);
    }
    drop(conns);
    Ok(report)
}

/// A connection held for the measurement.
enum Held {
    Idle(#[expect(dead_code, reason = "held open, never read")] Box<Conn>),
    /// Read by a task of its own, aborted when this is dropped.
    Reading(tokio::task::JoinHandle<()>),
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Held::Reading(task) = self {
            task.abort();
        }
    }
}

impl Held {
    /// Reads on in a task, counting members: `complete` goes up once this client
    /// knows `count` of them.
    fn reading(mut c: Conn, listed: usize, count: usize, complete: Arc<AtomicUsize>) -> Held {
        Held::Reading(tokio::spawn(async move {
            let mut known = listed;
            if known >= count {
                complete.fetch_add(1, Ordering::AcqRel);
            }
            while let Some(Ok(msg)) = c.socket.next().await {
                let Message::Text(text) = msg else { continue };
                if let Ok(ServerMessage::MemberAdded { .. }) = ServerMessage::decode(&text) {
                    known += 1;
                    if known == count {
                        complete.fetch_add(1, Ordering::AcqRel);
                    }
                }
            }
        }))
    }
}
