//! The scenarios, one file each.

pub mod board;
pub mod connections;
pub mod cursors;
pub mod failover;
pub mod fanout;
pub mod mutations;

use std::future::Future;

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
