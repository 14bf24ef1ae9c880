//! The board's single writer: every change goes through one task that commits
//! changes in batches (group commit: one transaction and one fsync for all the
//! changes waiting at that moment) and then publishes their events in revision
//! order. A lone change is committed at once; under load, batches grow by
//! themselves. Publishing only queues frames, so it never blocks the writer.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::board::{Committed, OpError, Write};
use crate::hub::Hub;
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
}

impl Writer {
    /// Starts the writer task; it ends when the last handle is dropped.
    pub fn spawn(store: Arc<dyn Store>, hub: Hub) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, hub, rx));
        Writer { tx }
    }

    /// Commits one change and returns its event once it is committed and published.
    pub async fn write(&self, write: Write) -> Result<Committed, OpError> {
        let (reply, answer) = oneshot::channel();
        let request = Request { write, reply };
        if self.tx.send(request).await.is_err() {
            return Err(OpError::Failed("the writer has stopped".into()));
        }
        answer.await.unwrap_or_else(|_| Err(OpError::Failed("the writer dropped the change".into())))
    }
}

async fn run(store: Arc<dyn Store>, hub: Hub, mut rx: mpsc::Receiver<Request>) {
    let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (writes, replies): (Vec<Write>, Vec<_>) = batch.drain(..).map(|r| (r.write, r.reply)).unzip();
        // One transaction and its fsync: what `kanban_commit_seconds` measures.
        let started = std::time::Instant::now();
        let applied = store.apply(writes).await;
        hub.metrics().commit_seconds.observe(started.elapsed().as_secs_f64());
        match applied {
            Ok(results) => {
                for (result, reply) in results.into_iter().zip(replies) {
                    // A change answered again under its key was broadcast the first time.
                    if let Ok(c) = &result
                        && !c.replayed
                    {
                        hub.publish_board(c.project_id, c.rev, c.event, &c.data);
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
