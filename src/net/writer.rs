//! The board's changes, one after another over REST, so that a user's changes commit
//! in the order they were made (two quick moves of one card must not swap). A change
//! the server cannot be reached for waits in a queue, kept on disk so that quitting
//! loses nothing, and is sent again, in order, until the server answers. Each change
//! carries a key of its own (`Idempotency-Key`), so one sent twice (its answer lost,
//! or the queue replayed after a restart) is made once. Every answer goes to the app:
//! the committed event, or why not.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::sleep;

use super::api::{Api, ApiError};
use super::backoff::Backoff;
use super::session::refusal;
use crate::app::{Action, Change, NetEvent};
use crate::dispatch::Queue;

/// A change waiting to be made, with the key that makes it once however often it
/// is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub key: String,
    pub change: Change,
}

/// Starts the writer on the app's `writes`; it ends when the app has gone. With
/// `queue`, the changes not yet made are kept in that file, and those it holds
/// from an earlier run are sent first.
pub fn spawn(api: Api, app: mpsc::Sender<Action>, queue: Option<PathBuf>, writes: Queue<Change>) {
    tokio::spawn(Writer { api, app, file: queue, queue: VecDeque::new(), told: false }.run(writes));
}

struct Writer {
    api: Api,
    app: mpsc::Sender<Action>,
    /// Where the queue is kept between runs.
    file: Option<PathBuf>,
    /// Changes not yet answered, oldest first; the first is the one being sent.
    queue: VecDeque<Pending>,
    /// Whether the app was told of waiting changes (and so must hear when they go).
    told: bool,
}

impl Writer {
    async fn run(mut self, mut incoming: Queue<Change>) {
        if let Some(file) = &self.file {
            self.queue = load(file);
            if !self.queue.is_empty() && !self.tell_waiting().await {
                return;
            }
        }
        let mut backoff = Backoff::new();
        loop {
            // Take what came in meanwhile, so that it is kept before it is sent.
            while let Some(change) = incoming.try_recv() {
                self.push(change);
            }
            let Some(head) = self.queue.front().cloned() else {
                match incoming.recv().await {
                    Some(change) => self.push(change),
                    None => return,
                }
                continue;
            };
            let event = match self.api.write(&head.change, &head.key).await {
                // Not reached: kept, and sent again after a while (or as soon as
                // another change arrives, which may find the server back).
                Err(ApiError::Unreachable(_)) => {
                    if !self.tell_waiting().await {
                        return;
                    }
                    tokio::select! {
                        () = sleep(backoff.next_delay()) => {}
                        change = incoming.recv() => match change {
                            Some(change) => self.push(change),
                            None => return,
                        },
                    }
                    continue;
                }
                // Too many at once: the server takes the next after a while. The
                // change stays first, and goes again then (changes made meanwhile
                // queue behind it, in order).
                Err(ApiError::TooMany { message, retry_after }) => {
                    tracing::debug!(%message, "the server takes no more changes for now");
                    let said = NetEvent::Throttled { retry_in_ms: retry_after.as_millis() as u64 };
                    if self.app.send(Action::Net(said)).await.is_err() {
                        return;
                    }
                    let wake = tokio::time::Instant::now() + retry_after;
                    loop {
                        tokio::select! {
                            () = tokio::time::sleep_until(wake) => break,
                            change = incoming.recv() => match change {
                                Some(change) => self.push(change),
                                None => return,
                            },
                        }
                    }
                    continue;
                }
                // A token no longer accepted refuses everything: the changes stay
                // queued (on disk: a run with a new token sends them), and nothing is
                // sent until another change comes.
                Err(e @ ApiError::Refused { status: 401, .. }) => {
                    let refused = NetEvent::Refused(refusal(&e).unwrap_or_else(|| e.to_string()));
                    if self.app.send(Action::Net(refused)).await.is_err() {
                        return;
                    }
                    match incoming.recv().await {
                        Some(change) => self.push(change),
                        None => return,
                    }
                    continue;
                }
                Ok(event) => NetEvent::Done { change: Box::new(head.change), event: Box::new(event) },
                Err(ApiError::Stale { message, current }) => {
                    NetEvent::Stale { change: Box::new(head.change), message, current }
                }
                // A 403 or 404 here concerns this one change (a viewer's, a card
                // deleted meanwhile): it is said, and the next one goes.
                Err(ApiError::BadValue { message, field }) => {
                    NetEvent::NotSaved { change: Box::new(head.change), message, field: Some(field) }
                }
                Err(e) => {
                    NetEvent::NotSaved { change: Box::new(head.change), message: e.to_string(), field: None }
                }
            };
            backoff.reset();
            self.queue.pop_front();
            self.save();
            if self.app.send(Action::Net(event)).await.is_err() {
                return;
            }
            if self.told && !self.tell_waiting().await {
                return;
            }
        }
    }

    /// Queues a change under a fresh key, and keeps the queue.
    fn push(&mut self, change: Change) {
        let key = format!("{:032x}", rand::random::<u128>());
        self.queue.push_back(Pending { key, change });
        self.save();
    }

    /// Tells the app which changes wait; `false` when it has gone.
    async fn tell_waiting(&mut self) -> bool {
        let waiting: Vec<Change> = self.queue.iter().map(|p| p.change.clone()).collect();
        self.told = !waiting.is_empty();
        self.app.send(Action::Net(NetEvent::Waiting(waiting))).await.is_ok()
    }

    /// Writes the queue to its file (removed when empty). A failure is logged: the
    /// changes still go out while this process runs.
    fn save(&self) {
        let Some(file) = &self.file else { return };
        let result = if self.queue.is_empty() {
            match std::fs::remove_file(file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            }
        } else {
            store(file, &self.queue)
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, file = %file.display(), "cannot keep the queue of changes");
        }
    }
}

/// The queue a file holds; an unreadable one is set aside (renamed), not lost.
fn load(file: &Path) -> VecDeque<Pending> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(_) => return VecDeque::new(),
    };
    match serde_json::from_str(&text) {
        Ok(queue) => queue,
        Err(e) => {
            tracing::warn!(error = %e, file = %file.display(), "an unreadable queue of changes, set aside");
            let _ = std::fs::rename(file, file.with_extension("unreadable"));
            VecDeque::new()
        }
    }
}

/// Writes the queue whole, then puts it in place, so that a crash leaves the old
/// queue or the new one, never half of one.
fn store(file: &Path, queue: &VecDeque<Pending>) -> anyhow::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = file.with_extension("partial");
    crate::settings::write_private(&partial, &serde_json::to_vec(queue)?)?;
    std::fs::rename(&partial, file)?;
    Ok(())
}
