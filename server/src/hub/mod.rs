//! The hub: live WebSocket connections, their channels, presence, and fan-out.
//!
//! A [`Hub`] is a cheap-to-clone handle. Channel state sits behind the [`Adapter`]
//! interface, whose default ([`LocalAdapter`]) keeps it in this process; a
//! broker-backed adapter (Redis, NATS) can replace it for several nodes without
//! touching the connection code. Each outgoing frame is encoded once and shared by
//! reference count among its recipients; each connection drains a bounded queue.

mod adapter;
mod connection;
mod local;
mod rate_limit;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::ws::{Utf8Bytes, WebSocket};
use tokio::sync::{Notify, watch};

pub use adapter::{Adapter, ChannelInfo, PresenceMember, SubscribeError};
pub use local::LocalAdapter;

use crate::config::{AppCredentials, Limits};
use crate::metrics::Metrics;

/// An encoded server frame, shared among all its recipients.
pub type Frame = Utf8Bytes;

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
    /// Set when the queue overflowed: the connection is closed with 4100.
    overflowed: AtomicBool,
    wake: Notify,
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
            overflowed: AtomicBool::new(false),
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
            if !self.overflowed.swap(true, Ordering::Relaxed) {
                self.wake.notify_one();
            }
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

/// One connection's place in a channel.
#[derive(Debug, Clone)]
pub struct Subscriber {
    /// The process-unique number of the connection: the key in channel maps.
    pub conn_id: u64,
    /// `<digits>.<digits>`, as the client knows itself (used to exclude a sender).
    pub socket_id: Arc<str>,
    pub outbox: Arc<Outbox>,
}

struct Shared {
    app: AppCredentials,
    limits: Limits,
    adapter: Arc<dyn Adapter>,
    metrics: Arc<Metrics>,
    next_conn_id: AtomicU64,
    open: AtomicU64,
    shutdown: watch::Sender<bool>,
}

/// A handle on the hub; clones share it.
#[derive(Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

impl Hub {
    pub fn new(app: AppCredentials, limits: Limits, metrics: Arc<Metrics>) -> Self {
        let adapter = Arc::new(LocalAdapter::new(limits.max_presence_members));
        Self::with_adapter(app, limits, metrics, adapter)
    }

    pub fn with_adapter(
        app: AppCredentials,
        limits: Limits,
        metrics: Arc<Metrics>,
        adapter: Arc<dyn Adapter>,
    ) -> Self {
        let (shutdown, _) = watch::channel(false);
        let shared = Shared {
            app,
            limits,
            adapter,
            metrics,
            next_conn_id: AtomicU64::new(1),
            open: AtomicU64::new(0),
            shutdown,
        };
        Hub { shared: Arc::new(shared) }
    }

    pub fn app(&self) -> &AppCredentials {
        &self.shared.app
    }

    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    pub fn adapter(&self) -> &dyn Adapter {
        &*self.shared.adapter
    }

    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// Serves one upgraded WebSocket until it closes. `app_key` is the key the client
    /// asked for; `protocol` the version it speaks.
    ///
    /// The connection's future is the one the task holds for the connection's whole
    /// life, so no wrapper future adds to it (each level would keep its own copy of
    /// the socket).
    pub fn serve_socket(
        self,
        socket: WebSocket,
        app_key: String,
        protocol: Option<u32>,
    ) -> impl Future<Output = ()> + Send + 'static {
        connection::run(self, socket, app_key, protocol)
    }

    /// Publishes a server event on `channel`, encoded once for all its subscribers,
    /// skipping the connection `except` (a socket id). Returns the recipients.
    pub fn publish(&self, channel: &str, event: &str, data: &str, except: Option<&str>) -> usize {
        let frame = Frame::from(kanban_protocol::pusher::encode_event(event, Some(channel), data));
        Metrics::add(&self.metrics().events_published, 1);
        self.shared.adapter.publish(channel, frame, except)
    }

    /// Asks every connection to close with 4200 (reconnect) and stops new ones.
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
    }

    fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shared.shutdown.subscribe()
    }

    /// Waits until every connection has closed, e.g. after [`Hub::shutdown`].
    pub async fn closed(&self) {
        self.shared.shutdown.closed().await;
    }
}
