//! `connections`: C idle connections, each subscribed to a presence channel of its
//! own: the connect rate, and the server's memory per connection (`--pid`).

use std::time::{Duration, Instant};

use crate::Target;
use crate::conn::sources;
use crate::report::{Report, rss_bytes};

#[derive(clap::Args, Debug)]
pub struct Opts {
    #[arg(long, default_value_t = 1_000)]
    count: usize,
    /// Connections opening at once.
    #[arg(long, default_value_t = 256)]
    parallel: usize,
}

pub async fn run(target: &Target, o: Opts) -> anyhow::Result<Report> {
    let before = target.pid.and_then(rss_bytes);
    let sources = sources(o.count);
    let start = Instant::now();
    let conns = super::in_parallel(o.count, o.parallel, |i| {
        let source = sources[i % sources.len()];
        async move {
            let mut c = target.connect(source).await?;
            c.subscribe(target, &format!("presence-bench-idle-{i}"), Some(&format!("u{i}"))).await?;
            Ok(c)
        }
    })
    .await?;
    let took = start.elapsed();
    // Let the server settle (buffers drained, tasks parked) before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = target.pid.and_then(rss_bytes);
    let mut report = Report::new("connections");
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
