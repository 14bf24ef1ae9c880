//! One connection's outbound queue: bounded, filled by any task without waiting,
//! emptied all at once by the connection's own task.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::Frame;

/// One connection's bounded queue of frames: any task pushes, the connection's
/// own task takes them all at once.
///
/// A deque behind a mutex rather than a channel: an idle connection's queue
/// allocates nothing (tokio's bounded channel holds about 1.5 KiB per connection
/// from the start, a fifth of an idle connection's memory), and the connection
/// takes everything queued under one lock instead of one receive per frame.
#[derive(Debug)]
pub struct Outbox {
    queue: Mutex<Queue>,
    capacity: usize,
    /// Frames arrived in an empty queue.
    ready: Notify,
    /// Why the connection is to end, once it is (an [`Ending`] as `u8`; 0 while it
    /// is not): set by whoever decides it, acted on by the connection.
    ending: AtomicU8,
    wake: Notify,
}

/// Why a connection is ended from outside its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Ending {
    /// Its queue overflowed: it does not read fast enough (closed with 4100).
    Slow = 1,
    /// Access to one of its channels was taken away: it is to reconnect and
    /// subscribe again, authorized anew (closed with 4200).
    Reconnect = 2,
    /// The app ended the user's connections (the HTTP API's
    /// `terminate_connections`; closed with 4009, not to reconnect).
    Terminated = 3,
}

#[derive(Debug, Default)]
struct Queue {
    frames: VecDeque<Frame>,
    /// The connection has ended: frames are dropped, not queued.
    closed: bool,
}

impl Outbox {
    /// An empty queue for at most `capacity` frames.
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Outbox {
            queue: Mutex::default(),
            capacity: capacity.max(1),
            ready: Notify::new(),
            ending: AtomicU8::new(0),
            wake: Notify::new(),
        })
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        // The lock guards plain data that no push or take leaves half-changed.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a frame without waiting. A full queue marks the connection as a slow
    /// consumer to be closed; it never makes the publisher wait. Returns whether the
    /// frame was queued.
    pub fn push(&self, frame: Frame) -> bool {
        let mut queue = self.queue();
        if queue.closed {
            return false;
        }
        if queue.frames.len() >= self.capacity {
            drop(queue);
            self.end(Ending::Slow);
            return false;
        }
        let was_empty = queue.frames.is_empty();
        queue.frames.push_back(frame);
        drop(queue);
        // The taker empties the queue each time: only the first frame wakes it.
        if was_empty {
            self.ready.notify_one();
        }
        true
    }

    /// Moves every queued frame to the back of `into`; false if there were none.
    /// `into` should be empty: its allocation is swapped into the queue for reuse.
    pub fn try_take(&self, into: &mut VecDeque<Frame>) -> bool {
        let mut queue = self.queue();
        if queue.frames.is_empty() {
            return false;
        }
        if into.is_empty() {
            std::mem::swap(&mut queue.frames, into);
        } else {
            into.append(&mut queue.frames);
        }
        true
    }

    /// Waits for frames and moves them all to `into`. Cancel-safe: dropped before it
    /// returns, it has taken nothing.
    pub async fn take(&self, into: &mut VecDeque<Frame>) {
        while !self.try_take(into) {
            self.ready.notified().await;
        }
    }

    /// Asks the connection to end (the first reason given stands).
    pub fn end(&self, why: Ending) {
        if self.ending.compare_exchange(0, why as u8, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            self.wake.notify_one();
        }
    }

    /// Completes once the connection is to end, with the reason (at once if it
    /// already is). Cancel-safe.
    pub async fn ending(&self) -> Ending {
        loop {
            match self.ending.load(Ordering::Acquire) {
                0 => {}
                n if n == Ending::Slow as u8 => return Ending::Slow,
                n if n == Ending::Terminated as u8 => return Ending::Terminated,
                _ => return Ending::Reconnect,
            }
            // The reason is stored before the notification, which waits as a permit
            // for a waiter that comes later: none is missed between the two lines.
            self.wake.notified().await;
        }
    }

    /// Ends the queue: what is queued is dropped, later pushes are refused.
    pub fn close(&self) {
        let frames = {
            let mut queue = self.queue();
            queue.closed = true;
            std::mem::take(&mut queue.frames)
        };
        drop(frames);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &'static str) -> Frame {
        Frame::from_static(text)
    }

    #[tokio::test]
    async fn frames_come_out_in_order_and_a_full_queue_flags_the_consumer() {
        let outbox = Outbox::new(2);
        assert!(outbox.push(frame("a")));
        assert!(outbox.push(frame("b")));
        assert!(!outbox.push(frame("c")), "a third frame does not fit");
        // The overflow wakes the connection (a stored permit: it may wait later).
        let why = tokio::time::timeout(std::time::Duration::from_secs(5), outbox.ending()).await.unwrap();
        assert_eq!(why, Ending::Slow);
        let mut taken = VecDeque::new();
        outbox.take(&mut taken).await;
        assert_eq!(taken, [frame("a"), frame("b")]);
        assert!(!outbox.try_take(&mut VecDeque::new()), "taking empties the queue");
    }

    #[tokio::test]
    async fn take_waits_for_a_push_from_another_task() {
        let outbox = Outbox::new(8);
        let pusher = Arc::clone(&outbox);
        let push = tokio::spawn(async move {
            tokio::task::yield_now().await;
            pusher.push(frame("late"))
        });
        let mut taken = VecDeque::new();
        tokio::time::timeout(std::time::Duration::from_secs(5), outbox.take(&mut taken)).await.unwrap();
        assert_eq!(taken, [frame("late")]);
        assert!(push.await.unwrap());
    }

    #[tokio::test]
    async fn the_first_reason_to_end_stands() {
        let outbox = Outbox::new(1);
        outbox.end(Ending::Reconnect);
        assert!(outbox.push(frame("a")));
        assert!(!outbox.push(frame("b")), "full");
        let why = tokio::time::timeout(std::time::Duration::from_secs(5), outbox.ending()).await.unwrap();
        assert_eq!(why, Ending::Reconnect, "the overflow after it does not replace it");
    }

    #[test]
    fn a_closed_queue_drops_what_it_held_and_refuses_more() {
        let outbox = Outbox::new(8);
        assert!(outbox.push(frame("a")));
        outbox.close();
        assert!(!outbox.push(frame("b")));
        assert!(!outbox.try_take(&mut VecDeque::new()));
    }
}
