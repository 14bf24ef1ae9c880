//! `cursors`: N users in one presence channel, each sending `client-cursor-move` at
//! H Hz, as kanban-tui does; every other user receives each move.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kanban_protocol::pusher;
use serde_json::json;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use super::fanout::sent_at;
use crate::Target;
use crate::conn::event_of;
use crate::report::{Latency, Report, now_micros};

#[derive(clap::Args, Debug)]
pub struct Opts {
    #[arg(long, default_value_t = 10)]
    users: usize,
    /// Cursor moves per second per user.
    #[arg(long, default_value_t = 60)]
    hz: u64,
    #[arg(long, default_value_t = 10)]
    duration: u64,
}

const CHANNEL: &str = "presence-bench-cursors";

pub async fn run(target: &Target, o: Opts) -> anyhow::Result<Report> {
    let conns = super::in_parallel(o.users, 100, |i| async move {
        let mut c = target.connect_nth(i).await?;
        c.subscribe(target, CHANNEL, Some(&format!("u{i}"))).await?;
        Ok(c)
    })
    .await?;
    let received = Arc::new(AtomicU64::new(0));
    let limited = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let cpu_before = target.cpu();
    let start = Instant::now() + Duration::from_millis(200);
    let end = start + Duration::from_secs(o.duration);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for (i, c) in conns.into_iter().enumerate() {
        let (mut write, mut read) = c.socket.split();
        let (received, limited, sent) = (received.clone(), limited.clone(), sent.clone());
        let mut stopped = stopped.clone();
        readers.push(tokio::spawn(async move {
            let mut latency = Latency::default();
            while let Some(Ok(msg)) = super::until_stopped(&mut stopped, read.next()).await.flatten() {
                let Some((event, data)) = event_of(&msg) else { continue };
                match event.as_str() {
                    "client-cursor-move" => {
                        if let Some(t) = sent_at(&data) {
                            latency.record_since(t);
                        }
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                    pusher::event::ERROR => {
                        limited.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
            latency
        }));
        let hz = o.hz;
        writers.push(tokio::spawn(async move {
            // Users start spread over one period, as people do.
            let period = Duration::from_secs_f64(1.0 / hz as f64);
            let mut at = start + period.mul_f64(i as f64 / 64.0 % 1.0);
            let mut k = 0i64;
            while at < end {
                sleep_until(at).await;
                let pos = json!({"status_id": i, "task_id": k % 7, "t": now_micros()});
                let frame = pusher::send_client_event("client-cursor-move", CHANNEL, &pos);
                if write.send(Message::text(frame)).await.is_err() {
                    break;
                }
                sent.fetch_add(1, Ordering::Relaxed);
                k += 1;
                at += period;
            }
            write
        }));
    }
    let mut sinks = Vec::new();
    for w in writers {
        if let Ok(sink) = w.await {
            sinks.push(sink);
        }
    }
    let span = start.elapsed();
    let others = o.users.saturating_sub(1) as u64;
    let expected = sent.load(Ordering::Relaxed) * others;
    let deadline = Instant::now() + Duration::from_secs(10);
    while received.load(Ordering::Relaxed) + limited.load(Ordering::Relaxed) * others < expected
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu_after = target.cpu();
    let got = received.load(Ordering::Relaxed);
    let latency = super::stop_readers(stop, readers).await;
    drop(sinks);
    let mut report = Report::new("cursors");
    report.set("nodes", target.nodes().len());
    report.set("users", o.users);
    report.set("hz", o.hz);
    report.set("moves_sent", sent.load(Ordering::Relaxed));
    report.set("deliveries_per_s_asked", o.users as u64 * others * o.hz);
    report.set("deliveries_per_s", (got as f64 / span.as_secs_f64()).round());
    report.set("deliveries", got);
    report.set("dropped", expected.saturating_sub(got));
    report.set("rate_limited_4301", limited.load(Ordering::Relaxed));
    report.set("latency", latency.summary());
    report.cpu(cpu_before, cpu_after, got);
    if got < expected {
        report.invalid = Some(format!("{} of {expected} deliveries dropped", expected - got));
    }
    Ok(report)
}
