//! Webhooks: each committed change of a board POSTed, signed, to the URLs that
//! asked for it (`kanban-server webhook add`).
//!
//! A hook's queue is the board's history after the hook's cursor on that board.
//! The history is written in each change's own transaction, so a change that did
//! not commit is never sent and one that did is never lost, and the write path
//! does nothing more for hooks. Deliveries of one hook on one board go one at a
//! time in revision order, at least once (a receiver drops one it already took by
//! its id); a refused or failed one is tried again after a wait that doubles (with
//! jitter) up to `--webhook-max-backoff`, until it is a day old, then given up.
//! Each (hook, board) is a task of its own holding a lease in the store, so a slow
//! or dead receiver holds up nobody else, and of the nodes sharing a database one
//! alone sends it.

pub mod admin;
mod deliver;
pub mod sign;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::metrics::Metrics;
use crate::store::Store;

/// How long one request may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How often the store is asked what is due when no commit here says so (other
/// nodes' commits, retries coming due).
const POLL: Duration = Duration::from_secs(1);
/// Boards whose deliveries one hook is sent at once (an every-board hook on a busy
/// site would otherwise meet its receiver with a connection per board); the rest
/// wait their turn.
const PER_HOOK: usize = 8;
/// The least time between two looks at what is due, however often commits wake.
const GAP: Duration = Duration::from_millis(20);

/// What the delivery tasks share.
pub(crate) struct Deliveries {
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    client: reqwest::Client,
    /// This process, as the leases name it.
    node: String,
    /// The history's epoch, part of each delivery's id.
    epoch: u64,
    max_backoff: Duration,
    give_up: Duration,
}

/// The HTTP client of deliveries: the system's roots, no redirects (a receiver
/// that moved says so with its status), a [`TIMEOUT`].
pub fn client() -> reqwest::Client {
    client_with(TIMEOUT)
}

/// An HTTP client to other services: the system's roots, no redirects, each
/// request (connecting included) within `timeout`.
pub fn client_with(timeout: Duration) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring offers the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("kanban-server/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds")
}

/// Sends the webhooks' deliveries until aborted; `wake` is notified after each
/// commit of this process.
pub fn spawn(
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    limits: &crate::config::Limits,
    wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    let deliveries = Arc::new(Deliveries {
        epoch: store.site().epoch,
        store,
        metrics,
        client: client(),
        node: hex::encode(rand::random::<[u8; 8]>()),
        max_backoff: limits.webhook_max_backoff,
        give_up: limits.webhook_give_up,
    });
    tokio::spawn(run(deliveries, wake))
}

async fn run(deliveries: Arc<Deliveries>, wake: Arc<Notify>) {
    let mut tasks = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, (i64, i64)> = HashMap::new();
    loop {
        match deliveries.store.due_webhooks(now_ms()).await {
            Ok(due) => {
                for pair in due {
                    let of_hook = running.values().filter(|(hook, _)| *hook == pair.0).count();
                    if of_hook >= PER_HOOK || running.values().any(|p| *p == pair) {
                        continue;
                    }
                    let d = deliveries.clone();
                    let handle = tasks.spawn(async move { deliver::run(&d, pair.0, pair.1).await });
                    running.insert(handle.id(), pair);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read which webhooks are due"),
        }
        tokio::select! {
            () = wake.notified() => {}
            Some(done) = tasks.join_next_with_id() => {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(e) => e.id(),
                };
                running.remove(&id);
            }
            () = tokio::time::sleep(POLL) => {}
        }
        tokio::time::sleep(GAP).await;
    }
}

/// Milliseconds since the epoch, as the store keeps the workers' times.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The wait before try `attempt + 1`: a second doubled for each try made, up to
/// `max`, and between half of that and all of it so that receivers coming back
/// are not met by every hook at once.
pub fn backoff(attempts: u32, max: Duration) -> Duration {
    let full = Duration::from_secs(1).saturating_mul(1 << attempts.saturating_sub(1).min(20)).min(max);
    let half = full / 2;
    half + full.saturating_sub(half).mul_f64(rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_most_and_keep_at_least_half() {
        let max = Duration::from_secs(3600);
        for (attempts, full) in [(1, 1), (2, 2), (3, 4), (10, 512), (13, 3600), (40, 3600)] {
            let wait = backoff(attempts, max);
            let full = Duration::from_secs(full);
            assert!(wait >= full / 2 && wait <= full, "try {attempts}: {wait:?} within half of {full:?}");
        }
    }
}
