//! The board's single writer: every change goes through one task that commits
//! changes in batches (group commit: one transaction and one fsync for all the
//! changes waiting at that moment) and then publishes their events in revision
//! order. A lone change is committed at once; under load, batches grow by
//! themselves. Publishing only queues frames, so it never blocks the writer. Each
//! person's changes are held to a budget before they queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::board::{Committed, OpError, Write};
use crate::hub::Hub;
use crate::hub::rate_limit::TokenBucket;
use crate::store::Store;

/// Changes waiting for the writer; past this, writers wait (backpressure).
const QUEUE: usize = 4_096;
/// Most changes in one transaction.
const MAX_BATCH: usize = 512;

struct Request {
    write: Write,
    reply: oneshot::Sender<Result<Committed, OpError>>,
}

/// A handle on the writer task. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Request>,
    budgets: Option<Arc<Budgets>>,
    /// Why the last batch failed to commit, until one commits: a server whose
    /// writes all fail (a full disk) is not ready, however well it reads.
    failing: Arc<Mutex<Option<String>>>,
    /// Notified after each batch that committed a change: the webhooks' deliveries
    /// look for what is new.
    committed: Arc<Notify>,
}

/// Each person's budget of changes (`--max-writes-per-user`): generous for
/// people, a wall for a key held down or a script gone wrong, over REST and SSH
/// alike since both write here.
struct Budgets {
    rate: u32,
    buckets: Mutex<HashMap<i64, TokenBucket>>,
}

/// Seconds of changes at the full rate a person may make at once.
const BURST_SECONDS: u32 = 5;

impl Budgets {
    /// Takes one change from `user`'s budget, or says how long until one is there.
    fn take(&self, user: i64) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= 1024 {
            // Those who have not written lately hold nothing worth keeping.
            buckets.retain(|_, bucket| !bucket.is_full());
        }
        let rate = self.rate;
        buckets.entry(user).or_insert_with(|| TokenBucket::with_burst(rate, rate * BURST_SECONDS)).take()
    }
}

impl Writer {
    /// Starts the writer task; it ends when the last handle is dropped. Each
    /// person may make `hub.limits().max_writes_per_user` changes a second (0: no
    /// limit).
    pub fn spawn(store: Arc<dyn Store>, hub: Hub) -> Self {
        let rate = hub.limits().max_writes_per_user;
        let budgets = (rate > 0).then(|| Arc::new(Budgets { rate, buckets: Mutex::new(HashMap::new()) }));
        let (tx, rx) = mpsc::channel(QUEUE);
        let failing = Arc::new(Mutex::new(None));
        let committed = Arc::new(Notify::new());
        tokio::spawn(run(store, hub, rx, failing.clone(), committed.clone()));
        Writer { tx, budgets, failing, committed }
    }

    /// Notified after each batch that committed a change.
    pub fn committed(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    /// Why writes fail, if the last batch did not commit.
    pub fn failing(&self) -> Option<String> {
        self.failing.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// A write went through after all (a probe of the store): writes no longer fail.
    pub fn recovered(&self) {
        *self.failing.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Takes one change from `user`'s budget, for a change that is not a board's
    /// (a board made, a member granted): refused ([`OpError::TooMany`]) past it.
    pub fn spend(&self, user: i64) -> Result<(), OpError> {
        if let Some(budgets) = &self.budgets
            && let Err(wait) = budgets.take(user)
        {
            let rate = budgets.rate;
            return Err(OpError::TooMany { rate, retry_after: wait.as_secs().saturating_add(1) });
        }
        Ok(())
    }

    /// Commits one change and returns its event once it is committed and published.
    /// One past its author's budget is refused at once ([`OpError::TooMany`]).
    pub async fn write(&self, write: Write) -> Result<Committed, OpError> {
        self.spend(write.by)?;
        let (reply, answer) = oneshot::channel();
        let request = Request { write, reply };
        if self.tx.send(request).await.is_err() {
            return Err(OpError::Failed("the writer has stopped".into()));
        }
        answer.await.unwrap_or_else(|_| Err(OpError::Failed("the writer dropped the change".into())))
    }
}

async fn run(
    store: Arc<dyn Store>,
    hub: Hub,
    mut rx: mpsc::Receiver<Request>,
    failing: Arc<Mutex<Option<String>>>,
    committed: Arc<Notify>,
) {
    let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (writes, replies): (Vec<Write>, Vec<_>) = batch.drain(..).map(|r| (r.write, r.reply)).unzip();
        // One transaction and its fsync: what `kanban_commit_seconds` measures.
        let started = std::time::Instant::now();
        let applied = store.apply(writes).await;
        hub.metrics().commit_seconds.observe(started.elapsed().as_secs_f64());
        *failing.lock().unwrap_or_else(PoisonError::into_inner) =
            applied.as_ref().err().map(ToString::to_string);
        match applied {
            Ok(results) => {
                if results.iter().any(|r| r.as_ref().is_ok_and(|c| !c.replayed)) {
                    committed.notify_one();
                }
                for (result, reply) in results.into_iter().zip(replies) {
                    // A change answered again under its key was broadcast the first time.
                    if let Ok(c) = &result
                        && !c.replayed
                    {
                        hub.publish_board(c.project_id, c.rev, c.event, &c.data);
                        crate::inbox::publish(&hub, &c.notices);
                    }
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "a batch of board changes failed to commit");
                for reply in replies {
                    let _ = reply.send(Err(OpError::Failed(e.to_string())));
                }
            }
        }
    }
}
