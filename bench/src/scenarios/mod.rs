//! The scenarios, one file each.

pub mod board;
pub mod connections;
pub mod cursors;
pub mod failover;
pub mod fanout;
pub mod mutations;

use std::future::Future;
use std::time::Duration;

/// The wait a 429 asks for (`Retry-After`, in seconds), if `res` is one: the
/// server holds each person to a budget of changes (`--max-writes-per-user`),
/// which a load is run without and honours when it meets it.
pub fn throttled(res: &reqwest::Response) -> Option<Duration> {
    (res.status() == reqwest::StatusCode::TOO_MANY_REQUESTS).then(|| {
        let seconds = res.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok());
        Duration::from_secs(seconds.unwrap_or(1))
    })
}

/// Sends what `make` builds until it is not refused for going too fast (waiting
/// each time as long as the server asks).
pub async fn patiently(make: impl Fn() -> reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    loop {
        let res = make().send().await?;
        match throttled(&res) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => return Ok(res),
        }
    }
}

/// Said once in a report whose load met the budget of changes.
pub const THROTTLED: &str = "the server held the load to its budget of changes per person: \
    run it with --max-writes-per-user 0 (KANBAN_MAX_WRITES_PER_USER=0)";

/// Runs `make(i)` for `0..n`, at most `parallel` at a time; the first error wins.
pub async fn in_parallel<T, F, Fut>(n: usize, parallel: usize, make: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    use futures_util::StreamExt;
    let results: Vec<anyhow::Result<T>> =
        futures_util::stream::iter((0..n).map(make)).buffered(parallel.max(1)).collect().await;
    results.into_iter().collect()
}

/// `next` unless `stopped` turns true first (then `None`).
pub async fn until_stopped<T>(
    stopped: &mut tokio::sync::watch::Receiver<bool>,
    next: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        v = next => Some(v),
        _ = stopped.wait_for(|s| *s) => None,
    }
}

/// Stops the readers and merges the latencies they recorded.
pub async fn stop_readers(
    stop: tokio::sync::watch::Sender<bool>,
    readers: Vec<tokio::task::JoinHandle<crate::report::Latency>>,
) -> crate::report::Latency {
    let _ = stop.send(true);
    let mut latency = crate::report::Latency::default();
    for r in readers {
        if let Ok(l) = r.await {
            latency.merge(&l);
        }
    }
    latency
}
