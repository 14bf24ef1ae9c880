//! Where the app's commands go: the network side's two queues (its requests:
//! subscriptions, reads, cursors; and its writes, made in order), counted while
//! they wait. A front end asks [`Dispatch::behind`] before it takes input: while
//! the network side has that much work waiting, keys are dropped rather than made
//! into more of it, so a key held down or megabytes typed in a burst never grow
//! a queue without bound. kanban-tui's session and an SSH session's link both
//! take their work from here.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc;

use crate::app::{Change, Command, Request};

/// Commands waiting for the network side past which input is dropped. A person's
/// fastest typing leaves a handful waiting; this many means keys come in faster
/// than the network side can act on them.
pub const BEHIND: usize = 256;

/// The app's side: sends commands, and says whether the network side is behind.
#[derive(Debug, Clone)]
pub struct Dispatch {
    requests: mpsc::UnboundedSender<Request>,
    writes: mpsc::UnboundedSender<Change>,
    waiting: Arc<AtomicUsize>,
}

/// One of the network side's queues: what it takes is no longer counted as waiting.
#[derive(Debug)]
pub struct Queue<T> {
    rx: mpsc::UnboundedReceiver<T>,
    waiting: Arc<AtomicUsize>,
}

/// A dispatch and the two queues it fills: requests, then writes.
pub fn channels() -> (Dispatch, Queue<Request>, Queue<Change>) {
    let waiting = Arc::new(AtomicUsize::new(0));
    let (requests, request_rx) = mpsc::unbounded_channel();
    let (writes, write_rx) = mpsc::unbounded_channel();
    let dispatch = Dispatch { requests, writes, waiting: waiting.clone() };
    (dispatch, Queue { rx: request_rx, waiting: waiting.clone() }, Queue { rx: write_rx, waiting })
}

impl Dispatch {
    /// Sends each command to its queue. One that cannot go (the network side has
    /// ended, as it does only at exit) is dropped.
    pub fn send(&self, commands: impl IntoIterator<Item = Command>) {
        for command in commands {
            let sent = match command {
                Command::Write(change) => self.writes.send(change).is_ok(),
                Command::Net(request) => self.requests.send(request).is_ok(),
            };
            if sent {
                self.waiting.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Whether so much waits for the network side that input should be dropped.
    pub fn behind(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) >= BEHIND
    }
}

impl<T> Queue<T> {
    /// The next command; `None` once the app has gone.
    pub async fn recv(&mut self) -> Option<T> {
        let next = self.rx.recv().await;
        self.took(next)
    }

    /// The next command if one waits now.
    pub fn try_recv(&mut self) -> Option<T> {
        let next = self.rx.try_recv().ok();
        self.took(next)
    }

    fn took(&self, next: Option<T>) -> Option<T> {
        if next.is_some() {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn what_waits_is_counted_until_taken() {
        let (dispatch, mut requests, mut writes) = channels();
        let change = Change::DeleteTask { task_id: 1 };
        dispatch.send((0..BEHIND - 1).map(|i| Command::Net(Request::Trash(i as i64))));
        assert!(!dispatch.behind());
        dispatch.send([Command::Write(change.clone())]);
        assert!(dispatch.behind(), "{BEHIND} waiting");
        assert_eq!(writes.try_recv(), Some(change));
        assert!(!dispatch.behind());
        assert_eq!(requests.recv().await, Some(Request::Trash(0)));
        assert_eq!(writes.try_recv(), None);
        drop(dispatch);
        while requests.recv().await.is_some() {}
        assert_eq!(requests.waiting.load(Ordering::Relaxed), 0);
    }
}
